import { DuckDBBlobVector, DuckDBInstance, type DuckDBConnection, type DuckDBValue } from '@duckdb/node-api';
import { privateSpillDirectory } from '../../parquet/duckdb-parquet.js';
import type {
  ChangeSet,
  ChangeSource,
  KeyRange,
  KeyValues,
  RangeChecksum,
  ReadChangesRequest,
  ReadRowHashesRequest,
  ReadRowsRequest,
  RowHashEntry,
  SourceColumnInfo,
  ScanRowsRequest,
} from '../../../application/ports/change-source.port.js';
import type { Clock } from '../../../application/ports/clock.port.js';
import type { SourceWriter } from '../../../application/ports/source-writer.port.js';
import type { CanonicalType, HashColumn, RowHashLayout } from '../../../domain/capture/row-hash.js';
import {
  RowHashPageBuilder,
  rowHashPageFromPacked,
  type RowHashPage,
} from '../../../domain/capture/row-hash-page.js';
import { encodeKey } from '../../../domain/capture/state-key.js';
import {
  sourceTable,
  type ColumnSpec,
  type SourceRow,
  type SourceTableName,
  type SourceTableSpec,
  type SqlType,
} from '../../../domain/datasets/source-tables.js';
import { InfrastructureError, InputError } from '../../../domain/errors.js';
import {
  bucketExpression,
  canonicalExpression,
  duckdbType,
  encodedKeyHexSql,
  keyComparison,
  keyLiteral,
  keyOrderBy,
  prefix64Sql,
  quoteIdent,
  quoteLiteral,
  rangePredicate,
  rowHashPagesSql,
  rowHashSql,
  sqlTypeComment,
  storedKind,
  wireRowJson,
  type StoredKind,
} from './embedded-source-sql.js';

/** The embedded source database: what the generator writes and the CDC poller captures from locally. */
export interface EmbeddedSource extends Omit<SourceWriter, 'countRows'>, Omit<ChangeSource, 'countRows'> {
  /** Row count of a table (any table name, not only the nine source tables). */
  countRows(table: string): Promise<number>;
  /**
   * Runs SQL directly against the source (tests, benchmarks and drift drills: `ALTER TABLE`,
   * bulk `INSERT … SELECT … FROM range(n)`). Not used by the product.
   */
  executeSql(sql: string): Promise<void>;
  /** Runs a read query and returns rows as JSON-safe values (tests, benchmarks). */
  querySql(sql: string): Promise<Record<string, unknown>[]>;
  /** Advances and returns the rowversion sequence by one (for bulk SQL loads in benchmarks). */
  readonly versionSequence: string;
  close(): Promise<void>;
}

export interface OpenEmbeddedSourceOptions {
  /** A DuckDB database file, or ':memory:'. */
  readonly path: string;
  /** Sets `modified_at` on every insert and update. */
  readonly clock: Clock;
}

const VERSION_SEQUENCE = 'nhsflows_rowversion';
const MODIFIED_AT = 'modified_at';
const RANGES_PER_QUERY = 1024;
const KEYS_PER_QUERY = 10_000;
/** Up to this many keys are read through the primary-key index; more by one hash semi-join. */
const INDEX_PROBE_KEYS = 64;

/** Runs tasks one at a time (a DuckDB connection must not interleave statements of two callers). */
class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();
  run<T>(task: () => Promise<T>): Promise<T> {
    const next = this.tail.then(task, task);
    this.tail = next.catch(() => undefined);
    return next;
  }
}

function infra(what: string, cause: unknown): InfrastructureError {
  const message = cause instanceof Error ? cause.message : String(cause);
  return new InfrastructureError('EMBEDDED_SOURCE_FAILED', `embedded source: ${what} failed: ${message}`, {
    cause,
  });
}

function typeFromComment(comment: string | null): {
  type: SqlType;
  length?: number;
  precision?: number;
  scale?: number;
} | null {
  if (!comment) return null;
  const m =
    /^(varchar|char|decimal|date|datetime2|datetimeoffset|int|bigint|bit)(?:\((\w+)(?:,(\d+))?\))?$/.exec(
      comment,
    );
  if (!m) return null;
  const type = m[1] as SqlType;
  if (type === 'decimal') return { type, precision: Number(m[2] ?? 18), scale: Number(m[3] ?? 0) };
  if ((type === 'varchar' || type === 'char') && m[2] && m[2] !== 'max')
    return { type, length: Number(m[2]) };
  return { type };
}

function typeFromStored(kind: StoredKind): CanonicalType | 'unknown' {
  switch (kind) {
    case 'varchar':
      return 'varchar';
    case 'date':
      return 'date';
    case 'timestamp':
      return 'datetime2';
    case 'timestamptz':
      return 'datetimeoffset';
    case 'integer':
      return 'int';
    case 'bigint':
      return 'bigint';
    case 'decimal':
      return 'decimal';
    case 'boolean':
      return 'bit';
    case 'blob':
      return 'binary';
    case 'other':
      return 'unknown';
  }
}

class DuckDbEmbeddedSource implements EmbeddedSource {
  readonly versionSequence = VERSION_SEQUENCE;
  private readonly writes = new SerialQueue();
  private readonly reads = new SerialQueue();
  private readonly specs = new Map<string, SourceTableSpec>();
  private kinds = new Map<string, Map<string, StoredKind>>();
  private stageCounter = 0;
  private closed = false;

  constructor(
    private readonly instance: DuckDBInstance,
    private readonly writer: DuckDBConnection,
    private readonly reader: DuckDBConnection,
    private readonly clock: Clock,
  ) {}

  // ---------------------------------------------------------------- SourceWriter

  async createTables(specs: readonly SourceTableSpec[]): Promise<void> {
    await this.writes.run(async () => {
      try {
        await this.writer.run(`CREATE SEQUENCE IF NOT EXISTS ${VERSION_SEQUENCE} START 1`);
        for (const spec of specs) {
          this.specs.set(spec.table, spec);
          const cols = spec.columns.map(
            (col) => `${quoteIdent(col.name)} ${duckdbType(col)}${col.nullable ? '' : ' NOT NULL'}`,
          );
          cols.push(`PRIMARY KEY (${spec.key.map(quoteIdent).join(', ')})`);
          await this.writer.run(`CREATE TABLE IF NOT EXISTS ${quoteIdent(spec.table)} (${cols.join(', ')})`);
          for (const col of spec.columns)
            await this.writer.run(
              `COMMENT ON COLUMN ${quoteIdent(spec.table)}.${quoteIdent(col.name)} IS ${quoteLiteral(sqlTypeComment(col))}`,
            );
        }
      } catch (error) {
        throw infra('create tables', error);
      }
      this.kinds.clear();
    });
  }

  async insertRows(table: SourceTableName, rows: readonly SourceRow[]): Promise<void> {
    if (rows.length === 0) return;
    const spec = this.spec(table);
    const dataCols = spec.columns.filter(
      (c) => c.name !== spec.changeVersionColumn && c.name !== MODIFIED_AT,
    );
    this.checkColumns(spec, rows, dataCols);
    await this.writes.run(async () => {
      const stage = await this.stage(dataCols, rows);
      try {
        const targetCols = [...dataCols.map((c) => quoteIdent(c.name)), quoteIdent(spec.changeVersionColumn)];
        const values = [
          ...dataCols.map((c) => castFromText(c, `s.${quoteIdent(c.name)}`)),
          `nextval('${VERSION_SEQUENCE}')`,
        ];
        if (spec.columns.some((c) => c.name === MODIFIED_AT)) {
          targetCols.push(quoteIdent(MODIFIED_AT));
          values.push(this.nowSql());
        }
        await this.inTransaction(() =>
          this.writer.run(
            `INSERT INTO ${quoteIdent(table)} (${targetCols.join(', ')}) SELECT ${values.join(', ')} FROM ${stage} s ORDER BY s.nhsflows_ord`,
          ),
        );
      } catch (error) {
        throw infra(`insert into ${table}`, error);
      } finally {
        await this.writer.run(`DROP TABLE IF EXISTS ${stage}`);
      }
    });
  }

  async updateRows(table: SourceTableName, rows: readonly SourceRow[]): Promise<number> {
    if (rows.length === 0) return 0;
    const spec = this.spec(table);
    const keySet = new Set(spec.key);
    const byColumns = new Map<string, SourceRow[]>();
    for (const row of rows) {
      for (const k of spec.key)
        if (row[k] === undefined || row[k] === null)
          throw new InputError(`embedded source: update of ${table} is missing key column '${k}'`);
      const cols = Object.keys(row)
        .filter((c) => !keySet.has(c) && c !== spec.changeVersionColumn && c !== MODIFIED_AT)
        .sort();
      const signature = cols.join(',');
      const group = byColumns.get(signature);
      if (group) group.push(row);
      else byColumns.set(signature, [row]);
    }
    return this.writes.run(async () => {
      const stages: { stage: string; cols: ColumnSpec[] }[] = [];
      try {
        for (const [signature, group] of byColumns) {
          const names = signature === '' ? [] : signature.split(',');
          const cols = names.map((n) => this.column(spec, n));
          const keyCols = spec.key.map((n) => this.column(spec, n));
          stages.push({ stage: await this.stage([...keyCols, ...cols], group), cols });
        }
        let matched = 0;
        await this.inTransaction(async () => {
          for (const { stage, cols } of stages) {
            const sets = cols.map(
              (c) => `${quoteIdent(c.name)} = ${castFromText(c, `s.${quoteIdent(c.name)}`)}`,
            );
            sets.push(`${quoteIdent(spec.changeVersionColumn)} = nextval('${VERSION_SEQUENCE}')`);
            if (spec.columns.some((c) => c.name === MODIFIED_AT))
              sets.push(`${quoteIdent(MODIFIED_AT)} = ${this.nowSql()}`);
            const result = await this.writer.run(
              `UPDATE ${quoteIdent(table)} AS t SET ${sets.join(', ')} FROM ${stage} s WHERE ${this.keyJoin(spec, 't', 's')}`,
            );
            matched += result.rowsChanged;
          }
        });
        return matched;
      } catch (error) {
        throw infra(`update of ${table}`, error);
      } finally {
        for (const { stage } of stages) await this.writer.run(`DROP TABLE IF EXISTS ${stage}`);
      }
    });
  }

  async deleteRows(table: SourceTableName, keys: readonly (readonly string[])[]): Promise<number> {
    if (keys.length === 0) return 0;
    const spec = this.spec(table);
    const keyCols = spec.key.map((n) => this.column(spec, n));
    const rows = keys.map((key) => {
      if (key.length !== keyCols.length)
        throw new InputError(
          `embedded source: delete from ${table} expected ${keyCols.length} key values per key, received ${key.length}`,
        );
      return Object.fromEntries(keyCols.map((c, i) => [c.name, key[i] ?? null]));
    });
    return this.writes.run(async () => {
      const stage = await this.stage(keyCols, rows);
      try {
        let deleted = 0;
        await this.inTransaction(async () => {
          const result = await this.writer.run(
            `DELETE FROM ${quoteIdent(table)} AS t USING ${stage} s WHERE ${this.keyJoin(spec, 't', 's')}`,
          );
          deleted = result.rowsChanged;
        });
        return deleted;
      } catch (error) {
        throw infra(`delete from ${table}`, error);
      } finally {
        await this.writer.run(`DROP TABLE IF EXISTS ${stage}`);
      }
    });
  }

  async countRows(table: string): Promise<number> {
    const rows = await this.read(`SELECT count(*) AS n FROM ${quoteIdent(table)}`, `count ${table}`);
    return Number(rows[0]?.[0] ?? 0);
  }

  // ---------------------------------------------------------------- ChangeSource

  async describeTable(table: string): Promise<readonly SourceColumnInfo[]> {
    const rows = await this.read(
      `SELECT column_name, data_type, comment, is_nullable FROM duckdb_columns()
       WHERE database_name = current_database() AND schema_name = 'main' AND table_name = ${quoteLiteral(table)}
       ORDER BY column_index`,
      `describe ${table}`,
    );
    if (rows.length === 0) throw new InputError(`embedded source: table '${table}' does not exist`);
    return rows.map((r) => {
      const [name, nativeType, comment, nullable] = r as [string, string, string | null, boolean];
      const kind = storedKind(nativeType);
      const declared = typeFromComment(comment);
      // The recorded SQL type wins only while the stored type still matches it (an ALTER TYPE moves it).
      if (declared && storedKind(duckdbType(declared)) === kind) {
        const info: SourceColumnInfo = { name, nativeType, nullable, ...declared };
        return info;
      }
      const decimal = /^DECIMAL\((\d+),(\d+)\)$/.exec(nativeType);
      return {
        name,
        type: typeFromStored(kind),
        nativeType,
        nullable,
        ...(decimal ? { precision: Number(decimal[1]), scale: Number(decimal[2]) } : {}),
      };
    });
  }

  async readRows(request: ReadRowsRequest): Promise<SourceRow[]> {
    const kinds = await this.kindsOf(request.table);
    const kindOf = (c: string) => kinds.get(c) ?? 'other';
    const where: string[] = [];
    if (request.after) where.push(keyComparison(request.keyColumns, '>', request.after, kindOf));
    if (request.from) where.push(keyComparison(request.keyColumns, '>=', request.from, kindOf));
    if (request.before) where.push(keyComparison(request.keyColumns, '<', request.before, kindOf));
    const sql = `SELECT ${wireRowJson(kinds)} FROM ${quoteIdent(request.table)}${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY ${keyOrderBy(request.keyColumns)} LIMIT ${Math.max(0, Math.floor(request.limit))}`;
    return await this.readWireRows(sql, `read rows of ${request.table}`);
  }

  async readRowsByKeys(request: {
    readonly table: string;
    readonly keyColumns: readonly HashColumn[];
    readonly keys: readonly KeyValues[];
  }): Promise<SourceRow[]> {
    const kinds = await this.kindsOf(request.table);
    const kindOf = (c: string) => kinds.get(c) ?? 'other';
    const out: SourceRow[] = [];
    for (let i = 0; i < request.keys.length; i += KEYS_PER_QUERY) {
      const batch = request.keys.slice(i, i + KEYS_PER_QUERY);
      const values = batch
        .map(
          (key) =>
            `(${request.keyColumns.map((col, j) => keyLiteral(col, key[j] ?? '', kindOf(col.name))).join(', ')})`,
        )
        .join(', ');
      if (request.keyColumns.length === 1 && batch.length <= INDEX_PROBE_KEYS) {
        // A few keys: a plain IN list lets DuckDB probe the primary-key index instead of scanning.
        const col = request.keyColumns[0]!;
        const list = batch.map((key) => keyLiteral(col, key[0] ?? '', kindOf(col.name))).join(', ');
        const sql = `SELECT ${wireRowJson(kinds)} FROM ${quoteIdent(request.table)} WHERE ${quoteIdent(col.name)} IN (${list}) ORDER BY ${quoteIdent(col.name)}`;
        out.push(...(await this.readWireRows(sql, `read rows by key of ${request.table}`)));
        continue;
      }
      // Many keys: one hash semi-join (a scan of the table). Thousands of index probes into a
      // database file's compressed row groups cost far more (measured 290 ms against 30 ms for
      // 2,500 keys of 250k rows).
      // Bounded by the lowest and highest key, so the scan skips row groups outside them.
      let lowest = batch[0]!;
      let highest = batch[0]!;
      let lowestKey = encodeKey(request.keyColumns, lowest);
      let highestKey = lowestKey;
      for (const key of batch) {
        const encoded = encodeKey(request.keyColumns, key);
        if (encoded.compare(lowestKey) < 0) [lowest, lowestKey] = [key, encoded];
        if (encoded.compare(highestKey) > 0) [highest, highestKey] = [key, encoded];
      }
      const bounds = `${keyComparison(request.keyColumns, '>=', lowest, kindOf)} AND NOT ${keyComparison(request.keyColumns, '>', highest, kindOf)}`;
      const aliases = request.keyColumns.map((_, j) => `k${j}`);
      const on = request.keyColumns.map((col, j) => `t.${quoteIdent(col.name)} = v.k${j}`).join(' AND ');
      const sql = `SELECT ${wireRowJson(kinds, 't')} FROM (SELECT * FROM ${quoteIdent(request.table)} WHERE ${bounds}) t SEMI JOIN (VALUES ${values}) v(${aliases.join(', ')}) ON ${on} ORDER BY ${request.keyColumns.map((c) => `t.${quoteIdent(c.name)}`).join(', ')}`;
      out.push(...(await this.readWireRows(sql, `read rows by key of ${request.table}`)));
    }
    return out;
  }

  async readRowHashes(request: ReadRowHashesRequest): Promise<RowHashEntry[]> {
    const { layout } = request;
    const kinds = await this.kindsOf(layout.table);
    const kindOf = (c: string) => kinds.get(c) ?? 'other';
    const keys = layout.keyColumns.map((col) => canonicalExpression(col, kindOf(col.name)));
    const version = layout.versionColumn ? `CAST(${quoteIdent(layout.versionColumn)} AS VARCHAR)` : 'NULL';
    const where = request.after
      ? ` WHERE ${keyComparison(layout.keyColumns, '>', request.after, kindOf)}`
      : '';
    const sql = `SELECT ${keys.join(', ')}, ${version}, ${rowHashSql(layout, kindOf)} FROM (SELECT * FROM ${quoteIdent(layout.table)}${where} ORDER BY ${keyOrderBy(layout.keyColumns)} LIMIT ${Math.max(0, Math.floor(request.limit))}) ORDER BY ${keyOrderBy(layout.keyColumns)}`;
    const rows = await this.read(sql, `read row hashes of ${layout.table}`);
    const n = layout.keyColumns.length;
    return rows.map((r) => ({
      key: r.slice(0, n) as string[],
      version: (r[n] as string | null) ?? null,
      hash: r[n + 1] as string,
    }));
  }

  async readChangesSince(request: ReadChangesRequest): Promise<ChangeSet> {
    const kinds = await this.kindsOf(request.table);
    const t = quoteIdent(request.table);
    const v = quoteIdent(request.versionColumn);
    return this.reads.run(async () => {
      try {
        await this.reader.run('BEGIN TRANSACTION');
        try {
          const head = (
            await this.reader.runAndReadAll(`SELECT CAST(max(${v}) AS VARCHAR), count(*) FROM ${t}`)
          ).getRows();
          const upToVersion = (head[0]?.[0] as string | null) ?? null;
          const rowCount = Number(head[0]?.[1] ?? 0);
          if (upToVersion === null)
            return { rows: [], upToVersion: request.sinceVersion, rowCount, truncated: false };
          const since =
            request.sinceVersion === null ? '' : `${v} > ${BigInt(request.sinceVersion).toString()} AND `;
          const filter = `${since}${v} <= ${BigInt(upToVersion).toString()}`;
          const changed = Number(
            (
              await this.reader.runAndReadAll(`SELECT count(*) FROM ${t} WHERE ${filter}`)
            ).getRows()[0]?.[0] ?? 0,
          );
          if (changed > request.limit) return { rows: [], upToVersion, rowCount, truncated: true };
          const rows = (
            await this.reader.runAndReadAll(
              `SELECT ${wireRowJson(kinds)} FROM ${t} WHERE ${filter} ORDER BY ${keyOrderBy(request.keyColumns)}`,
            )
          ).getRows();
          return { rows: rows.map((r) => parseWireRow(r[0])), upToVersion, rowCount, truncated: false };
        } finally {
          await this.reader.run('COMMIT');
        }
      } catch (error) {
        throw infra(`read changes of ${request.table}`, error);
      }
    });
  }

  async rangeChecksums(request: {
    readonly layout: RowHashLayout;
    readonly ranges: readonly KeyRange[];
    readonly countOnly?: boolean;
  }): Promise<RangeChecksum[]> {
    const { layout, ranges } = request;
    const kinds = await this.kindsOf(layout.table);
    const kindOf = (c: string) => kinds.get(c) ?? 'other';
    const out: RangeChecksum[] = ranges.map(() => ({ count: 0, sum: '0' }));
    const asof = this.rangeJoin(layout.keyColumns, ranges, kindOf);
    if (asof) {
      const t = quoteIdent(layout.table);
      const sql = request.countOnly
        ? `SELECT r.i, count(*), '0' FROM ${t} t ${asof.join} WHERE ${asof.filter} GROUP BY r.i`
        : `SELECT i, count(*), CAST(sum(${prefix64Sql('h')}) AS VARCHAR) FROM (
            SELECT r.i AS i, ${rowHashSql(layout, kindOf, 't')} AS h FROM ${t} t ${asof.join} WHERE ${asof.filter}
          ) GROUP BY i`;
      for (const r of await this.read(sql, `range checksums of ${layout.table}`))
        out[Number(r[0])] = { count: Number(r[1]), sum: String(r[2]) };
      return out;
    }
    for (let start = 0; start < ranges.length; start += RANGES_PER_QUERY) {
      const batch = ranges.slice(start, start + RANGES_PER_QUERY);
      const bucket = bucketExpression(layout.keyColumns, batch, kindOf);
      // Restrict the scan to the ranges when there are few (the bucket tree handles the rest).
      const where =
        batch.length <= 16
          ? ` WHERE ${batch.map((r) => `(${rangePredicate(layout.keyColumns, r, kindOf)})`).join(' OR ')}`
          : '';
      const sql = request.countOnly
        ? `SELECT nhsflows_bucket, count(*), '0' FROM (SELECT ${bucket} AS nhsflows_bucket FROM ${quoteIdent(layout.table)}${where}) WHERE nhsflows_bucket >= 0 GROUP BY nhsflows_bucket`
        : `SELECT nhsflows_bucket, count(*), CAST(sum(${prefix64Sql('nhsflows_hash')}) AS VARCHAR) FROM (
          SELECT nhsflows_bucket, ${rowHashSql(layout, kindOf)} AS nhsflows_hash FROM (SELECT *, ${bucket} AS nhsflows_bucket FROM ${quoteIdent(layout.table)}${where}) WHERE nhsflows_bucket >= 0
        ) GROUP BY nhsflows_bucket`;
      for (const r of await this.read(sql, `range checksums of ${layout.table}`)) {
        const index = Number(r[0]);
        out[start + index] = { count: Number(r[1]), sum: String(r[2]) };
      }
    }
    return out;
  }

  /**
   * For a single-column key: the ranges as an inline table joined with ASOF (one sorted pass over the
   * table whatever the number of ranges), or null when the key is composite.
   */
  private rangeJoin(
    keyColumns: readonly HashColumn[],
    ranges: readonly KeyRange[],
    kindOf: (column: string) => StoredKind,
  ): { join: string; filter: string } | null {
    if (keyColumns.length !== 1 || ranges.length <= 16) return null;
    const col = keyColumns[0]!;
    const integer = col.type === 'int' || col.type === 'bigint';
    if (!integer && kindOf(col.name) !== 'varchar') return null;
    const lowest = integer ? '-9223372036854775808' : "''";
    const values = ranges
      .map(
        (r, i) =>
          `(${i}, ${r.from ? keyLiteral(col, r.from[0] ?? '', kindOf(col.name)) : lowest}, ${r.to ? keyLiteral(col, r.to[0] ?? '', kindOf(col.name)) : 'NULL'})`,
      )
      .join(', ');
    const k = `t.${quoteIdent(col.name)}`;
    return {
      join: `ASOF JOIN (VALUES ${values}) r(i, lo, hi) ON ${k} >= r.lo`,
      filter: `(r.hi IS NULL OR ${k} < r.hi)`,
    };
  }

  async readRowsInRanges(request: {
    readonly table: string;
    readonly keyColumns: readonly HashColumn[];
    readonly ranges: readonly KeyRange[];
  }): Promise<SourceRow[]> {
    const kinds = await this.kindsOf(request.table);
    const kindOf = (c: string) => kinds.get(c) ?? 'other';
    const out: SourceRow[] = [];
    const asof = this.rangeJoin(request.keyColumns, request.ranges, kindOf);
    if (asof) {
      // The join on the key column alone, then the matching rows whole: joined whole, every row of
      // the table would be sorted with all its columns for a few thousand wanted.
      const key = quoteIdent(request.keyColumns[0]!.name);
      const table = quoteIdent(request.table);
      const sql = `SELECT ${wireRowJson(kinds, 't')} FROM ${table} t WHERE t.${key} IN (SELECT t.${key} FROM ${table} t ${asof.join} WHERE ${asof.filter}) ORDER BY t.${key}`;
      return await this.readWireRows(sql, `read rows in ranges of ${request.table}`);
    }
    for (let start = 0; start < request.ranges.length; start += RANGES_PER_QUERY) {
      const batch = request.ranges.slice(start, start + RANGES_PER_QUERY);
      const where =
        batch.length <= 16
          ? batch.map((r) => `(${rangePredicate(request.keyColumns, r, kindOf)})`).join(' OR ')
          : `${bucketExpression(request.keyColumns, batch, kindOf)} >= 0`;
      const sql = `SELECT ${wireRowJson(kinds)} FROM ${quoteIdent(request.table)} WHERE ${where} ORDER BY ${keyOrderBy(request.keyColumns)}`;
      out.push(...(await this.readWireRows(sql, `read rows in ranges of ${request.table}`)));
    }
    return out;
  }

  async *scanRows(request: ScanRowsRequest): AsyncGenerator<readonly SourceRow[]> {
    const all = await this.kindsOf(request.table);
    const wanted = request.columns
      ? new Set([...request.keyColumns.map((k) => k.name), ...request.columns])
      : null;
    const kinds = wanted ? new Map([...all].filter(([name]) => wanted.has(name))) : all;
    const kindOf = (c: string) => kinds.get(c) ?? 'other';
    const where = request.after
      ? ` WHERE ${keyComparison(request.keyColumns, '>', request.after, kindOf)}`
      : '';
    const sql = `SELECT ${wireRowJson(kinds)} FROM ${quoteIdent(request.table)}${where} ORDER BY ${keyOrderBy(request.keyColumns)}`;
    const connection = await this.instance.connect();
    try {
      const result = await connection.stream(sql).catch((error: unknown) => {
        throw infra(`scan rows of ${request.table}`, error);
      });
      const page: SourceRow[] = [];
      for (;;) {
        const chunk = await result.fetchChunk();
        if (!chunk || chunk.rowCount === 0) break;
        for (const text of chunk.getColumnValues(0)) page.push(parseWireRow(text));
        while (page.length >= request.pageSize) yield page.splice(0, request.pageSize);
      }
      if (page.length > 0) yield page;
    } finally {
      connection.closeSync();
    }
  }

  async *scanRowHashes(request: {
    readonly layout: RowHashLayout;
    readonly after?: KeyValues | null;
    readonly pageSize: number;
  }): AsyncGenerator<RowHashPage> {
    const { layout } = request;
    const kinds = await this.kindsOf(layout.table);
    const kindOf = (c: string) => kinds.get(c) ?? 'other';
    const where = request.after
      ? ` WHERE ${keyComparison(layout.keyColumns, '>', request.after, kindOf)}`
      : '';
    const packedKey = encodedKeyHexSql(layout.keyColumns, kindOf);
    // A connection of its own: the scan streams while other reads go on (one MVCC snapshot).
    const connection = await this.instance.connect();
    try {
      if (packedKey) {
        const sql = rowHashPagesSql(layout, kindOf, packedKey, where, request.pageSize);
        const result = await connection.stream(sql).catch((error: unknown) => {
          throw infra(`scan row hashes of ${layout.table}`, error);
        });
        for (;;) {
          const chunk = await result.fetchChunk();
          if (!chunk || chunk.rowCount === 0) break;
          const pages = chunk.getColumnVector(0);
          if (!(pages instanceof DuckDBBlobVector))
            throw new InfrastructureError(
              'EMBEDDED_SOURCE_FAILED',
              `embedded source: scan of ${layout.table} expected BLOB pages, received ${pages.type.toString()}`,
            );
          for (let p = 0; p < chunk.rowCount; p++) {
            const bytes = pages.getItemBytes(p) ?? new Uint8Array(0);
            yield rowHashPageFromPacked(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
          }
        }
        return;
      }
      // Composite keys: (key texts, hash) rows, keys encoded here.
      const keys = layout.keyColumns.map((col) => canonicalExpression(col, kindOf(col.name)));
      const sql = `SELECT ${keys.join(', ')}, ${rowHashSql(layout, kindOf)} FROM ${quoteIdent(layout.table)}${where} ORDER BY ${keyOrderBy(layout.keyColumns)}`;
      const result = await connection.stream(sql).catch((error: unknown) => {
        throw infra(`scan row hashes of ${layout.table}`, error);
      });
      const n = layout.keyColumns.length;
      let page = new RowHashPageBuilder(request.pageSize);
      for (;;) {
        const chunk = await result.fetchChunk();
        if (!chunk || chunk.rowCount === 0) break;
        const columns = chunk.getColumns();
        for (let r = 0; r < chunk.rowCount; r++) {
          const key: string[] = [];
          for (let k = 0; k < n; k++) key.push(columns[k]![r] as string);
          page.push(encodeKey(layout.keyColumns, key), columns[n]![r] as string);
          if (page.length >= request.pageSize) {
            yield page.build();
            page = new RowHashPageBuilder(request.pageSize);
          }
        }
      }
      if (page.length > 0) yield page.build();
    } finally {
      connection.closeSync();
    }
  }

  async currentVersion(table: string, versionColumn: string): Promise<string | null> {
    const rows = await this.read(
      `SELECT CAST(max(${quoteIdent(versionColumn)}) AS VARCHAR) FROM ${quoteIdent(table)}`,
      `current version of ${table}`,
    );
    return (rows[0]?.[0] as string | null) ?? null;
  }

  // ---------------------------------------------------------------- direct SQL, lifecycle

  async executeSql(sql: string): Promise<void> {
    await this.writes.run(async () => {
      try {
        await this.writer.run(sql);
      } catch (error) {
        throw infra('execute', error);
      } finally {
        this.kinds.clear();
      }
    });
  }

  async querySql(sql: string): Promise<Record<string, unknown>[]> {
    return this.reads.run(async () => {
      try {
        return (await this.reader.runAndReadAll(sql)).getRowObjectsJson();
      } catch (error) {
        throw infra('query', error);
      }
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.writes.run(async () => undefined);
    await this.reads.run(async () => undefined);
    // Closing checkpoints the write-ahead log, synchronously, on this thread: after a 1 % change
    // round of a 1M-row source that held the host's main thread (its triggers and orchestrators)
    // for 3.3 s. Checkpointed first, on the engine's own thread, the close has nothing left to do.
    await this.writer.run('CHECKPOINT').catch(() => undefined);
    this.writer.closeSync();
    this.reader.closeSync();
    this.instance.closeSync();
  }

  // ---------------------------------------------------------------- internals

  private spec(table: string): SourceTableSpec {
    return this.specs.get(table) ?? sourceTable(table);
  }

  private column(spec: SourceTableSpec, name: string): ColumnSpec {
    const col = spec.columns.find((c) => c.name === name);
    if (!col) throw new InputError(`embedded source: table ${spec.table} has no column '${name}'`);
    return col;
  }

  private checkColumns(
    spec: SourceTableSpec,
    rows: readonly SourceRow[],
    dataCols: readonly ColumnSpec[],
  ): void {
    const known = new Set(spec.columns.map((c) => c.name));
    const sample = rows[0] ?? {};
    for (const name of Object.keys(sample))
      if (!known.has(name))
        throw new InputError(`embedded source: table ${spec.table} has no column '${name}'`);
    for (const col of dataCols)
      if (
        !col.nullable &&
        spec.key.includes(col.name) &&
        (sample[col.name] === undefined || sample[col.name] === null)
      )
        throw new InputError(
          `embedded source: insert into ${spec.table} is missing key column '${col.name}'`,
        );
  }

  private nowSql(): string {
    return `timezone('UTC', CAST(${quoteLiteral(this.clock.now().toISOString())} AS TIMESTAMPTZ))`;
  }

  private keyJoin(spec: SourceTableSpec, target: string, stage: string): string {
    return spec.key
      .map(
        (k) =>
          `${target}.${quoteIdent(k)} = ${castFromText(this.column(spec, k), `${stage}.${quoteIdent(k)}`)}`,
      )
      .join(' AND ');
  }

  /** Appends rows (wire form, as text) to a fresh temp table through the DuckDB appender. */
  private async stage(cols: readonly ColumnSpec[], rows: readonly SourceRow[]): Promise<string> {
    const name = `nhsflows_stage_${++this.stageCounter}`;
    await this.writer.run(
      `CREATE TEMP TABLE ${name} (nhsflows_ord BIGINT, ${cols.map((c) => `${quoteIdent(c.name)} VARCHAR`).join(', ')})`,
    );
    const appender = await this.writer.createAppender(name, 'main', 'temp');
    try {
      for (let r = 0; r < rows.length; r++) {
        const row = rows[r]!;
        appender.appendBigInt(BigInt(r));
        for (const col of cols) {
          const value = row[col.name];
          if (value === null || value === undefined) appender.appendNull();
          else appender.appendVarchar(typeof value === 'string' ? value : String(value));
        }
        appender.endRow();
      }
      appender.flushSync();
    } finally {
      appender.closeSync();
    }
    return `temp.main.${name}`;
  }

  private async inTransaction(work: () => Promise<unknown>): Promise<void> {
    await this.writer.run('BEGIN TRANSACTION');
    try {
      await work();
      await this.writer.run('COMMIT');
    } catch (error) {
      await this.writer.run('ROLLBACK').catch(() => undefined);
      throw error;
    }
  }

  private async read(sql: string, what: string): Promise<DuckDBValue[][]> {
    return this.reads.run(async () => {
      try {
        return (await this.reader.runAndReadAll(sql)).getRows();
      } catch (error) {
        throw infra(what, error);
      }
    });
  }

  private async kindsOf(table: string): Promise<Map<string, StoredKind>> {
    const cached = this.kinds.get(table);
    if (cached) return cached;
    const rows = await this.read(
      `SELECT column_name, data_type FROM duckdb_columns()
       WHERE database_name = current_database() AND schema_name = 'main' AND table_name = ${quoteLiteral(table)}
       ORDER BY column_index`,
      `describe ${table}`,
    );
    if (rows.length === 0) throw new InputError(`embedded source: table '${table}' does not exist`);
    const kinds = new Map(rows.map((r) => [String(r[0]), storedKind(String(r[1]))]));
    this.kinds.set(table, kinds);
    return kinds;
  }

  /** Rows of a query selecting one `wireRowJson` column. */
  private async readWireRows(sql: string, what: string): Promise<SourceRow[]> {
    return (await this.read(sql, what)).map((r) => parseWireRow(r[0]));
  }
}

/** A row from its `wireRowJson` text. */
function parseWireRow(text: DuckDBValue | undefined): SourceRow {
  if (typeof text !== 'string')
    throw new InfrastructureError(
      'EMBEDDED_SOURCE_FAILED',
      `embedded source: expected a row as JSON text, received ${typeof text}`,
    );
  return JSON.parse(text) as SourceRow;
}

/** SQL converting staged wire text to the column's stored type. */
function castFromText(col: ColumnSpec, expr: string): string {
  switch (col.type) {
    case 'varchar':
    case 'char':
    case 'datetimeoffset':
      return expr;
    case 'datetime2':
      return `timezone('UTC', CAST(CASE WHEN regexp_matches(${expr}, '(Z|[+-]\\d\\d:?\\d\\d)$') THEN ${expr} ELSE ${expr} || 'Z' END AS TIMESTAMPTZ))`;
    default:
      return `CAST(${expr} AS ${duckdbType(col)})`;
  }
}

/**
 * Opens (or creates) the embedded source database. Tables are created by `createTables`
 * (the generator calls it with `Object.values(SOURCE_TABLES)`).
 */
export async function openEmbeddedSource(options: OpenEmbeddedSourceOptions): Promise<EmbeddedSource> {
  try {
    // Bounded like the other engines (a full scan's sort spills to disk rather than take the machine).
    // An in-memory database would spill to `.tmp` in the working directory, shared with every other
    // process started there: give it a folder of its own.
    const instance = await DuckDBInstance.create(options.path, {
      memory_limit: '1GB',
      ...(options.path === ':memory:' && { temp_directory: privateSpillDirectory() }),
    });
    const writer = await instance.connect();
    const reader = await instance.connect();
    // TIMESTAMPTZ arithmetic and formatting must not depend on the machine's zone.
    await writer.run(`SET TimeZone = 'UTC'`);
    await reader.run(`SET TimeZone = 'UTC'`);
    return new DuckDbEmbeddedSource(instance, writer, reader, options.clock);
  } catch (error) {
    throw infra(`open ${options.path}`, error);
  }
}
