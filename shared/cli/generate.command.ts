import { writeFile } from 'node:fs/promises';
import { systemClock } from '../application/ports/clock.port.js';
import { loadReferenceData } from '../adapters/local/reference-data.loader.js';
import { openEmbeddedSource } from '../adapters/local/embedded-source/embedded-source.js';
import { openSyntheticFileSink } from '../adapters/local/synthetic-files/synthetic-file-sink.js';
import {
  GENERATE_CLI_OPTIONS,
  parseGenerateArgs,
  runGenerate,
} from '../application/use-cases/generate-population.use-case.js';
import type { CliCommand, CliOption } from './cli-io.js';

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

const kebab = (name: string): string => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** `nhs-flows generate`: the seeded synthetic population, into the embedded source or files. */
export const generateCommand: CliCommand = {
  name: 'generate',
  summary:
    'generate a synthetic population (999-range NHS numbers) into the embedded source or CSV/NDJSON files',
  usage:
    'nhs-flows generate --patients N [--seed S] (--out <dir> [--format csv|ndjson] | --source <file.duckdb>) [--defects all|none|<list>]',
  options: Object.fromEntries(
    Object.entries(GENERATE_CLI_OPTIONS).map(([name, description]): [string, CliOption] => [
      kebab(name),
      { type: 'string', description },
    ]),
  ),
  run: async (args, io) => {
    const argv: string[] = [];
    for (const [name, value] of Object.entries(args.values))
      if (name !== 'help' && typeof value === 'string') argv.push(`--${name}`, value);
    return runGenerateCommand(argv, { stdout: (line) => io.out(line) });
  },
};
