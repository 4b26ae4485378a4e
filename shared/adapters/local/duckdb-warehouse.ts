import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import type { ObjectStore } from '../../application/ports/object-store.port.js';
import type {
  Warehouse,
  WarehouseLoadRequest,
  WarehouseLoadResult,
  WarehouseReferenceRequest,
  WarehouseReferenceResult,
  WarehouseTable,
} from '../../application/ports/warehouse.port.js';
import { duckdbType, quoteIdent, sqlString } from '../parquet/duckdb-parquet.js';
import {
  batchReferenceSql,
  changedMembersSpecs,
  changedMembersTableName,
  recordChangedMembersSql,
  type ChangedMembersSpec,
} from '../../domain/warehouse/surrogate-references.js';
import { tombstoneTableName, versionedApplySql } from '../../domain/warehouse/version-guard.js';

/** Write-ahead log size at which the embedded warehouse checkpoints (see `DuckDbWarehouse.open`). */
export const WAREHOUSE_CHECKPOINT_THRESHOLD = '1GB';

/**
 * The embedded warehouse: a DuckDB database file that loads the same gold Parquet change sets
 * Synapse loads with COPY INTO. A load is one transaction: delete every key in the files, insert
 * the upserts, then count what the table holds for those keys (reconciliation). For a table with
 * `version` columns the apply is guarded (newer always wins, tombstones kept): the same SQL as
 * Synapse's, from `shared/domain/warehouse/version-guard.ts`.
 */
export class DuckDbWarehouse implements Warehouse {
  /** DuckDB has one writer: loads and DDL run one at a time on the connection. */
  private queue: Promise<unknown> = Promise.resolve();

  private serialised<T>(work: () => Promise<T>): Promise<T> {
    const next = this.queue.then(work, work);
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** Versioned dimensions whose changed members each apply records (known from `ensureSchema`). */
  private readonly changedMembers = new Map<string, ChangedMembersSpec>();
  /** Table definitions `ensureSchema` has applied to this warehouse (their JSON). */
  private readonly ensured = new Set<string>();

  private constructor(
    private readonly db: DuckDBInstance,
    private readonly connection: DuckDBConnection,
    private readonly lake: ObjectStore,
    private readonly goldContainer: string,
  ) {}

  static async open(options: {
    path: string;
    lake: ObjectStore;
    goldContainer?: string;
  }): Promise<DuckDbWarehouse> {
    // Bounded: the buffer pool would otherwise grow towards 80 % of RAM as the warehouse grows.
    // The write-ahead log is checkpointed at 1 GB rather than DuckDB's 16 MB: a checkpoint rewrites
    // the row groups of every table the log touched, so each one at a small threshold cost a batch
    // seconds at its COMMIT. Replaying the 1M-record load's gold (41 batches): 88 s of CPU at 256 MB
    // against 64 s at 1 GB plus 12 s for the one checkpoint `close` runs (docs/local-runtime.md).
    // The price: a log of up to 1 GB on disk, replayed at the next open after a crash.
    const db = await DuckDBInstance.create(options.path, {
      threads: '2',
      memory_limit: '512MB',
      checkpoint_threshold: WAREHOUSE_CHECKPOINT_THRESHOLD,
    });
    const connection = await db.connect();
    return new DuckDbWarehouse(db, connection, options.lake, options.goldContainer ?? 'gold');
  }

  async ensureSchema(tables: readonly WarehouseTable[]): Promise<void> {
    // Every batch's load ensures the schema: once this warehouse has created (or upgraded) these
    // definitions, the catalogue reads and DDL are skipped (a statement other than a query through `query` forgets it).
    const signature = JSON.stringify(tables);
    if (this.ensured.has(signature)) return;
    await this.serialised(() => this.createTables(tables));
    this.ensured.add(signature);
  }

  private async createTables(tables: readonly WarehouseTable[]): Promise<void> {
    for (const table of tables) {
      const columns = table.columns.map(
        (c) => `${quoteIdent(c.name)} ${duckdbType(c.type)}${c.nullable ? '' : ' NOT NULL'}`,
      );
      const primaryKey =
        table.key.length > 0 ? `, PRIMARY KEY (${table.key.map(quoteIdent).join(', ')})` : '';
      await this.connection.run(
        `CREATE TABLE IF NOT EXISTS ${quoteIdent(table.name)} (${columns.join(', ')}${primaryKey})`,
      );
      if (table.kind === 'mart') continue;
      // A warehouse created by an older nhs-flows gains the columns added since (NULL until loaded).
      const present = new Set(
        (
          await this.connection.runAndReadAll(
            `SELECT column_name FROM information_schema.columns WHERE table_name = ${sqlString(table.name)}`,
          )
        )
          .getRowObjectsJson()
          .map((r) => r.column_name as string),
      );
      for (const column of table.columns)
        if (!present.has(column.name))
          await this.connection.run(
            `ALTER TABLE ${quoteIdent(table.name)} ADD COLUMN ${quoteIdent(column.name)} ${duckdbType(column.type)}`,
          );
      if (!table.version) continue;
      // Version columns were added above when missing (a NULL version is oldest).
      for (const name of table.version)
        if (!table.columns.some((c) => c.name === name))
          throw new Error(`warehouse table ${table.name}: version column ${name} is not a column`);
      const group = table.replaceBy ?? table.key;
      const tombstoneColumns = [...group, ...table.version, 'batch_id'].map((name) => {
        const column = table.columns.find((c) => c.name === name);
        return `${quoteIdent(name)} ${column ? duckdbType(column.type) : 'VARCHAR'}`;
      });
      await this.connection.run(
        `CREATE TABLE IF NOT EXISTS ${quoteIdent(tombstoneTableName(table.name))} (${tombstoneColumns.join(', ')}, PRIMARY KEY (${group.map(quoteIdent).join(', ')}))`,
      );
    }
    for (const spec of changedMembersSpecs(tables).values()) {
      const dimension = tables.find((t) => t.name === spec.dimension);
      const columns = spec.members.map((name) => {
        const column = dimension?.columns.find((c) => c.name === name);
        return `${quoteIdent(name)} ${column ? duckdbType(column.type) : 'VARCHAR'} NOT NULL`;
      });
      await this.connection.run(
        `CREATE TABLE IF NOT EXISTS ${quoteIdent(changedMembersTableName(spec.dimension))} (${quoteIdent('batch_id')} VARCHAR NOT NULL, ${columns.join(', ')}, PRIMARY KEY (${['batch_id', ...spec.members].map(quoteIdent).join(', ')}))`,
      );
      this.changedMembers.set(spec.dimension, spec);
    }
  }

  async load(request: WarehouseLoadRequest): Promise<WarehouseLoadResult> {
    return this.serialised(() => this.loadNow(request));
  }

  private async loadNow(request: WarehouseLoadRequest): Promise<WarehouseLoadResult> {
    const { table } = request;
    if (request.files.length === 0)
      return { table: table.name, rowsInFiles: 0, deletesInFiles: 0, rowsInTable: 0 };
    const dir = mkdtempSync(join(tmpdir(), 'nhsflows-wh-'));
    try {
      const locals: string[] = [];
      for (const [i, path] of request.files.entries()) {
        const local = join(dir, `${i}.parquet`);
        if (!(await this.lake.getFile(this.goldContainer, path, local)))
          throw new Error(`warehouse load of ${table.name}: gold file ${path} does not exist`);
        locals.push(local);
      }
      const source = `read_parquet([${locals.map(sqlString).join(', ')}])`;
      if (table.kind === 'mart') return await this.replaceMart(table, source);
      if (table.version) return await this.applyVersioned(table, source, request.batchId);
      const keyList = table.key.map(quoteIdent).join(', ');
      const columnList = table.columns.map((c) => quoteIdent(c.name)).join(', ');
      const name = quoteIdent(table.name);
      await this.connection.run('BEGIN TRANSACTION');
      try {
        const replaceList = (table.replaceBy ?? table.key).map(quoteIdent).join(', ');
        await this.connection.run(
          `DELETE FROM ${name} WHERE (${replaceList}) IN (SELECT (${replaceList}) FROM ${source})`,
        );
        // Within one change set the last row per key wins (files are written in event order).
        await this.connection.run(
          `INSERT INTO ${name} (${columnList}) SELECT ${columnList} FROM (
             SELECT *, row_number() OVER (PARTITION BY ${keyList} ORDER BY _seq DESC) AS _rn FROM ${source}
           ) WHERE _rn = 1 AND _op = 'upsert'`,
        );
        await this.connection.run('COMMIT');
      } catch (error) {
        await this.connection.run('ROLLBACK');
        throw error;
      }
      const counts = await this.connection.runAndReadAll(
        `WITH latest AS (
           SELECT ${keyList}, _op FROM (
             SELECT ${keyList}, _op, row_number() OVER (PARTITION BY ${keyList} ORDER BY _seq DESC) AS _rn FROM ${source}
           ) WHERE _rn = 1)
         SELECT
           (SELECT count(*) FROM latest WHERE _op = 'upsert')::INTEGER AS upserts,
           (SELECT count(*) FROM latest WHERE _op = 'delete')::INTEGER AS deletes,
           (SELECT count(*) FROM ${name} WHERE (${keyList}) IN (SELECT (${keyList}) FROM latest WHERE _op = 'upsert'))::INTEGER AS in_table`,
      );
      const row = counts.getRowObjectsJson()[0] ?? {};
      return {
        table: table.name,
        rowsInFiles: Number(row.upserts ?? 0),
        deletesInFiles: Number(row.deletes ?? 0),
        rowsInTable: Number(row.in_table ?? 0),
      };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  /**
   * Newer always wins: the change set's latest row per key goes to a temp table (one scan of the
   * files), then the guarded set-based apply runs in one transaction.
   */
  private async applyVersioned(
    table: WarehouseTable,
    source: string,
    batchId: string,
  ): Promise<WarehouseLoadResult> {
    const keyList = table.key.map(quoteIdent).join(', ');
    const changes = quoteIdent('nhsflows_changes');
    const sql = versionedApplySql({
      dialect: 'duckdb',
      target: quoteIdent(table.name),
      tombstones: quoteIdent(tombstoneTableName(table.name)),
      changes,
      key: table.key,
      replaceBy: table.replaceBy ?? table.key,
      version: table.version ?? [],
      columns: table.columns.map((c) => c.name),
      ident: quoteIdent,
    });
    await this.connection.run(
      `CREATE OR REPLACE TEMP TABLE ${changes} AS SELECT * EXCLUDE (_rn) FROM (
         SELECT *, row_number() OVER (PARTITION BY ${keyList} ORDER BY _seq DESC) AS _rn FROM ${source}
       ) WHERE _rn = 1`,
    );
    try {
      await this.connection.run('BEGIN TRANSACTION');
      try {
        const members = this.changedMembers.get(table.name);
        // A referenced dimension records, in the same transaction, the members whose versions change.
        if (members)
          await this.connection.run(
            recordChangedMembersSql({
              spec: members,
              target: quoteIdent(table.name),
              changed: quoteIdent(changedMembersTableName(table.name)),
              changes,
              key: table.key,
              batchId,
              ident: quoteIdent,
            }),
          );
        for (const statement of sql.apply) await this.connection.run(statement);
        await this.connection.run('COMMIT');
      } catch (error) {
        await this.connection.run('ROLLBACK');
        throw error;
      }
      const row = (await this.connection.runAndReadAll(sql.counts)).getRowObjectsJson()[0] ?? {};
      return {
        table: table.name,
        rowsInFiles: Number(row.rows_in_files ?? 0),
        deletesInFiles: Number(row.deletes_in_files ?? 0),
        rowsInTable: Number(row.rows_in_table ?? 0),
        superseded: Number(row.superseded ?? 0),
      };
    } finally {
      await this.connection.run(`DROP TABLE IF EXISTS ${changes}`);
    }
  }

  /** Marts are rebuilt whole: the table's rows are replaced by the files' in one transaction. */
  private async replaceMart(table: WarehouseTable, source: string): Promise<WarehouseLoadResult> {
    const name = quoteIdent(table.name);
    const columnList = table.columns.map((c) => quoteIdent(c.name)).join(', ');
    await this.connection.run('BEGIN TRANSACTION');
    try {
      await this.connection.run(`DELETE FROM ${name}`);
      await this.connection.run(`INSERT INTO ${name} (${columnList}) SELECT ${columnList} FROM ${source}`);
      await this.connection.run('COMMIT');
    } catch (error) {
      await this.connection.run('ROLLBACK');
      throw error;
    }
    const counts = await this.connection.runAndReadAll(
      `SELECT (SELECT count(*) FROM ${source})::INTEGER AS in_files, (SELECT count(*) FROM ${name})::INTEGER AS in_table`,
    );
    const row = counts.getRowObjectsJson()[0] ?? {};
    return {
      table: table.name,
      rowsInFiles: Number(row.in_files ?? 0),
      deletesInFiles: 0,
      rowsInTable: Number(row.in_table ?? 0),
    };
  }

  async resolveReferences(request: WarehouseReferenceRequest): Promise<WarehouseReferenceResult[]> {
    return this.serialised(() => this.resolveNow(request));
  }

  /**
   * Re-keys the batch's scope: each dimension's loaded members read once into a temp table, then per
   * fact table the scope resolved into a temp table, one UPDATE in a transaction, and one check.
   */
  private async resolveNow(request: WarehouseReferenceRequest): Promise<WarehouseReferenceResult[]> {
    const facts = request.tables.flatMap((t) =>
      (t.references ?? []).length > 0 ? [{ name: t.name, key: t.key, references: t.references ?? [] }] : [],
    );
    if (facts.length === 0) return [];
    const sql = batchReferenceSql({
      dialect: 'duckdb',
      batchId: request.batchId,
      facts,
      ident: quoteIdent,
      table: quoteIdent,
      scratch: (name) => quoteIdent(`nhsflows_${name}`),
      changedMembers: new Set(this.changedMembers.keys()),
    });
    const out: WarehouseReferenceResult[] = [];
    try {
      for (const members of sql.members) for (const s of members.create) await this.connection.run(s);
      for (const fact of sql.facts) {
        try {
          for (const s of fact.scope.create) await this.connection.run(s);
          // With one reference the update changes exactly the rows `rekeyed` counts (the scope has one
          // row per fact key), so its changed-row count stands for that read of the scope.
          const single = fact.references.length === 1;
          const rekeyed = single
            ? {}
            : ((await this.connection.runAndReadAll(fact.rekeyed)).getRowObjectsJson()[0] ?? {});
          await this.connection.run('BEGIN TRANSACTION');
          try {
            const update = await this.connection.run(fact.rekey);
            if (single) rekeyed.rekeyed_0 = update.rowsChanged;
            await this.connection.run('COMMIT');
          } catch (error) {
            await this.connection.run('ROLLBACK');
            throw error;
          }
          const row = (await this.connection.runAndReadAll(fact.check)).getRowObjectsJson()[0] ?? {};
          fact.references.forEach((reference, i) =>
            out.push({
              table: fact.table,
              column: reference.column,
              dimension: reference.dimension,
              rekeyed: Number(rekeyed[`rekeyed_${i}`] ?? 0),
              orphans: Number(row[`orphans_${i}`] ?? 0),
              mismatched: Number(row[`mismatched_${i}`] ?? 0),
            }),
          );
        } finally {
          await this.connection.run(fact.scope.drop);
        }
      }
      // Every fact table is re-keyed: the batch's changed members are done with.
      for (const statement of sql.forget) await this.connection.run(statement);
    } finally {
      for (const members of sql.members) await this.connection.run(members.drop);
    }
    return out;
  }

  async query(sql: string): Promise<Record<string, unknown>[]> {
    if (!/^\s*(SELECT|WITH)\b/i.test(sql)) this.ensured.clear();
    const reader = await this.connection.runAndReadAll(sql);
    return reader.getRowObjectsJson();
  }

  async close(): Promise<void> {
    // DuckDB's close checkpoints the log synchronously, on this thread (the host's main thread: the
    // 1M load's log took 8 s); checkpointed first on the engine's own thread, the close has nothing
    // left to do. A failure leaves the log for the next open to replay.
    await this.serialised(() => this.connection.run('CHECKPOINT')).catch(() => undefined);
    this.connection.closeSync();
    this.db.closeSync();
  }
}
