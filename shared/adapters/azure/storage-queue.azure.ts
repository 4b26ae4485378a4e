import { QueueClient, QueueServiceClient } from '@azure/storage-queue';
import type { TokenCredential } from '@azure/identity';
import type { MessageQueue, QueueMessage } from '../../application/ports/message-queue.port.js';

/** A Storage queue (Azurite locally) of base64-encoded JSON messages, as the Functions host writes them. */
export class StorageMessageQueue implements MessageQueue {
  constructor(private readonly client: QueueClient) {}

  static fromConnectionString(connectionString: string, name: string): StorageMessageQueue {
    return new StorageMessageQueue(
      QueueServiceClient.fromConnectionString(connectionString).getQueueClient(name),
    );
  }

  static fromAccountUrl(url: string, name: string, credential: TokenCredential): StorageMessageQueue {
    return new StorageMessageQueue(new QueueServiceClient(url, credential).getQueueClient(name));
  }

  get name(): string {
    return this.client.name;
  }

  /** Existence first: on Azure the identity holds data roles on its queues only (infra/ creates them). */
  async ensure(): Promise<void> {
    if (!(await this.client.exists())) await this.client.createIfNotExists();
  }

  async send(message: Readonly<Record<string, unknown>>): Promise<void> {
    await this.client.sendMessage(Buffer.from(JSON.stringify(message), 'utf8').toString('base64'));
  }

  async receive(max: number, visibilitySeconds: number): Promise<QueueMessage[]> {
    const response = await this.client.receiveMessages({
      numberOfMessages: Math.min(32, max),
      visibilityTimeout: visibilitySeconds,
    });
    return response.receivedMessageItems.map((m) => ({
      id: m.messageId,
      popReceipt: m.popReceipt,
      dequeueCount: m.dequeueCount,
      body: JSON.parse(Buffer.from(m.messageText, 'base64').toString('utf8')) as Record<string, unknown>,
    }));
  }

  async delete(message: QueueMessage): Promise<void> {
    await this.client.deleteMessage(message.id, message.popReceipt);
  }

  async release(message: QueueMessage): Promise<void> {
    await this.client.updateMessage(message.id, message.popReceipt, undefined, 0);
  }

  async count(): Promise<number> {
    const properties = await this.client.getProperties();
    return properties.approximateMessagesCount ?? 0;
  }
}
