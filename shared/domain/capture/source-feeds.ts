import { z } from 'zod';
import { SOURCE_TABLES, type SourceTableName, type SourceTableSpec } from '../datasets/source-tables.js';
import { ColumnMapError, ConfigError } from '../errors.js';
import { parseColumnMap } from '../landing/column-map.js';
import { parseSourceTableMap, type SourceTableMapping } from './source-table-map.js';

/**
 * Source tables declared as data (docs/sources.md § A table that is not a built-in one; ADR 0017):
 * a SQL Server table that feeds one of the declared dataset tables under its own capture name, with
 * its own key prefix, column names, value recodes and extra columns. Several feeds may feed one
 * declared table (a second trust's A&E table); each is captured on its own (its own capture state,
 * watermark and heartbeat, under its name) and its rows reach silver and gold as the declared
 * table's rows. The declared table still decides columns, types, identifier columns, rules and gold.
 *
 * Contract (the `feeds` list of the NHSFLOWS_SOURCE_MSSQL_TABLE_MAP file):
 * ```json
 * { "feeds": [ {
 *     "name": "ecds_attendance_rxx",            capture name: NHSFLOWS_CDC_TABLES selects it
 *     "feeds": "ecds_attendance",               the declared table it feeds
 *     "source": "pas.EDAttendances",            schema.table (or table: dbo)
 *     "key": ["AttendanceRef"],                 source columns of the declared key, in its order
 *     "keyPrefix": "RXX-",                      put before the first key column's value
 *     "changeVersion": "RowVer",                a rowversion column, or "change-tracking"
 *     "columns": { "AttendanceRef": "attendance_id",
 *                  "Disposal": { "column": "discharge_status", "recode": { "ADM": "306706006" } } },
 *     "extraColumns": [ { "name": "PatientName", "identifier": true }, { "name": "Ward", "identifier": false } ]
 * } ] }
 * ```
 * `columns` is a landing column map's JSON form (shared/domain/landing/column-map.ts: source column
 * → declared column, optional recodes of exact text values; a value not listed passes unchanged) and
 * is checked by the same parser. A declared column not mapped is read under its own name.
 *
 * Keys stay unique across feeds of one declared table because their prefixes are a prefix-free set
 * (none empty, none the start of another): a prefixed key tells its feed, so two feeds never produce
 * one key, and a feed's deletes (found against its own capture state) only ever name its own keys.
 * Extra columns are never read (statements project the declared columns only), so an identifier
 * column listed there never reaches bronze, silver or a log; a source column neither mapped nor
 * listed is reported as schema drift by name and type, and is not read either.
 */

/** A SQL Server name as accepted here: 1–128 characters, no `]`, `'`, `.` or control character. */
const isSqlName = (v: string): boolean =>
  v.length >= 1 &&
  v.length <= 128 &&
  [...v].every((ch) => ch >= ' ' && ch !== ']' && ch !== "'" && ch !== '.');
const sqlName = z
  .string()
  .refine(isSqlName, "a SQL Server name: 1–128 characters, no ], ', . or control character");

/** A capture name: a state key and a setting value (lower case, digits, `_`; 1–63 characters). */
export const CAPTURE_NAME = /^[a-z][a-z0-9_]{0,62}$/;

const feedSchema = z
  .object({
    name: z.string().regex(CAPTURE_NAME, 'a capture name: a-z first, then a-z, 0-9 or _, 63 at most'),
    feeds: z.string(),
    source: z
      .string()
      .refine((v) => v.split('.').length <= 2 && v.split('.').every(isSqlName), 'schema.table or table'),
    key: z.array(sqlName).min(1),
    keyPrefix: z
      .string()
      .max(20)
      .refine((v) => [...v].every((ch) => ch > ' ' && ch !== "'" && ch !== '|' && ch !== '\\'), {
        message: "printable, no space, ', | or \\",
      })
      .default(''),
    changeVersion: z.union([z.literal('change-tracking'), sqlName]),
    columns: z.record(z.string(), z.unknown()).default({}),
    extraColumns: z.array(z.object({ name: sqlName, identifier: z.boolean() }).strict()).default([]),
  })
  .strict();

/** One source table feeding a declared table (plain, checked). */
export interface SourceFeed {
  /** The capture name (state, watermark, heartbeat, NHSFLOWS_CDC_TABLES). */
  readonly name: string;
  readonly feeds: SourceTableName;
  readonly schema: string;
  readonly sourceTable: string;
  /** Put before the value of the declared key's first column ('' for none). */
  readonly keyPrefix: string;
  /** Read through Change Tracking rather than a rowversion column. */
  readonly changeTracking: boolean;
  /** Declared column → the source's column name (only those that differ). */
  readonly columns: ReadonlyMap<string, string>;
  /** Declared column → its recodes (source text → declared text). */
  readonly recodes: ReadonlyMap<string, ReadonlyMap<string, string>>;
  /** Source columns never read, and which of them hold patient identifiers. */
  readonly extraColumns: readonly { readonly name: string; readonly identifier: boolean }[];
}

/**
 * Checks feeds against the declarations: every problem in one `ConfigError`, each prefixed with
 * `at` and the feed's place. `taken` are capture names already in use (table-map entries).
 */
export function parseSourceFeeds(
  input: unknown,
  at = 'NHSFLOWS_SOURCE_MSSQL_TABLE_MAP',
  taken: ReadonlySet<string> = new Set(),
  takenSources: ReadonlyMap<string, string> = new Map(),
): ReadonlyMap<string, SourceFeed> {
  const list = z.array(z.unknown()).safeParse(input);
  if (!list.success) throw new ConfigError([`${at}: feeds: a list of source feeds`]);
  const problems: string[] = [];
  const out = new Map<string, SourceFeed>();
  const sources = new Map<string, string>(takenSources);
  // Each feed on its own, so one feed's shape problems do not hide another's.
  list.data.forEach((item, i) => {
    const where = `${at}: feeds.${i}`;
    const parsed = feedSchema.safeParse(item);
    if (!parsed.success) {
      problems.push(
        ...parsed.error.issues.map((issue) => `${where}.${issue.path.join('.')}: ${issue.message}`),
      );
      return;
    }
    const f = parsed.data;
    if (out.has(f.name) || taken.has(f.name))
      problems.push(`${where}.name: '${f.name}' is already a capture name in this file`);
    const spec = (SOURCE_TABLES as Record<string, SourceTableSpec | undefined>)[f.feeds];
    if (!spec) {
      problems.push(`${where}.feeds: '${f.feeds}' is not a declared source table (docs/datasets/)`);
      return;
    }
    if (f.name !== spec.table && f.name in SOURCE_TABLES)
      problems.push(
        `${where}.name: '${f.name}' is another declared table; a feed is named after the table it feeds or has a name of its own`,
      );
    const [schema, sourceTable] = f.source.includes('.') ? f.source.split('.') : ['dbo', f.source];
    const qualified = `${schema!}.${sourceTable!}`.toLowerCase();
    const other = sources.get(qualified);
    if (other !== undefined)
      problems.push(`${where}.source: '${f.source}' is already the source of ${other}`);
    sources.set(qualified, f.name);

    let columns = new Map<string, string>();
    const recodes = new Map<string, ReadonlyMap<string, string>>();
    if (Object.keys(f.columns).length > 0)
      try {
        const map = parseColumnMap(`${where}.columns`, JSON.stringify({ columns: f.columns }), 'json', spec);
        for (const [src, m] of map.columns) {
          if (!isSqlName(src))
            problems.push(
              `${where}.columns.${src}: a SQL Server name: 1–128 characters, no ], ', . or control character`,
            );
          if (src !== m.column) columns.set(m.column, src);
          if (m.recode.size > 0) {
            const type = spec.columns.find((c) => c.name === m.column)?.type;
            if (type !== 'varchar' && type !== 'char')
              problems.push(
                `${where}.columns.${src}: values are recoded in text columns only; ${m.column} is ${type}`,
              );
            if (spec.key.includes(m.column))
              problems.push(
                `${where}.columns.${src}: ${m.column} is a key column; key values are not recoded`,
              );
            recodes.set(m.column, m.recode);
          }
        }
      } catch (error) {
        if (!(error instanceof ColumnMapError)) throw error;
        problems.push(...error.problems.map((p) => `${where}.columns: ${p}`));
        columns = new Map();
      }
    const sourceOf = (declared: string): string => columns.get(declared) ?? declared;
    // A declared column left with its own name must not be the source name of another one.
    const renamedFrom = new Map([...columns].map(([declared, src]) => [src.toLowerCase(), declared]));
    for (const c of spec.columns)
      if (!columns.has(c.name) && renamedFrom.has(c.name.toLowerCase()))
        problems.push(
          `${where}.columns: '${c.name}' is mapped to ${renamedFrom.get(c.name.toLowerCase())!}, but it is also the declared column ${c.name}, which is not mapped`,
        );

    const expectedKey = spec.key.map(sourceOf);
    if (f.key.join('|').toLowerCase() !== expectedKey.join('|').toLowerCase())
      problems.push(
        `${where}.key: [${f.key.join(', ')}] must be the source columns of ${spec.table}'s key (${spec.key.join(', ')}), in that order: [${expectedKey.join(', ')}] under this mapping`,
      );
    const firstKey = spec.columns.find((c) => c.name === spec.key[0]);
    if (f.keyPrefix !== '' && firstKey?.type !== 'varchar' && firstKey?.type !== 'char')
      problems.push(
        `${where}.keyPrefix: the key column ${spec.key[0]!} is ${firstKey?.type}, not text; it takes no prefix`,
      );
    if (
      f.changeVersion !== 'change-tracking' &&
      f.changeVersion.toLowerCase() !== sourceOf(spec.changeVersionColumn).toLowerCase()
    )
      problems.push(
        `${where}.changeVersion: '${f.changeVersion}' must be the source column mapped to ${spec.changeVersionColumn} (columns), or "change-tracking"`,
      );

    const mappedSources = new Set(spec.columns.map((c) => sourceOf(c.name).toLowerCase()));
    const extras = new Set<string>();
    f.extraColumns.forEach((e, j) => {
      if (mappedSources.has(e.name.toLowerCase()))
        problems.push(
          `${where}.extraColumns.${j}: '${e.name}' is read as a declared column; an extra column is never read${e.identifier ? ' (and this one holds patient identifiers)' : ''}`,
        );
      if (extras.has(e.name.toLowerCase()))
        problems.push(`${where}.extraColumns.${j}: '${e.name}' is listed twice`);
      extras.add(e.name.toLowerCase());
    });

    out.set(f.name, {
      name: f.name,
      feeds: spec.table,
      schema: schema!,
      sourceTable: sourceTable!,
      keyPrefix: f.keyPrefix,
      changeTracking: f.changeVersion === 'change-tracking',
      columns,
      recodes,
      extraColumns: f.extraColumns,
    });
  });
  problems.push(...keyPrefixProblems([...out.values()], at));
  if (problems.length > 0) throw new ConfigError(problems);
  return out;
}

/**
 * Feeds of one declared table must have prefix-free key prefixes, so no key can come from two of
 * them: with more than one feed none is empty and none starts another.
 */
export function keyPrefixProblems(
  feeds: readonly Pick<SourceFeed, 'name' | 'feeds' | 'keyPrefix'>[],
  at: string,
): string[] {
  const problems: string[] = [];
  const byTable = new Map<string, Pick<SourceFeed, 'name' | 'feeds' | 'keyPrefix'>[]>();
  for (const f of feeds) byTable.set(f.feeds, [...(byTable.get(f.feeds) ?? []), f]);
  for (const [table, list] of byTable) {
    if (list.length < 2) continue;
    for (const a of list) {
      if (a.keyPrefix === '') {
        problems.push(
          `${at}: feed ${a.name} has no keyPrefix, but ${list.length} captures feed ${table}: give each a keyPrefix so their keys cannot meet`,
        );
        continue;
      }
      for (const b of list)
        if (a !== b && b.keyPrefix !== '' && b.keyPrefix.startsWith(a.keyPrefix))
          problems.push(
            `${at}: the keyPrefix '${a.keyPrefix}' of ${a.name} starts the keyPrefix '${b.keyPrefix}' of ${b.name}; keys of the two feeds of ${table} could meet`,
          );
    }
  }
  return problems;
}

/** A table-map entry as the feed it is: named after its table, no prefix, no recodes, no extras. */
export function feedOfTableMapping(m: SourceTableMapping, changeTracking: boolean): SourceFeed {
  return {
    name: m.table,
    feeds: m.table,
    schema: m.schema,
    sourceTable: m.sourceTable,
    keyPrefix: '',
    changeTracking,
    columns: m.columns,
    recodes: new Map(),
    extraColumns: [],
  };
}

/**
 * The NHSFLOWS_SOURCE_MSSQL_TABLE_MAP file whole: its `tables` (renames, source-table-map.ts) and
 * its `feeds`, every problem of both in one `ConfigError`.
 */
export function parseSourceTableFile(
  input: unknown,
  at = 'NHSFLOWS_SOURCE_MSSQL_TABLE_MAP',
): {
  readonly tableMap: ReadonlyMap<SourceTableName, SourceTableMapping>;
  readonly feeds: ReadonlyMap<string, SourceFeed>;
} {
  const problems: string[] = [];
  let tableMap: ReadonlyMap<SourceTableName, SourceTableMapping> = new Map();
  let feeds: ReadonlyMap<string, SourceFeed> = new Map();
  try {
    tableMap = parseSourceTableMap(input, at);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    problems.push(...error.problems);
  }
  const list = (input as { feeds?: unknown } | null)?.feeds;
  if (list !== undefined)
    try {
      feeds = parseSourceFeeds(
        list,
        at,
        new Set(tableMap.keys()),
        new Map([...tableMap.values()].map((m) => [`${m.schema}.${m.sourceTable}`.toLowerCase(), m.table])),
      );
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      problems.push(...error.problems);
    }
  if (problems.length > 0) throw new ConfigError(problems);
  return { tableMap, feeds };
}
