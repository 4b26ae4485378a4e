import { lakePaths } from '../../../domain/lake/lake-paths.js';
import type { BatchManifest, FailureReport } from '../../../domain/pipeline/pipeline-contracts.js';
import type { PipelineDeps } from './pipeline-deps.js';

/** Table of the batch ledger: one row per batch (partition = source table, row = batch id). */
export const BATCH_LEDGER_TABLE = 'nhsflowsbatches';

/** Ledger partition of landing files rejected before any source table was known (wrong folder). */
export const LANDING_LEDGER_PARTITION = 'landing';

/**
 * Writes a batch's manifest to gold (`manifests/<batchId>.json`) and its ledger row, and emits the
 * batch telemetry the alert rules watch. Idempotent: the same manifest rewrites the same objects.
 */
export async function writeManifest(manifest: BatchManifest, deps: PipelineDeps): Promise<void> {
  await deps.lake.put('gold', lakePaths.manifest(manifest.batchId), JSON.stringify(manifest, null, 2), {
    contentType: 'application/json',
  });
  await deps.state.ensureTables([BATCH_LEDGER_TABLE]);
  await deps.state.upsert(BATCH_LEDGER_TABLE, manifest.table, manifest.batchId, {
    status: manifest.status,
    origin: manifest.origin,
    startedAt: manifest.startedAt,
    finishedAt: manifest.finishedAt,
    durationMs: manifest.durationMs,
    records: manifest.counts.records,
    accepted: manifest.counts.accepted,
    quarantined: manifest.counts.quarantined,
    unreadable: manifest.counts.unreadable,
    silverRows: manifest.counts.silverRows,
    factRows: manifest.counts.factRows,
    warehouseRows: manifest.counts.warehouseRows,
    failedChunks: manifest.chunks.failed.length,
    ...(manifest.notice ? { notice: manifest.notice.message, noticeCode: manifest.notice.code } : {}),
  });
  const props = { batchId: manifest.batchId, table: manifest.table, status: manifest.status };
  deps.telemetry.event('nhsflows.batch.completed', props, {
    records: manifest.counts.records,
    accepted: manifest.counts.accepted,
    quarantined: manifest.counts.quarantined,
    durationMs: manifest.durationMs,
  });
  deps.telemetry.metric(
    'nhsflows.batch.quarantineRate',
    manifest.counts.records ? manifest.counts.quarantined / manifest.counts.records : 0,
    props,
  );
  deps.logger.info('batch manifest written', {
    ...props,
    records: manifest.counts.records,
    quarantined: manifest.counts.quarantined,
  });
}

/**
 * Reports a failed (or partly failed) batch: a message on the poison queue with the batch
 * descriptor, reason and failed chunks (ids and paths only), a ledger row, and the
 * `nhsflows.batch.failed` event that pages on-call through the Azure Monitor alert.
 */
export async function reportFailure(report: FailureReport, deps: PipelineDeps): Promise<void> {
  await deps.poisonQueue.ensure();
  await deps.poisonQueue.send({
    kind: 'nhs-flows.failed-batch',
    version: 1,
    batch: report.batch,
    reason: report.reason,
    failedChunks: report.failedChunks,
    failedAt: deps.clock.now().toISOString(),
  });
  await deps.state.ensureTables([BATCH_LEDGER_TABLE]);
  const existing = await deps.state.get(BATCH_LEDGER_TABLE, report.batch.table, report.batch.batchId);
  await deps.state.upsert(BATCH_LEDGER_TABLE, report.batch.table, report.batch.batchId, {
    ...(existing?.value ?? {}),
    status: report.failedChunks.length > 0 && existing?.value.status === 'partial' ? 'partial' : 'failed',
    failureReason: report.reason.slice(0, 1000),
    failedAt: deps.clock.now().toISOString(),
    // The descriptor (ids and paths only), so a replay can select this batch from the ledger.
    descriptor: JSON.stringify(report.batch),
    failedChunkIds: report.failedChunks.join(','),
  });
  deps.telemetry.event('nhsflows.batch.failed', {
    batchId: report.batch.batchId,
    table: report.batch.table,
    failedChunks: String(report.failedChunks.length),
  });
  deps.logger.error('batch failed', {
    reason: report.reason.slice(0, 500),
    batchId: report.batch.batchId,
    table: report.batch.table,
    failedChunks: report.failedChunks.length,
  });
}

/** A landing file rejected whole before a batch was started for it (see `ingestLandingFile`). */
export interface LandingRejection {
  /** Deterministic id of the rejection (file name and content), the ledger row key. */
  readonly rejectionId: string;
  /** The blob name under `landing/`, made printable. */
  readonly file: string;
  /** The source table its folder names, or null when the folder is no source table. */
  readonly table: string | null;
  readonly code: string;
  /** Words naming the file and the problem; never a value of the file. */
  readonly reason: string;
}

/**
 * Reports a rejected landing file exactly as a failed batch is reported, so it shows where
 * operators look: a `nhs-flows.rejected-file` message on the pipeline's poison queue (not the host's
 * blob poison queue), a ledger row with status `rejected` (`nhs-flows status` lists it with the
 * failures), and the `nhsflows.batch.failed` event the on-call alert watches. Nothing to replay: the
 * supplier drops a corrected file.
 */
export async function reportRejectedFile(rejection: LandingRejection, deps: PipelineDeps): Promise<void> {
  const now = deps.clock.now().toISOString();
  await deps.poisonQueue.ensure();
  await deps.poisonQueue.send({
    kind: 'nhs-flows.rejected-file',
    version: 1,
    rejectionId: rejection.rejectionId,
    file: rejection.file,
    table: rejection.table,
    code: rejection.code,
    reason: rejection.reason,
    rejectedAt: now,
  });
  await deps.state.ensureTables([BATCH_LEDGER_TABLE]);
  await deps.state.upsert(
    BATCH_LEDGER_TABLE,
    rejection.table ?? LANDING_LEDGER_PARTITION,
    rejection.rejectionId,
    {
      status: 'rejected',
      origin: rejection.file,
      code: rejection.code,
      failureReason: rejection.reason.slice(0, 1000),
      failedAt: now,
      records: 0,
    },
  );
  deps.telemetry.event('nhsflows.batch.failed', {
    batchId: rejection.rejectionId,
    table: rejection.table ?? LANDING_LEDGER_PARTITION,
    code: rejection.code,
    failedChunks: '0',
  });
  deps.logger.error('landing file rejected', {
    rejectionId: rejection.rejectionId,
    file: rejection.file,
    table: rejection.table,
    code: rejection.code,
    reason: rejection.reason.slice(0, 500),
  });
}
