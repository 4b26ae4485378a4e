import { QueueClient, type DequeuedMessageItem } from '@azure/storage-queue';
import { toError } from '../../../domain/errors.js';
import { bindingText, type Registration } from '../registration-capture.js';
import { pause, type TriggerHost, type TriggerSource } from './trigger-source.js';

/**
 * Drives an `app.storageQueue` registration against a real queue (Azurite locally) with the host's
 * queue semantics (host.json `extensions.queues`): messages are received in batches with a visibility
 * lease while the function runs; success deletes the message; failure makes it visible again after
 * `visibilityTimeout`, and once its `dequeueCount` reached `maxDequeueCount` (default 5) the message is
 * moved to `<queue>-poison` (created on demand) instead. Messages are base64 by default, as the host's
 * `messageEncoding` default; the poison copy keeps the original text.
 *
 * Trigger metadata as the host sends it: Id, DequeueCount, ExpirationTime, InsertionTime,
 * NextVisibleTime, PopReceipt (the library camel-cases them on `context.triggerMetadata`).
 */
export interface QueueTriggerOptions {
  readonly maxDequeueCount?: number;
  readonly batchSize?: number;
  /** Seconds a failed message stays invisible before its next attempt (host default 0). */
  readonly visibilityTimeoutSeconds?: number;
  readonly messageEncoding?: 'base64' | 'none';
  /** Poll interval when the queue was empty (the host backs off up to maxPollingInterval). */
  readonly pollIntervalMs?: number;
}

export class QueueTrigger implements TriggerSource {
  readonly functionName: string;
  readonly #registration: Registration;
  readonly #host: TriggerHost;
  readonly #queue: QueueClient;
  readonly #poison: QueueClient;
  readonly #options: Required<QueueTriggerOptions>;
  #abort = new AbortController();
  #loop: Promise<void> | undefined;
  #inFlight = 0;
  #lastPollEmpty = false;

  constructor(registration: Registration, host: TriggerHost, options: QueueTriggerOptions = {}) {
    this.functionName = registration.name;
    this.#registration = registration;
    this.#host = host;
    const queueName = host.resolve(bindingText(registration.trigger, 'queueName'));
    const connection = host.storageConnection(registration.trigger.connection);
    this.#queue = new QueueClient(connection, queueName);
    this.#poison = new QueueClient(connection, `${queueName}-poison`);
    this.#options = {
      maxDequeueCount: options.maxDequeueCount ?? 5,
      batchSize: options.batchSize ?? 16,
      visibilityTimeoutSeconds: options.visibilityTimeoutSeconds ?? 0,
      messageEncoding: options.messageEncoding ?? 'base64',
      pollIntervalMs: options.pollIntervalMs ?? 1000,
    };
  }

  async start(): Promise<void> {
    await this.#queue.createIfNotExists();
    this.#abort = new AbortController();
    this.#loop = this.#run(this.#abort.signal);
  }

  async #run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      let received: DequeuedMessageItem[] = [];
      try {
        const response = await this.#queue.receiveMessages({
          numberOfMessages: this.#options.batchSize,
          visibilityTimeout: 600,
        });
        received = response.receivedMessageItems;
      } catch (thrown) {
        this.#host.logger.warn('queue receive failed', {
          function: this.functionName,
          error: toError(thrown).message,
        });
      }
      this.#lastPollEmpty = received.length === 0;
      if (received.length === 0) {
        await pause(this.#options.pollIntervalMs, signal);
        continue;
      }
      this.#inFlight += received.length;
      await Promise.all(
        received.map((message) => this.#process(message).finally(() => (this.#inFlight -= 1))),
      );
    }
  }

  #decode(text: string): string {
    return this.#options.messageEncoding === 'base64' ? Buffer.from(text, 'base64').toString('utf8') : text;
  }

  async #process(message: DequeuedMessageItem): Promise<void> {
    const text = this.#decode(message.messageText);
    const meta = {
      Id: message.messageId,
      DequeueCount: message.dequeueCount,
      ExpirationTime: message.expiresOn.toISOString(),
      InsertionTime: message.insertedOn.toISOString(),
      NextVisibleTime: message.nextVisibleOn.toISOString(),
      PopReceipt: message.popReceipt,
    };
    try {
      await this.#host.invoke(this.#registration, {
        inputData: { [this.#registration.triggerName]: { string: text } },
        triggerMetadata: Object.fromEntries(
          Object.entries(meta).map(([k, v]) => [k, typeof v === 'number' ? { int: v } : { string: v }]),
        ),
      });
      await this.#queue.deleteMessage(message.messageId, message.popReceipt);
    } catch (thrown) {
      const error = toError(thrown);
      if (message.dequeueCount >= this.#options.maxDequeueCount) {
        this.#host.logger.warn('queue message moved to poison queue', {
          function: this.functionName,
          messageId: message.messageId,
          dequeueCount: message.dequeueCount,
        });
        await this.#poison.createIfNotExists();
        await this.#poison.sendMessage(message.messageText);
        await this.#queue.deleteMessage(message.messageId, message.popReceipt);
      } else {
        this.#host.logger.info('queue function failed; message will be retried', {
          function: this.functionName,
          messageId: message.messageId,
          dequeueCount: message.dequeueCount,
          error: error.message,
        });
        await this.#queue.updateMessage(
          message.messageId,
          message.popReceipt,
          undefined,
          this.#options.visibilityTimeoutSeconds,
        );
      }
    }
  }

  async stop(): Promise<void> {
    this.#abort.abort();
    await this.#loop;
  }

  async isIdle(): Promise<boolean> {
    if (this.#inFlight > 0 || !this.#lastPollEmpty) return false;
    const props = await this.#queue.getProperties();
    return (props.approximateMessagesCount ?? 0) === 0;
  }
}
