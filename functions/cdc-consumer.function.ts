import * as df from 'durable-functions';
import type { InvocationContext } from '@azure/functions';
import { CONNECTIONS, FUNCTIONS, ORCHESTRATIONS } from './function-names.js';
import { services } from './composition-root.js';
import { starterFrom } from './orchestration-starter.js';
import { observed } from './observed.js';
import { EVENT_HUB_RETRY } from './retry-policies.js';
import { ingestOrDeadLetter } from '../shared/application/use-cases/pipeline/dead-letter-events.use-case.js';
import { waitForBreakers } from '../shared/application/use-cases/operations/circuit-breakers.js';

/**
 * Event Hubs (cardinality many) → one bronze batch and one orchestration per source table. A receipt
 * that cannot be ingested (after in-process retries) is dead-lettered to bronze `_failed/` and the
 * poison queue before this returns; if even that fails it throws, so the checkpoint does not move.
 * While a circuit breaker is open (the warehouse or the lake keeps failing) it waits, starting
 * nothing, until the breaker half-opens by itself (the partition waits, its checkpoint unmoved); a
 * breaker that re-opened meanwhile makes it throw `CIRCUIT_OPEN`, retried without limit.
 */
export async function cdcConsumer(
  messages: unknown,
  client: df.DurableClient,
  context: InvocationContext,
): Promise<void> {
  const s = await services();
  await waitForBreakers(s.pipeline, 'cdc receipt');
  const bodies = Array.isArray(messages) ? (messages as unknown[]) : [messages];
  const meta = context.triggerMetadata ?? {};
  const offsets = (meta.offsetArray as string[] | undefined) ?? [];
  const sequences = (meta.sequenceNumberArray as number[] | undefined) ?? [];
  const partitionId = (meta.partitionContext as { partitionId?: string } | undefined)?.partitionId;
  const events = bodies.map((body, i) => ({
    body,
    partitionId,
    offset: offsets[i],
    sequenceNumber: sequences[i],
  }));
  const result = await ingestOrDeadLetter(events, {
    ...s.pipeline,
    seenEvents: s.seenEvents,
    starter: starterFrom(client),
    orchestration: ORCHESTRATIONS.pipeline,
  });
  context.log(
    result.deadLettered
      ? `cdc receipt of ${events.length} events dead-lettered (${result.code}) to bronze/${result.path}`
      : `cdc batches started: ${result.batches.length}, duplicates dropped: ${result.duplicatesDropped}, malformed: ${result.malformed}`,
  );
}

df.app.client.eventHub(FUNCTIONS.cdcConsumer, {
  connection: CONNECTIONS.eventHub,
  eventHubName: '%NHSFLOWS_EVENTHUB_NAME%',
  consumerGroup: '$Default',
  cardinality: 'many',
  retry: EVENT_HUB_RETRY,
  handler: observed(FUNCTIONS.cdcConsumer, 'eventHub', cdcConsumer),
});
