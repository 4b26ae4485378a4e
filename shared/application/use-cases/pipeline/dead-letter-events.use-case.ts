import { createHash } from 'node:crypto';
import { z } from 'zod';
import {
  INFRASTRUCTURE_CODES,
  InfrastructureError,
  InputError,
  InvariantError,
  toError,
} from '../../../domain/errors.js';
import { lakePaths } from '../../../domain/lake/lake-paths.js';
import type { ReceivedEventBody } from '../receive-deltas.use-case.js';
import { BATCH_LEDGER_TABLE } from './batch-ledger.use-case.js';
import { ingestDeltas, type IngestDeltasResult } from './ingest-deltas.use-case.js';

/** Ledger partition of dead-lettered event receipts (no source table is known for them). */
export const EVENTS_LEDGER_PARTITION = 'events';

/** Ledger status of a dead-lettered receipt, and of one a replay has since ingested. */
export const DEAD_LETTERED = 'dead-lettered';
export const DEAD_LETTER_REPLAYED = 'replayed';

type IngestDeps = Parameters<typeof ingestDeltas>[1];

/** A received event as the dead letter keeps it (the body as text; a parsed JSON body re-serialised). */
interface DeadLetterEvent {
  readonly partitionId: string | null;
  readonly offset: string | null;
  readonly sequenceNumber: number | null;
  readonly body: string;
}

/** The poison-queue message of a dead-lettered receipt: coordinates, counts, a code and a path; never a value. */
export const failedEventsMessage = z.object({
  kind: z.literal('nhs-flows.failed-events'),
  version: z.literal(1),
  deadLetterId: z.string(),
  path: z.string(),
  code: z.string(),
  events: z.number().int(),
  partitionId: z.string().nullable(),
  firstSequenceNumber: z.number().nullable(),
  lastSequenceNumber: z.number().nullable(),
  failedAt: z.string(),
});
export type FailedEventsMessage = z.infer<typeof failedEventsMessage>;

export interface IngestOrDeadLetterOptions {
  /** Ingest attempts before a transient failure is dead-lettered (default 3). */
  readonly attempts?: number;
  /** Backoff before the second attempt, doubled after each (default 500 ms). */
  readonly backoffMs?: number;
}

export type IngestOrDeadLetterResult =
  | ({ readonly deadLettered: false } & IngestDeltasResult)
  | {
      readonly deadLettered: true;
      readonly deadLetterId: string;
      readonly path: string;
      readonly code: string;
    };

/**
 * The eventHub trigger's use case: `ingestDeltas`, retried in process on transient failures; a
 * receipt that still cannot be ingested (or fails permanently: `INPUT_INVALID`) is dead-lettered
 * BEFORE the handler returns, so no change is lost when the checkpoint then moves on:
 * 1. the exact event bodies with partition, offset and sequence go to bronze `_failed/` (create-only,
 *    named by content, so a redelivery rewrites nothing);
 * 2. a `nhs-flows.failed-events` message goes on the pipeline's poison queue (code, counts, path);
 * 3. a `dead-lettered` ledger row (partition `events`) and `nhsflows.batch.failed` make it visible
 *    in `nhs-flows status` and page on-call.
 * If the dead letter itself cannot be written, this throws (naming both codes), so
 * the handler fails and the checkpoint does not advance. Replay: `replayDeadLetter`.
 */
export async function ingestOrDeadLetter(
  events: readonly ReceivedEventBody[],
  deps: IngestDeps,
  options: IngestOrDeadLetterOptions = {},
): Promise<IngestOrDeadLetterResult> {
  const attempts = Math.max(1, options.attempts ?? 3);
  let backoff = options.backoffMs ?? 500;
  let failure: Error | undefined;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    try {
      return { deadLettered: false, ...(await ingestDeltas(events, deps)) };
    } catch (thrown) {
      failure = toError(thrown);
      const permanent = failure instanceof InputError;
      deps.logger.warn('event receipt could not be ingested', {
        code: codeOf(failure),
        attempt,
        attempts,
        permanent,
        events: events.length,
      });
      if (permanent) break;
      if (attempt < attempts) {
        await new Promise((resolve) => setTimeout(resolve, backoff));
        backoff *= 2;
      }
    }
  }
  const error = failure ?? new InvariantError('unreachable: no ingest attempt ran');
  try {
    return { deadLettered: true, ...(await deadLetterEvents(events, codeOf(error), deps)) };
  } catch (thrown) {
    throw new InfrastructureError(
      INFRASTRUCTURE_CODES.deadLetterFailed,
      `event receipt of ${events.length} events could not be ingested (${codeOf(error)}) nor dead-lettered (${codeOf(toError(thrown))}): the checkpoint must not advance`,
      { cause: thrown },
    );
  }
}

/** Writes the dead letter of a receipt (bronze `_failed/`, poison queue, ledger, telemetry). */
export async function deadLetterEvents(
  events: readonly ReceivedEventBody[],
  code: string,
  deps: IngestDeps,
): Promise<{ deadLetterId: string; path: string; code: string }> {
  const kept: DeadLetterEvent[] = events.map((e) => ({
    partitionId: e.partitionId ?? null,
    offset: e.offset ?? null,
    sequenceNumber: e.sequenceNumber ?? null,
    body: bodyText(e.body),
  }));
  const digest = createHash('sha256');
  for (const e of kept) digest.update(`${e.partitionId}|${e.offset}|${e.sequenceNumber}|${e.body}\n`);
  const first = kept[0];
  const last = kept[kept.length - 1];
  const deadLetterId =
    `ev-${first?.partitionId ?? 'x'}-${first?.sequenceNumber ?? 'x'}-${digest.digest('hex').slice(0, 20)}`.replace(
      /[^A-Za-z0-9_.=-]/g,
      '_',
    );
  const now = deps.clock.now().toISOString();
  const path = lakePaths.failedEvents(now.slice(0, 10), deadLetterId);
  const header = {
    kind: 'nhs-flows.failed-events',
    version: 1,
    deadLetterId,
    code,
    events: kept.length,
    failedAt: now,
  };
  const body = [header, ...kept].map((line) => JSON.stringify(line)).join('\n') + '\n';
  // Create-only: a redelivered receipt that fails again finds its dead letter already written.
  await deps.lake.put('bronze', path, body, { ifNoneMatch: '*', contentType: 'application/x-ndjson' });
  const message: FailedEventsMessage = {
    kind: 'nhs-flows.failed-events',
    version: 1,
    deadLetterId,
    path,
    code,
    events: kept.length,
    partitionId: first?.partitionId ?? null,
    firstSequenceNumber: first?.sequenceNumber ?? null,
    lastSequenceNumber: last?.sequenceNumber ?? null,
    failedAt: now,
  };
  await deps.poisonQueue.ensure();
  await deps.poisonQueue.send(message);
  const reason = `event receipt of ${kept.length} events (partition ${first?.partitionId ?? '?'}, sequence ${first?.sequenceNumber ?? '?'}–${last?.sequenceNumber ?? '?'}) could not be ingested (${code}); dead-lettered to bronze/${path}`;
  await deps.state.ensureTables([BATCH_LEDGER_TABLE]);
  await deps.state.upsert(BATCH_LEDGER_TABLE, EVENTS_LEDGER_PARTITION, deadLetterId, {
    status: DEAD_LETTERED,
    origin: 'cdc',
    code,
    failureReason: reason,
    failedAt: now,
    records: kept.length,
  });
  deps.telemetry.event(
    'nhsflows.batch.failed',
    { batchId: deadLetterId, table: EVENTS_LEDGER_PARTITION, code, failedChunks: '0' },
    { events: kept.length },
  );
  deps.telemetry.metric('nhsflows.events.deadLettered', kept.length, { code });
  deps.logger.error('event receipt dead-lettered', {
    deadLetterId,
    code,
    events: kept.length,
    partitionId: message.partitionId,
    firstSequenceNumber: message.firstSequenceNumber,
    lastSequenceNumber: message.lastSequenceNumber,
    path,
  });
  return { deadLetterId, path, code };
}

/**
 * Replays a dead-lettered receipt: reads its events from bronze and ingests them again. Idempotent:
 * the seen-events store drops ids already ingested, and bronze batches and orchestration starts are
 * keyed by batch id. Marks the ledger row `replayed`. Throws when the dead letter is missing or the
 * ingest fails again (the message then stays on the queue).
 */
export async function replayDeadLetter(
  message: FailedEventsMessage,
  deps: IngestDeps,
): Promise<IngestDeltasResult> {
  const stored = await deps.lake.get('bronze', message.path);
  if (!stored)
    throw new InfrastructureError(
      INFRASTRUCTURE_CODES.deadLetterMissing,
      `dead letter bronze/${message.path} does not exist`,
    );
  const lines = stored.toString('utf8').split('\n').filter(Boolean);
  const events: ReceivedEventBody[] = lines.slice(1).map((line) => {
    const e = JSON.parse(line) as DeadLetterEvent;
    return {
      body: e.body,
      ...(e.partitionId !== null && { partitionId: e.partitionId }),
      ...(e.offset !== null && { offset: e.offset }),
      ...(e.sequenceNumber !== null && { sequenceNumber: e.sequenceNumber }),
    };
  });
  if (events.length !== message.events)
    throw new InfrastructureError(
      INFRASTRUCTURE_CODES.deadLetterMismatch,
      `dead letter bronze/${message.path} holds ${events.length} events, its message says ${message.events}`,
    );
  const result = await ingestDeltas(events, deps);
  await deps.state.ensureTables([BATCH_LEDGER_TABLE]);
  const existing = await deps.state.get(BATCH_LEDGER_TABLE, EVENTS_LEDGER_PARTITION, message.deadLetterId);
  await deps.state.upsert(BATCH_LEDGER_TABLE, EVENTS_LEDGER_PARTITION, message.deadLetterId, {
    ...(existing?.value ?? {}),
    status: DEAD_LETTER_REPLAYED,
    replayedAt: deps.clock.now().toISOString(),
    batches: result.batches.length,
  });
  deps.telemetry.event('nhsflows.batch.replayed', {
    batchId: message.deadLetterId,
    table: EVENTS_LEDGER_PARTITION,
  });
  return result;
}

/** A stable code for an error: its `code` when it has one, else its class name. Never its message. */
export function codeOf(error: Error): string {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && /^[A-Za-z0-9_.-]{1,64}$/.test(code) ? code : error.name || 'Error';
}

function bodyText(body: unknown): string {
  if (typeof body === 'string') return body;
  if (body instanceof Uint8Array) return Buffer.from(body).toString('utf8');
  return JSON.stringify(body) ?? String(body);
}
