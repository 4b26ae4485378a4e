import type { Delta } from '../../domain/capture/delta.js';
import { batchIdOf } from '../../domain/events/batch-id.js';
import { parseTransportEvent, type DeltaFileReference } from '../../domain/events/delta-file.js';
import type { Logger } from '../ports/logger.port.js';
import type { SeenEvents, SeenReservation } from '../ports/seen-events.port.js';

/** One received transport event: its body and where it came from (for reporting). */
export interface ReceivedEventBody {
  /** Bytes, text, or the object the Functions host parsed from JSON. */
  readonly body: unknown;
  readonly partitionId?: string;
  readonly offset?: string;
  readonly sequenceNumber?: number;
}

/** An event whose body is not a valid delta envelope: sent aside (quarantine), never dropped silently. */
export interface MalformedEvent {
  readonly partitionId: string | null;
  readonly offset: string | null;
  readonly sequenceNumber: number | null;
  /** Path + expected-vs-received, no values. */
  readonly problems: readonly string[];
  /** The body as received (may hold row values: write it only to access-restricted storage, never log it). */
  readonly body: string;
}

/** What the eventHub-trigger handler writes to bronze and orchestrates. */
export interface ReceivedBatch {
  /** Deterministic (`batchIdOf` the deltas' event ids); null when no new delta arrived. */
  readonly batchId: string | null;
  /** New deltas in arrival order (per-key order is kept), each event id once. */
  readonly deltas: readonly Delta[];
  /**
   * New delta files (references the poller published for large publishes: docs/adr/0019), each id
   * once, in arrival order. Each becomes a batch of its own; the consumer does not read them.
   */
  readonly files: readonly DeltaFileReference[];
  /** Deltas (and delta files) dropped because their id was seen before or earlier in this receipt. */
  readonly duplicatesDropped: number;
  /**
   * Seen ids whose receipt this instance has not finished, by receipt id (`SeenEvents.classify`):
   * a crash came between claiming them and starting their batches, so the caller finishes those
   * receipts (starts the batches they name) rather than treating the events as new.
   */
  readonly unfinishedReceipts: ReadonlyMap<string | null, readonly string[]>;
  readonly malformed: readonly MalformedEvent[];
  /**
   * With `reserve`: the seen-state read behind this batch, held for the claim (`SeenEvents.reserve`).
   * The caller claims through it and releases it on every path.
   */
  readonly reservation?: SeenReservation;
}

/**
 * Turns received transport events into one batch of new deltas.
 *
 * Guarantees: every malformed event is returned (with partition, offset and sequence) and logged
 * without its content; deltas whose event id was already marked seen, or that repeat within this
 * receipt, are dropped and counted; the batch id depends only on the set of new event ids.
 *
 * It does NOT mark anything seen. The caller must, in this order:
 * 1. write the batches to bronze keyed by batch id (create-only, so a retry is a no-op);
 * 2. write the receipt's claim (its batch descriptors, create-only) under `batchId`;
 * 3. `seenEvents.claim(ids, batchId)` (or the reservation's claim, with `reserve`): from here a redelivery, however it groups the events,
 *    finds them claimed by this receipt (`unfinishedReceipts`) and finishes it;
 * 4. start each batch's orchestration (instance id = its batch id) unless it already exists;
 * 5. `seenEvents.settle(ids)` and return, so the checkpoint advances.
 * A crash before (3) redelivers the events as new (their batch ids may differ if the receipt is cut
 * differently; nothing was started, so nothing is counted twice); marking before (1) could lose
 * deltas for good (seen, but stored nowhere).
 */
export async function receiveDeltas(
  events: readonly ReceivedEventBody[],
  deps: { readonly seenEvents: SeenEvents; readonly logger: Logger },
  options: { readonly reserve?: boolean } = {},
): Promise<ReceivedBatch> {
  const malformed: MalformedEvent[] = [];
  const candidates: Delta[] = [];
  const fileCandidates: DeltaFileReference[] = [];
  for (const event of events) {
    const parsed = parseTransportEvent(event.body);
    if (parsed.ok) {
      if (parsed.kind === 'file') fileCandidates.push(parsed.file);
      else for (const delta of parsed.deltas) candidates.push(delta);
      continue;
    }
    const report: MalformedEvent = {
      partitionId: event.partitionId ?? null,
      offset: event.offset ?? null,
      sequenceNumber: event.sequenceNumber ?? null,
      problems: parsed.problems,
      body: bodyText(event.body),
    };
    malformed.push(report);
    deps.logger.warn('malformed event set aside', {
      code: 'EVENT_MALFORMED',
      partitionId: report.partitionId,
      offset: report.offset,
      sequenceNumber: report.sequenceNumber,
      problems: report.problems.length,
      firstProblem: report.problems[0],
    });
  }

  const ids = [...candidates.map((d) => d.eventId), ...fileCandidates.map((f) => f.eventId)];
  const reservation = options.reserve ? await deps.seenEvents.reserve(ids) : undefined;
  const classified = reservation ?? (await deps.seenEvents.classify(ids));
  try {
    const unseen = new Set(classified.unseen);
    const deltas: Delta[] = [];
    for (const delta of candidates) {
      if (!unseen.has(delta.eventId)) continue;
      unseen.delete(delta.eventId);
      deltas.push(delta);
    }
    const files: DeltaFileReference[] = [];
    for (const file of fileCandidates) {
      if (!unseen.has(file.eventId)) continue;
      unseen.delete(file.eventId);
      files.push(file);
    }
    const duplicatesDropped = candidates.length + fileCandidates.length - deltas.length - files.length;
    const newIds = [...deltas.map((d) => d.eventId), ...files.map((f) => f.eventId)];
    const batchId = newIds.length > 0 ? batchIdOf(newIds) : null;
    deps.logger.info('deltas received', {
      batchId,
      events: events.length,
      deltas: deltas.length,
      deltaFiles: files.length,
      duplicatesDropped,
      malformed: malformed.length,
      unfinishedReceipts: classified.claimed.size,
    });
    return {
      batchId,
      deltas,
      files,
      duplicatesDropped,
      unfinishedReceipts: classified.claimed,
      malformed,
      ...(reservation && { reservation }),
    };
  } catch (error) {
    await reservation?.release();
    throw error;
  }
}

function bodyText(body: unknown): string {
  if (typeof body === 'string') return body;
  if (body instanceof Uint8Array) return new TextDecoder().decode(body);
  try {
    return JSON.stringify(body) ?? String(body);
  } catch {
    return String(body);
  }
}
