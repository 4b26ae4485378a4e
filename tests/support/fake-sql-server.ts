import sql from 'mssql';
import type { SourceRow, SourceTableSpec } from '../../shared/domain/datasets/source-tables.js';
import { KEY_COLLATION } from '../../shared/adapters/azure/mssql-sql.azure.js';

/**
 * A SQL Server at the `mssql` driver's thinnest seam: `ConnectionPool.connect`, `request` and
 * `close` are replaced for the test process, so the production path (composition root → secret →
 * connection-string parsing → `MssqlChangeSource`) runs unchanged and only the wire is faked. It
 * records every statement the adapter sends (text and parameters) and answers the statements a
 * rowversion table's first snapshot and later change reads need, from rows held in wire form;
 * any other statement fails the poll naming it, so a new query shape is noticed, not guessed at.
 *
 * Single-column business keys only (the keyset predicate it reads is `WHERE [key] > @p0`).
 */
export interface FakeSqlServer {
  /** Every statement received, in order. */
  readonly statements: { text: string; params: Record<string, unknown> }[];
  /** Connection strings the pool was opened with (the test checks none is logged). */
  readonly connections: string[];
  /** When set, opening a pool fails with this driver error (a refused connection, a failed login). */
  connectError: Error | undefined;
  /** Inserts or replaces a row, giving it the next rowversion. */
  upsert(table: string, row: SourceRow): void;
  /** Puts the pool back as the driver had it. */
  restore(): void;
}

interface FakeTable {
  readonly spec: SourceTableSpec;
  readonly rows: Map<string, SourceRow>;
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

export function installFakeSqlServer(specs: readonly SourceTableSpec[]): FakeSqlServer {
  const tables = new Map<string, FakeTable>(specs.map((s) => [s.table, { spec: s, rows: new Map() }]));
  let rowversion = 1000;
  const statements: FakeSqlServer['statements'] = [];
  const connections: string[] = [];
  const proto = sql.ConnectionPool.prototype as unknown as Record<string, unknown>;
  const original = { connect: proto.connect, request: proto.request, close: proto.close };

  const tableOf = (text: string, params: Record<string, unknown>): FakeTable | undefined => {
    const named =
      /FROM \[dbo\]\.\[([^\]]+)\]/.exec(text)?.[1] ?? /^\[dbo\]\.\[([^\]]+)\]$/.exec(String(params.p0))?.[1];
    return named === undefined ? undefined : tables.get(named);
  };
  const committed = (t: FakeTable): SourceRow[] =>
    [...t.rows.values()].sort((a, b) => (keyOf(t, a) < keyOf(t, b) ? -1 : 1)); // BIN2: code-point order
  const keyOf = (t: FakeTable, row: SourceRow): string => String(row[t.spec.key[0]!]);

  const answer = (text: string, params: Record<string, unknown>): unknown[][] => {
    const t = tableOf(text, params);
    if (text.includes('FROM sys.columns'))
      return [
        t === undefined
          ? []
          : t.spec.columns.map((c) => ({
              name: c.name,
              nativeType: c.name === t.spec.changeVersionColumn ? 'timestamp' : NATIVE[c.type],
              maxLength: c.name === t.spec.changeVersionColumn ? 8 : (c.length ?? 0),
              precision: c.precision ?? 0,
              scale: c.scale ?? 0,
              nullable: c.nullable,
              collation: c.type === 'varchar' || c.type === 'char' ? KEY_COLLATION : null,
            })),
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
        ? [head, [{ changed: String(changed.length) }], changed]
        : [head, [{ changed: String(changed.length) }]];
    }
    if (text.startsWith('SELECT TOP (') && !text.includes('HASHBYTES')) {
      const key = t.spec.key[0]!;
      const after = text.includes(`WHERE [${key}] > @p0`) ? String(params.p0) : undefined;
      if (after === undefined && text.includes('WHERE'))
        throw new Error(`fake SQL Server: a page predicate it cannot read: ${text.slice(0, 300)}`);
      const top = Number(Object.values(params).at(-1));
      return [
        committed(t)
          .filter((r) => after === undefined || keyOf(t, r) > after)
          .slice(0, top),
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

  const fake: FakeSqlServer = {
    statements,
    connections,
    connectError: undefined,
    upsert(table, row) {
      const t = tables.get(table);
      if (!t) throw new Error(`fake SQL Server: no table ${table}`);
      rowversion += 1;
      t.rows.set(keyOf(t, row), { ...row, [t.spec.changeVersionColumn]: String(rowversion) });
    },
    restore() {
      Object.assign(proto, original);
    },
  };
  return fake;
}
