import type {
  Warehouse,
  WarehouseLoadRequest,
  WarehouseLoadResult,
  WarehouseReferenceRequest,
  WarehouseReferenceResult,
  WarehouseTable,
} from '../../application/ports/warehouse.port.js';
import {
  createTableSql,
  loadBatchSql,
  resolveReferencesSql,
  versionSupportSql,
} from '../../domain/warehouse/synapse-sql.js';

/** The narrow part of an `mssql` connection pool this adapter uses. */
export interface SqlPoolLike {
  request(): { query(sql: string): Promise<{ recordset?: Record<string, unknown>[] }> };
  close(): Promise<void>;
}

/**
 * Synapse dedicated SQL pool loader: DDL, COPY INTO staging from the gold Parquet change set,
 * idempotent apply and a row-count check. Only the generated T-SQL is exercised here (tests read
 * it as text); the statements run for real only against Synapse.
 */
export class SynapseWarehouse implements Warehouse {
  constructor(
    private readonly pool: SqlPoolLike,
    private readonly goldUrl: string,
  ) {}

  async ensureSchema(tables: readonly WarehouseTable[]): Promise<void> {
    await this.pool.request().query(`IF SCHEMA_ID('gold') IS NULL EXEC('CREATE SCHEMA gold');`);
    await this.pool.request().query(`IF SCHEMA_ID('staging') IS NULL EXEC('CREATE SCHEMA staging');`);
    for (const table of tables) {
      await this.pool.request().query(createTableSql(table));
      for (const statement of versionSupportSql(table)) await this.pool.request().query(statement);
    }
  }

  async load(request: WarehouseLoadRequest): Promise<WarehouseLoadResult> {
    if (request.files.length === 0)
      return { table: request.table.name, rowsInFiles: 0, deletesInFiles: 0, rowsInTable: 0 };
    const statements = loadBatchSql({
      table: request.table,
      batchId: request.batchId,
      goldUrl: this.goldUrl,
      files: request.files,
    });
    let counts: Record<string, unknown> = {};
    for (const statement of statements) {
      const result = await this.pool.request().query(statement);
      if (statement.startsWith('SELECT') && result.recordset?.[0]) counts = result.recordset[0];
    }
    return {
      table: request.table.name,
      rowsInFiles: Number(counts.rows_in_files ?? 0),
      deletesInFiles: Number(counts.deletes_in_files ?? 0),
      rowsInTable: Number(counts.rows_in_table ?? 0),
      ...(request.table.version ? { superseded: Number(counts.superseded ?? 0) } : {}),
    };
  }

  async resolveReferences(request: WarehouseReferenceRequest): Promise<WarehouseReferenceResult[]> {
    const out: WarehouseReferenceResult[] = [];
    for (const part of resolveReferencesSql({ table: request.table, batchId: request.batchId })) {
      // The UPDATE's row count is not read back here: the check below is what reconciles.
      for (const statement of part.statements) await this.pool.request().query(statement);
      const counts = (await this.pool.request().query(part.check)).recordset?.[0] ?? {};
      out.push({
        table: request.table.name,
        column: part.reference.column,
        dimension: part.reference.dimension,
        orphans: Number(counts.orphans ?? 0),
        mismatched: Number(counts.mismatched ?? 0),
      });
    }
    return out;
  }

  async query(sql: string): Promise<Record<string, unknown>[]> {
    return (await this.pool.request().query(sql)).recordset ?? [];
  }

  async close(): Promise<void> {
    await this.pool.close();
  }
}
