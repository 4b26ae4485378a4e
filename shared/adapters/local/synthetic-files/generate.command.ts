import { writeFile } from 'node:fs/promises';
import { systemClock } from '../../../application/ports/clock.port.js';
import { loadReferenceData } from '../../../adapters/local/reference-data.loader.js';
import {
  parseGenerateArgs,
  runGenerate,
} from '../../../application/use-cases/generate-population.use-case.js';
import { openEmbeddedSource } from '../embedded-source/embedded-source.js';
import { openSyntheticFileSink } from './synthetic-file-sink.js';

/**
 * `nhs-flows generate [--patients n] [--seed s] (--out <dir> [--format csv|ndjson] | --source <duckdb file>)
 * [--defects all|none|<list>] [--defect-rate p] [--episodes n] [--start d] [--end d] [--report <file>]`,
 * wired to the local adapters (embedded DuckDB source, files). Returns the exit code; a bad option
 * throws a ConfigError listing every problem.
 */
export async function runGenerateCommand(
  args: string[],
  io: { stdout(line: string): void },
): Promise<number> {
  const options = parseGenerateArgs(args);
  return runGenerate(options, io, {
    reference: loadReferenceData(),
    openSource: (path) => openEmbeddedSource({ path, clock: systemClock }),
    openFiles: (dir, format) => openSyntheticFileSink({ dir, format }),
    writeReport: (path, json) => writeFile(path, json),
  });
}
