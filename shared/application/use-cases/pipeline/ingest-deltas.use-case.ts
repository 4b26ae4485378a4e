import type { Delta } from '../../../domain/capture/delta.js';
import { sourceTable, type SourceTableName } from '../../../domain/datasets/source-tables.js';
import { lakePaths } from '../../../domain/lake/lake-paths.js';
import { z } from 'zod';
import { batchDescriptorSchema, type BatchDescriptor } from '../../../domain/pipeline/batch-record.js';
import { shortId } from '../../../domain/pipeline/ids.js';
import { pipelineInput } from '../../../domain/pipeline/pipeline-contracts.js';
import type { OrchestrationStarter } from '../../ports/orchestration-starter.port.js';
import type { SeenEvents } from '../../ports/seen-events.port.js';
import { receiveDeltas, type ReceivedBatch, type ReceivedEventBody } from '../receive-deltas.use-case.js';
import type { PipelineDeps } from './pipeline-deps.js';

export interface IngestDeltasResult {
  readonly batches: readonly { batchId: string; table: string; deltas: number; started: boolean }[];
  readonly duplicatesDropped: number;
  readonly malformed: number;
  /** Receipts claimed before a crash and finished by this call (their batches started if they were not). */
  readonly receiptsFinished: number;
}

/** A CDC receipt's claim in bronze (`lakePaths.cdcReceipt`): the batches its new events were cut into. */
const cdcReceiptSchema = z.object({
  kind: z.literal('nhs-flows.cdc-receipt'),
  version: z.literal(1),
  receiptId: z.string(),
  batches: z.array(batchDescriptorSchema.extend({ deltas: z.number().int().nonnegative() })),
});
type CdcReceipt = z.infer<typeof cdcReceiptSchema>;

type IngestDeps = PipelineDeps & {
  readonly seenEvents: SeenEvents;
  readonly starter: OrchestrationStarter;
  readonly orchestration: string;
};

/**
 * The eventHub-trigger use case: new deltas → one bronze batch per source table (exact deltas,
 * create-only so a redelivery is a no-op) → the receipt's claim (its batches) → the event ids
 * claimed by the receipt → one orchestration per batch (instance id = batch id) → settled.
 * Events a crashed earlier receipt claimed are not cut into new batches: that receipt is finished
 * (its batches started unless they exist), so a record is never taken in under two batch ids.
 * Malformed events go to the restricted bronze area, never dropped.
 */
export async function ingestDeltas(
  events: readonly ReceivedEventBody[],
  deps: IngestDeps,
): Promise<IngestDeltasResult> {
  // The seen-state read behind the classification is held for the claim below: one read for both.
  const received = await receiveDeltas(
    events,
    { seenEvents: deps.seenEvents, logger: deps.logger },
    { reserve: true },
  );
  try {
    return await ingestReceived(received, deps);
  } finally {
    await received.reservation?.release();
  }
}

async function ingestReceived(received: ReceivedBatch, deps: IngestDeps): Promise<IngestDeltasResult> {
  const receiptsFinished = await finishClaimedReceipts(received.unfinishedReceipts, deps);
  const now = deps.clock.now();
  for (const bad of received.malformed) {
    const name = shortId([
      bad.partitionId ?? '',
      bad.offset ?? '',
      String(bad.sequenceNumber ?? ''),
      bad.body,
    ]);
    await deps.lake.put(
      'bronze',
      lakePaths.malformedEvent(now.toISOString().slice(0, 10), name),
      JSON.stringify(bad),
      { ifNoneMatch: '*' },
    );
    deps.telemetry.event('nhsflows.events.malformed', {
      partitionId: bad.partitionId ?? '',
      offset: bad.offset ?? '',
    });
  }
  if (!received.batchId)
    return {
      batches: [],
      duplicatesDropped: received.duplicatesDropped,
      malformed: received.malformed.length,
      receiptsFinished,
    };

  const byTable = new Map<SourceTableName, Delta[]>();
  for (const delta of received.deltas) {
    sourceTable(delta.sourceTable);
    const list = byTable.get(delta.sourceTable) ?? [];
    list.push(delta);
    byTable.set(delta.sourceTable, list);
  }
  const cut: CdcReceipt['batches'][number][] = [];
  for (const [table, deltas] of byTable) {
    const batchId = `${table}-${shortId([received.batchId, table], 20)}`;
    // The path depends only on the batch's content (its earliest capture), so a redelivery after
    // midnight finds the object it wrote before instead of writing a second one.
    const capturedAt = deltas.reduce(
      (min, d) => (d.capturedAt < min ? d.capturedAt : min),
      deltas[0]?.capturedAt ?? now.toISOString(),
    );
    const bronzePath = lakePaths.bronzeBatch(`cdc-${table}`, batchId, new Date(capturedAt));
    const body = deltas.map((d) => JSON.stringify(d)).join('\n') + '\n';
    await deps.lake.put('bronze', bronzePath, body, {
      ifNoneMatch: '*',
      contentType: 'application/x-ndjson',
    });
    cut.push({
      batchId,
      table,
      origin: 'cdc',
      bronzePath,
      format: 'deltas',
      receivedAt: now.toISOString(),
      records: deltas.length,
      deltas: deltas.length,
    });
  }
  const receipt = await writeReceipt(
    { kind: 'nhs-flows.cdc-receipt', version: 1, receiptId: received.batchId, batches: cut },
    deps,
  );
  const ids = received.deltas.map((d) => d.eventId);
  if (received.reservation) await received.reservation.claim(ids, received.batchId);
  else await deps.seenEvents.claim(ids, received.batchId);
  const batches = await startReceipt(receipt, deps);
  deps.seenEvents.settle(ids);
  return {
    batches,
    duplicatesDropped: received.duplicatesDropped,
    malformed: received.malformed.length,
    receiptsFinished,
  };
}

/** Writes a receipt's claim create-only; a retry (or a redelivery cut the same way) gets the first one. */
async function writeReceipt(receipt: CdcReceipt, deps: IngestDeps): Promise<CdcReceipt> {
  const path = lakePaths.cdcReceipt(receipt.receiptId);
  const { created } = await deps.lake.put('bronze', path, JSON.stringify(receipt), {
    ifNoneMatch: '*',
    contentType: 'application/json',
  });
  return created ? receipt : ((await readReceipt(receipt.receiptId, deps)) ?? receipt);
}

async function readReceipt(receiptId: string, deps: IngestDeps): Promise<CdcReceipt | undefined> {
  const bytes = await deps.lake.get('bronze', lakePaths.cdcReceipt(receiptId));
  if (!bytes) return undefined;
  return cdcReceiptSchema.parse(JSON.parse(bytes.toString('utf8')));
}

async function startReceipt(
  receipt: CdcReceipt,
  deps: IngestDeps,
): Promise<IngestDeltasResult['batches'][number][]> {
  const started = [];
  for (const { deltas, ...batch } of receipt.batches) {
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

/**
 * Seen events this instance has not settled belong to a receipt claimed before a crash (or a
 * failed attempt): start its batches (a no-op for those already started) and settle the ids. Ids
 * claimed with no receipt (marked before receipts were written) or whose claim is gone are settled
 * as they are: their batches were started when they were marked.
 */
async function finishClaimedReceipts(
  claimed: ReadonlyMap<string | null, readonly string[]>,
  deps: IngestDeps,
): Promise<number> {
  let finished = 0;
  for (const [receiptId, ids] of claimed) {
    const receipt = receiptId === null ? undefined : await readReceipt(receiptId, deps);
    if (receipt) {
      const batches = await startReceipt(receipt, deps);
      finished += 1;
      deps.logger.info('claimed receipt finished', {
        receiptId,
        batches: batches.length,
        started: batches.filter((b) => b.started).length,
      });
    }
    deps.seenEvents.settle(ids);
  }
  return finished;
}
