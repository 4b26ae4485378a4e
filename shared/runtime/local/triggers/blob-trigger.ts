import { randomUUID } from 'node:crypto';
import { BlobServiceClient, type BlobClient, type BlobItem, type ContainerClient } from '@azure/storage-blob';
import { QueueClient } from '@azure/storage-queue';
import { toError } from '../../../domain/errors.js';
import { bindingText, type Registration } from '../registration-capture.js';
import { pause, type TriggerHost, type TriggerSource } from './trigger-source.js';

/**
 * Drives an `app.storageBlob` registration by polling a container (Azurite locally), as the host's
 * polling blob listener does: blobs whose name matches the trigger `path` (`container/{name}`,
 * `container/in/{dataset}/{name}.csv`, …) and that have no **blob receipt** yet are read and passed to
 * the function (a Buffer, with BlobTrigger/Uri/Properties/Metadata and the bound path parameters as
 * trigger metadata). After success a receipt blob is written to `azure-webjobs-hosts/blobreceipts/
 * <hostId>/<function>/"<etag>"/<container>/<blob>`, the host's layout, so a restart never fires twice
 * for the same blob version (a changed blob has a new ETag and fires again, as on Azure). After 5
 * failed attempts of one version the host's poison message goes to `webjobs-blobtrigger-poison` and a
 * receipt stops further attempts.
 */
export interface BlobTriggerOptions {
  readonly hostId?: string;
  readonly pollIntervalMs?: number;
  readonly maxAttempts?: number;
}

/**
 * An `app.eventGrid` registration fed with the Blob Storage events of one container, as an Event
 * Grid subscription on the storage account's system topic does on Azure: each committed blob is
 * announced once by a `Microsoft.Storage.BlobCreated` event (the function reads the blob itself).
 * After the last failed delivery the event is dead-lettered, as Event Grid does, to a blob in
 * `deadLetterContainer` (a JSON array holding the event and `deadLetterReason`).
 */
export interface BlobEventSubscription {
  /** The connection setting of the storage account whose events are subscribed to. */
  readonly connection: string;
  readonly container: string;
  readonly name: string;
  readonly maxDeliveryAttempts: number;
  readonly deadLetterContainer: string;
}

interface PathPattern {
  readonly container: string;
  readonly prefix: string;
  readonly match: (blobName: string) => Record<string, string> | undefined;
}

/** Compiles a blob trigger path (`container/prefix/{param}.ext`) into a matcher over blob names. */
export function compileBlobPath(path: string): PathPattern {
  const slash = path.indexOf('/');
  if (slash <= 0) throw new Error(`blob trigger path "${path}" must be "<container>/<pattern>"`);
  const container = path.slice(0, slash);
  const pattern = path.slice(slash + 1);
  const brace = pattern.indexOf('{');
  const prefix = brace < 0 ? pattern : pattern.slice(0, brace);
  const names: string[] = [];
  const source = pattern
    .split(/(\{[^}]+\})/)
    .map((part) => {
      const param = /^\{([^}]+)\}$/.exec(part);
      if (!param) return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      names.push(param[1]!);
      return '(.+?)';
    })
    .join('');
  const regex = new RegExp(`^${source}$`);
  return {
    container,
    prefix,
    match: (blobName) => {
      const m = regex.exec(blobName);
      if (!m) return undefined;
      return Object.fromEntries(names.map((n, i) => [n, m[i + 1] ?? '']));
    },
  };
}

/**
 * The Event Grid event (EventGridSchema) a storage account raises when a blob is committed, with the
 * fields Azure sends (https://learn.microsoft.com/azure/event-grid/event-schema-blob-storage).
 */
export function blobCreatedEvent(input: {
  readonly id: string;
  readonly container: string;
  readonly name: string;
  readonly url: string;
  readonly eTag: string;
  readonly contentLength: number;
  readonly eventTime: string;
}): Record<string, unknown> {
  return {
    id: input.id,
    topic:
      '/subscriptions/local/resourceGroups/local/providers/Microsoft.Storage/storageAccounts/devstoreaccount1',
    subject: `/blobServices/default/containers/${input.container}/blobs/${input.name}`,
    eventType: 'Microsoft.Storage.BlobCreated',
    eventTime: input.eventTime,
    dataVersion: '',
    metadataVersion: '1',
    data: {
      api: 'PutBlockList',
      url: input.url,
      eTag: input.eTag,
      contentLength: input.contentLength,
      contentType: 'application/octet-stream',
      blobType: 'BlockBlob',
    },
  };
}

export class BlobTrigger implements TriggerSource {
  readonly functionName: string;
  readonly #registration: Registration;
  readonly #host: TriggerHost;
  readonly #pattern: PathPattern;
  readonly #container: ContainerClient;
  readonly #receipts: ContainerClient;
  readonly #poison: QueueClient;
  readonly #hostId: string;
  readonly #pollIntervalMs: number;
  readonly #maxAttempts: number;
  readonly #seen = new Set<string>();
  readonly #attempts = new Map<string, number>();
  #abort = new AbortController();
  #loop: Promise<void> | undefined;
  #busy = false;
  #lastScanFoundWork = true;

  readonly #events: BlobEventSubscription | undefined;
  readonly #deadLetters: ContainerClient | undefined;

  constructor(
    registration: Registration,
    host: TriggerHost,
    options: BlobTriggerOptions = {},
    events?: BlobEventSubscription,
  ) {
    this.functionName = registration.name;
    this.#registration = registration;
    this.#host = host;
    this.#events = events;
    this.#pattern = compileBlobPath(
      events ? `${events.container}/{name}` : host.resolve(bindingText(registration.trigger, 'path')),
    );
    const connection = host.storageConnection(events ? events.connection : registration.trigger.connection);
    const service = BlobServiceClient.fromConnectionString(connection);
    this.#container = service.getContainerClient(this.#pattern.container);
    this.#receipts = service.getContainerClient('azure-webjobs-hosts');
    this.#poison = new QueueClient(connection, 'webjobs-blobtrigger-poison');
    this.#deadLetters = events ? service.getContainerClient(events.deadLetterContainer) : undefined;
    this.#hostId = options.hostId ?? 'nhs-flows-local';
    this.#pollIntervalMs = options.pollIntervalMs ?? 1000;
    this.#maxAttempts = options.maxAttempts ?? events?.maxDeliveryAttempts ?? 5;
  }

  async start(): Promise<void> {
    await this.#container.createIfNotExists();
    await this.#receipts.createIfNotExists();
    await this.#deadLetters?.createIfNotExists();
    this.#abort = new AbortController();
    this.#loop = this.#run(this.#abort.signal);
  }

  #receiptPath(etag: string, blobName: string): string {
    return `blobreceipts/${this.#hostId}/${this.functionName}/${etag}/${this.#pattern.container}/${blobName}`;
  }

  async #run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      this.#busy = true;
      try {
        this.#lastScanFoundWork = await this.#scan(signal);
      } catch (thrown) {
        this.#host.logger.warn('blob scan failed', {
          function: this.functionName,
          error: toError(thrown).message,
        });
      } finally {
        this.#busy = false;
      }
      await pause(this.#pollIntervalMs, signal);
    }
  }

  /** One pass over the container; true when a blob was processed or attempted. */
  async #scan(signal: AbortSignal): Promise<boolean> {
    let worked = false;
    for await (const blob of this.#container.listBlobsFlat({
      prefix: this.#pattern.prefix,
      includeMetadata: true,
    })) {
      if (signal.aborted) break;
      const params = this.#pattern.match(blob.name);
      const etag = blob.properties.etag ?? '';
      const key = `${etag}|${blob.name}`;
      if (!params || this.#seen.has(key)) continue;
      const receipt = this.#receipts.getBlockBlobClient(this.#receiptPath(etag, blob.name));
      if (await receipt.exists()) {
        this.#seen.add(key);
        continue;
      }
      worked = true;
      const client = this.#container.getBlobClient(blob.name);
      const eventId = randomUUID();
      const eventTime = new Date().toISOString();
      try {
        if (this.#events) {
          const event = blobCreatedEvent({
            id: eventId,
            container: this.#pattern.container,
            name: blob.name,
            url: client.url,
            eTag: etag,
            contentLength: blob.properties.contentLength ?? 0,
            eventTime,
          });
          await this.#host.invoke(this.#registration, {
            inputData: { [this.#registration.triggerName]: { json: JSON.stringify(event) } },
          });
        } else await this.#invokeWithContent(client, blob, etag, params);
        await receipt.upload('', 0);
        this.#seen.add(key);
      } catch (thrown) {
        const attempts = (this.#attempts.get(key) ?? 0) + 1;
        this.#attempts.set(key, attempts);
        this.#host.logger.warn('blob function failed', {
          function: this.functionName,
          blob: blob.name,
          attempt: attempts,
          error: toError(thrown).message,
        });
        if (attempts >= this.#maxAttempts && this.#events) {
          await this.#deadLetter(blob.name, etag, attempts, toError(thrown).message);
          await receipt.upload('', 0);
          this.#seen.add(key);
        } else if (attempts >= this.#maxAttempts) {
          const message = {
            Type: 'BlobTrigger',
            FunctionId: this.functionName,
            BlobType: 'BlockBlob',
            ContainerName: this.#pattern.container,
            BlobName: blob.name,
            ETag: etag,
          };
          await this.#poison.createIfNotExists();
          await this.#poison.sendMessage(Buffer.from(JSON.stringify(message)).toString('base64'));
          await receipt.upload('', 0);
          this.#seen.add(key);
        }
      }
    }
    return worked;
  }

  /** The blob trigger's delivery: the blob's bytes, with the host's trigger metadata. */
  async #invokeWithContent(
    client: BlobClient,
    blob: BlobItem,
    etag: string,
    params: Record<string, string>,
  ): Promise<void> {
    const body = await client.downloadToBuffer();
    const path = `${this.#pattern.container}/${blob.name}`;
    const metadata: Record<string, unknown> = {
      BlobTrigger: path,
      Uri: client.url,
      Properties: {
        ETag: etag,
        Length: blob.properties.contentLength ?? body.length,
        ContentType: blob.properties.contentType ?? null,
        LastModified: blob.properties.lastModified.toISOString(),
      },
      Metadata: blob.metadata ?? {},
      ...params,
    };
    await this.#host.invoke(this.#registration, {
      inputData: { [this.#registration.triggerName]: { bytes: body } },
      triggerMetadata: Object.fromEntries(
        Object.entries(metadata).map(([k, v]) => [
          k,
          typeof v === 'string' ? { string: v } : { json: JSON.stringify(v) },
        ]),
      ),
    });
  }

  /**
   * Event Grid's dead-letter blob for an event whose deliveries all failed:
   * `<subscription>/<yyyy>/<MM>/<dd>/<HH>/<event id>.json`, a JSON array with the event and why.
   */
  async #deadLetter(name: string, etag: string, attempts: number, lastError: string): Promise<void> {
    const events = this.#events!;
    const now = new Date();
    const id = randomUUID();
    const event = {
      ...blobCreatedEvent({
        id,
        container: this.#pattern.container,
        name,
        url: this.#container.getBlobClient(name).url,
        eTag: etag,
        contentLength: 0,
        eventTime: now.toISOString(),
      }),
      deadLetterReason: 'MaxDeliveryAttemptsExceeded',
      deliveryAttempts: attempts,
      lastDeliveryOutcome: lastError.slice(0, 200),
      publishTime: now.toISOString(),
      lastDeliveryAttemptTime: now.toISOString(),
    };
    const stamp = now.toISOString();
    const path = `${events.name.toUpperCase()}/${stamp.slice(0, 4)}/${stamp.slice(5, 7)}/${stamp.slice(8, 10)}/${stamp.slice(11, 13)}/${id}.json`;
    const body = JSON.stringify([event]);
    await this.#deadLetters!.getBlockBlobClient(path).upload(body, Buffer.byteLength(body));
  }

  async stop(): Promise<void> {
    this.#abort.abort();
    await this.#loop;
  }

  async isIdle(): Promise<boolean> {
    return !this.#busy && !this.#lastScanFoundWork;
  }
}
