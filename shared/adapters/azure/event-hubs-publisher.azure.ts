import { EventHubProducerClient, type EventHubClientOptions } from '@azure/event-hubs';
import { DefaultAzureCredential, type TokenCredential } from '@azure/identity';
import type { EventPublisher, PublishReceipt } from '../../application/ports/event-publisher.port.js';
import type { Logger } from '../../application/ports/logger.port.js';
import { silentLogger } from '../../application/ports/logger.port.js';
import type { Delta } from '../../domain/capture/delta.js';
import { DELTA_ENVELOPE_CONTENT_TYPE, DELTA_ENVELOPE_SCHEMA } from '../../domain/events/delta-envelope.js';
import {
  DELTA_FILE_SCHEMA,
  deltaFileEvents,
  type DeltaFileReference,
} from '../../domain/events/delta-file.js';
import {
  DEFAULT_KEY_BUCKETS,
  EVENT_HUBS_MAX_EVENT_BYTES,
  packDeltas,
} from '../../domain/events/delta-packer.js';
import { EventTooLargeError, InfrastructureError, toError } from '../../domain/errors.js';

/** The event the publisher hands the SDK (a subset of `EventData`). */
export interface OutgoingEvent {
  readonly body: Buffer;
  readonly contentType: string;
  readonly properties: Readonly<Record<string, string | number>>;
}

/** An event ready to send: its partition key, body and application properties. */
interface Outbound {
  readonly partitionKey: string;
  readonly body: string;
  readonly bytes: number;
  readonly properties: Readonly<Record<string, string | number>>;
}

/** The `EventDataBatch` methods the publisher uses. */
export interface EventDataBatchLike {
  tryAdd(event: OutgoingEvent): boolean;
  readonly count: number;
  readonly sizeInBytes: number;
  readonly maxSizeInBytes: number;
}

/** The `EventHubProducerClient` methods the publisher uses (narrow, so a fake can stand in). */
export interface EventHubProducerLike {
  createBatch(options: { partitionKey: string }): Promise<EventDataBatchLike>;
  sendBatch(batch: EventDataBatchLike): Promise<void>;
  close(): Promise<void>;
}

export interface EventHubsPublisherOptions {
  /** Largest event body (default 1,000,000 bytes; 250,000 when events go via the Functions output binding). */
  readonly maxEventBytes?: number;
  /** Key buckets = distinct partition keys deltas are spread over (default 32). */
  readonly keyBuckets?: number;
  /** Throttling retries after the SDK's own retries are spent (default 8), then the publish fails. */
  readonly maxThrottleRetries?: number;
  /** First backoff delay (default 500 ms), doubled per retry, with full jitter, capped (default 30 s). */
  readonly initialBackoffMs?: number;
  readonly maxBackoffMs?: number;
  /** Partition-key streams sent at the same time (default 4); one key's events are always sequential. */
  readonly concurrency?: number;
  readonly logger?: Logger;
  /** Injected for tests: waiting and randomness. */
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
}

/**
 * Publishes deltas to Azure Event Hubs.
 *
 * Guarantees: deltas are packed into envelope events (shared/domain/events) of at most
 * `maxEventBytes`; each event's partition key is its key bucket, so one table + business key always
 * maps to one partition; the events of one partition key are sent strictly in order, batch after
 * batch (`createBatch({ partitionKey })` filled with `tryAdd`), the next only after the previous is
 * acknowledged; throttling (ServerBusy, "throttled", or any `retryable` MessagingError that outlived
 * the SDK's retries) is retried with exponential backoff, full jitter and a cap; `publish` resolves
 * only when every batch is acknowledged and rejects with `InfrastructureError` otherwise (some
 * batches may have landed: republishing the same deltas is safe because sinks drop seen ids).
 */
export class EventHubsPublisher implements EventPublisher {
  private readonly logger: Logger;

  constructor(
    private readonly producer: EventHubProducerLike,
    private readonly options: EventHubsPublisherOptions = {},
  ) {
    this.logger = (options.logger ?? silentLogger).child({ component: 'event-hubs-publisher' });
  }

  /** From a connection string (`Endpoint=sb://…;SharedAccessKeyName=…;SharedAccessKey=…`). */
  static fromConnectionString(
    connectionString: string,
    eventHubName: string,
    options: EventHubsPublisherOptions & { readonly clientOptions?: EventHubClientOptions } = {},
  ): EventHubsPublisher {
    const client = new EventHubProducerClient(connectionString, eventHubName, options.clientOptions);
    return new EventHubsPublisher(client, options);
  }

  /** Managed identity on Azure: `<namespace>.servicebus.windows.net` + DefaultAzureCredential. */
  static fromNamespace(
    fullyQualifiedNamespace: string,
    eventHubName: string,
    options: EventHubsPublisherOptions & {
      readonly credential?: TokenCredential;
      readonly clientOptions?: EventHubClientOptions;
    } = {},
  ): EventHubsPublisher {
    const client = new EventHubProducerClient(
      fullyQualifiedNamespace,
      eventHubName,
      options.credential ?? new DefaultAzureCredential(),
      options.clientOptions,
    );
    return new EventHubsPublisher(client, options);
  }

  async publish(deltas: readonly Delta[]): Promise<PublishReceipt> {
    if (deltas.length === 0) return { deltas: 0, events: 0, bytes: 0 };
    const events = packDeltas(deltas, {
      maxEventBytes: this.options.maxEventBytes ?? EVENT_HUBS_MAX_EVENT_BYTES,
      keyBuckets: this.options.keyBuckets ?? DEFAULT_KEY_BUCKETS,
    });
    await this.sendAll(
      events.map((event) => ({
        ...event,
        properties: { schema: DELTA_ENVELOPE_SCHEMA, deltas: event.deltaCount },
      })),
    );
    const bytes = events.reduce((n, e) => n + e.bytes, 0);
    this.logger.debug('published', { deltas: deltas.length, events: events.length, bytes });
    return { deltas: deltas.length, events: events.length, bytes };
  }

  /** One small event per delta file, on its table's partition key (docs/adr/0019). */
  async publishFiles(files: readonly DeltaFileReference[]): Promise<PublishReceipt> {
    if (files.length === 0) return { deltas: 0, events: 0, bytes: 0 };
    const events = deltaFileEvents(files, this.options.keyBuckets ?? DEFAULT_KEY_BUCKETS).map((e) => ({
      ...e,
      properties: { schema: DELTA_FILE_SCHEMA, deltas: e.records },
    }));
    await this.sendAll(events);
    const bytes = events.reduce((n, e) => n + e.bytes, 0);
    const deltas = files.reduce((n, f) => n + f.records, 0);
    this.logger.debug('published delta files', { files: files.length, deltas, bytes });
    return { deltas, events: events.length, bytes };
  }

  /** Each partition key's events in order, up to `concurrency` keys at a time. */
  private async sendAll(events: readonly Outbound[]): Promise<void> {
    const byKey = new Map<string, Outbound[]>();
    for (const event of events) {
      const list = byKey.get(event.partitionKey) ?? [];
      list.push(event);
      byKey.set(event.partitionKey, list);
    }
    const streams = [...byKey.entries()];
    let next = 0;
    const worker = async () => {
      while (next < streams.length) {
        const [partitionKey, stream] = streams[next++]!;
        await this.sendStream(partitionKey, stream);
      }
    };
    const concurrency = Math.max(1, this.options.concurrency ?? 4);
    await Promise.all(Array.from({ length: Math.min(concurrency, streams.length) }, worker));
  }

  /** Sends one partition key's events in order, as few batches as fit. */
  private async sendStream(partitionKey: string, events: readonly Outbound[]): Promise<void> {
    let batch = await this.call('createBatch', () => this.producer.createBatch({ partitionKey }));
    for (const event of events) {
      const outgoing: OutgoingEvent = {
        body: Buffer.from(event.body, 'utf8'),
        contentType: DELTA_ENVELOPE_CONTENT_TYPE,
        properties: event.properties,
      };
      if (batch.tryAdd(outgoing)) continue;
      if (batch.count === 0) throw this.tooLarge(event, batch.maxSizeInBytes);
      await this.sendWithRetry(partitionKey, batch);
      batch = await this.call('createBatch', () => this.producer.createBatch({ partitionKey }));
      if (!batch.tryAdd(outgoing)) throw this.tooLarge(event, batch.maxSizeInBytes);
    }
    if (batch.count > 0) await this.sendWithRetry(partitionKey, batch);
  }

  private tooLarge(event: Outbound, limit: number): EventTooLargeError {
    // The packer kept the body under maxEventBytes, so the link's limit is smaller than configured.
    const first = /"sourceTable":"([^"]+)"/.exec(event.body)?.[1] ?? 'unknown';
    const eventId = /"eventId":"([^"]+)"/.exec(event.body)?.[1] ?? 'unknown';
    return new EventTooLargeError(first, eventId, event.bytes, limit);
  }

  private async sendWithRetry(partitionKey: string, batch: EventDataBatchLike): Promise<void> {
    const maxRetries = this.options.maxThrottleRetries ?? 8;
    const initial = this.options.initialBackoffMs ?? 500;
    const cap = this.options.maxBackoffMs ?? 30_000;
    const sleep = this.options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
    const random = this.options.random ?? Math.random;
    for (let attempt = 0; ; attempt++) {
      try {
        await this.producer.sendBatch(batch);
        return;
      } catch (thrown) {
        const error = toError(thrown);
        if (!isThrottling(error) || attempt >= maxRetries)
          throw new InfrastructureError(
            isThrottling(error) ? 'EVENTS_THROTTLED' : 'EVENTS_SEND_FAILED',
            `Event Hubs send of ${batch.count} events (partition key ${partitionKey}) failed after ${attempt + 1} attempts: ${error.message}`,
            { cause: error },
          );
        const delay = Math.floor(random() * Math.min(cap, initial * 2 ** attempt));
        this.logger.warn('Event Hubs throttled; backing off', {
          code: 'EVENTS_THROTTLED',
          partitionKey,
          attempt: attempt + 1,
          delayMs: delay,
        });
        await sleep(delay);
      }
    }
  }

  private async call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (thrown) {
      const error = toError(thrown);
      throw new InfrastructureError('EVENTS_SEND_FAILED', `Event Hubs ${what} failed: ${error.message}`, {
        cause: error,
      });
    }
  }

  async close(): Promise<void> {
    await this.producer.close();
  }
}

/** Throttling or a transient error the SDK marked retryable and gave up on. */
export function isThrottling(error: Error): boolean {
  const e = error as Error & { code?: unknown; retryable?: unknown };
  if (e.code === 'ServerBusyError' || e.code === 'ServerBusy' || e.code === 'com.microsoft:server-busy')
    return true;
  if (/throttl|server.?busy/i.test(error.message)) return true;
  return e.retryable === true;
}
