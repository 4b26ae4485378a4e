import { z } from 'zod';
import type { LakeContainer } from '../lake/lake-paths.js';

/**
 * The Event Grid subscription that feeds `landingFile`: BlobCreated events of the lake's `landing`
 * container, for the Blob REST operations that commit a whole blob (PutBlob, PutBlockList,
 * CopyBlob) and the Data Lake flush that closes a file (FlushWithClose). A Data Lake `CreateFile`
 * also raises BlobCreated, for an empty file about to be written: it is left out, so a file is
 * loaded once, when it is complete. The Azure subscription (infra/hooks/subscribe-landing-events.mjs)
 * and the local runtime's event source are both built from this declaration.
 */
export const LANDING_EVENT_SUBSCRIPTION = {
  name: 'landing-blob-created',
  container: 'landing',
  eventType: 'Microsoft.Storage.BlobCreated',
  apis: ['PutBlob', 'PutBlockList', 'CopyBlob', 'FlushWithClose'],
  /** Deliveries before Event Grid dead-letters an event (each a failed function run). */
  maxDeliveryAttempts: 5,
  /** Minutes an undelivered event is retried for. */
  eventTtlMinutes: 1440,
  /** Where Event Grid writes an event it could not deliver (a container in the lake). */
  deadLetterContainer: 'landing-deadletter' satisfies LakeContainer,
} as const;

/** The fields of an Event Grid (EventGridSchema) Blob Storage event the landing function reads. */
const blobEventSchema = z.object({
  id: z.string().min(1),
  eventType: z.string().min(1),
  subject: z.string().min(1),
  eventTime: z.string().min(1),
  data: z
    .object({
      api: z.string().min(1),
      url: z.string().optional(),
      contentLength: z.number().int().nonnegative().optional(),
      eTag: z.string().optional(),
    })
    .passthrough(),
});

const SUBJECT = /^\/blobServices\/default\/containers\/([^/]+)\/blobs\/(.+)$/;

/** What an event asks of the landing function: a blob to load, or nothing (and why not). */
export type LandingEvent =
  | { readonly kind: 'blob'; readonly name: string; readonly eventId: string; readonly api: string }
  | { readonly kind: 'ignored'; readonly eventId: string; readonly reason: string };

/**
 * Reads a delivered Event Grid event: the blob under `landing/` it names, or why it is not for the
 * landing function (another event type, container or operation). An event that is not an Event Grid
 * Blob Storage event at all throws (zod), so a misrouted subscription fails loudly.
 */
export function landingEventOf(input: unknown): LandingEvent {
  const event = blobEventSchema.parse(input);
  const subscription = LANDING_EVENT_SUBSCRIPTION;
  if (event.eventType !== subscription.eventType)
    return { kind: 'ignored', eventId: event.id, reason: `event type ${event.eventType}` };
  const api = event.data.api;
  if (!(subscription.apis as readonly string[]).includes(api))
    return { kind: 'ignored', eventId: event.id, reason: `operation ${api} (the file is not complete yet)` };
  const subject = SUBJECT.exec(event.subject);
  if (!subject || subject[1] !== subscription.container)
    return { kind: 'ignored', eventId: event.id, reason: 'not a blob of the landing container' };
  return { kind: 'blob', name: subject[2]!, eventId: event.id, api };
}
