import type { AddressInfo, Server } from 'node:net';
import rhea, { type Connection, type EventContext, type Message, type Receiver, type Sender } from 'rhea';

/**
 * A small AMQP 1.0 endpoint on loopback that answers the real `EventHubProducerClient` well enough
 * to prove the publisher's SDK wiring: SASL, CBS `put-token`, `$management` READ of the hub and
 * partition properties, and sender links to `<hub>` (partition-key sends) and
 * `<hub>/Partitions/<id>`. It records every event it accepts, unpacking batch messages
 * (format 0x80013700, one data section per encoded event).
 *
 * It is NOT an Event Hubs: no real partitioning, no quotas, no consumer side, no auth checks. It
 * proves what the SDK put on the wire, not how Azure would treat it (see docs/events.md).
 */
export interface AmqpReceivedEvent {
  /** `x-opt-partition-key` of the enclosing message. */
  readonly partitionKey: string | null;
  /** Partition addressed by the link (`<hub>/Partitions/<id>`), or null for hub-level sends. */
  readonly partitionId: string | null;
  readonly body: Buffer;
  readonly contentType: string | null;
  readonly properties: Readonly<Record<string, unknown>>;
  /** Index of the transfer (one `sendBatch`) it arrived in, from 0. */
  readonly transfer: number;
}

export interface AmqpEventHubs {
  readonly port: number;
  /** `Endpoint=sb://127.0.0.1:<port>/;…;UseDevelopmentEmulator=true` (plain AMQP over TCP). */
  readonly connectionString: string;
  readonly received: AmqpReceivedEvent[];
  /** Requests answered, by kind ('put-token', 'READ com.microsoft:eventhub', …). */
  readonly requests: string[];
  /** Rejects the next `n` transfers with `condition` (e.g. 'com.microsoft:server-busy'). */
  rejectNext(n: number, condition: string, description?: string): void;
  stop(): Promise<void>;
}

const BATCH_FORMAT = 0x80013700;

export async function startAmqpEventHubs(
  options: { hubName?: string; partitionCount?: number; maxMessageSize?: number } = {},
): Promise<AmqpEventHubs> {
  const hubName = options.hubName ?? 'nhs-flows-cdc';
  const partitionIds = Array.from({ length: options.partitionCount ?? 4 }, (_, i) => String(i));
  const container = rhea.create_container({ id: 'amqp-event-hubs-standin' });
  const received: AmqpReceivedEvent[] = [];
  const requests: string[] = [];
  const connections = new Set<Connection>();
  let transfers = 0;
  let rejections: { left: number; condition: string; description: string } = {
    left: 0,
    condition: '',
    description: '',
  };

  const replySender = (connection: Connection, name: string): Sender | undefined => {
    // rhea keeps links on sessions; find the sender whose link name is the request's reply_to.
    const sessions = (
      connection as unknown as { local_channel_map: Record<string, { links: Record<string, unknown> }> }
    ).local_channel_map;
    for (const session of Object.values(sessions)) {
      const link = session.links[name] as (Sender & { is_sender(): boolean }) | undefined;
      if (link?.is_sender()) return link;
    }
    return undefined;
  };

  const respond = (context: EventContext, request: Message, status: number, body: unknown) => {
    const to = replySender(context.connection, String(request.reply_to));
    to?.send({
      correlation_id: request.message_id,
      application_properties: {
        'status-code': status,
        'status-description': status === 200 ? 'OK' : 'error',
      },
      body,
    });
  };

  container.on('connection_open', (context: EventContext) => {
    connections.add(context.connection);
  });
  container.on('sender_open', (context: EventContext) => {
    const sender = context.sender as Sender & { local: { attach: Record<string, unknown> } };
    sender.local.attach.source = sender.source;
    sender.local.attach.target = sender.target;
  });
  container.on('receiver_open', (context: EventContext) => {
    const receiver = context.receiver as Receiver & { local: { attach: Record<string, unknown> } };
    receiver.local.attach.source = receiver.source;
    receiver.local.attach.target = receiver.target;
    receiver.local.attach.max_message_size = options.maxMessageSize ?? 1024 * 1024;
  });
  container.on('message', (context: EventContext) => {
    const message = context.message!;
    const receiver = context.receiver!;
    const address = (receiver.target as { address?: string } | undefined)?.address ?? '';
    if (address === '$cbs') {
      requests.push(String(message.application_properties?.operation));
      respond(context, message, 200, undefined);
      return;
    }
    if (address === '$management') {
      const props = message.application_properties ?? {};
      const type = String(props.type);
      requests.push(`${String(props.operation)} ${type}`);
      if (type === 'com.microsoft:eventhub')
        respond(context, message, 200, {
          name: hubName,
          created_at: new Date('2026-01-01T00:00:00Z'),
          partition_count: partitionIds.length,
          partition_ids: partitionIds,
        });
      else
        respond(context, message, 200, {
          name: hubName,
          partition: String(props.partition),
          begin_sequence_number: 0,
          last_enqueued_sequence_number: -1,
          last_enqueued_offset: '-1',
          last_enqueued_time_utc: new Date(0),
          is_partition_empty: true,
        });
      return;
    }
    const transfer = transfers++;
    if (rejections.left > 0) {
      rejections.left -= 1;
      context.delivery!.reject({ condition: rejections.condition, description: rejections.description });
      return;
    }
    const partitionId = /\/Partitions\/([^/]+)$/i.exec(address)?.[1] ?? null;
    // rhea hands over the raw bytes of a non-zero message format (a batch) undecoded.
    const format = (context as EventContext & { format?: number }).format;
    const outer = Buffer.isBuffer(message) ? decodeMessage(message) : message;
    const outerKey = (outer.message_annotations?.['x-opt-partition-key'] as string | undefined) ?? null;
    const body = outer.body as { typecode?: number; content?: unknown; multiple?: boolean } | undefined;
    if (format === BATCH_FORMAT && body?.typecode === 0x75) {
      const sections = (body.multiple ? body.content : [body.content]) as Buffer[];
      for (const section of sections)
        received.push(toReceived(decodeMessage(section), partitionId, outerKey, transfer));
    } else {
      received.push(toReceived(outer, partitionId, outerKey, transfer));
    }
  });

  const server: Server = container.listen({ port: 0, host: '127.0.0.1' });
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    connectionString: `Endpoint=sb://127.0.0.1:${port}/;SharedAccessKeyName=standin;SharedAccessKey=c3RhbmRpbg==;UseDevelopmentEmulator=true`,
    received,
    requests,
    rejectNext(n, condition, description = 'rejected by the stand-in') {
      rejections = { left: n, condition, description };
    },
    async stop() {
      for (const connection of connections) connection.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function decodeMessage(bytes: Buffer): Message {
  return rhea.message.decode(bytes) as unknown as Message;
}

function toReceived(
  message: Message,
  partitionId: string | null,
  outerKey: string | null,
  transfer: number,
): AmqpReceivedEvent {
  const raw = message.body as unknown;
  let body: Buffer;
  if (Buffer.isBuffer(raw)) body = raw;
  else if (raw && typeof raw === 'object' && 'content' in raw && Buffer.isBuffer(raw.content))
    body = (raw as { content: Buffer }).content;
  else body = Buffer.from(typeof raw === 'string' ? raw : JSON.stringify(raw));
  return {
    partitionKey: (message.message_annotations?.['x-opt-partition-key'] as string | undefined) ?? outerKey,
    partitionId,
    body,
    contentType: message.content_type ?? null,
    properties: { ...(message.application_properties ?? {}) },
    transfer,
  };
}
