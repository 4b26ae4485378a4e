import type {
  Warehouse,
  WarehouseLoadRequest,
  WarehouseLoadResult,
  WarehouseReferenceRequest,
  WarehouseReferenceResult,
  WarehouseTable,
} from '../../application/ports/warehouse.port.js';
import { InfrastructureError, ReconciliationError } from '../../domain/errors.js';
import { lakePaths } from '../../domain/lake/lake-paths.js';
import {
  createTableSql,
  loadBatchSql,
  resolveReferencesSql,
  versionSupportSql,
  changedMembersSupportSql,
} from '../../domain/warehouse/synapse-sql.js';
import { changedMembersSpecs, type ChangedMembersSpec } from '../../domain/warehouse/surrogate-references.js';
import { openMssqlPool, type MssqlConnectionOptions } from './mssql-connection.azure.js';
import { withSqlRetry, type SqlRetryOptions } from './sql-retry.azure.js';

/** What one request returns (the part of an `mssql` result this adapter reads). */
export interface SqlResultLike {
  readonly recordset?: Record<string, unknown>[];
  /** Rows each statement of the request affected (COPY INTO: the rows it loaded). */
  readonly rowsAffected?: number[];
}

/** The narrow part of an `mssql` connection pool this adapter uses. */
export interface SqlPoolLike {
  request(): { query(sql: string): Promise<SqlResultLike> };
  close(): Promise<void>;
}

export interface SynapseWarehouseOptions {
  /** Base URL of the gold container COPY INTO reads (NHSFLOWS_SYNAPSE_GOLD_URL). */
  readonly goldUrl: string;
  /** MAXERRORS of every COPY INTO (NHSFLOWS_SYNAPSE_COPY_MAX_ERRORS); default 0. */
  readonly maxErrors?: number;
  /**
   * Rows in gold files (the lake's count): with `maxErrors` > 0 the rows COPY INTO rejected are
   * these minus the rows it loaded. Not needed, and not called, when `maxErrors` is 0: a rejected
   * row then fails the COPY.
   */
  readonly countFileRows?: (paths: readonly string[]) => Promise<number>;
  /** Retry of transient errors (NHSFLOWS_SQL_RETRY_ATTEMPTS); default one attempt. */
  readonly retry?: SqlRetryOptions;
}

/**
 * The rows COPY INTO rejected: rows in the files minus rows it loaded. Throws when it loaded more
 * than the files hold (the counts come from different places and must agree).
 */
export function rejectedRows(table: string, rowsInFiles: number, rowsCopied: number): number {
  if (rowsCopied > rowsInFiles)
    throw new ReconciliationError(
      `warehouse ${table}: expected COPY INTO to load at most the ${rowsInFiles} rows of the gold files, it loaded ${rowsCopied}`,
    );
  return rowsInFiles - rowsCopied;
}

/**
 * Synapse dedicated SQL pool loader: DDL, COPY INTO staging from the gold Parquet change set,
 * idempotent apply and a row-count check. Each generated string is sent as one request; the apply
 * of a batch is one request holding one `XACT_ABORT` transaction. A load is retried whole on
 * transient errors (every step of it is idempotent: staging is dropped and recreated, and the
 * apply of an applied batch changes nothing). Only the generated T-SQL and the requests are
 * exercised here (tests read them through a fake pool); the statements run for real only against
 * Synapse.
 */
export class SynapseWarehouse implements Warehouse {
  private readonly options: SynapseWarehouseOptions;
  /** Versioned dimensions whose changed members each apply records (known from `ensureSchema`). */
  private readonly changedMembers = new Map<string, ChangedMembersSpec>();

  constructor(
    private readonly pool: SqlPoolLike,
    options: SynapseWarehouseOptions | string,
  ) {
    this.options = typeof options === 'string' ? { goldUrl: options } : options;
  }

  /** Opens the pool from the connection string (the secret named by NHSFLOWS_SYNAPSE_SECRET). */
  static async connect(
    connectionString: string,
    connection: MssqlConnectionOptions,
    options: SynapseWarehouseOptions,
  ): Promise<SynapseWarehouse> {
    const pool = await withSqlRetry(
      () => openMssqlPool(connectionString, connection),
      options.retry ?? { attempts: 1 },
    );
    return new SynapseWarehouse(pool, options);
  }

  private retrying<T>(unit: () => Promise<T>): Promise<T> {
    return withSqlRetry(unit, this.options.retry ?? { attempts: 1 });
  }

  private async send(sql: string): Promise<SqlResultLike> {
    return this.pool.request().query(sql);
  }

  async ensureSchema(tables: readonly WarehouseTable[]): Promise<void> {
    await this.retrying(async () => {
      await this.send(`IF SCHEMA_ID('gold') IS NULL EXEC('CREATE SCHEMA gold');`);
      await this.send(`IF SCHEMA_ID('staging') IS NULL EXEC('CREATE SCHEMA staging');`);
      for (const table of tables) {
        await this.send(createTableSql(table));
        for (const statement of versionSupportSql(table)) await this.send(statement);
      }
      for (const spec of changedMembersSpecs(tables).values()) {
        const dimension = tables.find((t) => t.name === spec.dimension);
        if (!dimension) continue;
        await this.send(changedMembersSupportSql(spec, dimension));
        this.changedMembers.set(spec.dimension, spec);
      }
    });
  }

  async load(request: WarehouseLoadRequest): Promise<WarehouseLoadResult> {
    if (request.files.length === 0)
      return { table: request.table.name, rowsInFiles: 0, deletesInFiles: 0, rowsInTable: 0 };
    const maxErrors = this.options.maxErrors ?? 0;
    const requests = loadBatchSql({
      table: request.table,
      batchId: request.batchId,
      goldUrl: this.options.goldUrl,
      files: request.files,
      reject: { maxErrors, rejectedPath: lakePaths.goldRejected(request.batchId, request.table.name) },
      ...(this.changedMembers.has(request.table.name)
        ? { changedMembers: this.changedMembers.get(request.table.name) }
        : {}),
    });
    const { counts, copied } = await this.retrying(async () => {
      let counts: Record<string, unknown> = {};
      let copied = 0;
      for (const sql of requests) {
        const result = await this.send(sql);
        if (sql.startsWith('COPY INTO'))
          copied = (result.rowsAffected ?? []).reduce((n, rows) => n + rows, 0);
        if (sql.startsWith('SELECT') && result.recordset?.[0]) counts = result.recordset[0];
      }
      return { counts, copied };
    });
    let rejected = 0;
    if (maxErrors > 0) {
      if (!this.options.countFileRows)
        throw new InfrastructureError(
          'WAREHOUSE_REJECTS_UNCOUNTED',
          `warehouse ${request.table.name}: COPY INTO may reject up to ${maxErrors} rows but no file row counter was given, so rejected rows cannot be reconciled`,
        );
      rejected = rejectedRows(request.table.name, await this.options.countFileRows(request.files), copied);
    }
    return {
      table: request.table.name,
      rowsInFiles: Number(counts.rows_in_files ?? 0),
      deletesInFiles: Number(counts.deletes_in_files ?? 0),
      rowsInTable: Number(counts.rows_in_table ?? 0),
      ...(request.table.version ? { superseded: Number(counts.superseded ?? 0) } : {}),
      ...(maxErrors > 0 ? { rejectedRows: rejected } : {}),
    };
  }

  async resolveReferences(request: WarehouseReferenceRequest): Promise<WarehouseReferenceResult[]> {
    const sql = resolveReferencesSql({
      tables: request.tables,
      batchId: request.batchId,
      changedMembers: new Set(this.changedMembers.keys()),
    });
    // Retried whole on a transient error: the staging tables are recreated and a re-key that
    // already ran changes nothing. The UPDATE's row count is not read back: the check reconciles.
    return this.retrying(async () => {
      const out: WarehouseReferenceResult[] = [];
      for (const members of sql.members) for (const s of members.create) await this.send(s);
      for (const fact of sql.facts) {
        for (const s of fact.before) await this.send(s);
        await this.send(fact.rekey);
        const counts = (await this.send(fact.check)).recordset?.[0] ?? {};
        await this.send(fact.drop);
        fact.references.forEach((reference, i) =>
          out.push({
            table: fact.table,
            column: reference.column,
            dimension: reference.dimension,
            orphans: Number(counts[`orphans_${i}`] ?? 0),
            mismatched: Number(counts[`mismatched_${i}`] ?? 0),
          }),
        );
      }
      for (const members of sql.members) await this.send(members.drop);
      for (const statement of sql.forget) await this.send(statement);
      return out;
    });
  }

  async query(sql: string): Promise<Record<string, unknown>[]> {
    return this.retrying(async () => (await this.send(sql)).recordset ?? []);
  }

  async close(): Promise<void> {
    await this.pool.close();
  }
}
