import { lakePaths } from '../../../domain/lake/lake-paths.js';
import type { BatchManifest, FailureReport } from '../../../domain/pipeline/pipeline-contracts.js';
import type { PipelineDeps } from './pipeline-deps.js';

/** Table of the batch ledger: one row per batch (partition = source table, row = batch id). */
export const BATCH_LEDGER_TABLE = 'nhsflowsbatches';

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
