import type { Delta } from '../../domain/capture/delta.js';
import type { DeltaFileReference } from '../../domain/events/delta-file.js';
import { deltaKeyOf } from '../../domain/events/delta-packer.js';

/**
 * Publishes captured deltas. Event Hubs on Azure; a durable local log on the embedded default.
 *
 * Guarantees: `publish` resolves only when every delta is durably acknowledged by the transport
 * (the CDC poller advances its state only after that); deltas with the same partition key
 * (table + business key) are delivered in publish order; many deltas are packed per event up to the
 * transport's size limit (envelope: shared/domain/events/delta-envelope.ts); throttling is retried
 * with backoff. A rejected `publish` may have delivered some of its events: the caller republishes
 * the same deltas (same event ids) and sinks drop the ids they have seen.
 */
export interface EventPublisher {
  publish(deltas: readonly Delta[]): Promise<PublishReceipt>;
  /**
   * Publishes references to delta files already written to bronze (shared/domain/events/delta-file.ts),
   * one small event each, on the partition of the file's table (so a table's files and inline
   * deltas keep their publish order), resolving when every one is durably acknowledged. A transport
   * without it carries every delta inline.
   */
  publishFiles?(files: readonly DeltaFileReference[]): Promise<PublishReceipt>;
  close(): Promise<void>;
}

export interface PublishReceipt {
  readonly deltas: number;
  /** Transport events/messages used (deltas are packed). */
  readonly events: number;
  /** Bytes of the event bodies. */
  readonly bytes: number;
}

/**
 * The ordering key of a delta: table + business key (per-key ordering). The transport partition
 * key of an event is the key bucket of the delta's table (`bucketKeyOf`, `keyBucketOf` in
 * shared/domain/events), so a table's keys share events and one partition, and one key always lands
 * on one partition.
 */
export function partitionKeyOf(delta: Pick<Delta, 'sourceTable' | 'businessKey'>): string {
  return deltaKeyOf(delta);
}
