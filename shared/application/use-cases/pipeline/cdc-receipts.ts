import { lakePaths } from '../../../domain/lake/lake-paths.js';
import { z } from 'zod';
import {
  batchDescriptorSchema,
  decodeDeltaRecords,
  type BatchDescriptor,
} from '../../../domain/pipeline/batch-record.js';
import { pipelineInput } from '../../../domain/pipeline/pipeline-contracts.js';
import type { OrchestrationStarter } from '../../ports/orchestration-starter.port.js';
import type { SeenEvents } from '../../ports/seen-events.port.js';
import type { PipelineDeps } from './pipeline-deps.js';

/** A CDC receipt's claim in bronze (`lakePaths.cdcReceipt`): the batches its new events were cut into. */
const cdcReceiptSchema = z.object({
  kind: z.literal('nhs-flows.cdc-receipt'),
  version: z.literal(1),
  receiptId: z.string(),
  batches: z.array(
    batchDescriptorSchema.extend({
      deltas: z.number().int().nonnegative(),
      /** A delta file's batch: the reference's event id (the id the receipt claims for it). */
      deltaFile: z.string().min(1).optional(),
    }),
  ),
});
export type CdcReceipt = z.infer<typeof cdcReceiptSchema>;

export type ReceiptDeps = PipelineDeps & {
  readonly seenEvents: SeenEvents;
  readonly starter: OrchestrationStarter;
  readonly orchestration: string;
};

export interface StartedBatch {
  readonly batchId: string;
  readonly table: string;
  readonly deltas: number;
  readonly started: boolean;
}

/** Writes a receipt's claim create-only; a retry (or a redelivery cut the same way) gets the first one. */
export async function writeReceipt(receipt: CdcReceipt, deps: ReceiptDeps): Promise<CdcReceipt> {
  const path = lakePaths.cdcReceipt(receipt.receiptId);
  const { created } = await deps.lake.put('bronze', path, JSON.stringify(receipt), {
    ifNoneMatch: '*',
    contentType: 'application/json',
  });
  return created ? receipt : ((await readReceipt(receipt.receiptId, deps)) ?? receipt);
}

export async function readReceipt(receiptId: string, deps: ReceiptDeps): Promise<CdcReceipt | undefined> {
  const bytes = await deps.lake.get('bronze', lakePaths.cdcReceipt(receiptId));
  if (!bytes) return undefined;
  return cdcReceiptSchema.parse(JSON.parse(bytes.toString('utf8')));
}

/** Starts one orchestration per batch of the receipt (instance id = batch id, so a repeat is a no-op). */
export async function startReceipt(receipt: CdcReceipt, deps: ReceiptDeps): Promise<StartedBatch[]> {
  const started: StartedBatch[] = [];
  for (const { deltas, deltaFile, ...batch } of receipt.batches) {
    const descriptor: BatchDescriptor = batch;
    const outcome = await deps.starter.start(
      deps.orchestration,
      descriptor.batchId,
      pipelineInput(descriptor, { waveSize: deps.settings.NHSFLOWS_MAX_FANOUT }),
    );
    started.push({ batchId: descriptor.batchId, table: descriptor.table, deltas, started: outcome.started });
  }
  return started;
}

/** Receipts whose claim this process is making now (their markers are not interrupted claims). */
const claiming = new Set<string>();

/**
 * Claims a receipt's event ids in the seen state, bracketed by a marker in bronze
 * (`lakePaths.cdcClaimMarker`). The claim commits its seen-state buckets side by side (ADR 0006),
 * so a crash during it can leave some ids claimed and the rest unseen; the marker outlives such a
 * crash, and `completeInterruptedClaims` finishes the claim before the next delivery is classified.
 * Without it, a redelivery would find the unclaimed ids new and cut them into a second batch.
 */
export async function claimReceipt(
  receiptId: string,
  claim: () => Promise<void>,
  deps: ReceiptDeps,
): Promise<void> {
  const marker = lakePaths.cdcClaimMarker(receiptId);
  claiming.add(receiptId);
  try {
    await deps.lake.put('bronze', marker, receiptId, { contentType: 'text/plain' });
    await claim();
    await deps.lake.delete('bronze', marker);
  } finally {
    claiming.delete(receiptId);
  }
}

/**
 * Finishes every claim a crash interrupted (a marker left in bronze by `claimReceipt`, not being
 * made in this process): all of the receipt's event ids (read back from its bronze batches) are
 * claimed for it, its batches started (a no-op where they were) and the marker removed. Run before
 * a delivery is classified, so none of those events is taken for new, however the redelivery is
 * grouped. Costs one listing when nothing was interrupted. Returns the receipts finished.
 */
export async function completeInterruptedClaims(deps: ReceiptDeps): Promise<number> {
  let completed = 0;
  for await (const marker of deps.lake.list('bronze', lakePaths.cdcClaimMarkerPrefix())) {
    const receiptId = lakePaths.receiptOfClaimMarker(marker.path);
    if (receiptId === undefined || claiming.has(receiptId)) continue;
    const receipt = await readReceipt(receiptId, deps);
    if (receipt) {
      const ids = (await Promise.all(receipt.batches.map((b) => eventIdsIn(b, deps)))).flat();
      await deps.seenEvents.claim(ids, receiptId);
      await startReceipt(receipt, deps);
      deps.seenEvents.settle(ids);
      completed += 1;
      deps.logger.warn('interrupted claim completed', {
        code: 'RECEIPT_CLAIM_COMPLETED',
        receiptId,
        events: ids.length,
      });
    }
    await deps.lake.delete('bronze', marker.path);
  }
  return completed;
}

/**
 * The event ids a receipt claimed for one of its batches: a delta file's reference id, or the ids of
 * the deltas the consumer wrote to bronze (one per line).
 */
async function eventIdsIn(batch: CdcReceipt['batches'][number], deps: ReceiptDeps): Promise<string[]> {
  if (batch.deltaFile) return [batch.deltaFile];
  const body = await deps.lake.get('bronze', batch.bronzePath);
  if (!body) return [];
  return decodeDeltaRecords(body.toString('utf8'), batch.bronzePath).map((r) => r.eventId);
}
