// Keyed lake state for tests: the in-memory twin (fast) or the DuckDB lake on any object store.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryObjectStore } from '../../shared/adapters/memory/memory-object-store.js';
import { MemoryParquetLake } from '../../shared/adapters/memory/memory-parquet-lake.js';
import { DuckDbParquetLake } from '../../shared/adapters/parquet/duckdb-parquet-lake.js';
import type { ObjectStore } from '../../shared/application/ports/object-store.port.js';
import type { KeyedStateDeps } from '../../shared/application/lake-state/keyed-lake-state.js';
import { silentLogger } from '../../shared/application/ports/logger.port.js';

/** A fresh in-memory lake with the memory Parquet twin. */
export function memoryLakeState(lake: ObjectStore = new MemoryObjectStore()): KeyedStateDeps {
  return { lake, parquet: new MemoryParquetLake(lake), logger: silentLogger };
}

const opened: DuckDbParquetLake[] = [];
let scratch: string | undefined;
process.once('exit', () => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

/** The DuckDB Parquet lake over `lake` (Azurite or memory); closed with `closeDuckDbLakes`. */
export function duckDbLakeState(lake: ObjectStore): KeyedStateDeps {
  scratch ??= mkdtempSync(join(tmpdir(), 'nhsflows-lake-'));
  const parquet = new DuckDbParquetLake(lake, scratch);
  opened.push(parquet);
  return { lake, parquet, logger: silentLogger };
}

export async function closeDuckDbLakes(): Promise<void> {
  for (const p of opened.splice(0)) await p.close();
}
