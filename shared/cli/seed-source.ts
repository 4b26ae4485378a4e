import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { EmbeddedSource } from '../adapters/local/embedded-source/embedded-source.js';
import { loadReferenceData } from '../adapters/local/reference-data.loader.js';
import type { Logger } from '../application/ports/logger.port.js';
import {
  generatePopulation,
  sourceWriterSink,
} from '../application/use-cases/generate-population.use-case.js';
import { simulateChanges } from '../application/use-cases/simulate-changes.use-case.js';
import { SOURCE_TABLE_NAMES } from '../domain/datasets/source-tables.js';

/**
 * Seeds the embedded source with the synthetic population (all six datasets, defects switched on)
 * when it holds no rows yet, and writes the generation report next to it. An existing source is
 * left as it is, so a second `npm start` captures only what changed.
 */
export async function seedSyntheticSource(
  source: EmbeddedSource,
  options: { patients: number; seed: number; reportFile: string; logger: Logger },
): Promise<{ seeded: boolean; summary: string }> {
  let existing = 0;
  try {
    for (const table of SOURCE_TABLE_NAMES) existing += await source.countRows(table);
  } catch {
    existing = 0;
  }
  if (existing > 0)
    return {
      seeded: false,
      summary: `embedded source already holds ${existing} rows: capturing changes only`,
    };
  const report = await generatePopulation(
    { seed: options.seed, patients: options.patients },
    { reference: loadReferenceData(), sink: sourceWriterSink(source) },
  );
  mkdirSync(dirname(options.reportFile), { recursive: true });
  writeFileSync(options.reportFile, JSON.stringify(report, null, 2));
  const rows = Object.entries(report.rows)
    .map(([table, n]) => `${table} ${n}`)
    .join(', ');
  const defects = Object.values(report.defectiveRows).reduce((a, b) => a + b, 0);
  options.logger.info('synthetic population seeded', { patients: report.patients, defectiveRows: defects });
  return {
    seeded: true,
    summary: `seeded ${report.patients} synthetic patients (seed ${report.seed}): ${rows}; ${defects} rows carry planted defects (report: ${options.reportFile})`,
  };
}

/**
 * One round of simulated source changes (the generator's change stream) applied to the embedded
 * source; rounds are numbered in `<data dir>/change-rounds.json` so each run changes other rows.
 */
export async function simulateSourceChanges(
  source: EmbeddedSource,
  options: { patients: number; seed: number; rate: number; dataDir: string },
): Promise<string> {
  const counter = join(options.dataDir, 'change-rounds.json');
  const round = (existsSync(counter) ? (JSON.parse(readFileSync(counter, 'utf8')) as { round: number }).round : 0) + 1;
  const report = await simulateChanges(
    { population: { seed: options.seed, patients: options.patients }, seed: options.seed, round, rate: options.rate },
    { writer: source, reference: loadReferenceData() },
  );
  writeFileSync(counter, JSON.stringify({ round }));
  const kinds = Object.entries(report.counts)
    .map(([kind, n]) => `${kind} ${n}`)
    .join(', ');
  return `simulated change round ${round}: ${report.rowsUpdated} updated, ${report.rowsDeleted} deleted, ${report.rowsInserted} inserted (${kinds})`;
}
