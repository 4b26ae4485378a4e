import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  createTableSql,
  loadBatchSql,
  type SynapseTableSpec,
} from '../../shared/domain/warehouse/synapse-sql.js';
import { SynapseWarehouse, type SqlPoolLike } from '../../shared/adapters/azure/synapse-warehouse.azure.js';
import { FACT_ACTIVITY } from '../../shared/domain/gold/gold-tables.js';

const fact: SynapseTableSpec = {
  name: 'fact_activity',
  kind: 'fact',
  key: ['activity_id'],
  columns: [
    { name: 'activity_id', type: 'string', nullable: false },
    { name: 'activity_date', type: 'date', nullable: false },
    { name: 'cost_gbp', type: 'decimal(12,2)', nullable: true },
  ],
};

test('facts are hash-distributed on their key and dimensions replicated, as columnstore tables', () => {
  const sql = createTableSql(fact);
  assert.match(sql, /CREATE TABLE \[gold\]\.\[fact_activity\]/);
  assert.match(sql, /\[cost_gbp\] DECIMAL\(12,2\) NULL/);
  assert.match(sql, /DISTRIBUTION = HASH\(\[activity_id\]\), CLUSTERED COLUMNSTORE INDEX/);
  assert.match(
    createTableSql({ ...fact, name: 'dim_patient', kind: 'dimension' }),
    /DISTRIBUTION = REPLICATE/,
  );
});

test('a batch load copies the gold Parquet into staging with managed identity, then applies it idempotently', () => {
  const statements = loadBatchSql({
    table: fact,
    batchId: 'b-1',
    goldUrl: 'https://acct.dfs.core.windows.net/gold/',
    files: ['fact_activity/batch=b-1/part-00000.parquet', "fact_activity/batch=b-1/part-0'1.parquet"],
  });
  const copy = statements.find((s) => s.startsWith('COPY INTO'));
  assert.ok(copy);
  assert.match(copy, /COPY INTO \[staging\]\.\[fact_activity_b_1\]/);
  assert.match(
    copy,
    /'https:\/\/acct\.dfs\.core\.windows\.net\/gold\/fact_activity\/batch=b-1\/part-00000\.parquet'/,
  );
  assert.match(copy, /part-0''1\.parquet/, 'quotes in paths are escaped');
  assert.match(copy, /FILE_TYPE = 'PARQUET', CREDENTIAL = \(IDENTITY = 'Managed Identity'\)/);
  const deleteIndex = statements.findIndex((s) => s.startsWith('DELETE t FROM [gold].[fact_activity]'));
  const insertIndex = statements.findIndex((s) => s.startsWith('INSERT INTO [gold].[fact_activity]'));
  assert.ok(
    deleteIndex > 0 && insertIndex === deleteIndex + 1,
    'delete keys then insert latest upserts, in one transaction',
  );
  assert.match(
    statements[insertIndex]!,
    /ROW_NUMBER\(\) OVER \(PARTITION BY \[activity_id\] ORDER BY \[_seq\] DESC\)/,
  );
  assert.equal(statements.at(-1), 'DROP TABLE [staging].[fact_activity_b_1];');
});

test('the Synapse adapter sends the statements in order and reads the reconciliation counts', async () => {
  const sent: string[] = [];
  const pool: SqlPoolLike = {
    request: () => ({
      query: async (sql: string) => {
        sent.push(sql);
        return sql.startsWith('SELECT')
          ? { recordset: [{ rows_in_files: 5, deletes_in_files: 1, rows_in_table: 5 }] }
          : {};
      },
    }),
    close: async () => undefined,
  };
  const warehouse = new SynapseWarehouse(pool, 'https://acct.dfs.core.windows.net/gold');
  const result = await warehouse.load({
    table: { ...fact, description: 'x' },
    batchId: 'b1',
    files: ['fact_activity/batch=b1/part-00000.parquet'],
  });
  assert.deepEqual(result, { table: 'fact_activity', rowsInFiles: 5, deletesInFiles: 1, rowsInTable: 5 });
  assert.equal(sent.length, 9);
  assert.ok(sent[2]!.startsWith('COPY INTO'));
});

const versionedFact: SynapseTableSpec = {
  ...fact,
  columns: [...fact.columns, { name: 'source_captured_at', type: 'timestamp', nullable: true }],
  version: ['source_captured_at'],
};

test('newer wins on Synapse: the apply replaces a row only with a change at least as new, and keeps tombstones', () => {
  const statements = loadBatchSql({
    table: versionedFact,
    batchId: 'b-1',
    goldUrl: 'https://acct.dfs.core.windows.net/gold',
    files: ['fact_activity/batch=b-1/part-00000.parquet'],
  });
  const latest = '[staging].[fact_activity_b_1_latest]';
  const guard = '(t.[source_captured_at] IS NULL OR s.[source_captured_at] >= t.[source_captured_at])';
  const del = statements.find((s) => s.startsWith('DELETE t FROM [gold].[fact_activity]'));
  assert.ok(del, 'a delete of the rows the batch supersedes');
  assert.ok(del.includes(`FROM ${latest} AS s WHERE t.[activity_id] = s.[activity_id] AND ${guard}`), del);
  const insert = statements.find((s) => s.startsWith('INSERT INTO [gold].[fact_activity] '));
  assert.ok(insert);
  assert.match(
    insert,
    /NOT EXISTS \(SELECT 1 FROM \[gold\]\.\[fact_activity\] AS t WHERE t\.\[activity_id\] = s\.\[activity_id\]\)/,
  );
  assert.ok(
    insert.includes(
      'NOT EXISTS (SELECT 1 FROM [gold].[fact_activity_tombstones] AS d WHERE d.[activity_id] = s.[activity_id] AND NOT (d.[source_captured_at] IS NULL OR s.[source_captured_at] >= d.[source_captured_at]))',
    ),
    insert,
  );
  assert.ok(
    statements.some((s) => s.startsWith('INSERT INTO [gold].[fact_activity_tombstones]')),
    'deletes are kept as tombstones',
  );
  assert.ok(statements.some((s) => s.startsWith('DELETE d FROM [gold].[fact_activity_tombstones]')));
  const begin = statements.indexOf('BEGIN TRANSACTION;');
  const commit = statements.indexOf('COMMIT TRANSACTION;');
  for (const s of statements.filter((x) => /^(DELETE|INSERT)/.test(x))) {
    const i = statements.indexOf(s);
    assert.ok(i > begin && i < commit, 'every apply statement is inside the transaction');
  }
  assert.equal(
    statements.filter((s) => s.includes('COPY INTO')).length,
    1,
    'one COPY per batch; the guard is set-based (no statement per row)',
  );
  assert.match(createTableSql(versionedFact), /\[source_captured_at\] DATETIME2\(3\) NULL/);
});

test('Synapse resolves fact surrogate keys after a batch with the shared SQL: one re-key UPDATE in a transaction, then the orphan check', async () => {
  const sent: string[] = [];
  const pool: SqlPoolLike = {
    request: () => ({
      query: async (sql: string) => {
        sent.push(sql);
        return sql.startsWith('SELECT') ? { recordset: [{ orphans: 0, mismatched: 0 }] } : {};
      },
    }),
    close: async () => undefined,
  };
  const warehouse = new SynapseWarehouse(pool, 'https://acct.dfs.core.windows.net/gold');
  const result = await warehouse.resolveReferences({ table: FACT_ACTIVITY, batchId: "b'1" });
  assert.deepEqual(result, [
    { table: 'fact_activity', column: 'patient_sk', dimension: 'dim_patient', orphans: 0, mismatched: 0 },
  ]);
  assert.equal(sent[0], 'BEGIN TRANSACTION;');
  assert.ok(sent[1]!.startsWith('UPDATE [gold].[fact_activity] SET [patient_sk] = r.[_resolved]\nFROM ('));
  assert.ok(sent[1]!.includes("[batch_id] = 'b''1'"), 'the batch id is a quoted literal');
  assert.ok(sent[1]!.includes('d.[valid_from] <= f.[activity_date] AND f.[activity_date] < d.[valid_to]'));
  assert.equal(sent[2], 'COMMIT TRANSACTION;');
  assert.ok(sent[3]!.startsWith('SELECT\n  (SELECT COUNT_BIG(*) FROM [gold].[fact_activity] AS f'));
  assert.equal(sent.length, 4);
});
