import { z } from 'zod';
import type { SourceTableSpec } from '../datasets/source-tables.js';
import { ColumnMapError } from '../errors.js';
import { parseCsvRecord } from '../pipeline/landing-file.js';

/**
 * A supplier's column map: which of our columns each of its header names is, with optional value
 * recodes, declared per supplier and table (docs/landing.md). A CSV whose headers are the supplier's
 * own names loads with only a map. The map travels beside its file (`<file>.map.csv` or
 * `<file>.map.json` in landing, `nhs-flows drop --map`) and is copied beside the file in bronze, so a
 * replay reads the file the same way.
 *
 * Contract, CSV form (a header row, then one row per mapping or recode; `#` lines are comments):
 * ```
 * supplier_column,column,supplier_value,value
 * Episode Ref,episode_id,,
 * Gender,sex,M,1
 * Gender,sex,F,2
 * ```
 * A row with `supplier_value` empty maps a column; a row with one adds a recode (the cell's exact
 * text → `value`) to the column it names. Contract, JSON form:
 * `{ "supplier": "RRK", "table": "sus_apc_episode", "columns": { "Gender": { "column": "sex",
 * "recode": { "M": "1", "F": "2" } }, "Episode Ref": "episode_id" } }` (`supplier`, `table` optional).
 *
 * Refused, naming the map file and the row (line) or key of every problem: a target that is not a
 * column of the table, two supplier columns onto one target, one supplier column onto two targets,
 * a value recoded twice. Header names in the map are compared trimmed, as a file's header cells are.
 */
export interface ColumnMap {
  /** The map's file name, for messages. */
  readonly file: string;
  readonly supplier?: string;
  readonly table?: string;
  /** Supplier header (trimmed) → our column and its recodes (supplier text → our text). */
  readonly columns: ReadonlyMap<string, ColumnMapping>;
}

export interface ColumnMapping {
  readonly column: string;
  readonly recode: ReadonlyMap<string, string>;
}

/** The suffixes a column map takes beside its landing file, and in bronze beside the copy. */
export const COLUMN_MAP_SUFFIXES = ['.map.csv', '.map.json'] as const;
export type ColumnMapFormat = 'csv' | 'json';

export function columnMapFormat(name: string): ColumnMapFormat | undefined {
  const lower = name.toLowerCase();
  return lower.endsWith('.csv') ? 'csv' : lower.endsWith('.json') ? 'json' : undefined;
}

const CSV_HEADER = ['supplier_column', 'column', 'supplier_value', 'value'] as const;

const jsonMapSchema = z
  .object({
    supplier: z.string().min(1).optional(),
    table: z.string().min(1).optional(),
    columns: z.record(
      z.string(),
      z.union([
        z.string().min(1),
        z.object({ column: z.string().min(1), recode: z.record(z.string(), z.string()).optional() }).strict(),
      ]),
    ),
  })
  .strict();

interface Entry {
  readonly where: string;
  readonly from: string;
  readonly column: string;
  readonly recode?: { readonly from: string; readonly to: string };
}

/**
 * Parses and checks a column map for `spec`'s table. Throws `ColumnMapError` listing every problem
 * with the map file and its line (CSV) or key (JSON).
 */
export function parseColumnMap(
  file: string,
  text: string,
  format: ColumnMapFormat,
  spec: SourceTableSpec,
): ColumnMap {
  const problems: string[] = [];
  const entries: Entry[] = [];
  let supplier: string | undefined;
  let table: string | undefined;
  if (format === 'csv') {
    const lines = text.replace(/^\uFEFF/, '').split('\n');
    let header = false;
    lines.forEach((raw, i) => {
      const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
      const where = `line ${i + 1}`;
      if (line.trim() === '' || line.startsWith('#')) return;
      const parsed = parseCsvRecord(line);
      if (parsed.kind !== 'fields') {
        problems.push(`${where}: not readable CSV (quoting)`);
        return;
      }
      const cells = parsed.fields.map((f) => f.trim());
      if (!header) {
        header = true;
        if (cells.length < 2 || cells[0] !== CSV_HEADER[0] || cells[1] !== CSV_HEADER[1])
          problems.push(
            `${where}: expected the header ${CSV_HEADER.join(',')} (the last two may be left out)`,
          );
        return;
      }
      if (cells.length !== 2 && cells.length !== 4) {
        problems.push(`${where}: expected 2 or 4 fields, found ${cells.length}`);
        return;
      }
      const [from = '', column = '', value = '', to = ''] = parsed.fields;
      if (from.trim() === '' || column.trim() === '') {
        problems.push(`${where}: supplier_column and column must both be given`);
        return;
      }
      entries.push({
        where,
        from: from.trim(),
        column: column.trim(),
        ...(value !== '' || to !== '' ? { recode: { from: value, to } } : {}),
      });
    });
    if (!header) problems.push(`the map is empty; expected the header ${CSV_HEADER.join(',')}`);
  } else {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new ColumnMapError(file, ['not valid JSON']);
    }
    const parsed = jsonMapSchema.safeParse(json);
    if (!parsed.success)
      throw new ColumnMapError(
        file,
        parsed.error.issues.map((i) => `${i.path.join('.') || '(map)'}: ${i.message}`),
      );
    ({ supplier, table } = parsed.data);
    for (const [from, target] of Object.entries(parsed.data.columns)) {
      const where = `columns.${from}`;
      if (typeof target === 'string') entries.push({ where, from: from.trim(), column: target.trim() });
      else {
        entries.push({ where, from: from.trim(), column: target.column.trim() });
        for (const [value, to] of Object.entries(target.recode ?? {}))
          entries.push({
            where: `${where}.recode`,
            from: from.trim(),
            column: target.column.trim(),
            recode: { from: value, to },
          });
      }
    }
    if (table !== undefined && table !== spec.table)
      problems.push(`table: the map is for ${table}, the file is of ${spec.table}`);
  }
  const known = new Set(spec.columns.map((c) => c.name));
  const columns = new Map<string, { column: string; recode: Map<string, string>; where: string }>();
  const targets = new Map<string, { from: string; where: string }>();
  for (const e of entries) {
    if (!known.has(e.column)) {
      problems.push(`${e.where}: '${e.column}' is not a column of ${spec.table}`);
      continue;
    }
    const mapping = columns.get(e.from);
    if (mapping && mapping.column !== e.column) {
      problems.push(
        `${e.where}: supplier column '${e.from}' is already mapped to ${mapping.column} (${mapping.where})`,
      );
      continue;
    }
    const target = targets.get(e.column);
    if (target && target.from !== e.from) {
      problems.push(
        `${e.where}: duplicate target ${e.column}: supplier columns '${target.from}' (${target.where}) and '${e.from}' both map to it`,
      );
      continue;
    }
    const entry = mapping ?? { column: e.column, recode: new Map<string, string>(), where: e.where };
    columns.set(e.from, entry);
    targets.set(e.column, { from: e.from, where: target?.where ?? e.where });
    if (e.recode) {
      if (entry.recode.has(e.recode.from)) {
        problems.push(`${e.where}: a value of '${e.from}' is recoded twice`);
        continue;
      }
      entry.recode.set(e.recode.from, e.recode.to);
    }
  }
  if (problems.length === 0 && columns.size === 0) problems.push('the map maps no column');
  if (problems.length > 0) throw new ColumnMapError(file, problems);
  return {
    file,
    ...(supplier !== undefined ? { supplier } : {}),
    ...(table !== undefined ? { table } : {}),
    columns: new Map([...columns].map(([from, m]) => [from, { column: m.column, recode: m.recode }])),
  };
}

/** A header cell under the map: our column name, or the cell (trimmed) when the map does not name it. */
export function mappedHeader(map: ColumnMap | undefined, cell: string): string {
  const name = cell.trim();
  return map?.columns.get(name)?.column ?? name;
}

/**
 * The recodes of each of our columns, by our column name (empty recodes left out), for the reader's
 * per-cell lookup.
 */
export function recodesByColumn(
  map: ColumnMap | undefined,
): ReadonlyMap<string, ReadonlyMap<string, string>> {
  const out = new Map<string, ReadonlyMap<string, string>>();
  for (const m of map?.columns.values() ?? []) if (m.recode.size > 0) out.set(m.column, m.recode);
  return out;
}
