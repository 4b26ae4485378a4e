import { z } from 'zod';
import { SOURCE_TABLE_NAMES, type SourceTableName, type SourceTableSpec } from '../datasets/source-tables.js';
import { ConfigError } from '../errors.js';
import {
  ROW_HASH_SPEC_VERSION,
  selectHashColumns,
  SUPPORTED_ROW_HASH_SPEC_VERSIONS,
  type HashColumn,
  type RowHashLayout,
} from './row-hash.js';

/** How a table's changes are found (docs/capture.md). */
export const CAPTURE_MODES = ['full-scan', 'change-version', 'range-checksum'] as const;
export type CaptureMode = (typeof CAPTURE_MODES)[number];

const columnName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'a column name ([A-Za-z_][A-Za-z0-9_]*)');

/**
 * Capture configuration of one table. Every field but `table` has a default taken from the table
 * spec (`SOURCE_TABLES`) or from the values below.
 */
export const captureTableConfigSchema = z
  .object({
    table: z.enum(SOURCE_TABLE_NAMES),
    /** Business key columns in key order (composite allowed); default: the table spec's key. */
    businessKey: z.array(columnName).min(1).optional(),
    /** Only these columns count for change (in table order); default: all. */
    includeColumns: z.array(columnName).optional(),
    /** These columns do not count for change, in addition to the change-version column and modified_at. */
    excludeColumns: z.array(columnName).default([]),
    /** NCRONTAB schedule of the poll (six fields, seconds first). */
    schedule: z
      .string()
      .trim()
      .refine((s) => s.split(/\s+/).length === 6, 'an NCRONTAB expression with six fields')
      .default('0 */5 * * * *'),
    /** Rows per source page, per state chunk and per snapshot step. */
    batchSize: z.int().min(1).max(100_000).default(5_000),
    /** The source's change-version (rowversion) column; null = the table has none. Default: the spec's. */
    changeVersionColumn: columnName.nullable().optional(),
    mode: z.enum(CAPTURE_MODES).default('change-version'),
    /** Full reconciliation (full scan) at least this often in change-version and range-checksum modes. */
    reconciliationIntervalMinutes: z
      .number()
      .positive()
      .default(24 * 60),
    /** A poll that would delete more than this share of the table's rows stops (MASS_DELETE_GUARD). */
    maxDeleteShare: z.number().min(0).max(1).default(0.1),
    /** …and only when at least this many rows would go (so small tables can lose a row or two). */
    massDeleteMinRows: z.int().min(0).default(10),
    /** Change-version polls reading more changed rows than this run a full scan instead. */
    maxFastPathChanges: z.int().min(1).default(100_000),
    /** Range-checksum bisection: ranges with at most this many state rows are fetched row by row. */
    leafRows: z.int().min(1).default(256),
    /** Range-checksum bisection: sub-ranges a differing range is split into. */
    fanOut: z.int().min(2).max(256).default(16),
    /** Row-hash spec version to hash under. */
    hashSpecVersion: z
      .int()
      .refine((v) => SUPPORTED_ROW_HASH_SPEC_VERSIONS.includes(v), 'a supported row-hash spec version')
      .default(ROW_HASH_SPEC_VERSION),
  })
  .strict();

export type CaptureTableConfigInput = z.input<typeof captureTableConfigSchema>;
export type CaptureTableConfig = Readonly<z.output<typeof captureTableConfigSchema>>;

export const captureConfigSchema = z
  .object({
    tables: z.array(captureTableConfigSchema).min(1),
  })
  .strict();

/** A table's configuration checked against its spec, with its hash layout. */
export interface ResolvedCaptureTable {
  /**
   * The capture name: the declared table's own name, or a source feed's name (source-feeds.ts).
   * Capture state, watermark, heartbeat and the source reads go by it; deltas carry `spec.table`.
   */
  readonly name: string;
  readonly config: CaptureTableConfig;
  readonly spec: SourceTableSpec;
  readonly layout: RowHashLayout;
  readonly versionColumn: string | null;
}

/**
 * Parses the capture configuration (zod) and checks it against the table specs: every problem is
 * listed in one `ConfigError`; the result is frozen.
 */
export function parseCaptureConfig(
  input: unknown,
  specs: Readonly<Record<SourceTableName, SourceTableSpec>>,
): readonly ResolvedCaptureTable[] {
  const parsed = captureConfigSchema.safeParse(input);
  if (!parsed.success)
    throw new ConfigError(parsed.error.issues.map((i) => `capture.${i.path.join('.')}: ${i.message}`));
  const problems: string[] = [];
  const seen = new Set<string>();
  const resolved: ResolvedCaptureTable[] = [];
  parsed.data.tables.forEach((config, index) => {
    if (seen.has(config.table))
      problems.push(`capture.tables.${index}.table: '${config.table}' is configured twice`);
    seen.add(config.table);
    const result = resolveCaptureTable(config, specs[config.table], `capture.tables.${index}`);
    if (Array.isArray(result)) problems.push(...result);
    else resolved.push(result);
  });
  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze(resolved.map((r) => Object.freeze(r)));
}

/** One table's configuration (defaults applied) resolved against its spec. */
export function captureTable(
  spec: SourceTableSpec,
  overrides: Omit<CaptureTableConfigInput, 'table'> = {},
  name: string = spec.table,
): ResolvedCaptureTable {
  const parsed = captureTableConfigSchema.safeParse({ ...overrides, table: spec.table });
  if (!parsed.success)
    throw new ConfigError(
      parsed.error.issues.map((i) => `capture.${spec.table}.${i.path.join('.')}: ${i.message}`),
    );
  const result = resolveCaptureTable(parsed.data, spec, `capture.${spec.table}`, name);
  if (Array.isArray(result)) throw new ConfigError(result);
  return result;
}

function resolveCaptureTable(
  config: CaptureTableConfig,
  spec: SourceTableSpec,
  at: string,
  name: string = spec.table,
): ResolvedCaptureTable | string[] {
  const problems: string[] = [];
  const names = new Set(spec.columns.map((c) => c.name));
  const key = config.businessKey ?? spec.key;
  for (const col of key)
    if (!names.has(col)) problems.push(`${at}.businessKey: '${col}' is not a column of ${spec.table}`);
  for (const col of config.includeColumns ?? [])
    if (!names.has(col)) problems.push(`${at}.includeColumns: '${col}' is not a column of ${spec.table}`);
  for (const col of config.excludeColumns)
    if (!names.has(col)) problems.push(`${at}.excludeColumns: '${col}' is not a column of ${spec.table}`);
  const versionColumn =
    config.changeVersionColumn === undefined ? spec.changeVersionColumn : config.changeVersionColumn;
  if (versionColumn !== null && !names.has(versionColumn))
    problems.push(`${at}.changeVersionColumn: '${versionColumn}' is not a column of ${spec.table}`);
  if (config.mode === 'change-version' && versionColumn === null)
    problems.push(
      `${at}.mode: 'change-version' needs a changeVersionColumn; use 'full-scan' or 'range-checksum'`,
    );
  const keyColumns: HashColumn[] = key.map((name) => {
    const col = spec.columns.find((c) => c.name === name);
    return { name, type: col?.type ?? 'varchar' };
  });
  for (const col of keyColumns)
    if (col.type === 'decimal')
      problems.push(
        `${at}.businessKey: decimal key column '${col.name}' is not supported (no byte-ordered form)`,
      );
  if (problems.length > 0) return problems;
  const exclude = [...config.excludeColumns, 'modified_at', ...(versionColumn ? [versionColumn] : [])];
  const hashColumns = selectHashColumns(spec.columns, {
    ...(config.includeColumns ? { include: config.includeColumns } : {}),
    exclude,
  });
  return {
    name,
    config,
    spec,
    versionColumn,
    layout: {
      specVersion: config.hashSpecVersion,
      table: name,
      keyColumns,
      hashColumns,
      versionColumn,
    },
  };
}
