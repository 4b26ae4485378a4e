import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDbWarehouse } from '../../../shared/adapters/local/duckdb-warehouse.js';
import { loadReferenceData } from '../../../shared/adapters/local/reference-data.loader.js';
import { MemoryObjectStore } from '../../../shared/adapters/memory/memory-object-store.js';
import { DuckDbParquetLake } from '../../../shared/adapters/parquet/duckdb-parquet-lake.js';
import { systemClock } from '../../../shared/application/ports/clock.port.js';
import { silentLogger } from '../../../shared/application/ports/logger.port.js';
import type { WarehouseLoadRequest } from '../../../shared/application/ports/warehouse.port.js';
import { loadReferenceDimensions } from '../../../shared/application/use-cases/pipeline/load-reference-dimensions.js';
import type { PipelineDeps } from '../../../shared/application/use-cases/pipeline/pipeline-deps.js';
import { GOLD_TABLES } from '../../../shared/domain/gold/gold-tables.js';
import { REFERENCE_DIMENSIONS } from '../../../shared/domain/star/reference-dimensions.js';

test('batches whose warehouse loads start together load the reference dimensions once: the later ones wait for it', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'nhsflows-reference-once-'));
  const lake = new MemoryObjectStore();
  const warehouse = await DuckDbWarehouse.open({ path: join(dir, 'warehouse.duckdb'), lake });
  try {
    await warehouse.ensureSchema(GOLD_TABLES);
    const loads: string[] = [];
    const load = warehouse.load.bind(warehouse);
    warehouse.load = (request: WarehouseLoadRequest) => {
      loads.push(request.table.name);
      return load(request);
    };
    const deps = {
      reference: loadReferenceData(),
      parquet: new DuckDbParquetLake(lake, dir),
      clock: systemClock,
      settings: { NHSFLOWS_WAREHOUSE_KIND: 'duckdb' } as PipelineDeps['settings'],
      logger: silentLogger,
    };
    const results = await Promise.all([1, 2, 3].map(() => loadReferenceDimensions(warehouse, deps)));
    // One caller loaded them (and re-keys the facts that reference them); the others loaded nothing.
    assert.equal(results.filter((r) => r !== null).length, 1);
    assert.deepEqual(loads.sort(), REFERENCE_DIMENSIONS.map((t) => t.name).sort());
    const [loaded] = await warehouse.query(
      `SELECT ${REFERENCE_DIMENSIONS.map((t) => `(SELECT count(DISTINCT batch_id) FROM ${t.name})::INTEGER AS ${t.name}`).join(', ')}`,
    );
    for (const t of REFERENCE_DIMENSIONS) assert.equal(loaded?.[t.name], 1, t.name);
    // Later batches find it remembered and load nothing.
    assert.equal(await loadReferenceDimensions(warehouse, deps), null);
    assert.equal(loads.length, REFERENCE_DIMENSIONS.length);
  } finally {
    await warehouse.close();
    await rm(dir, { recursive: true, force: true });
  }
});
