import type { Delta } from '../../domain/capture/delta.js';

/**
 * Publishes captured deltas. Event Hubs on Azure; a durable local log on the embedded default.
 *
 * Guarantees: `publish` resolves only when every delta is durably acknowledged by the transport
 * (the CDC poller advances its state only after that); deltas with the same partition key
 * (table + business key) are delivered in publish order; many deltas are packed per event up to the
 * transport's size limit; throttling is retried with backoff.
 */
export interface EventPublisher {
  publish(deltas: readonly Delta[]): Promise<PublishReceipt>;
  close(): Promise<void>;
}

export interface PublishReceipt {
  readonly deltas: number;
  /** Transport events/messages used (deltas are packed). */
  readonly events: number;
  readonly bytes: number;
}

/** The partition key of a delta: table + business key (per-key ordering). */
export function partitionKeyOf(delta: Pick<Delta, 'sourceTable' | 'businessKey'>): string {
  return `${delta.sourceTable}|${delta.businessKey.join('|')}`;
}
