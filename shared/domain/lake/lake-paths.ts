/**
 * Lake layout: the one module that builds paths, so partitioning changes in one place.
 *
 * Contract (paths are read by Synapse COPY INTO, by the warehouse loader and by operators):
 * - bronze:     `<source>/<yyyy>/<mm>/<dd>/<batchId>.ndjson`          exact deltas/bytes as received
 *               (a landing file keeps its extension; its manifest and column map lie beside it as
 *               `<batchId>.manifest.json`, `<batchId>.map.csv|.map.json`)
 * - silver:     `<dataset>/<table>/period=<yyyy-mm>/<batchId>-<chunk>.parquet` (provider is a column;
 *               compaction merges a period's files into `compacted-<generation>.parquet`)
 * - gold:       `<table>/batch=<batchId>/part-<chunk>.parquet`
 * - quarantine: `<dataset>/<table>/<batchId>.ndjson`                   rejected rows' reasons (no values)
 * - manifests:  `manifests/<batchId>.json` in the gold container
 * - rejected:   `_rejected/<batchId>/<table>/` in gold: Synapse COPY INTO's ERRORFILE folder (rows it
 *               could not load; only with NHSFLOWS_SYNAPSE_COPY_MAX_ERRORS > 0)
 * - work:       `_work/<batchId>/<stage>-<chunk>.ndjson` in bronze (restricted: rows still hold identifiers)
 * - dq state:   `dq-state/<dataset>/<table>/<batchId>-<chunk>.json` in gold (counts only, no values)
 * - marts:      `marts/<mart>/run=<runId>/part-00000.parquet` in gold
 * - receipts:   `_receipts/<receiptId>.json` in bronze (the batches a CDC receipt was cut into) and
 *               `_receipts/claiming/<receiptId>` (its seen-state claim in progress, removed after)
 * - malformed:  `_malformed/<yyyy-mm-dd>/<name>.json` in bronze (events that are not delta envelopes)
 * - landing-deadletter: `<SUBSCRIPTION>/<yyyy>/<mm>/<dd>/<hh>/<id>.json`: a landing BlobCreated event
 *               every delivery of which failed, written by Event Grid (locally by the runtime) and
 *               replayed by the landing sweep (file names only, never contents)
 * - failed:     `_failed/<yyyy-mm-dd>/<deadLetterId>.ndjson` in bronze (dead-lettered event receipts: a
 *               header line, then each event's partition, offset, sequence and body; replayed from there)
 * - identity:   `identity/<project>/<batchId>-<chunk>.ndjson`, `identity-rekey/<project>/<from>--<to>.ndjson`
 *               and `identity-keys/link-anchor.json` in the restricted `identity` container (the
 *               custodian's register, re-key tables and link anchor; outside bronze retention; never
 *               copied to silver or gold)
 * - opt-out:    `opt-out/<listId>.json` in the identity container: the National Data Opt-out list as
 *               project tokens and dates (never NHS numbers), create-only; the newest list applies
 * - state:      `<state>/bucket=<bbb>/head.json` + `run-<generation>-<nonce>.parquet`: keyed pipeline
 *               state (SCD2 histories, seen event ids, content and referral indexes) per hash bucket;
 *               the head lists the bucket's runs and is replaced only on an ETag match (the
 *               commit); later runs replace keys whole
 * - lineage:    `lineage/batch=<batchId>/<activity>[-<part>]-<startedAt>.ndjson` in gold: one object per
 *               activity attempt holding its OpenLineage START and COMPLETE/FAIL events (paths, table
 *               names, column names and counts only; docs/lineage.md)
 * - omop:       `omop/run=<runId>/<table>.parquet` in gold: one OMOP CDM v5.4 export (docs/omop.md;
 *               row-level: restricted like the gold facts it is built from)
 * - reconcile:  `reconciliation/<yyyy>/<mm>/<dd>/<at>.json` in gold: one source-to-gold
 *               reconciliation report (counts, checksums and key ranges; docs/reconciliation.md)
 * - audit:      `<yyyy>/<mm>/<dd>/<at>-<kind>-<id>.json` in the audit container: one record per operator
 *               action (replay, mass-delete release, key rotation, re-identification), create-only
 * - api usage:  `data-api-usage/<yyyy>/<mm>/<dd>/<at>-<requestId>.json` in the audit container: one
 *               record per data API request (client, mart, filters, status, rows returned; never data)
 */
export const LAKE_CONTAINERS = [
  'landing',
  'bronze',
  'silver',
  'gold',
  'quarantine',
  'state',
  'audit',
  'identity',
  'landing-deadletter',
] as const;
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

const dqStatePrefix = 'dq-state/';
const cdcClaimMarkerPrefix = '_receipts/claiming/';

function identityPrefix(project: string): string {
  return `identity/${segment(project, 'project')}/`;
}

function silverTablePrefix(dataset: string, table: string): string {
  return `${segment(dataset, 'dataset')}/${segment(table, 'table')}/`;
}

function stateBucketPrefix(state: string, bucket: number): string {
  return `${segment(state, 'state')}/bucket=${String(bucket).padStart(3, '0')}/`;
}

export const lakePaths = {
  bronzeBatch: (source: string, batchId: string, receivedAt: Date): string =>
    `${segment(source, 'source')}/${datePath(receivedAt)}/${segment(batchId, 'batch id')}.ndjson`,
  /** The bronze source folder of a table's CDC batches: the consumer's own and the poller's delta files. */
  bronzeCdcSource: (table: string): string => `cdc-${segment(table, 'table')}`,
  /**
   * The batch a bronze object of `source` is (`<source>/<yyyy>/<mm>/<dd>/<batchId>.ndjson`, as
   * `bronzeBatch` builds it), with its date (`yyyy-mm-dd`); null for a chunk, a sidecar or anything
   * else under the folder.
   */
  bronzeBatchOf: (
    source: string,
    path: string,
  ): { readonly batchId: string; readonly date: string } | null => {
    const match = /^(.+)\/(\d{4})\/(\d{2})\/(\d{2})\/([A-Za-z0-9_.=-]+)\.ndjson$/.exec(path);
    if (!match || match[1] !== source) return null;
    return { batchId: match[5]!, date: `${match[2]}-${match[3]}-${match[4]}` };
  },
  bronzeChunk: (bronzeBatchPath: string, chunk: number): string =>
    `${bronzeBatchPath.replace(/\.ndjson$/, '')}/chunk-${String(chunk).padStart(5, '0')}.ndjson`,
  /**
   * A landing file's control files copied beside its bronze copy (`<batch>.manifest.json`,
   * `<batch>.map.csv|.map.json`): the manifest it was checked against and the column map it is read
   * with, so a replay reads the file the same way.
   */
  bronzeSidecar: (bronzeFilePath: string, suffix: '.manifest.json' | '.map.csv' | '.map.json'): string =>
    `${bronzeFilePath.replace(/\.[a-z0-9]+$/, '')}${suffix}`,
  silver: (dataset: string, table: string, period: string, batchId: string, chunk: number): string =>
    `${silverTablePrefix(dataset, table)}period=${segment(period || 'unknown', 'period')}/${segment(batchId, 'batch id')}-${String(chunk).padStart(5, '0')}.parquet`,
  silverTablePrefix: (dataset: string, table: string): string => silverTablePrefix(dataset, table),
  /** A compacted silver partition: replaces the small files it was made of. */
  silverCompacted: (dataset: string, table: string, period: string, generation: string): string =>
    `${silverTablePrefix(dataset, table)}period=${segment(period || 'unknown', 'period')}/compacted-${segment(generation, 'generation')}.parquet`,
  gold: (table: string, batchId: string, chunk: number): string =>
    `${segment(table, 'table')}/batch=${segment(batchId, 'batch id')}/part-${String(chunk).padStart(5, '0')}.parquet`,
  goldTablePrefix: (table: string): string => `${segment(table, 'table')}/`,
  quarantine: (dataset: string, table: string, batchId: string, chunk: number): string =>
    `${segment(dataset, 'dataset')}/${segment(table, 'table')}/${segment(batchId, 'batch id')}-${String(chunk).padStart(5, '0')}.ndjson`,
  /** A table's quarantine records (listing prefix; `nhs-flows quarantine`). */
  quarantinePrefix: (dataset: string, table: string): string =>
    `${segment(dataset, 'dataset')}/${segment(table, 'table')}/`,
  manifest: (batchId: string): string => `manifests/${segment(batchId, 'batch id')}.json`,
  /** Every batch manifest (listing prefix, gold container). */
  manifestsPrefix: 'manifests/',
  /** The batch id a manifest object names (`manifests/<batchId>.json`); null for anything else. */
  manifestBatchId: (path: string): string | null =>
    /^manifests\/([A-Za-z0-9_.=-]+)\.json$/.exec(path)?.[1] ?? null,
  /** Synapse COPY INTO's ERRORFILE folder for one table of one batch (gold container). */
  goldRejected: (batchId: string, table: string): string =>
    `_rejected/${segment(batchId, 'batch id')}/${segment(table, 'table')}/`,
  work: (batchId: string, stage: string, chunk: number): string =>
    `_work/${segment(batchId, 'batch id')}/${segment(stage, 'stage')}-${String(chunk).padStart(5, '0')}.ndjson`,
  workPrefix: (batchId: string): string => `_work/${segment(batchId, 'batch id')}/`,
  dqState: (dataset: string, table: string, batchId: string, chunk: number): string =>
    `${dqStatePrefix}${segment(dataset, 'dataset')}/${segment(table, 'table')}/${segment(batchId, 'batch id')}-${String(chunk).padStart(5, '0')}.json`,
  dqStatePrefix: (): string => dqStatePrefix,
  mart: (mart: string, runId: string): string =>
    `marts/${segment(mart, 'mart')}/run=${segment(runId, 'run id')}/part-00000.parquet`,
  /**
   * A CDC receipt's claim (bronze): the batches a receipt of new events was cut into, written before
   * its event ids are marked seen, so a redelivery after a crash starts those batches, not new ones.
   */
  cdcReceipt: (receiptId: string): string => `_receipts/${segment(receiptId, 'receipt id')}.json`,
  /**
   * A receipt's claim in progress (bronze): written before its event ids are claimed in the seen
   * state and removed after, so a claim a crash cut short is found and finished on the next delivery.
   */
  cdcClaimMarker: (receiptId: string): string => `${cdcClaimMarkerPrefix}${segment(receiptId, 'receipt id')}`,
  cdcClaimMarkerPrefix: (): string => cdcClaimMarkerPrefix,
  /** The receipt id a claim marker names (undefined for anything else under the prefix). */
  receiptOfClaimMarker: (path: string): string | undefined => {
    if (!path.startsWith(cdcClaimMarkerPrefix)) return undefined;
    const id = path.slice(cdcClaimMarkerPrefix.length);
    return id.length > 0 && !id.includes('/') ? id : undefined;
  },
  malformedEvent: (day: string, name: string): string =>
    `_malformed/${segment(day, 'day')}/${segment(name, 'name')}.json`,
  /** A dead-lettered event receipt (restricted: the bodies hold row values). */
  failedEvents: (day: string, deadLetterId: string): string =>
    `_failed/${segment(day, 'day')}/${segment(deadLetterId, 'dead letter id')}.ndjson`,
  identityRegister: (project: string, batchId: string, chunk: number): string =>
    `${identityPrefix(project)}${segment(batchId, 'batch id')}-${String(chunk).padStart(5, '0')}.ndjson`,
  identityPrefix: (project: string): string => identityPrefix(project),
  rekeyPrefix: (project: string): string => `identity-rekey/${segment(project, 'project')}/`,
  /** An imported National Data Opt-out list (identity container; tokens and dates only). */
  optOutList: (listId: string): string => `opt-out/${segment(listId, 'opt-out list id')}.json`,
  optOutPrefix: (): string => 'opt-out/',
  /** The key version linkage is anchored at (written by the first rotation; identity container). */
  linkAnchor: (): string => 'identity-keys/link-anchor.json',
  rekeyTable: (project: string, fromVersion: string, toVersion: string): string =>
    `identity-rekey/${segment(project, 'project')}/${segment(fromVersion, 'key version')}--${segment(toVersion, 'key version')}.ndjson`,
  /** A bucket's head: which runs make up the bucket (rewritten only with an ETag match: the commit). */
  stateHead: (state: string, bucket: number): string => `${stateBucketPrefix(state, bucket)}head.json`,
  stateRun: (state: string, bucket: number, generation: number, nonce: string): string =>
    `${stateBucketPrefix(state, bucket)}run-${String(generation).padStart(10, '0')}-${segment(nonce, 'nonce')}.parquet`,
  stateBucketPrefix: (state: string, bucket: number): string => stateBucketPrefix(state, bucket),
  statePrefix: (state: string): string => `${segment(state, 'state')}/`,
  /** One activity attempt's lineage events (gold container); `startedAt` is the attempt's ISO start. */
  lineageRun: (batchId: string, activity: string, part: string | null, startedAt: string): string =>
    `lineage/batch=${segment(batchId, 'batch id')}/${segment(activity, 'activity')}${part === null ? '' : `-${segment(part, 'part')}`}-${startedAt.replace(/[:.]/g, '')}.ndjson`,
  /** Lineage events of one batch (listing prefix). */
  lineageBatchPrefix: (batchId: string): string => `lineage/batch=${segment(batchId, 'batch id')}/`,
  /** One table of an OMOP CDM v5.4 export (gold container); `runId` names the export. */
  omop: (runId: string, table: string): string =>
    `omop/run=${segment(runId, 'run id')}/${segment(table, 'table')}.parquet`,
  /** One reconciliation report (gold container); `at` is when the run started. */
  reconciliationReport: (at: Date): string =>
    `reconciliation/${datePath(at)}/${at.toISOString().replace(/[:.]/g, '')}.json`,
  /** One operator action's audit record (audit container); `at` is the record's ISO instant. */
  auditRecord: (at: Date, kind: string, id: string): string =>
    `${datePath(at)}/${at.toISOString().replace(/[:.]/g, '')}-${segment(kind, 'audit kind')}-${segment(id, 'audit id')}.json`,
  /** Audit records of one day (listing prefix). */
  auditDayPrefix: (day: Date): string => `${datePath(day)}/`,
  /** One data API request's usage record (audit container); `at` is when the request was answered. */
  dataApiUsage: (at: Date, requestId: string): string =>
    `data-api-usage/${datePath(at)}/${at.toISOString().replace(/[:.]/g, '')}-${segment(requestId, 'request id')}.json`,
  /** Usage records of one day (listing prefix). */
  dataApiUsageDayPrefix: (day: Date): string => `data-api-usage/${datePath(day)}/`,
} as const;
