import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BlobObjectStore } from '../../shared/adapters/azure/blob-object-store.azure.js';
import { DuckDbWarehouse } from '../../shared/adapters/local/duckdb-warehouse.js';
import { DuckDbParquetCodec } from '../../shared/adapters/parquet/duckdb-parquet.js';
import type { WarehouseTable } from '../../shared/application/ports/warehouse.port.js';
import type { PortableColumn, PortableRow } from '../../shared/domain/gold/portable-types.js';
import { testAzurite, uniqueName } from '../support/azurite.js';

const azurite = await testAzurite();
after(() => azurite.stop());

const table: WarehouseTable = {
  name: 'fact_test',
  kind: 'fact',
  key: ['activity_id'],
  description: 'test fact',
  columns: [
    { name: 'activity_id', type: 'string', nullable: false },
    { name: 'cost_gbp', type: 'decimal(10,2)', nullable: true },
  ],
};
const fileColumns: PortableColumn[] = [
  ...table.columns,
  { name: '_op', type: 'string', nullable: false },
  { name: '_seq', type: 'bigint', nullable: false },
];

async function goldFile(lake: BlobObjectStore, container: string, path: string, rows: PortableRow[]) {
  const local = join(mkdtempSync(join(tmpdir(), 'nhsflows-')), 'f.parquet');
  await new DuckDbParquetCodec().write(local, fileColumns, rows);
  await lake.putFile(container, path, local);
}

test('a gold change set loads once: reloading changes nothing, deletes remove keys, last write per key wins', async () => {
  const lake = BlobObjectStore.fromConnectionString(azurite.connectionString);
  const gold = uniqueName('gold');
  await lake.ensureContainers([gold]);
  const dir = mkdtempSync(join(tmpdir(), 'nhsflows-wh-'));
  const warehouse = await DuckDbWarehouse.open({ path: join(dir, 'wh.duckdb'), lake, goldContainer: gold });
  await warehouse.ensureSchema([table]);

  await goldFile(lake, gold, 'fact_test/batch=b1/part-00000.parquet', [
    { activity_id: 'A', cost_gbp: '10.00', _op: 'upsert', _seq: '1' },
    { activity_id: 'B', cost_gbp: '20.00', _op: 'upsert', _seq: '2' },
    { activity_id: 'B', cost_gbp: '25.00', _op: 'upsert', _seq: '3' },
  ]);
  const first = await warehouse.load({
    table,
    batchId: 'b1',
    files: ['fact_test/batch=b1/part-00000.parquet'],
  });
  assert.deepEqual(first, { table: 'fact_test', rowsInFiles: 2, deletesInFiles: 0, rowsInTable: 2 });
  const again = await warehouse.load({
    table,
    batchId: 'b1',
    files: ['fact_test/batch=b1/part-00000.parquet'],
  });
  assert.deepEqual(again, first);
  assert.deepEqual(
    await warehouse.query('SELECT activity_id, cost_gbp::VARCHAR AS cost FROM fact_test ORDER BY 1'),
    [
      { activity_id: 'A', cost: '10.00' },
      { activity_id: 'B', cost: '25.00' },
    ],
  );

  await goldFile(lake, gold, 'fact_test/batch=b2/part-00000.parquet', [
    { activity_id: 'A', cost_gbp: null, _op: 'delete', _seq: '4' },
  ]);
  const second = await warehouse.load({
    table,
    batchId: 'b2',
    files: ['fact_test/batch=b2/part-00000.parquet'],
  });
  assert.equal(second.deletesInFiles, 1);
  assert.deepEqual(await warehouse.query('SELECT activity_id FROM fact_test ORDER BY 1'), [
    { activity_id: 'B' },
  ]);
  await warehouse.close();
});

test('a missing gold file fails the load with the path named and leaves the table as it was', async () => {
  const lake = BlobObjectStore.fromConnectionString(azurite.connectionString);
  const gold = uniqueName('gold');
  await lake.ensureContainers([gold]);
  const warehouse = await DuckDbWarehouse.open({ path: ':memory:', lake, goldContainer: gold });
  await warehouse.ensureSchema([table]);
  await assert.rejects(
    warehouse.load({ table, batchId: 'x', files: ['fact_test/nope.parquet'] }),
    /fact_test\/nope\.parquet/,
  );
  await warehouse.close();
});
