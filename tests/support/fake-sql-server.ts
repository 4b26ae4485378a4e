import sql from 'mssql';
import type { SourceRow, SourceTableSpec } from '../../shared/domain/datasets/source-tables.js';
import { KEY_COLLATION } from '../../shared/adapters/azure/mssql-sql.azure.js';

/**
 * A SQL Server at the `mssql` driver's thinnest seam: `ConnectionPool.connect`, `request` and
 * `close` are replaced for the test process, so the production path (composition root → secret →
 * connection-string parsing → `MssqlChangeSource`) runs unchanged and only the wire is faked. It
 * records every statement the adapter sends (text and parameters) and answers the statements a
 * table's first snapshot and later change reads need (a rowversion column, or Change Tracking for
 * the tables named in `changeTracking`: CHANGETABLE reads, count-only range checks that find
 * deletes, range pages), and key-only pages (the projection is honoured), from rows held in wire
 * form; any other statement fails the poll naming it, so a new query shape is noticed, not guessed at.
 *
 * Single-column business keys only (the key predicates it reads are `[key] >|>=|< @pN`).
 */
export interface FakeSqlServer {
  /** Every statement received, in order. */
  readonly statements: { text: string; params: Record<string, unknown> }[];
  /** Connection strings the pool was opened with (the test checks none is logged). */
  readonly connections: string[];
  /** When set, opening a pool fails with this driver error (a refused connection, a failed login). */
  connectError: Error | undefined;
  /** Inserts or replaces a row, giving it the next rowversion (or Change Tracking version). */
  upsert(table: string, row: SourceRow): void;
  /** Deletes a row by its key (Change Tracking records the delete). */
  remove(table: string, key: string): void;
  /** Puts the pool back as the driver had it. */
  restore(): void;
}

interface FakeTable {
  readonly spec: SourceTableSpec;
  readonly rows: Map<string, SourceRow>;
  /** Change Tracking: the last change version and operation of each key ever changed. */
  readonly tracked: Map<string, { version: number; op: 'I' | 'U' | 'D' }> | null;
  /** The source schema and table name, and declared → source column names (a table map or feed). */
  readonly schema: string;
  readonly name: string;
  readonly sourceNames: ReadonlyMap<string, string>;
}

/** Where a fake table lives and under which names, when not `dbo.<declared name>`. */
export interface FakeSourceTable {
  readonly spec: SourceTableSpec;
  /** `schema.table` in the fake server; default `dbo.<spec.table>`. */
  readonly source?: string;
  /** Declared column → the source's name (only the renamed ones). */
  readonly columns?: Readonly<Record<string, string>>;
  /** Source columns the declaration does not have (varchar(50), returned NULL by a page that reads them). */
  readonly extraColumns?: readonly string[];
}

const NATIVE: Record<string, string> = {
  varchar: 'varchar',
  char: 'char',
  date: 'date',
  datetime2: 'datetime2',
  datetimeoffset: 'datetimeoffset',
  int: 'int',
  bigint: 'bigint',
  decimal: 'decimal',
  bit: 'bit',
};

export function installFakeSqlServer(
  specs: readonly (SourceTableSpec | FakeSourceTable)[],
  options: { readonly changeTracking?: readonly string[] } = {},
): FakeSqlServer {
  const tables = new Map<string, FakeTable>();
  for (const entry of specs) {
    const t: FakeSourceTable = 'spec' in entry ? entry : { spec: entry };
    const [schema, name] = t.source?.includes('.') ? t.source.split('.') : ['dbo', t.source ?? t.spec.table];
    tables.set(`${schema!}.${name!}`.toLowerCase(), {
      spec: t.spec,
      rows: new Map(),
      tracked: options.changeTracking?.includes(t.spec.table) ? new Map() : null,
      schema: schema!,
      name: name!,
      sourceNames: new Map(Object.entries(t.columns ?? {})),
      ...(t.extraColumns ? { extra: t.extraColumns } : {}),
    });
  }
  let rowversion = 1000;
  let ctVersion = 0;
  const statements: FakeSqlServer['statements'] = [];
  const connections: string[] = [];
  const proto = sql.ConnectionPool.prototype as unknown as Record<string, unknown>;
  const original = { connect: proto.connect, request: proto.request, close: proto.close };

  const tableOf = (text: string, params: Record<string, unknown>): FakeTable | undefined => {
    const named =
      /FROM \[([^\]]+)\]\.\[([^\]]+)\]/.exec(text) ?? /^\[([^\]]+)\]\.\[([^\]]+)\]$/.exec(String(params.p0));
    return named === null ? undefined : tables.get(`${named[1]!}.${named[2]!}`.toLowerCase());
  };
  const srcName = (t: FakeTable, declared: string): string => t.sourceNames.get(declared) ?? declared;
  const keyName = (t: FakeTable): string => t.spec.key[0]!;
  const keyOf = (t: FakeTable, row: SourceRow): string => String(row[keyName(t)]);
  const committed = (t: FakeTable): SourceRow[] =>
    [...t.rows.values()].sort((a, b) => (keyOf(t, a) < keyOf(t, b) ? -1 : 1)); // BIN2: code-point order
  /** The key predicates of a statement or UNION branch (`[key] > @p0`, `>=`, `<`), as one filter. */
  const keyFilter = (t: FakeTable, text: string, params: Record<string, unknown>) => {
    const col = srcName(t, keyName(t)).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const bounds = [...text.matchAll(new RegExp(`\\[${col}\\] (>=|>|<) @(p\\d+)`, 'g'))].map((m) => ({
      op: m[1]!,
      value: String(params[m[2]!]),
    }));
    return (key: string) =>
      bounds.every((b) => (b.op === '>' ? key > b.value : b.op === '>=' ? key >= b.value : key < b.value));
  };
  /** Rows as the statement projects them: its `AS [name]` aliases only. */
  const project = (t: FakeTable, text: string, rows: readonly SourceRow[]): SourceRow[] => {
    const list = text.slice(0, /\n\s*FROM /.exec(text)?.index ?? 0);
    const names = [...list.matchAll(/ AS \[([^\]]+)\]/g)].map((m) => m[1]!);
    // A Change Tracking table's row version comes from CHANGETABLE(VERSION …) when the row has none.
    const version = (r: SourceRow) =>
      list.includes('CHANGETABLE(VERSION')
        ? String(t.tracked?.get(keyOf(t, r))?.version ?? 0)
        : (r[t.spec.changeVersionColumn] ?? null);
    // A source feed's key prefix and recodes, as the projection writes them (source-feeds.ts).
    const unquote = (v: string) => v.replaceAll("''", "'");
    const valueOf = (n: string, r: SourceRow) => {
      const v = n === t.spec.changeVersionColumn ? version(r) : (r[n] ?? null);
      const at = list.indexOf(` AS [${n}]`);
      const item = list.slice(Math.max(0, list.lastIndexOf(', ', at)), at);
      const prefix = /\(N'((?:[^']|'')*)' \+ (?:t\.)?\[[^\]]+\]\)$/.exec(item);
      if (prefix && v !== null) return `${unquote(prefix[1]!)}${String(v)}`;
      if (/CASE (?:t\.)?\[[^\]]+\] WHEN /.test(item) && v !== null)
        for (const m of item.matchAll(/WHEN N'((?:[^']|'')*)' THEN N'((?:[^']|'')*)'/g))
          if (unquote(m[1]!) === String(v)) return unquote(m[2]!);
      return v;
    };
    return rows.map((r) => Object.fromEntries(names.map((n) => [n, valueOf(n, r)])));
  };
  const isCt = (t: FakeTable) => t.tracked !== null;

  const answer = (text: string, params: Record<string, unknown>): unknown[][] => {
    if (text === 'SELECT CONVERT(varchar(20), CHANGE_TRACKING_CURRENT_VERSION()) AS version;')
      return [[{ version: String(ctVersion) }]];
    const t = tableOf(text, params);
    if (text.includes('FROM sys.columns'))
      return [
        t === undefined
          ? []
          : [
              ...t.spec.columns
                // A Change Tracking table keeps no version column: CHANGETABLE gives it.
                .filter((c) => !(isCt(t) && c.name === t.spec.changeVersionColumn))
                .map((c) => ({
                  name: srcName(t, c.name),
                  nativeType: c.name === t.spec.changeVersionColumn ? 'timestamp' : NATIVE[c.type],
                  maxLength: c.name === t.spec.changeVersionColumn ? 8 : (c.length ?? 0),
                  precision: c.precision ?? 0,
                  scale: c.scale ?? 0,
                  nullable: c.nullable,
                  collation: c.type === 'varchar' || c.type === 'char' ? KEY_COLLATION : null,
                })),
              ...((t as { extra?: readonly string[] }).extra ?? []).map((name) => ({
                name,
                nativeType: 'varchar',
                maxLength: 50,
                precision: 0,
                scale: 0,
                nullable: true,
                collation: KEY_COLLATION,
              })),
            ],
      ];
    if (t === undefined) {
      const error = Object.assign(new Error(`Invalid object name '${text}'.`), { number: 208 });
      throw error;
    }
    const version = (row: SourceRow): number => Number(row[t.spec.changeVersionColumn]);
    if (text.startsWith('SELECT CASE WHEN EXISTS') && text.includes('MIN_ACTIVE_ROWVERSION()'))
      return [[{ version: t.rows.size > 0 ? String(rowversion) : null }]];
    if (text.includes('DECLARE @upTo bigint = CAST(MIN_ACTIVE_ROWVERSION() AS bigint) - 1;')) {
      const since = params.p0 === null || params.p0 === undefined ? -1 : Number(params.p0);
      const limit = Number(params.p1);
      const changed = committed(t).filter((r) => version(r) > since && version(r) <= rowversion);
      const head = [{ upToVersion: String(rowversion), rowCount: String(t.rows.size), valid: true }];
      return changed.length <= limit
        ? [
            head,
            [{ changed: String(changed.length) }],
            project(t, text.slice(text.lastIndexOf('\n  SELECT ')), changed),
          ]
        : [head, [{ changed: String(changed.length) }]];
    }
    if (text.includes('DECLARE @upTo bigint = CHANGE_TRACKING_CURRENT_VERSION();') && t.tracked) {
      const since = params.p0 === null || params.p0 === undefined ? 0 : Number(params.p0);
      const limit = Number(params.p1);
      const live = [...t.tracked].filter(
        ([, c]) => c.version > since && c.version <= ctVersion && c.op !== 'D',
      );
      const rows = live
        .map(([key, c]) => ({ row: t.rows.get(key), version: c.version }))
        .filter((r): r is { row: SourceRow; version: number } => r.row !== undefined)
        .sort((a, b) => (keyOf(t, a.row) < keyOf(t, b.row) ? -1 : 1))
        .map((r) => ({ ...r.row, [t.spec.changeVersionColumn]: String(r.version) }));
      const head = [{ upToVersion: String(ctVersion), rowCount: String(t.rows.size), valid: true }];
      return live.length <= limit
        ? [
            head,
            [{ changed: String(live.length) }],
            project(t, text.slice(text.lastIndexOf('\n  SELECT ')), rows),
          ]
        : [head, [{ changed: String(live.length) }]];
    }
    if (text.includes('AS [range], COUNT_BIG(*) AS [count]')) {
      if (!text.includes("'0' AS [sum]"))
        throw new Error(`fake SQL Server: it counts ranges only, it cannot hash: ${text.slice(0, 200)}`);
      return [
        text.split('\nUNION ALL\n').map((branch, i) => {
          const inRange = keyFilter(t, branch, params);
          return {
            range: i,
            count: String(committed(t).filter((r) => inRange(keyOf(t, r))).length),
            sum: '0',
          };
        }),
      ];
    }
    if (text.startsWith('SELECT TOP (') && !text.includes('HASHBYTES')) {
      const where = text.slice(text.indexOf('\nFROM'));
      const inRange = keyFilter(t, where, params);
      if (where.includes('WHERE') && !/\] (>=|>|<) @p\d+/.test(where))
        throw new Error(`fake SQL Server: a page predicate it cannot read: ${text.slice(0, 300)}`);
      const top = Number(params[/^SELECT TOP \(@(p\d+)\)/.exec(text)![1]!]);
      return [
        project(
          t,
          text,
          committed(t)
            .filter((r) => inRange(keyOf(t, r)))
            .slice(0, top),
        ),
      ];
    }
    if (text.includes('AS [count]')) return [[{ count: String(t.rows.size) }]];
    throw new Error(`fake SQL Server: no answer for the statement ${text.slice(0, 300)}`);
  };

  proto.connect = async function connect(this: { config?: unknown }) {
    connections.push(JSON.stringify(this.config ?? {}));
    if (fake.connectError) throw fake.connectError;
    return this;
  };
  proto.request = function request() {
    const params: Record<string, unknown> = {};
    return {
      input(name: string, _type: unknown, value: unknown) {
        params[name] = value;
        return this;
      },
      async query(text: string) {
        statements.push({ text, params: { ...params } });
        const recordsets = answer(text, params);
        return { recordsets, recordset: recordsets[0] };
      },
    };
  };
  proto.close = async () => undefined;

  /** A table by `schema.table`, or by its declared name when it is `dbo.<name>`. */
  const byName = (table: string): FakeTable => {
    const t = tables.get((table.includes('.') ? table : `dbo.${table}`).toLowerCase());
    if (!t) throw new Error(`fake SQL Server: no table ${table}`);
    return t;
  };

  const fake: FakeSqlServer = {
    statements,
    connections,
    connectError: undefined,
    upsert(table, row) {
      const t = byName(table);
      const key = keyOf(t, row);
      if (t.tracked) {
        ctVersion += 1;
        t.tracked.set(key, { version: ctVersion, op: t.rows.has(key) ? 'U' : 'I' });
        const stored = { ...row };
        delete stored[t.spec.changeVersionColumn];
        t.rows.set(key, stored);
        return;
      }
      rowversion += 1;
      t.rows.set(key, { ...row, [t.spec.changeVersionColumn]: String(rowversion) });
    },
    remove(table, key) {
      const t = byName(table);
      if (!t.rows.delete(key)) throw new Error(`fake SQL Server: no row ${key} in ${table}`);
      if (t.tracked) t.tracked.set(key, { version: ++ctVersion, op: 'D' });
    },
    restore() {
      Object.assign(proto, original);
    },
  };
  return fake;
}
