import { z } from 'zod';
import {
  SOURCE_TABLE_NAMES,
  SOURCE_TABLES,
  type SourceRow,
  type SourceTableName,
} from '../../domain/datasets/source-tables.js';
import { ConfigError } from '../../domain/errors.js';
import type { ReferenceData } from '../../domain/reference/reference-data.js';
import type { GenerationReport } from '../../synthetic/generation-report.js';
import { generatePopulationRows } from '../../synthetic/population-generator.js';
import { catalogueFromReference } from '../../synthetic/reference-catalogue.js';
import {
  parseDefectSelection,
  populationConfigSchema,
  type PopulationConfigInput,
} from '../../synthetic/synthetic-config.js';
import type { SourceWriter } from '../ports/source-writer.port.js';

/** Where generated rows go: the embedded source (through `SourceWriter`) or files. */
export interface SyntheticRowSink {
  /** Writes one batch of rows of one table (batches of `batchSize`, ~5k rows). */
  write(table: SourceTableName, rows: readonly SourceRow[]): Promise<void>;
  /** Flushes and releases the sink; called once, after the last batch (also after a failure). */
  close(): Promise<void>;
}

/**
 * A sink over a `SourceWriter`: creates the source tables (if missing) before the first batch,
 * then bulk-inserts each batch in one call (one transaction per batch).
 */
export function sourceWriterSink(writer: SourceWriter): SyntheticRowSink {
  let created: Promise<void> | undefined;
  return {
    async write(table, rows) {
      created ??= writer.createTables(Object.values(SOURCE_TABLES));
      await created;
      await writer.insertRows(table, rows);
    },
    async close() {
      // The writer belongs to the caller; nothing to release here.
    },
  };
}

export interface GeneratePopulationDeps {
  readonly reference: ReferenceData;
  readonly sink: SyntheticRowSink;
  /** Progress after each batch (rows written so far); optional. */
  readonly onProgress?: (rowsWritten: number) => void;
}

/**
 * Generates a synthetic population into a sink and returns the generation report.
 *
 * Guarantees: the configuration is validated first (a ConfigError lists every problem); rows are
 * streamed patient by patient in batches of `batchSize`, so memory does not grow with the row
 * count; the same options and reference data always write the same rows in the same order; the
 * report's counts equal the rows written; the sink is closed whether or not generation succeeds.
 */
export async function generatePopulation(
  options: PopulationConfigInput,
  deps: GeneratePopulationDeps,
): Promise<GenerationReport> {
  const parsed = populationConfigSchema.safeParse(options);
  if (!parsed.success)
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.') || 'options'}: ${i.message}`));
  const catalogue = catalogueFromReference(deps.reference);
  const rows = generatePopulationRows(parsed.data, catalogue);
  let written = 0;
  try {
    for (;;) {
      const next = rows.next();
      if (next.done) return next.value;
      await deps.sink.write(next.value.table, next.value.rows);
      written += next.value.rows.length;
      deps.onProgress?.(written);
    }
  } finally {
    await deps.sink.close();
  }
}

const positiveInt = z.coerce.number().int().min(1);

/**
 * Options of `nhs-flows generate`, from CLI strings. Exactly one of `out` (files) or `source`
 * (embedded source database file) is required.
 */
export const generateOptionsSchema = z
  .object({
    patients: positiveInt.max(900_000).default(1_000),
    seed: z.coerce.number().int().min(0).max(0xffffffff).default(1),
    /** Folder for one file per table (blob-drop path). */
    out: z.string().min(1).optional(),
    /** Embedded source database file (DuckDB). */
    source: z.string().min(1).optional(),
    format: z.enum(['csv', 'ndjson']).default('ndjson'),
    /** `all`, `none`, or a comma-separated list of defect classes. */
    defects: z.string().default('all'),
    /** Probability per eligible unit for each enabled defect class. */
    defectRate: z.coerce.number().min(0).max(1).default(0.004),
    /** Generate patients until at least this many SUS episodes exist (`patients` becomes the cap). */
    episodes: positiveInt.optional(),
    start: z
      .string()
      .regex(/^\d{4}-\d{2}-\d{2}$/)
      .default('2023-04-01'),
    end: z
      .string()
      .regex(/^\d{4}-\d{2}-\d{2}$/)
      .default('2025-03-31'),
    /** Comma-separated tables to emit (default all); `sus_apc_episode` alone skips the other datasets. */
    tables: z.string().optional(),
    /** Where to write the generation report as JSON (default: printed summary only). */
    report: z.string().min(1).optional(),
  })
  .refine((o) => (o.out === undefined) !== (o.source === undefined), {
    message: 'give exactly one of --out <dir> (files) or --source <duckdb file>',
    path: ['out'],
  });
export type GenerateOptions = z.infer<typeof generateOptionsSchema>;

/** CLI option names of `nhs-flows generate` (for the CLI's option table and help). */
export const GENERATE_CLI_OPTIONS: Readonly<Record<keyof GenerateOptions, string>> = {
  patients: 'number of patients (default 1000; at most 900000, the 999-range NHS numbers)',
  seed: 'random seed (default 1); the same seed gives the same rows',
  out: 'folder to write one file per table (blob-drop path)',
  source: 'embedded source database file (DuckDB) to insert into',
  format: 'csv | ndjson (files only; default ndjson)',
  defects: 'all | none | comma-separated defect classes (default all)',
  defectRate: 'probability per eligible row/spell for each enabled defect class (default 0.004)',
  episodes: 'generate patients until at least this many SUS episodes (benchmark mode)',
  start: 'first activity date (default 2023-04-01)',
  end: 'last activity date (default 2025-03-31)',
  tables: 'comma-separated source tables to emit (default all)',
  report: 'write the generation report as JSON to this file',
};

/** Parses `--name value` / `--name=value` arguments into validated generate options (ConfigError lists every problem). */
export function parseGenerateArgs(args: readonly string[]): GenerateOptions {
  const raw: Record<string, string> = {};
  const problems: string[] = [];
  const known = new Set(Object.keys(GENERATE_CLI_OPTIONS));
  const camel = (name: string): string => name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? '';
    if (!arg.startsWith('--')) {
      problems.push(`unexpected argument at position ${i + 1} (options start with --)`);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = camel(eq >= 0 ? arg.slice(2, eq) : arg.slice(2));
    const value = eq >= 0 ? arg.slice(eq + 1) : args[++i];
    if (!known.has(name)) problems.push(`unknown option --${name}`);
    else if (value === undefined) problems.push(`option --${name} needs a value`);
    else raw[name] = value;
  }
  const parsed = generateOptionsSchema.safeParse(raw);
  if (!parsed.success)
    problems.push(
      ...parsed.error.issues.map((issue) => `--${issue.path.join('.') || 'options'}: ${issue.message}`),
    );
  if (problems.length > 0 || !parsed.success) throw new ConfigError(problems);
  try {
    parseDefectSelection(parsed.data.defects);
  } catch (error) {
    throw new ConfigError([`--defects: ${error instanceof Error ? error.message : String(error)}`]);
  }
  const unknownTables = (parsed.data.tables ?? '')
    .split(',')
    .filter((t) => t !== '' && !(SOURCE_TABLE_NAMES as readonly string[]).includes(t));
  if (unknownTables.length > 0)
    throw new ConfigError([
      `--tables: unknown table(s) ${unknownTables.join(', ')}; expected ${SOURCE_TABLE_NAMES.join(', ')}`,
    ]);
  return parsed.data;
}

/** The generator configuration for validated CLI options. */
export function populationConfigFromOptions(options: GenerateOptions): PopulationConfigInput {
  return {
    seed: options.seed,
    patients: options.patients,
    ...(options.episodes !== undefined ? { maxEpisodes: options.episodes } : {}),
    startDate: options.start,
    endDate: options.end,
    defects: { classes: parseDefectSelection(options.defects), rate: options.defectRate },
    ...(options.tables ? { tables: options.tables.split(',') as SourceTableName[] } : {}),
  };
}

/** Adapters `runGenerate` needs (the composition root or a local command supplies them). */
export interface GenerateCommandDeps {
  readonly reference: ReferenceData;
  /** Opens the embedded source database file (caller-owned; closed by `runGenerate`). */
  openSource(path: string): Promise<SourceWriter & { close(): Promise<void> }>;
  openFiles(dir: string, format: 'csv' | 'ndjson'): SyntheticRowSink;
  /** Writes the JSON report where `--report` says. */
  writeReport?(path: string, json: string): Promise<void>;
}

/**
 * Runs `nhs-flows generate` with parsed options: generates into the embedded source or files,
 * prints a summary (row counts per table, planted defects, pathway counts) and returns exit code 0.
 */
export async function runGenerate(
  options: GenerateOptions,
  io: { stdout(line: string): void },
  deps: GenerateCommandDeps,
): Promise<number> {
  const config = populationConfigFromOptions(options);
  let report: GenerationReport;
  if (options.source !== undefined) {
    const source = await deps.openSource(options.source);
    try {
      report = await generatePopulation(config, {
        reference: deps.reference,
        sink: sourceWriterSink(source),
      });
    } finally {
      await source.close();
    }
  } else {
    report = await generatePopulation(config, {
      reference: deps.reference,
      sink: deps.openFiles(options.out ?? '.', options.format),
    });
  }
  for (const line of summariseReport(report)) io.stdout(line);
  if (options.report !== undefined && deps.writeReport)
    await deps.writeReport(options.report, JSON.stringify(report, null, 2));
  return 0;
}

/** A short human summary of a generation report (counts only; never a row value). */
export function summariseReport(report: GenerationReport): string[] {
  const lines = [
    `generated ${report.patients} patients (seed ${report.seed}, ${report.startDate} to ${report.endDate})`,
  ];
  for (const [table, n] of Object.entries(report.rows))
    lines.push(
      `  ${table.padEnd(26)} ${String(n).padStart(9)} rows (${report.defectiveRows[table as SourceTableName]} with a planted defect)`,
    );
  const planted = Object.entries(report.defects).filter(([, t]) => t.total > 0);
  if (planted.length > 0) lines.push(`defects: ${planted.map(([c, t]) => `${c} ${t.total}`).join(', ')}`);
  const p = report.pathways;
  lines.push(
    `pathways (clean rows): ${p.emergencyDischarges} emergency discharges, ${p.emergencyDischargesWithMhReferral30d} followed by an MH referral within 30 days, ${p.emergencyDischargesWithPrescription90d} by prescriptions within 90 days (NIC £${p.prescriptionNicGbp90dAfterEmergencyDischarge})`,
    `  ${p.aeAttendances} A&E attendances, ${p.aeAttendancesWithImaging7d} followed by imaging within 7 days, ${p.aeAttendancesWithImaging7dAndCommunityReferral30d} of those by a community referral within 30 days`,
  );
  return lines;
}
