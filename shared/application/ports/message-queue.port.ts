/**
 * A queue of small JSON messages (the poison queue of failed batches). Azure Storage queues on
 * Azure and on Azurite locally. Messages carry ids, paths and reasons: never row values.
 */
export interface MessageQueue {
  readonly name: string;
  ensure(): Promise<void>;
  send(message: Readonly<Record<string, unknown>>): Promise<void>;
  /** Receives up to `max` messages, invisible for `visibilitySeconds` until deleted. */
  receive(max: number, visibilitySeconds: number): Promise<QueueMessage[]>;
  delete(message: QueueMessage): Promise<void>;
  /** Makes a received message visible again at once (a reader that skips it). */
  release(message: QueueMessage): Promise<void>;
  /** Messages waiting (approximate on Azure). */
  count(): Promise<number>;
}

export interface QueueMessage {
  readonly id: string;
  readonly popReceipt: string;
  readonly dequeueCount: number;
  readonly body: Record<string, unknown>;
}
