import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  createTableSql,
  loadBatchSql,
  type SynapseTableSpec,
} from '../../shared/domain/warehouse/synapse-sql.js';
import { SynapseWarehouse, type SqlPoolLike } from '../../shared/adapters/azure/synapse-warehouse.azure.js';

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
