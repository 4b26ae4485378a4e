import assert from 'node:assert/strict';
import { test } from 'node:test';
import sql from 'mssql';
import { MssqlChangeSource } from '../../shared/adapters/azure/mssql-change-source.azure.js';
import { MemoryObjectStore } from '../../shared/adapters/memory/memory-object-store.js';
import { MemoryStateStore } from '../../shared/adapters/memory/memory-state-store.js';
import { fixedClock } from '../../shared/application/ports/clock.port.js';
import { silentLogger } from '../../shared/application/ports/logger.port.js';
import { memoryTelemetry } from '../../shared/application/ports/telemetry.port.js';
import {
  captureChanges,
  ensureCaptureStorage,
} from '../../shared/application/use-cases/capture/capture-changes.use-case.js';
import { rowHash, rowHashPrefix64, type RowHashLayout } from '../../shared/domain/capture/row-hash.js';
import { captureTable } from '../../shared/domain/capture/capture-config.js';
import { SOURCE_TABLES } from '../../shared/domain/datasets/source-tables.js';
import { RecordingPublisher } from '../integration/capture/capture-fixtures.js';

/**
 * Runs the SQL Server change source against a real server. Opt-in: set NHSFLOWS_TEST_MSSQL to a
 * connection string of a scratch database (SQL Server 2019+ for the UTF-8 collation) and run with
 * NHSFLOWS_LIVE=1. It creates and drops its own table.
 */
const connection = process.env.NHSFLOWS_TEST_MSSQL;
const skip = connection
  ? false
  : 'NHSFLOWS_TEST_MSSQL is not set: no SQL Server to run against (see docs/capture.md)';

const table = `nhsflows_live_${Date.now().toString(36)}`;
const layout: RowHashLayout = {
  specVersion: 1,
  table,
  keyColumns: [
    { name: 'ward', type: 'varchar' },
    { name: 'seq', type: 'int' },
  ],
  hashColumns: [
    { name: 'ward', type: 'varchar' },
    { name: 'seq', type: 'int' },
    { name: 'label', type: 'varchar' },
    { name: 'amount', type: 'decimal' },
    { name: 'seen_on', type: 'date' },
    { name: 'seen_at', type: 'datetime2' },
    { name: 'seen_at_local', type: 'datetimeoffset' },
    { name: 'flag', type: 'bit' },
  ],
  versionColumn: 'rv',
};

test(
  'the SQL Server source hashes, checksums and pages exactly as the canonical spec says',
  { skip },
  async () => {
    const pool = await new sql.ConnectionPool(connection!).connect();
    const source = new MssqlChangeSource(pool);
    try {
      await pool.request().query(`CREATE TABLE dbo.${table} (
      ward varchar(10) COLLATE Latin1_General_100_BIN2 NOT NULL, seq int NOT NULL, label nvarchar(40) NULL, amount decimal(10,2) NULL,
      seen_on date NULL, seen_at datetime2(7) NULL, seen_at_local datetimeoffset(7) NULL, flag bit NULL, rv rowversion,
      PRIMARY KEY (ward, seq))`);
      await pool.request()
        .query(`INSERT INTO dbo.${table} (ward, seq, label, amount, seen_on, seen_at, seen_at_local, flag) VALUES
      ('A', 1, N'a|b', 12.50, '2026-01-02', '2026-01-02T10:00:00.1239999', '2026-01-02T10:00:00.5+01:00', 1),
      ('A', 2, N'\\N', 0, NULL, NULL, NULL, 0),
      ('A', 10, N'', -3.10, '2026-02-03', '2026-02-03T00:00:00', '2026-01-01T00:30:00+05:30', NULL),
      ('B', 1, NULL, NULL, NULL, NULL, NULL, NULL),
      ('b', 1, N'Zoë ☃', 1, NULL, NULL, NULL, 1)`);
      const rows = await source.readRows({ table, keyColumns: layout.keyColumns, limit: 100 });
      const hashes = await source.readRowHashes({ layout, limit: 100 });
      assert.deepEqual(
        rows.map((r) => [r.ward, r.seq]),
        [
          ['A', 1],
          ['A', 2],
          ['A', 10],
          ['B', 1],
          ['b', 1],
        ],
      );
      hashes.forEach((h, i) => assert.equal(h.hash, rowHash(layout.hashColumns, rows[i]!), `row ${i}`));
      const [sum] = await source.rangeChecksums({ layout, ranges: [{ from: null, to: null }] });
      assert.equal(sum!.count, 5);
      assert.equal(sum!.sum, hashes.reduce((n, h) => n + rowHashPrefix64(h.hash), 0n).toString());
      const changes = await source.readChangesSince({
        table,
        keyColumns: layout.keyColumns,
        versionColumn: 'rv',
        sinceVersion: null,
        limit: 100,
      });
      assert.equal(changes.rows.length, 5);
      assert.equal(changes.rowCount, 5);
    } finally {
      await pool
        .request()
        .query(`DROP TABLE IF EXISTS dbo.${table}`)
        .catch(() => undefined);
      await source.close();
    }
  },
);

test('the three capture paths agree on a SQL Server table', { skip }, async () => {
  const pool = await new sql.ConnectionPool(connection!).connect();
  // The table keeps its spec name inside a scratch schema.
  const schema = `nhsflows_live_${Date.now().toString(36)}`;
  const source = new MssqlChangeSource(pool, { schema });
  const spec = SOURCE_TABLES.mhsds_cluster_assessment;
  const name = `${schema}.${spec.table}`;
  try {
    await pool.request().query(`CREATE SCHEMA ${schema}`);
    await pool.request()
      .query(`CREATE TABLE ${name} (assessment_id varchar(20) COLLATE Latin1_General_100_BIN2 NOT NULL PRIMARY KEY, referral_id varchar(20) NOT NULL,
      provider_code varchar(5) NOT NULL, local_patient_id varchar(20) NULL, assessment_date date NOT NULL, care_cluster varchar(2) NOT NULL,
      modified_at datetime2 NOT NULL DEFAULT SYSUTCDATETIME(), change_version rowversion)`);
    const insert = (i: number, cluster: string) =>
      pool.request()
        .query(`INSERT INTO ${name} (assessment_id, referral_id, provider_code, local_patient_id, assessment_date, care_cluster)
        VALUES ('A${String(i).padStart(6, '0')}', 'R${i}', 'RX1', NULL, '2026-01-0${(i % 9) + 1}', '${cluster}')`);
    for (let i = 0; i < 20; i++) await insert(i, String(i % 21));
    const clock = fixedClock('2026-05-01T00:00:00.000Z');
    const runs = await Promise.all(
      (['full-scan', 'change-version', 'range-checksum'] as const).map(async (mode) => {
        const publisher = new RecordingPublisher();
        const deps = {
          source,
          publisher,
          objects: new MemoryObjectStore(),
          state: new MemoryStateStore(),
          clock,
          telemetry: memoryTelemetry(),
          logger: silentLogger,
        };
        await ensureCaptureStorage(deps);
        const resolved = captureTable(spec, { mode, batchSize: 6, maxDeleteShare: 1 });
        return { publisher, deps, resolved };
      }),
    );
    const pollAll = async () => {
      const out = [];
      for (const r of runs) {
        await captureChanges(r.deps, { table: r.resolved });
        out.push(r.publisher.take());
      }
      assert.deepEqual(out[1], out[0]);
      assert.deepEqual(out[2], out[0]);
      return out[0]!;
    };
    assert.equal((await pollAll()).length, 20);
    await pool.request().query(`UPDATE ${name} SET care_cluster = '99' WHERE assessment_id = 'A000003'`);
    await pool.request().query(`DELETE FROM ${name} WHERE assessment_id = 'A000007'`);
    await insert(30, '5');
    assert.deepEqual(
      (await pollAll()).map((d) => d.op),
      ['update', 'delete', 'insert'],
    );
  } finally {
    await pool
      .request()
      .query(`DROP TABLE IF EXISTS ${name}`)
      .catch(() => undefined);
    await pool
      .request()
      .query(`DROP SCHEMA IF EXISTS ${schema}`)
      .catch(() => undefined);
    await source.close();
  }
});
