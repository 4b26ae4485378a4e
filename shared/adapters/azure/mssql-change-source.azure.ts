import sql from 'mssql';
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
  ScanRowsRequest,
  SourceColumnInfo,
} from '../../application/ports/change-source.port.js';
import type { HashColumn, RowHashLayout } from '../../domain/capture/row-hash.js';
import { ROW_HASH_BYTES, RowHashPageBuilder, type RowHashPage } from '../../domain/capture/row-hash-page.js';
import { encodeKey } from '../../domain/capture/state-key.js';
import { SOURCE_TABLES, type SourceRow, type SourceTableName } from '../../domain/datasets/source-tables.js';
import { GuardError, InfrastructureError, InputError } from '../../domain/errors.js';
import type { SourceTableMapping } from '../../domain/capture/source-table-map.js';
import { feedOfTableMapping, type SourceFeed } from '../../domain/capture/source-feeds.js';
import {
  countRowsStatement,
  currentVersionStatement,
  describeTableStatement,
  KEY_COLLATION,
  nonBinaryKeyColumns,
  portableType,
  rangeChecksumsStatement,
  readChangesStatement,
  readRowHashesStatement,
  readRowsByKeysStatement,
  readRowsStatement,
  scanRowHashesStatement,
  type MssqlColumn,
  type TableShape,
  type TsqlStatement,
  type VersionKind,
} from './mssql-sql.azure.js';
import { openMssqlPool, type MssqlConnectionOptions } from './mssql-connection.azure.js';
import { withSqlRetry, type SqlRetryOptions } from './sql-retry.azure.js';

/** The part of an `mssql` request the adapter uses. */
export interface MssqlRequestLike {
  input(name: string, type: unknown, value: unknown): unknown;
  query(text: string): Promise<{ recordsets: unknown; recordset: unknown }>;
}

/** The part of an `mssql` ConnectionPool the adapter uses (tests pass a fake; production the pool). */
export interface MssqlPoolLike {
  request(): MssqlRequestLike;
  close(): Promise<void>;
}

export interface MssqlChangeSourceOptions {
  /** Schema of the source tables; default 'dbo'. */
  readonly schema?: string;
  /** Run change reads under SNAPSHOT isolation (needs ALLOW_SNAPSHOT_ISOLATION ON); default false. */
  readonly snapshotIsolation?: boolean;
  /** Tables whose change version comes from Change Tracking (CHANGETABLE) rather than a column. */
  readonly changeTrackingTables?: readonly string[];
  /** Ranges per range-checksum statement (each range costs up to 2 × key-columns parameters). */
  readonly rangesPerStatement?: number;
  /** Retry of transient errors per statement batch (every batch here is a read); default one attempt. */
  readonly retry?: SqlRetryOptions;
  /** Names the secret holding the connection string in error messages (never its value). */
  readonly secretName?: string;
  /**
   * Declared tables whose source table or column names differ (NHSFLOWS_SOURCE_MSSQL_TABLE_MAP,
   * source-table-map.ts): statements read the source names and project the declared ones.
   */
  readonly tableMap?: ReadonlyMap<string, SourceTableMapping>;
  /**
   * Source tables declared as data, by capture name (source-feeds.ts): each is read from its own
   * table with its key prefix and recodes, under the declared column names, declared columns only.
   */
  readonly feeds?: ReadonlyMap<string, SourceFeed>;
}

/** Connection defaults when the caller gives none (tests/live); the app passes its settings. */
const DEFAULT_CONNECTION: MssqlConnectionOptions = {
  connectionTimeoutMs: 30_000,
  requestTimeoutMs: 1_200_000,
  appName: 'nhs-flows',
  secretName: 'the source connection string',
};

const ROW_KEYS_PER_STATEMENT = 5_000;

/** Driver error numbers the adapter names plainly (SQL Server's own message numbers). */
const INVALID_OBJECT_NAME = 208;
const PERMISSION_DENIED = new Set([229, 230, 262, 297, 300]);
const SNAPSHOT_NOT_ALLOWED = 3952;
const CHANGE_TRACKING_NOT_ENABLED = 4997;

/**
 * A source failure as the operator needs it: what failed, the table (when one), the secret or
 * setting to look at, never the connection string or a login name (a driver's login message names
 * the user: it is replaced, not passed on).
 */
export function describeSourceSqlFailure(
  what: string,
  cause: unknown,
  secretName: string,
): { code: string; message: string } {
  const e = (cause ?? {}) as { code?: unknown; number?: unknown; message?: unknown };
  const driverCode = typeof e.code === 'string' ? e.code : undefined;
  const number = typeof e.number === 'number' ? e.number : undefined;
  const raw = typeof e.message === 'string' ? e.message : String(cause);
  const at = `sql server source: ${what} failed`;
  if (driverCode === 'ELOGIN' || number === 18456)
    return {
      code: 'SOURCE_SQL_LOGIN_FAILED',
      message: `${at}: login failed; check User Id / Password or Authentication in the connection string held by secret ${secretName} (docs/sources.md)`,
    };
  if (
    driverCode === 'ESOCKET' ||
    driverCode === 'ETIMEOUT' ||
    /ECONNREFUSED|ENOTFOUND|EHOSTUNREACH/.test(raw)
  )
    return {
      code: 'SOURCE_SQL_UNREACHABLE',
      message: `${at}: the server could not be reached (${raw.replace(/'[^']*'/g, "'…'")}); check Server=tcp:<host>,<port> in the connection string held by secret ${secretName}, that SQL Server listens on TCP and that the firewall lets this machine in (docs/sources.md)`,
    };
  if (number === INVALID_OBJECT_NAME)
    return {
      code: 'SOURCE_TABLE_MISSING',
      message: `${at}: ${raw}; the table NHSFLOWS_CDC_TABLES selects must exist in the database of secret ${secretName} (docs/sources.md)`,
    };
  if (number !== undefined && PERMISSION_DENIED.has(number))
    return {
      code: 'SOURCE_SQL_PERMISSION_DENIED',
      message: `${at}: ${raw}; the login needs SELECT on the source tables (and VIEW CHANGE TRACKING for NHSFLOWS_SOURCE_MSSQL_CHANGE_TRACKING_TABLES) (docs/sources.md)`,
    };
  if (number === SNAPSHOT_NOT_ALLOWED)
    return {
      code: 'SOURCE_SQL_SNAPSHOT_OFF',
      message: `${at}: ${raw}; NHSFLOWS_SOURCE_MSSQL_SNAPSHOT=true needs ALLOW_SNAPSHOT_ISOLATION ON (infra/sql/source-enable-snapshot.sql)`,
    };
  if (number === CHANGE_TRACKING_NOT_ENABLED)
    return {
      code: 'SOURCE_SQL_CHANGE_TRACKING_OFF',
      message: `${at}: ${raw}; a table in NHSFLOWS_SOURCE_MSSQL_CHANGE_TRACKING_TABLES needs Change Tracking enabled on it and its database (docs/sources.md)`,
    };
  return { code: 'SOURCE_SQL_FAILED', message: `${at}: ${raw}` };
}

function infra(what: string, cause: unknown, secretName: string): InfrastructureError {
  const { code, message } = describeSourceSqlFailure(what, cause, secretName);
  return new InfrastructureError(code, message, { cause });
}

function sqlType(type: string): unknown {
  switch (type) {
    case 'varchar':
      return sql.VarChar(sql.MAX);
    case 'nvarchar':
      return sql.NVarChar(sql.MAX);
    case 'bigint':
      return sql.BigInt;
    case 'int':
      return sql.Int;
    case 'date':
      return sql.VarChar(10);
    default:
      return sql.NVarChar(sql.MAX);
  }
}

/**
 * The SQL Server change source (`mssql`): keyset pages, change-version reads (rowversion, a bigint
 * column or Change Tracking), range checksums and canonical row hashes computed by HASHBYTES, and
 * schema introspection from sys.columns. Generated T-SQL: mssql-sql.azure.ts. Tested as text here;
 * run against a real server only by tests/live (NHSFLOWS_TEST_MSSQL).
 */
export class MssqlChangeSource implements ChangeSource {
  private readonly schema: string;
  private readonly columns = new Map<string, MssqlColumn[]>();
  /** Source columns neither declared (after mapping) nor listed as a feed's extra: drift, never read. */
  private readonly unlisted = new Map<string, MssqlColumn[]>();
  /** Table-map entries and declared feeds, by capture name. */
  private readonly feeds: ReadonlyMap<string, SourceFeed>;
  private readonly changeTracking: ReadonlySet<string>;

  constructor(
    private readonly pool: MssqlPoolLike,
    private readonly options: MssqlChangeSourceOptions = {},
  ) {
    this.schema = options.schema ?? 'dbo';
    const ct = new Set(options.changeTrackingTables ?? []);
    this.feeds = new Map([
      ...[...(options.tableMap ?? [])].map(
        ([name, m]) => [name, feedOfTableMapping(m, ct.has(name))] as const,
      ),
      ...(options.feeds ?? []),
    ]);
    for (const f of this.feeds.values()) if (f.changeTracking) ct.add(f.name);
    this.changeTracking = ct;
  }

  /**
   * Connects a pool from a connection string (the secret named by NHSFLOWS_SOURCE_MSSQL_SECRET) of
   * the form `mssql-connection.azure.ts` documents, with the settings' timeouts.
   */
  static async connect(
    connectionString: string,
    options: MssqlChangeSourceOptions = {},
    connection: MssqlConnectionOptions = DEFAULT_CONNECTION,
  ): Promise<MssqlChangeSource> {
    try {
      const pool = await withSqlRetry(
        () => openMssqlPool(connectionString, connection),
        options.retry ?? { attempts: 1 },
      );
      return new MssqlChangeSource(pool, options);
    } catch (error) {
      throw infra('connect', error, connection.secretName);
    }
  }

  /** One statement batch (all reads), retried whole on transient errors. */
  private async run(statement: TsqlStatement, what: string): Promise<Record<string, unknown>[][]> {
    try {
      return await withSqlRetry(
        async () => {
          const request = this.pool.request();
          for (const p of statement.params) request.input(p.name, sqlType(p.type), p.value);
          const result = await request.query(statement.text);
          return (result.recordsets as Record<string, unknown>[][] | undefined) ?? [];
        },
        this.options.retry ?? { attempts: 1 },
      );
    } catch (error) {
      throw infra(what, error, this.options.secretName ?? DEFAULT_CONNECTION.secretName);
    }
  }

  /** Where a capture reads: its feed's (or table map's) schema and table, or `<schema>.<table>`. */
  private sourceOf(table: string): { schema: string; table: string } {
    const mapped = this.feeds.get(table);
    return mapped ? { schema: mapped.schema, table: mapped.sourceTable } : { schema: this.schema, table };
  }

  private async tableColumns(table: string): Promise<MssqlColumn[]> {
    const cached = this.columns.get(table);
    if (cached) return cached;
    const source = this.sourceOf(table);
    const [rows = []] = await this.run(
      describeTableStatement(source.schema, source.table),
      `describe ${table}`,
    );
    if (rows.length === 0)
      throw new InputError(
        `sql server source: table '${source.schema}.${source.table}'${source.table === table ? '' : ` (declared ${table})`} does not exist (or the login cannot see it) in the database of secret ${this.options.secretName ?? DEFAULT_CONNECTION.secretName}; NHSFLOWS_CDC_TABLES selects the tables polled (docs/sources.md)`,
      );
    // Source names back to declared names: rows, keys and hashes use the declared ones.
    const feed = this.feeds.get(table);
    const declaredOf = new Map([...(feed?.columns ?? [])].map(([declared, src]) => [src, declared]));
    const all: MssqlColumn[] = rows.map((r) => {
      const name = declaredOf.get(String(r.name)) ?? String(r.name);
      return {
        name,
        ...(declaredOf.has(String(r.name)) ? { sourceName: String(r.name) } : {}),
        nativeType: String(r.nativeType),
        maxLength: Number(r.maxLength),
        precision: Number(r.precision),
        scale: Number(r.scale),
        nullable: Boolean(r.nullable),
        collation: typeof r.collation === 'string' ? r.collation : null,
        ...(feed && feed.keyPrefix !== '' && name === SOURCE_TABLES[feed.feeds].key[0]
          ? { valuePrefix: feed.keyPrefix }
          : {}),
        ...(feed?.recodes.has(name) ? { recode: feed.recodes.get(name)! } : {}),
      };
    });
    // A feed reads its declared columns only: an extra column (an identifier, say) is never read.
    const declared = feed ? new Set(SOURCE_TABLES[feed.feeds].columns.map((c) => c.name)) : null;
    const extras = new Set(feed?.extraColumns.map((e) => e.name.toLowerCase()));
    const cols = declared ? all.filter((c) => declared.has(c.name)) : all;
    const recodedNotText = cols.filter(
      (c) => c.recode && !['varchar', 'nvarchar', 'char', 'nchar'].includes(c.nativeType),
    );
    if (recodedNotText.length > 0)
      throw new InputError(
        `sql server source: ${table} recodes ${recodedNotText.map((c) => `'${c.sourceName ?? c.name}' (${c.nativeType})`).join(', ')}; values are recoded in text columns only (docs/sources.md)`,
      );
    this.columns.set(table, cols);
    this.unlisted.set(
      table,
      declared ? all.filter((c) => !declared.has(c.name) && !extras.has(c.name.toLowerCase())) : [],
    );
    return cols;
  }

  /**
   * The table's shape for key-ordered statements. Refuses text key columns without a BIN2
   * collation: pages compare and order the key column as it is (so the key index is used), and only
   * a BIN2 collation gives the capture state's byte order (docs/capture.md § SQL Server adapter).
   */
  private async shape(table: string, keyColumns: readonly HashColumn[]): Promise<TableShape> {
    const columns = await this.tableColumns(table);
    const keys = keyColumns
      .map((k) => columns.find((c) => c.name === k.name))
      .filter((c): c is MssqlColumn => c !== undefined);
    const wrong = nonBinaryKeyColumns(keys);
    if (wrong.length > 0)
      throw new GuardError(
        'SOURCE_KEY_COLLATION',
        `sql server source: table '${this.sourceOf(table).schema}.${this.sourceOf(table).table}' key ${wrong
          .map((c) => `'${c.name}' has collation ${c.collation ?? '(none)'}`)
          .join(
            ', ',
          )}; expected a BIN2 collation (e.g. ${KEY_COLLATION}) so key pages use the index in the capture order. Alter the key column to COLLATE ${KEY_COLLATION} (infra/sql/README.md)`,
      );
    const version =
      SOURCE_TABLES[this.feeds.get(table)?.feeds ?? (table as SourceTableName)]?.changeVersionColumn;
    const tracked =
      version !== undefined && this.changeTracking.has(table) && !columns.some((c) => c.name === version);
    return {
      ...this.sourceOf(table),
      columns,
      keyColumns,
      ...(tracked ? { trackedVersionColumn: version } : {}),
    };
  }

  private versionKind(table: string, columns: readonly MssqlColumn[], versionColumn: string): VersionKind {
    if (this.changeTracking.has(table)) return 'change-tracking';
    return columns.find((c) => c.name === versionColumn)?.nativeType === 'timestamp'
      ? 'rowversion'
      : 'bigint';
  }

  async describeTable(table: string): Promise<readonly SourceColumnInfo[]> {
    this.columns.delete(table);
    const cols = await this.tableColumns(table);
    // Unlisted source columns are reported (schema drift, names and types only), never read.
    return [...cols, ...(this.unlisted.get(table) ?? [])].map((c) => {
      const type = portableType(c);
      const unicode = c.nativeType === 'nvarchar' || c.nativeType === 'nchar';
      return {
        name: c.name,
        type,
        nativeType: c.nativeType,
        nullable: c.nullable,
        ...((type === 'varchar' || type === 'char') && c.maxLength > 0
          ? { length: unicode ? c.maxLength / 2 : c.maxLength }
          : {}),
        ...(type === 'decimal' ? { precision: c.precision, scale: c.scale } : {}),
      };
    });
  }

  async readRows(request: ReadRowsRequest): Promise<SourceRow[]> {
    const [rows = []] = await this.run(
      readRowsStatement(await this.shape(request.table, request.keyColumns), request),
      `read rows of ${request.table}`,
    );
    return rows.map(toSourceRow);
  }

  async readRowsByKeys(request: {
    readonly table: string;
    readonly keyColumns: readonly HashColumn[];
    readonly keys: readonly KeyValues[];
  }): Promise<SourceRow[]> {
    const shape = await this.shape(request.table, request.keyColumns);
    const out: SourceRow[] = [];
    for (let i = 0; i < request.keys.length; i += ROW_KEYS_PER_STATEMENT) {
      const [rows = []] = await this.run(
        readRowsByKeysStatement(shape, request.keys.slice(i, i + ROW_KEYS_PER_STATEMENT)),
        `read rows by key of ${request.table}`,
      );
      out.push(...rows.map(toSourceRow));
    }
    return out;
  }

  async readRowHashes(request: ReadRowHashesRequest): Promise<RowHashEntry[]> {
    const { layout } = request;
    const shape = await this.shape(layout.table, layout.keyColumns);
    const [rows = []] = await this.run(
      readRowHashesStatement(shape, layout, request),
      `read row hashes of ${layout.table}`,
    );
    return rows.map((r) => ({
      key: layout.keyColumns.map((_, i) => String(r[`k${i}`])),
      version: r.version === null || r.version === undefined ? null : asText(r.version),
      hash: String(r.hash),
    }));
  }

  /** Keyset pages over the clustered key: full rows, or the key and `columns` only. */
  async *scanRows(request: ScanRowsRequest): AsyncGenerator<readonly SourceRow[]> {
    let after = request.after ?? null;
    for (;;) {
      const rows = await this.readRows({
        table: request.table,
        keyColumns: request.keyColumns,
        after,
        limit: request.pageSize,
        ...(request.columns ? { columns: request.columns } : {}),
      });
      if (rows.length > 0) yield rows;
      if (rows.length < request.pageSize) return;
      const last = rows[rows.length - 1]!;
      after = request.keyColumns.map((k) => asText(last[k.name]));
    }
  }

  /** Keyset pages over the clustered key (each page one index range seek), hashes as binary(32). */
  async *scanRowHashes(request: {
    readonly layout: RowHashLayout;
    readonly after?: KeyValues | null;
    readonly pageSize: number;
  }): AsyncGenerator<RowHashPage> {
    const { layout } = request;
    const shape = await this.shape(layout.table, layout.keyColumns);
    let after = request.after ?? null;
    for (;;) {
      const [rows = []] = await this.run(
        scanRowHashesStatement(shape, layout, { after, limit: request.pageSize }),
        `scan row hashes of ${layout.table}`,
      );
      const page = new RowHashPageBuilder(rows.length);
      let last: string[] = [];
      for (const r of rows) {
        last = layout.keyColumns.map((_, i) => String(r[`k${i}`]));
        const hash = r.hash;
        if (!(hash instanceof Uint8Array) || hash.length !== ROW_HASH_BYTES)
          throw new InfrastructureError(
            'SOURCE_SQL_FAILED',
            `sql server source: scan of ${layout.table} expected a 32-byte HASHBYTES value, received ${hash instanceof Uint8Array ? `${hash.length} bytes` : typeof hash}`,
          );
        page.push(encodeKey(layout.keyColumns, last), hash);
      }
      if (rows.length > 0) yield page.build();
      if (rows.length < request.pageSize) return;
      after = last;
    }
  }

  async readRowsInRanges(request: {
    readonly table: string;
    readonly keyColumns: readonly HashColumn[];
    readonly ranges: readonly KeyRange[];
  }): Promise<SourceRow[]> {
    const out: SourceRow[] = [];
    for (const range of request.ranges) {
      let after: KeyValues | null = null;
      for (;;) {
        const rows = await this.readRows({
          table: request.table,
          keyColumns: request.keyColumns,
          ...(after ? { after } : { from: range.from }),
          before: range.to,
          limit: ROW_KEYS_PER_STATEMENT,
        });
        out.push(...rows);
        if (rows.length < ROW_KEYS_PER_STATEMENT) break;
        const last = rows[rows.length - 1]!;
        after = request.keyColumns.map((k) => asText(last[k.name]));
      }
    }
    return out;
  }

  async readChangesSince(request: ReadChangesRequest): Promise<ChangeSet> {
    const shape = await this.shape(request.table, request.keyColumns);
    const versionKind = this.versionKind(request.table, shape.columns, request.versionColumn);
    // A writer-assigned bigint version has no commit bound in SQL Server: a lower number can commit
    // after the poll read MAX(), and the next poll would skip it. Answer `truncated` so the engine
    // runs a full scan, which cannot miss it (docs/capture.md § SQL Server adapter).
    if (versionKind === 'bigint') return { rows: [], upToVersion: null, rowCount: 0, truncated: true };
    const sets = await this.run(
      readChangesStatement(shape, {
        versionColumn: request.versionColumn,
        versionKind,
        sinceVersion: request.sinceVersion,
        limit: request.limit,
        snapshot: this.options.snapshotIsolation ?? false,
      }),
      `read changes of ${request.table}`,
    );
    const head = sets[0]?.[0] ?? {};
    const changed = Number(sets[1]?.[0]?.changed ?? 0);
    const upToVersion =
      head.upToVersion === null || head.upToVersion === undefined ? null : asText(head.upToVersion);
    const rowCount = Number(head.rowCount ?? 0);
    const valid = head.valid === true || head.valid === 1;
    if (!valid || changed > request.limit || sets.length < 3)
      return { rows: [], upToVersion, rowCount, truncated: !valid || changed > request.limit };
    return { rows: (sets[2] ?? []).map(toSourceRow), upToVersion, rowCount, truncated: false };
  }

  async rangeChecksums(request: {
    readonly layout: RowHashLayout;
    readonly ranges: readonly KeyRange[];
    readonly countOnly?: boolean;
  }): Promise<RangeChecksum[]> {
    const { layout, ranges } = request;
    const shape = await this.shape(layout.table, layout.keyColumns);
    const per = Math.max(1, this.options.rangesPerStatement ?? Math.floor(1_000 / layout.keyColumns.length));
    const out: RangeChecksum[] = ranges.map(() => ({ count: 0, sum: '0' }));
    for (let start = 0; start < ranges.length; start += per) {
      const [rows = []] = await this.run(
        rangeChecksumsStatement(shape, layout, ranges.slice(start, start + per), request.countOnly ?? false),
        `range checksums of ${layout.table}`,
      );
      for (const r of rows) out[start + Number(r.range)] = { count: Number(r.count), sum: String(r.sum) };
    }
    return out;
  }

  async currentVersion(table: string, versionColumn: string): Promise<string | null> {
    const columns = await this.tableColumns(table);
    const [rows = []] = await this.run(
      currentVersionStatement(
        this.sourceOf(table),
        columns.find((c) => c.name === versionColumn)?.sourceName ?? versionColumn,
        this.versionKind(table, columns, versionColumn),
      ),
      `current version of ${table}`,
    );
    const v = rows[0]?.version;
    return v === null || v === undefined ? null : asText(v);
  }

  async countRows(table: string): Promise<number> {
    const [rows = []] = await this.run(countRowsStatement(this.sourceOf(table)), `count ${table}`);
    return Number(rows[0]?.count ?? 0);
  }

  async close(): Promise<void> {
    await this.pool.close();
  }
}

/** Every projected value is already in wire form except numbers the driver returns as strings (COUNT_BIG). */
function toSourceRow(record: Record<string, unknown>): SourceRow {
  const row: SourceRow = {};
  for (const [name, value] of Object.entries(record)) {
    row[name] =
      value === null || value === undefined
        ? null
        : typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean'
          ? value
          : asText(value);
  }
  return row;
}

/** Driver values as text: bigint and COUNT_BIG arrive as strings or numbers, dates as Date. */
function asText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean')
    return String(value);
  if (value instanceof Date) return value.toISOString();
  return JSON.stringify(value);
}
