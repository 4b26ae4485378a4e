import { createHash } from 'node:crypto';
import type { GoldTable } from '../../../domain/gold/gold-tables.js';
import type { PortableRow } from '../../../domain/gold/portable-types.js';
import { organisationSuccession } from '../../../domain/reference/organisation-succession.js';
import { REFERENCE_DIMENSIONS, referenceDimensionRows } from '../../../domain/star/reference-dimensions.js';
import type { Warehouse, WarehouseLoadResult } from '../../ports/warehouse.port.js';
import { writeGoldChangeSet } from './gold-files.js';
import type { PipelineDeps } from './pipeline-deps.js';

/** The batch id reference dimensions are loaded under: `reference-<version>`. */
export const referenceBatchId = (version: string): string => `reference-${version}`;

/** The reference version: a hash of the reference manifest (every file's version, imports included). */
export function referenceVersionOf(deps: Pick<PipelineDeps, 'reference'>): string {
  return createHash('sha256').update(JSON.stringify(deps.reference.manifest)).digest('hex').slice(0, 16);
}

/** Versions this process has seen loaded, per warehouse: one check per process, not per batch. */
const loadedVersion = new WeakMap<Warehouse, string>();
/** The load this process is running, per warehouse: batches that arrive meanwhile wait for it. */
const loading = new WeakMap<Warehouse, { readonly version: string; readonly done: Promise<unknown> }>();

/**
 * Loads the conformed reference dimensions (dim_date, dim_organisation, dim_practice, dim_hrg,
 * dim_bnf) when the warehouse does not hold the current reference version: built from the
 * reference data in memory, written as gold change sets under batch `reference-<version>` and
 * loaded whole (each replaced by its `reference_source`). Idempotent: the same reference loads
 * nothing the second time (one count query, then remembered for the process). Returns the batch id
 * and the loads when it loaded (the caller then re-keys the facts referencing them), else null.
 */
export async function loadReferenceDimensions(
  warehouse: Warehouse,
  deps: Pick<PipelineDeps, 'reference' | 'parquet' | 'clock' | 'settings' | 'logger'>,
): Promise<{ batchId: string; tables: WarehouseLoadResult[] } | null> {
  const version = referenceVersionOf(deps);
  if (loadedVersion.get(warehouse) === version) return null;
  // Two batches' loads started together both found the reference missing and both loaded it; the
  // second now waits for the first (whose caller re-keys the facts) and loads nothing.
  const running = loading.get(warehouse);
  if (running?.version === version) {
    await running.done;
    return null;
  }
  const done = loadVersion(warehouse, version, deps);
  loading.set(warehouse, { version, done });
  try {
    return await done;
  } finally {
    if (loading.get(warehouse)?.done === done) loading.delete(warehouse);
  }
}

async function loadVersion(
  warehouse: Warehouse,
  version: string,
  deps: Pick<PipelineDeps, 'reference' | 'parquet' | 'clock' | 'settings' | 'logger'>,
): Promise<{ batchId: string; tables: WarehouseLoadResult[] } | null> {
  const batchId = referenceBatchId(version);
  const schema = deps.settings.NHSFLOWS_WAREHOUSE_KIND === 'synapse' ? 'gold.' : '';
  const counts = REFERENCE_DIMENSIONS.map(
    (t) => `(SELECT count(*) FROM ${schema}${t.name} WHERE batch_id = '${batchId}') AS ${t.name}`,
  );
  const held = (await warehouse.query(`SELECT ${counts.join(', ')}`))[0] ?? {};
  if (REFERENCE_DIMENSIONS.every((t) => Number(held[t.name] ?? 0) > 0)) {
    loadedVersion.set(warehouse, version);
    return null;
  }
  const loadedAt = deps.clock.now().toISOString();
  const succession = organisationSuccession(deps.reference.organisations());
  const built = referenceDimensionRows(deps.reference, (code) => succession.rollUp(code));
  const tables: WarehouseLoadResult[] = [];
  for (const table of REFERENCE_DIMENSIONS) {
    const dimension = built.get(table.name);
    if (!dimension) continue;
    const rows = dimension.rows.map((row, i): PortableRow => ({
      ...row,
      reference_source: dimension.source,
      reference_version: version,
      batch_id: batchId,
      loaded_at: loadedAt,
      _op: 'upsert',
      _seq: String(i + 1),
    }));
    tables.push(await loadWhole(warehouse, table, batchId, rows, deps));
  }
  loadedVersion.set(warehouse, version);
  deps.logger.info('reference dimensions loaded', {
    batchId,
    tables: tables.length,
    rows: tables.reduce((n, t) => n + t.rowsInFiles, 0),
  });
  return { batchId, tables };
}

async function loadWhole(
  warehouse: Warehouse,
  table: GoldTable,
  batchId: string,
  rows: PortableRow[],
  deps: Pick<PipelineDeps, 'parquet'>,
): Promise<WarehouseLoadResult> {
  const path = await writeGoldChangeSet(table, batchId, 0, rows, deps);
  return warehouse.load({ table, batchId, files: [path] });
}
