import type { Delta } from '../../../domain/capture/delta.js';
import { sourceTable, type SourceTableName } from '../../../domain/datasets/source-tables.js';
import { lakePaths } from '../../../domain/lake/lake-paths.js';
import type { BatchDescriptor } from '../../../domain/pipeline/batch-record.js';
import { shortId } from '../../../domain/pipeline/ids.js';
import type { PipelineInput } from '../../../domain/pipeline/pipeline-contracts.js';
import type { OrchestrationStarter } from '../../ports/orchestration-starter.port.js';
import type { SeenEvents } from '../../ports/seen-events.port.js';
import { receiveDeltas, type ReceivedEventBody } from '../receive-deltas.use-case.js';
import type { PipelineDeps } from './pipeline-deps.js';

export interface IngestDeltasResult {
  readonly batches: readonly { batchId: string; table: string; deltas: number; started: boolean }[];
  readonly duplicatesDropped: number;
  readonly malformed: number;
}

/**
 * The eventHub-trigger use case: new deltas → one bronze batch per source table (exact deltas,
 * create-only so a redelivery is a no-op) → one orchestration per batch (instance id = batch id)
 * → mark the event ids seen. Malformed events go to the restricted bronze area, never dropped.
 */
export async function ingestDeltas(
  events: readonly ReceivedEventBody[],
  deps: PipelineDeps & {
    readonly seenEvents: SeenEvents;
    readonly starter: OrchestrationStarter;
    readonly orchestration: string;
  },
): Promise<IngestDeltasResult> {
  const received = await receiveDeltas(events, { seenEvents: deps.seenEvents, logger: deps.logger });
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
    };

  const byTable = new Map<SourceTableName, Delta[]>();
  for (const delta of received.deltas) {
    sourceTable(delta.sourceTable);
    const list = byTable.get(delta.sourceTable) ?? [];
    list.push(delta);
    byTable.set(delta.sourceTable, list);
  }
  const batches = [];
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
    const batch: BatchDescriptor = {
      batchId,
      table,
      origin: 'cdc',
      bronzePath,
      format: 'deltas',
      receivedAt: now.toISOString(),
      records: deltas.length,
    };
    const { started } = await deps.starter.start(deps.orchestration, batchId, {
      batch,
    } satisfies PipelineInput);
    batches.push({ batchId, table, deltas: deltas.length, started });
  }
  await deps.seenEvents.markSeen(
    received.deltas.map((d) => d.eventId),
    { batchId: received.batchId },
  );
  return { batches, duplicatesDropped: received.duplicatesDropped, malformed: received.malformed.length };
}
