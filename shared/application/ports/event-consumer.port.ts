/**
 * Receives transport events for one consumer group, partition by partition, with checkpoints.
 *
 * On Azure the Functions host is the consumer (the `app.eventHub` trigger, cardinality many) and
 * this port is not used; locally the runtime polls the durable local event log through it and calls
 * the same trigger handler with `toEventHubTriggerInput(...)`, the shape the host would pass.
 *
 * Guarantees:
 * - Events of one partition arrive in append order, each once per `receiveBatch` stream position;
 *   a new consumer (process restart) starts after the last checkpoint, so everything received but
 *   not checkpointed is delivered again (at-least-once).
 * - `checkpoint` is durable when it resolves; it never moves backwards.
 * - `rewind` puts a partition's read position back to its checkpoint (after a failed handler).
 */
export interface EventConsumer {
  readonly consumerGroup: string;
  /** Partition ids, '0' … 'N-1'. */
  partitionIds(): Promise<readonly string[]>;
  /**
   * Up to `maxEvents` events of one partition from the current read position. Waits up to
   * `maxWaitMs` for the first event when none is available; returns `[]` when none arrived.
   */
  receiveBatch(partitionId: string, options: ReceiveBatchOptions): Promise<ReceivedEvent[]>;
  /** Records that every event of the partition up to and including `event` has been processed. */
  checkpoint(partitionId: string, event: Pick<ReceivedEvent, 'offset' | 'sequenceNumber'>): Promise<void>;
  /** The last checkpoint of a partition, if any. */
  lastCheckpoint(partitionId: string): Promise<Checkpoint | undefined>;
  /** Moves the read position back to just after the last checkpoint. */
  rewind(partitionId: string): Promise<void>;
  /**
   * Whether events past the read position are known to be there (appended, not yet received).
   * Optional: a consumer that cannot tell omits it.
   */
  hasUnread?(partitionId: string): Promise<boolean>;
  close(): Promise<void>;
}

export interface ReceiveBatchOptions {
  readonly maxEvents: number;
  readonly maxWaitMs: number;
}

/** One transport event with the system properties Event Hubs would give it. */
export interface ReceivedEvent {
  readonly partitionId: string;
  /** Body bytes (the delta envelope JSON for events this product publishes). */
  readonly body: Uint8Array;
  readonly partitionKey: string | null;
  /** Position in the partition, opaque (Event Hubs offsets are strings). */
  readonly offset: string;
  /** Per-partition sequence number, from 0, strictly increasing. */
  readonly sequenceNumber: number;
  /** ISO-8601 UTC instant the transport accepted the event. */
  readonly enqueuedTimeUtc: string;
  readonly contentType: string | null;
}

export interface Checkpoint {
  readonly offset: string;
  readonly sequenceNumber: number;
}

/**
 * What the Functions host passes an `app.eventHub` handler with `cardinality: 'many'`: the array of
 * bodies (JSON bodies parsed, others as strings, as the Node worker does) and
 * `context.triggerMetadata` with per-event arrays and the partition context.
 */
export interface EventHubTriggerInput {
  readonly messages: unknown[];
  readonly triggerMetadata: EventHubTriggerMetadata;
}

export interface EventHubTriggerMetadata extends Record<string, unknown> {
  readonly partitionContext: {
    readonly ConsumerGroup: string;
    readonly EventHubName: string;
    readonly FullyQualifiedNamespace: string;
    readonly PartitionId: string;
  };
  readonly offsetArray: string[];
  readonly sequenceNumberArray: number[];
  readonly enqueuedTimeUtcArray: string[];
  readonly partitionKeyArray: (string | null)[];
  readonly propertiesArray: Record<string, unknown>[];
  readonly systemPropertiesArray: Record<string, unknown>[];
}

/** Builds the eventHub-trigger input (bodies + trigger metadata) for one received batch. */
export function toEventHubTriggerInput(
  events: readonly ReceivedEvent[],
  hub: { readonly eventHubName: string; readonly consumerGroup: string; readonly namespace?: string },
): EventHubTriggerInput {
  const partitionId = events[0]?.partitionId ?? '';
  const decoder = new TextDecoder();
  return {
    messages: events.map((event) => {
      const text = decoder.decode(event.body);
      try {
        return JSON.parse(text) as unknown;
      } catch {
        return text;
      }
    }),
    triggerMetadata: {
      partitionContext: {
        ConsumerGroup: hub.consumerGroup,
        EventHubName: hub.eventHubName,
        FullyQualifiedNamespace: hub.namespace ?? 'local-event-log',
        PartitionId: partitionId,
      },
      offsetArray: events.map((e) => e.offset),
      sequenceNumberArray: events.map((e) => e.sequenceNumber),
      enqueuedTimeUtcArray: events.map((e) => e.enqueuedTimeUtc),
      partitionKeyArray: events.map((e) => e.partitionKey),
      propertiesArray: events.map(() => ({})),
      systemPropertiesArray: events.map((e) => ({
        'x-opt-sequence-number': e.sequenceNumber,
        'x-opt-offset': e.offset,
        'x-opt-enqueued-time': e.enqueuedTimeUtc,
        'x-opt-partition-key': e.partitionKey,
        SequenceNumber: e.sequenceNumber,
        Offset: e.offset,
        PartitionKey: e.partitionKey,
        EnqueuedTimeUtc: e.enqueuedTimeUtc,
      })),
    },
  };
}

/** The outcome of one `deliverOnce` round. */
export interface DeliveryRound {
  /** Events handed to the handler and checkpointed. */
  readonly delivered: number;
  /** Partitions whose handler failed: rewound to their checkpoint, delivered again next round. */
  readonly failed: readonly { readonly partitionId: string; readonly error: unknown }[];
}

/**
 * One round of what the Functions host does for an `app.eventHub` trigger with cardinality many:
 * for every partition at once, receive up to `maxEvents`, call `handler` with the trigger input,
 * and checkpoint the last event when it resolves.
 *
 * Guarantee: a partition's events are checkpointed only after the handler resolved for them. A
 * failed handler rewinds its partition, so the same events come again next round (stricter than the
 * host, which moves on once its retry policy is spent: here nothing is skipped).
 */
export async function deliverOnce(
  consumer: EventConsumer,
  handler: (input: EventHubTriggerInput) => Promise<void>,
  options: { readonly eventHubName: string; readonly maxEvents: number; readonly maxWaitMs: number },
): Promise<DeliveryRound> {
  const failed: { partitionId: string; error: unknown }[] = [];
  let delivered = 0;
  await Promise.all(
    (await consumer.partitionIds()).map(async (partitionId) => {
      const events = await consumer.receiveBatch(partitionId, options);
      if (events.length === 0) return;
      try {
        await handler(
          toEventHubTriggerInput(events, {
            eventHubName: options.eventHubName,
            consumerGroup: consumer.consumerGroup,
          }),
        );
      } catch (error) {
        await consumer.rewind(partitionId);
        failed.push({ partitionId, error });
        return;
      }
      await consumer.checkpoint(partitionId, events.at(-1)!);
      delivered += events.length;
    }),
  );
  return { delivered, failed };
}
