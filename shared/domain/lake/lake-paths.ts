/**
 * Lake layout: the one module that builds paths, so partitioning changes in one place.
 *
 * Contract (paths are read by Synapse COPY INTO, by the warehouse loader and by operators):
 * - bronze:     `<source>/<yyyy>/<mm>/<dd>/<batchId>.ndjson`          exact deltas/bytes as received
 * - silver:     `<dataset>/<table>/provider=<ods>/period=<yyyy-mm>/<batchId>-<chunk>.parquet`
 * - gold:       `<table>/batch=<batchId>/part-<chunk>.parquet`
 * - quarantine: `<dataset>/<table>/<batchId>.ndjson`                   rejected rows' reasons (no values)
 * - manifests:  `manifests/<batchId>.json` in the gold container
 * - work:       `_work/<batchId>/<stage>-<chunk>.ndjson` in bronze (restricted: rows still hold identifiers)
 */
export const LAKE_CONTAINERS = ['landing', 'bronze', 'silver', 'gold', 'quarantine'] as const;
export type LakeContainer = (typeof LAKE_CONTAINERS)[number];

const safeSegment = /^[A-Za-z0-9_.=-]+$/;
function segment(value: string, what: string): string {
  if (!safeSegment.test(value))
    throw new Error(`lake path ${what} '${value}' has characters outside [A-Za-z0-9_.=-]`);
  return value;
}

function datePath(at: Date): string {
  const iso = at.toISOString();
  return `${iso.slice(0, 4)}/${iso.slice(5, 7)}/${iso.slice(8, 10)}`;
}

export const lakePaths = {
  bronzeBatch: (source: string, batchId: string, receivedAt: Date): string =>
    `${segment(source, 'source')}/${datePath(receivedAt)}/${segment(batchId, 'batch id')}.ndjson`,
  bronzeChunk: (bronzeBatchPath: string, chunk: number): string =>
    `${bronzeBatchPath.replace(/\.ndjson$/, '')}/chunk-${String(chunk).padStart(5, '0')}.ndjson`,
  silver: (
    dataset: string,
    table: string,
    provider: string,
    period: string,
    batchId: string,
    chunk: number,
  ): string =>
    `${segment(dataset, 'dataset')}/${segment(table, 'table')}/provider=${segment(provider || 'unknown', 'provider')}/period=${segment(period || 'unknown', 'period')}/${segment(batchId, 'batch id')}-${String(chunk).padStart(5, '0')}.parquet`,
  gold: (table: string, batchId: string, chunk: number): string =>
    `${segment(table, 'table')}/batch=${segment(batchId, 'batch id')}/part-${String(chunk).padStart(5, '0')}.parquet`,
  goldTablePrefix: (table: string): string => `${segment(table, 'table')}/`,
  quarantine: (dataset: string, table: string, batchId: string, chunk: number): string =>
    `${segment(dataset, 'dataset')}/${segment(table, 'table')}/${segment(batchId, 'batch id')}-${String(chunk).padStart(5, '0')}.ndjson`,
  manifest: (batchId: string): string => `manifests/${segment(batchId, 'batch id')}.json`,
  work: (batchId: string, stage: string, chunk: number): string =>
    `_work/${segment(batchId, 'batch id')}/${segment(stage, 'stage')}-${String(chunk).padStart(5, '0')}.ndjson`,
  workPrefix: (batchId: string): string => `_work/${segment(batchId, 'batch id')}/`,
} as const;
