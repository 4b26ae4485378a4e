import type { Delta } from '../../../domain/capture/delta.js';
import { sourceTable, type SourceTableName } from '../../../domain/datasets/source-tables.js';
import { lakePaths } from '../../../domain/lake/lake-paths.js';
import {
  deltaFileBatchId,
  deltaFileBronzePath,
  encodeDeltaFileReference,
  encodeDeltaLines,
  type DeltaFileReference,
} from '../../../domain/events/delta-file.js';
import { shortId } from '../../../domain/pipeline/ids.js';
import {
  receiveDeltas,
  type MalformedEvent,
  type ReceivedBatch,
  type ReceivedEventBody,
} from '../receive-deltas.use-case.js';
import {
  claimReceipt,
  completeInterruptedClaims,
  readReceipt,
  startReceipt,
  writeReceipt,
  type CdcReceipt,
  type ReceiptDeps,
  type StartedBatch,
} from './cdc-receipts.js';

export interface IngestDeltasResult {
  readonly batches: readonly StartedBatch[];
  readonly duplicatesDropped: number;
  readonly malformed: number;
  /** Receipts claimed before a crash and finished by this call (their batches started if they were not). */
  readonly receiptsFinished: number;
}

/**
 * The eventHub-trigger use case: new deltas → one bronze batch per source table (exact deltas,
 * create-only so a redelivery is a no-op) → the receipt's claim (its batches) → the event ids
 * claimed by the receipt → one orchestration per batch (instance id = batch id) → settled.
 * Events a crashed earlier receipt claimed are not cut into new batches: that receipt is finished
 * (its batches started unless they exist), so a record is never taken in under two batch ids; a
 * claim the crash cut short is finished first (`completeInterruptedClaims`), whatever the grouping.
 * Malformed events go to the restricted bronze area, never dropped.
 */
export async function ingestDeltas(
  events: readonly ReceivedEventBody[],
  deps: ReceiptDeps,
): Promise<IngestDeltasResult> {
  const interrupted = await completeInterruptedClaims(deps);
  // The seen-state read behind the classification is held for the claim below: one read for both.
  const received = await receiveDeltas(
    events,
    { seenEvents: deps.seenEvents, logger: deps.logger },
    { reserve: true },
  );
  try {
    const result = await ingestReceived(received, deps);
    return { ...result, receiptsFinished: result.receiptsFinished + interrupted };
  } finally {
    await received.reservation?.release();
  }
}

async function ingestReceived(received: ReceivedBatch, deps: ReceiptDeps): Promise<IngestDeltasResult> {
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

  const cut: CdcReceipt['batches'][number][] = [];
  const fileIds: string[] = [];
  let missingFiles = 0;
  // Delta files (large publishes the poller wrote to bronze itself): a batch each, not read here.
  for (const file of received.files) {
    const bronzePath = deltaFileBronzePath(file);
    if (!(await deps.lake.exists('bronze', bronzePath))) {
      await setAsideMissingFile(file, bronzePath, now, deps);
      missingFiles++;
      continue;
    }
    fileIds.push(file.eventId);
    cut.push({
      batchId: deltaFileBatchId(file),
      table: file.sourceTable,
      origin: 'cdc',
      bronzePath,
      format: 'deltas',
      receivedAt: now.toISOString(),
      records: file.records,
      deltas: file.records,
      deltaFile: file.eventId,
    });
  }
  const byTable = new Map<SourceTableName, Delta[]>();
  for (const delta of received.deltas) {
    sourceTable(delta.sourceTable);
    const list = byTable.get(delta.sourceTable) ?? [];
    list.push(delta);
    byTable.set(delta.sourceTable, list);
  }
  for (const [table, deltas] of byTable) {
    const batchId = `${table}-${shortId([received.batchId, table], 20)}`;
    // The path depends only on the batch's content (its earliest capture), so a redelivery after
    // midnight finds the object it wrote before instead of writing a second one.
    const capturedAt = deltas.reduce(
      (min, d) => (d.capturedAt < min ? d.capturedAt : min),
      deltas[0]?.capturedAt ?? now.toISOString(),
    );
    const bronzePath = lakePaths.bronzeBatch(lakePaths.bronzeCdcSource(table), batchId, new Date(capturedAt));
    await deps.lake.put('bronze', bronzePath, encodeDeltaLines(deltas), {
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
  // Every new event was a reference to a missing file: set aside above, nothing to claim or start.
  if (cut.length === 0)
    return {
      batches: [],
      duplicatesDropped: received.duplicatesDropped,
      malformed: received.malformed.length + missingFiles,
      receiptsFinished,
    };
  const receipt = await writeReceipt(
    { kind: 'nhs-flows.cdc-receipt', version: 1, receiptId: received.batchId, batches: cut },
    deps,
  );
  const ids = [...received.deltas.map((d) => d.eventId), ...fileIds];
  const receiptId = received.batchId;
  await claimReceipt(
    receiptId,
    () =>
      received.reservation
        ? received.reservation.claim(ids, receiptId)
        : deps.seenEvents.claim(ids, receiptId),
    deps,
  );
  const batches = await startReceipt(receipt, deps);
  deps.seenEvents.settle(ids);
  return {
    batches,
    duplicatesDropped: received.duplicatesDropped,
    malformed: received.malformed.length + missingFiles,
    receiptsFinished,
  };
}

/**
 * A reference whose delta file is not in bronze (removed by hand, or written by another
 * environment's poller) is set aside like a malformed event: its body and the reason to the
 * restricted bronze area, a warning naming the table and the path, never dropped silently.
 */
async function setAsideMissingFile(
  file: DeltaFileReference,
  bronzePath: string,
  now: Date,
  deps: ReceiptDeps,
): Promise<void> {
  const problem = `file: delta file bronze/${bronzePath} does not exist`;
  await deps.lake.put(
    'bronze',
    lakePaths.malformedEvent(now.toISOString().slice(0, 10), shortId(['delta-file', file.eventId])),
    JSON.stringify({
      partitionId: null,
      offset: null,
      sequenceNumber: null,
      problems: [problem],
      body: encodeDeltaFileReference(file),
    } satisfies MalformedEvent),
    { ifNoneMatch: '*' },
  );
  deps.logger.warn('delta file missing; reference set aside', {
    code: 'DELTA_FILE_MISSING',
    table: file.sourceTable,
    path: bronzePath,
  });
  deps.telemetry.event('nhsflows.events.malformed', {
    partitionId: '',
    offset: '',
    reason: 'DELTA_FILE_MISSING',
  });
}

/**
 * Seen events this instance has not settled belong to a receipt claimed before a crash (or a
 * failed attempt): start its batches (a no-op for those already started) and settle the ids. Ids
 * claimed with no receipt (marked before receipts were written) or whose claim is gone are settled
 * as they are: their batches were started when they were marked.
 */
async function finishClaimedReceipts(
  claimed: ReadonlyMap<string | null, readonly string[]>,
  deps: ReceiptDeps,
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
