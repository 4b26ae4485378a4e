import type { EventConsumer, ReceivedEvent } from '../../../application/ports/event-consumer.port.js';
import { toEventHubTriggerInput } from '../../../application/ports/event-consumer.port.js';
import { toError } from '../../../domain/errors.js';
import { bindingText, type Registration } from '../registration-capture.js';
import { pause, type TriggerHost, type TriggerSource } from './trigger-source.js';

/**
 * Drives an `app.eventHub` registration (cardinality many or one) from an {@link EventSource}: one
 * receive loop per partition, batches of up to `maxEventBatchSize`, the handler called with what the
 * host would pass (array of bodies, JSON parsed; trigger metadata `PartitionContext`, `OffsetArray`,
 * `SequenceNumberArray`, `EnqueuedTimeUtcArray`, `PartitionKeyArray`, `PropertiesArray`,
 * `SystemPropertiesArray`, camel-cased by the library), then a checkpoint after the handler succeeded.
 *
 * On failure the partition is rewound to its checkpoint and the batch redelivered after a backoff, up
 * to `maxRedeliveries` times; after that the batch is checkpointed past and logged as dropped. (The
 * Azure host checkpoints after every batch, failed or not, unless a retry policy is registered.)
 */
export type EventSource = Pick<
  EventConsumer,
  'consumerGroup' | 'partitionIds' | 'receiveBatch' | 'checkpoint' | 'rewind' | 'close' | 'hasUnread'
>;

/** Finds the event source for an eventHub binding (`eventHubName`, `consumerGroup`, `connection`). */
export type EventSourceFactory = (binding: {
  readonly eventHubName: string;
  readonly consumerGroup: string;
  readonly connection: string | undefined;
}) => EventSource | Promise<EventSource>;

export interface EventHubTriggerOptions {
  readonly maxEventBatchSize?: number;
  /**
   * host.json `minEventBatchSize`: with events arriving, keep receiving until this many are in hand
   * or `maxWaitMs` has passed since the first (a partial batch then goes), as the Azure host does.
   */
  readonly minEventBatchSize?: number;
  readonly maxWaitMs?: number;
  readonly maxRedeliveries?: number;
  readonly redeliveryDelayMs?: number;
}

export class EventHubTrigger implements TriggerSource {
  readonly functionName: string;
  readonly #registration: Registration;
  readonly #host: TriggerHost;
  readonly #factory: EventSourceFactory;
  readonly #options: Required<EventHubTriggerOptions>;
  #source: EventSource | undefined;
  #abort = new AbortController();
  #loops: Promise<void>[] = [];
  readonly #partitionIdle = new Map<string, boolean>();
  #eventHubName = '';
  #consumerGroup = '$Default';

  constructor(
    registration: Registration,
    host: TriggerHost,
    factory: EventSourceFactory,
    options: EventHubTriggerOptions = {},
  ) {
    this.functionName = registration.name;
    this.#registration = registration;
    this.#host = host;
    this.#factory = factory;
    this.#options = {
      maxEventBatchSize: options.maxEventBatchSize ?? 100,
      minEventBatchSize: options.minEventBatchSize ?? 1,
      maxWaitMs: options.maxWaitMs ?? 500,
      maxRedeliveries: options.maxRedeliveries ?? 3,
      redeliveryDelayMs: options.redeliveryDelayMs ?? 1000,
    };
  }

  async start(): Promise<void> {
    const trigger = this.#registration.trigger;
    this.#eventHubName = this.#host.resolve(bindingText(trigger, 'eventHubName'));
    this.#consumerGroup = this.#host.resolve(bindingText(trigger, 'consumerGroup', '$Default'));
    this.#source = await this.#factory({
      eventHubName: this.#eventHubName,
      consumerGroup: this.#consumerGroup,
      connection: typeof trigger.connection === 'string' ? trigger.connection : undefined,
    });
    this.#abort = new AbortController();
    const partitions = await this.#source.partitionIds();
    for (const p of partitions) this.#partitionIdle.set(p, false);
    this.#loops = partitions.map((p) => this.#run(this.#source!, p, this.#abort.signal));
  }

  async #run(source: EventSource, partitionId: string, signal: AbortSignal): Promise<void> {
    let failures = 0;
    while (!signal.aborted) {
      let events: ReceivedEvent[];
      try {
        events = await source.receiveBatch(partitionId, {
          maxEvents: this.#options.maxEventBatchSize,
          maxWaitMs: this.#options.maxWaitMs,
        });
      } catch (thrown) {
        this.#host.logger.warn('event receive failed', {
          function: this.functionName,
          partitionId,
          error: toError(thrown).message,
        });
        await pause(this.#options.redeliveryDelayMs, signal);
        continue;
      }
      this.#partitionIdle.set(partitionId, events.length === 0);
      if (events.length > 0 && events.length < this.#options.minEventBatchSize)
        events = await this.#fill(source, partitionId, events, signal);
      if (events.length === 0) continue;
      const last = events[events.length - 1]!;
      try {
        await this.#invoke(events);
        await source.checkpoint(partitionId, last);
        failures = 0;
      } catch (thrown) {
        failures += 1;
        const error = toError(thrown);
        if (failures > this.#options.maxRedeliveries) {
          this.#host.logger.error('event batch dropped after repeated failures', {
            function: this.functionName,
            partitionId,
            events: events.length,
            lastSequenceNumber: last.sequenceNumber,
            error: error.message,
          });
          await source.checkpoint(partitionId, last);
          failures = 0;
        } else {
          this.#host.logger.warn('event batch failed; redelivering', {
            function: this.functionName,
            partitionId,
            attempt: failures,
            error: error.message,
          });
          await source.rewind(partitionId);
          await pause(this.#options.redeliveryDelayMs, signal);
        }
      }
    }
  }

  /** Tops a partial batch up towards `minEventBatchSize` until `maxWaitMs` has passed. */
  async #fill(
    source: EventSource,
    partitionId: string,
    first: ReceivedEvent[],
    signal: AbortSignal,
  ): Promise<ReceivedEvent[]> {
    const events = [...first];
    const deadline = Date.now() + this.#options.maxWaitMs;
    while (!signal.aborted && events.length < this.#options.minEventBatchSize) {
      const left = deadline - Date.now();
      if (left <= 0) break;
      const more = await source
        .receiveBatch(partitionId, {
          maxEvents: this.#options.maxEventBatchSize - events.length,
          maxWaitMs: left,
        })
        .catch(() => [] as ReceivedEvent[]);
      if (more.length === 0) break;
      events.push(...more);
    }
    return events;
  }

  async #invoke(events: readonly ReceivedEvent[]): Promise<void> {
    const input = toEventHubTriggerInput(events, {
      eventHubName: this.#eventHubName,
      consumerGroup: this.#consumerGroup,
    });
    const many = this.#registration.trigger.cardinality !== 'one';
    const pascal = (key: string) => key.charAt(0).toUpperCase() + key.slice(1);
    const metadata = Object.fromEntries(
      Object.entries(input.triggerMetadata).map(([k, v]) => [pascal(k), { json: JSON.stringify(v) }]),
    );
    if (many) {
      await this.#host.invoke(this.#registration, {
        inputData: { [this.#registration.triggerName]: { json: JSON.stringify(input.messages) } },
        triggerMetadata: metadata,
      });
      return;
    }
    for (let i = 0; i < events.length; i++) {
      const event = events[i]!;
      await this.#host.invoke(this.#registration, {
        inputData: { [this.#registration.triggerName]: { json: JSON.stringify(input.messages[i]) } },
        triggerMetadata: {
          PartitionContext: { json: JSON.stringify(input.triggerMetadata.partitionContext) },
          Offset: { string: event.offset },
          SequenceNumber: { int: event.sequenceNumber },
          EnqueuedTimeUtc: { string: event.enqueuedTimeUtc },
          PartitionKey: { string: event.partitionKey ?? '' },
        },
      });
    }
  }

  async stop(): Promise<void> {
    this.#abort.abort();
    await Promise.all(this.#loops);
    await this.#source?.close();
  }

  /**
   * Idle when every partition's last receive came back empty and no partition has events appended
   * since (a receive that is still waiting would otherwise look idle after a publish, and a one-shot
   * run could end before the consumer picked the new events up).
   */
  async isIdle(): Promise<boolean> {
    if (![...this.#partitionIdle.values()].every((idle) => idle)) return false;
    const source = this.#source;
    if (!source?.hasUnread) return true;
    const unread = await Promise.all([...this.#partitionIdle.keys()].map((p) => source.hasUnread!(p)));
    return !unread.some(Boolean);
  }
}
