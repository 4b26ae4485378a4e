import { z } from 'zod';
import { SOURCE_TABLES, type SourceTableName, type SourceTableSpec } from '../datasets/source-tables.js';
import { ConfigError } from '../errors.js';

/**
 * Where a declared source table lives in a user's SQL Server when its name or column names differ
 * (docs/sources.md § A table that is not a built-in one). Data, not code: a JSON file
 * (NHSFLOWS_SOURCE_MSSQL_TABLE_MAP) of
 *
 *   { "tables": [ { "table": "ecds_attendance", "source": "pas.EDAttendances",
 *                   "columns": { "attendance_id": "AttendanceRef", "change_version": "RowVer" } } ] }
 *
 * `table` is one of the declared tables (its declaration still decides columns, key, identifier
 * columns, rules and gold); `source` is `schema.table` (or `table`, schema dbo); `columns` renames
 * declared columns to the source's names (a declared column not listed keeps its name). Only names
 * move: a new table, column or dataset is a declaration (ADR 0010).
 */
/** A SQL Server name as this map accepts it: 1–128 characters, no `]`, `'`, `.` or control character. */
const isSqlName = (v: string): boolean =>
  v.length >= 1 &&
  v.length <= 128 &&
  [...v].every((ch) => ch >= ' ' && ch !== ']' && ch !== "'" && ch !== '.');
const sqlName = z
  .string()
  .refine(isSqlName, "a SQL Server name: 1–128 characters, no ], ', . or control character");

const mappingSchema = z
  .object({
    table: z.string(),
    source: z
      .string()
      .refine((v) => v.split('.').length <= 2 && v.split('.').every(isSqlName), 'schema.table or table'),
    columns: z.record(z.string(), sqlName).default({}),
  })
  .strict();

/** The file: `tables` (renames of declared tables) and `feeds` (source-feeds.ts), at least one entry. */
export const sourceTableMapSchema = z
  .object({ tables: z.array(mappingSchema).default([]), feeds: z.array(z.unknown()).default([]) })
  .strict()
  .refine((m) => m.tables.length + m.feeds.length > 0, 'tables or feeds must list at least one table');

/** One declared table's place and column names in the source. */
export interface SourceTableMapping {
  readonly table: SourceTableName;
  readonly schema: string;
  readonly sourceTable: string;
  /** Declared column name → the source's column name (only the renamed ones). */
  readonly columns: ReadonlyMap<string, string>;
}

/**
 * Parses and checks a table map against the declarations: every problem (unknown table, a table
 * mapped twice, a renamed column that is not declared, two declared columns onto one source column,
 * two tables onto one source table) in one `ConfigError`, prefixed with `at` (the setting's name).
 */
export function parseSourceTableMap(
  input: unknown,
  at = 'NHSFLOWS_SOURCE_MSSQL_TABLE_MAP',
): ReadonlyMap<SourceTableName, SourceTableMapping> {
  const parsed = sourceTableMapSchema.safeParse(input);
  if (!parsed.success)
    throw new ConfigError(parsed.error.issues.map((i) => `${at}: ${i.path.join('.')}: ${i.message}`));
  const problems: string[] = [];
  const out = new Map<SourceTableName, SourceTableMapping>();
  const sources = new Map<string, string>();
  parsed.data.tables.forEach((m, i) => {
    const where = `${at}: tables.${i}`;
    const spec = (SOURCE_TABLES as Record<string, SourceTableSpec | undefined>)[m.table];
    if (!spec) {
      problems.push(`${where}.table: '${m.table}' is not a declared source table`);
      return;
    }
    if (out.has(spec.table)) problems.push(`${where}.table: '${m.table}' is mapped twice`);
    const [schema, sourceTable] = m.source.includes('.') ? m.source.split('.') : ['dbo', m.source];
    const qualified = `${schema!}.${sourceTable!}`.toLowerCase();
    const other = sources.get(qualified);
    if (other !== undefined)
      problems.push(`${where}.source: '${m.source}' is already the source of ${other}`);
    sources.set(qualified, spec.table);
    const declared = new Set(spec.columns.map((c) => c.name));
    const taken = new Map<string, string>();
    for (const [column, sourceName] of Object.entries(m.columns)) {
      if (!declared.has(column))
        problems.push(`${where}.columns.${column}: not a column of ${spec.table} (docs/datasets/)`);
      const clash = taken.get(sourceName.toLowerCase());
      if (clash !== undefined)
        problems.push(`${where}.columns.${column}: '${sourceName}' is already the source of ${clash}`);
      taken.set(sourceName.toLowerCase(), column);
    }
    // A declared column left with its own name must not be the source name of another one.
    for (const name of declared)
      if (!(name in m.columns) && taken.has(name.toLowerCase()))
        problems.push(
          `${where}.columns.${taken.get(name.toLowerCase())!}: '${name}' is the declared column ${name}, which is not renamed`,
        );
    out.set(spec.table, {
      table: spec.table,
      schema: schema!,
      sourceTable: sourceTable!,
      columns: new Map(Object.entries(m.columns)),
    });
  });
  if (problems.length > 0) throw new ConfigError(problems);
  return out;
}
