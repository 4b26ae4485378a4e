import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import {
  openEmbeddedSource,
  type EmbeddedSource,
} from '../adapters/local/embedded-source/embedded-source.js';
import { systemClock } from '../application/ports/clock.port.js';
import { loadReferenceData } from '../adapters/local/reference-data.loader.js';
import type { Logger } from '../application/ports/logger.port.js';
import {
  generatePopulation,
  sourceWriterSink,
} from '../application/use-cases/generate-population.use-case.js';
import { simulateChanges } from '../application/use-cases/simulate-changes.use-case.js';
import { SOURCE_TABLE_NAMES } from '../domain/datasets/source-tables.js';

/** The embedded source database of a data dir. */
export const SOURCE_FILE = 'source.duckdb';
/** Where a seed is written before it becomes the source (renamed into place once complete). */
export const SEEDING_FILE = 'source.seeding.duckdb';
/** The table inside the source that records a finished seed; written last, before the rename. */
export const SEED_RECORD_TABLE = 'nhsflows_seed';

/** The population a source was seeded with. */
export interface SeededPopulation {
  readonly patients: number;
  readonly seed: number;
}

/**
 * `start` will not capture the source as it is: a different population was asked for, or the
 * source holds rows without a record of a finished seed (an interrupted seed of an older nhs-flows).
 */
export class SourceSeedError extends Error {
  readonly code = 'SOURCE_SEED_REFUSED';
  constructor(message: string) {
    super(message);
    this.name = 'SourceSeedError';
  }
}

/**
 * Makes sure `<data dir>/source.duckdb` holds a completely seeded synthetic population (all six
 * datasets, defects switched on) and says which. The seed is atomic: it is written to
 * `source.seeding.duckdb`, a record of the finished seed (patients, seed) goes into it last, and
 * only then is it renamed to `source.duckdb`; a seed interrupted at any moment leaves no source,
 * and the next start seeds again from nothing. An existing source with its seed record is reused as
 * it is (a second `npm start` captures only what changed); asking for another number of patients
 * (`patientsAsked`) is refused, since the captured lake and warehouse belong to the seeded one.
 */
export async function prepareSyntheticSource(options: {
  dataDir: string;
  patients: number;
  /** The number of patients was asked for explicitly (`--patients`), not a default. */
  patientsAsked: boolean;
  seed: number;
  logger: Logger;
}): Promise<{ seeded: boolean; summary: string; population: SeededPopulation }> {
  const path = join(options.dataDir, SOURCE_FILE);
  const partial = join(options.dataDir, SEEDING_FILE);
  removeDatabase(partial);
  if (existsSync(path)) {
    const found = await readSeedRecord(path);
    if (found.population) {
      const { patients, seed } = found.population;
      if (options.patientsAsked && options.patients !== patients)
        throw new SourceSeedError(
          `--patients ${options.patients}: the embedded source in ${options.dataDir} was seeded with ${patients} patients (seed ${seed}); to seed ${options.patients}, use a fresh data dir (NHSFLOWS_DATA_DIR=${options.dataDir}-${options.patients} nhs-flows start --patients ${options.patients}) or delete ${options.dataDir}`,
        );
      return {
        seeded: false,
        population: found.population,
        summary: `reusing the embedded source seeded with ${patients} synthetic patients (seed ${seed}): capturing changes only`,
      };
    }
    if (found.rows > 0)
      throw new SourceSeedError(
        `the embedded source ${path} holds ${found.rows} rows but no record of a finished seed (an interrupted seed, or a source from an older nhs-flows), so it may hold part of a population; delete ${options.dataDir} (or use another NHSFLOWS_DATA_DIR) to seed afresh`,
      );
    removeDatabase(path);
  }
  const report = await seedInto(partial, options);
  const reportFile = join(options.dataDir, 'generation-report.json');
  mkdirSync(dirname(reportFile), { recursive: true });
  writeFileSync(`${reportFile}.tmp`, JSON.stringify(report, null, 2));
  renameSync(`${reportFile}.tmp`, reportFile);
  renameSync(partial, path);
  return {
    seeded: true,
    population: { patients: report.patients, seed: report.seed },
    summary: seededSummary(report, reportFile, options.logger),
  };
}

async function seedInto(
  file: string,
  options: { patients: number; seed: number },
): Promise<Awaited<ReturnType<typeof generatePopulation>>> {
  const source = await openEmbeddedSource({ path: file, clock: systemClock });
  try {
    const report = await generatePopulation(
      { seed: options.seed, patients: options.patients },
      { reference: loadReferenceData(), sink: sourceWriterSink(source) },
    );
    await source.executeSql(
      `CREATE TABLE ${SEED_RECORD_TABLE} (patients INTEGER NOT NULL, seed BIGINT NOT NULL, seeded_at TIMESTAMPTZ NOT NULL)`,
    );
    await source.executeSql(
      `INSERT INTO ${SEED_RECORD_TABLE} VALUES (${report.patients}, ${report.seed}, now())`,
    );
    // Everything into the database file itself: the rename must not leave a write-ahead log behind.
    await source.executeSql('CHECKPOINT');
    return report;
  } finally {
    await source.close();
  }
}

/** The seed record of a source file, and its row count across the source tables. */
async function readSeedRecord(path: string): Promise<{ population?: SeededPopulation; rows: number }> {
  const source = await openEmbeddedSource({ path, clock: systemClock });
  try {
    const [record] = await source
      .querySql(`SELECT patients, seed FROM ${SEED_RECORD_TABLE}`)
      .catch(() => [] as Record<string, unknown>[]);
    if (record)
      return { population: { patients: Number(record.patients), seed: Number(record.seed) }, rows: 0 };
    let rows = 0;
    for (const table of SOURCE_TABLE_NAMES) rows += await source.countRows(table).catch(() => 0);
    return { rows };
  } finally {
    await source.close();
  }
}

function removeDatabase(file: string): void {
  rmSync(file, { force: true });
  rmSync(`${file}.wal`, { force: true });
}

/**
 * Seeds an already-open embedded source in place when it holds no rows yet, and writes the
 * generation report (the benchmarks, which time the seed on the source they then capture). Not
 * atomic: `nhs-flows start` seeds through {@link prepareSyntheticSource} instead.
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
  return {
    seeded: true,
    summary: seededSummary(report, options.reportFile, options.logger),
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
  const round =
    (existsSync(counter) ? (JSON.parse(readFileSync(counter, 'utf8')) as { round: number }).round : 0) + 1;
  const report = await simulateChanges(
    {
      population: { seed: options.seed, patients: options.patients },
      seed: options.seed,
      round,
      rate: options.rate,
    },
    { writer: source, reference: loadReferenceData() },
  );
  writeFileSync(counter, JSON.stringify({ round }));
  const kinds = Object.entries(report.counts)
    .map(([kind, n]) => `${kind} ${n}`)
    .join(', ');
  return `simulated change round ${round}: ${report.rowsUpdated} updated, ${report.rowsDeleted} deleted, ${report.rowsInserted} inserted (${kinds})`;
}

/** Logs the seeding and says what was seeded (rows per table, planted defects, the report file). */
function seededSummary(
  report: Awaited<ReturnType<typeof generatePopulation>>,
  reportFile: string,
  logger: Logger,
): string {
  const rows = Object.entries(report.rows)
    .map(([table, n]) => `${table} ${n}`)
    .join(', ');
  const defects = Object.values(report.defectiveRows).reduce((a, b) => a + b, 0);
  logger.info('synthetic population seeded', { patients: report.patients, defectiveRows: defects });
  return `seeded ${report.patients} synthetic patients (seed ${report.seed}): ${rows}; ${defects} rows carry planted defects (report: ${reportFile})`;
}
