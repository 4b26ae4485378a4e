import { hash } from 'node:crypto';
import { z } from 'zod';
import type { Delta } from '../capture/delta.js';
import { SOURCE_TABLE_NAMES, type SourceTableName } from '../datasets/source-tables.js';
import { lakePaths } from '../lake/lake-paths.js';
import { shortId } from '../pipeline/ids.js';
import {
  captureInstant,
  checkDeltaEnvelope,
  deltaSchema,
  issueProblems,
  readEventJson,
} from './delta-envelope.js';
import { bucketKeyOf, DEFAULT_KEY_BUCKETS, keyBucketLabel, keyBucketOf } from './delta-packer.js';

/**
 * Delta files: a large publish (an initial snapshot's page, a full scan's changes) goes to the lake,
 * not through the event transport (the claim-check pattern). The poller writes one table's deltas
 * to bronze as the object the consumer would have written for them (NDJSON, one `Delta` per line,
 * in publish order) and publishes one small event that refers to it. The consumer cuts that file
 * into a batch of its own without reading it; the chunk reader checks each line against the delta
 * schema when the batch runs (`decodeDeltaRecords`). docs/events.md, docs/adr/0019.
 *
 * Contract (wire format of the reference event, UTF-8 JSON, content type `application/json`):
 * `{"schema":"nhs-flows.delta-file","version":1,"file":{"eventId":…,"sourceTable":…,"records":n,"capturedAt":…}}`
 * - `eventId`: `f-` + SHA-256 (hex) over the file's delta event ids in file order joined by `\n`:
 *   the same deltas published again (a poller retry) make the same reference, which sinks drop as
 *   seen, and the same object path (create-only, so the retry finds the object it wrote).
 * - The object's path is not sent: both sides derive it (`deltaFileBronzePath`) from the table,
 *   the event id and `capturedAt` (the earliest capture time in the file).
 * - `records`: the deltas in the object (the batch's record count: a file of at most one chunk is
 *   read in place).
 */
export const DELTA_FILE_SCHEMA = 'nhs-flows.delta-file';
export const DELTA_FILE_VERSION = 1;

export interface DeltaFileReference {
  readonly eventId: string;
  readonly sourceTable: SourceTableName;
  readonly records: number;
  /** The earliest capture time of the file's deltas (canonical UTC instant). */
  readonly capturedAt: string;
}

/** The event id of a delta file: `f-` + SHA-256 over its deltas' event ids in order. */
export function deltaFileEventId(eventIds: readonly string[]): string {
  return `f-${hash('sha256', eventIds.join('\n'), 'hex')}`;
}

/** The batch a delta file becomes (its own batch: the consumer never merges it with others). */
export function deltaFileBatchId(ref: Pick<DeltaFileReference, 'sourceTable' | 'eventId'>): string {
  return `${ref.sourceTable}-${shortId(['delta-file', ref.eventId], 20)}`;
}

/** Where a delta file lives in the bronze container: where the consumer's own batches of the table go. */
export function deltaFileBronzePath(
  ref: Pick<DeltaFileReference, 'sourceTable' | 'eventId' | 'capturedAt'>,
): string {
  return lakePaths.bronzeBatch(
    lakePaths.bronzeCdcSource(ref.sourceTable),
    deltaFileBatchId(ref),
    new Date(ref.capturedAt),
  );
}

/** A bronze delta batch's bytes: one delta per line, in order, each line ended. */
export function encodeDeltaLines(deltas: readonly Delta[]): string {
  let out = '';
  for (const d of deltas) out += `${JSON.stringify(d)}\n`;
  return out;
}

/** The transport partition key of a table's events: its key bucket (the same as its inline deltas'). */
export function tablePartitionKey(table: SourceTableName, keyBuckets: number = DEFAULT_KEY_BUCKETS): string {
  return keyBucketLabel(keyBucketOf(bucketKeyOf({ sourceTable: table }), keyBuckets));
}

/** One transport event per delta file: its table's partition key, the reference body and its size. */
export function deltaFileEvents(
  files: readonly DeltaFileReference[],
  keyBuckets: number,
): { partitionKey: string; body: string; bytes: number; records: number }[] {
  return files.map((file) => {
    const body = encodeDeltaFileReference(file);
    return {
      partitionKey: tablePartitionKey(file.sourceTable, keyBuckets),
      body,
      bytes: Buffer.byteLength(body),
      records: file.records,
    };
  });
}

export function encodeDeltaFileReference(ref: DeltaFileReference): string {
  return JSON.stringify({
    schema: DELTA_FILE_SCHEMA,
    version: DELTA_FILE_VERSION,
    file: {
      eventId: ref.eventId,
      sourceTable: ref.sourceTable,
      records: ref.records,
      capturedAt: ref.capturedAt,
    },
  });
}

/** The reference event as it must arrive (zod, checked on receipt). */
export const deltaFileEnvelopeSchema = z.object({
  schema: z.literal(DELTA_FILE_SCHEMA),
  version: z.literal(DELTA_FILE_VERSION),
  file: z.object({
    eventId: z.string().regex(/^f-[0-9a-f]{64}$/, 'expected f- and 64 hex characters'),
    sourceTable: z.enum(SOURCE_TABLE_NAMES),
    records: z.number().int().positive(),
    capturedAt: captureInstant,
  }),
});

/** What one transport event carries: deltas inline, or a reference to a delta file. */
export type TransportEvent =
  | { readonly ok: true; readonly kind: 'deltas'; readonly deltas: readonly Delta[] }
  | { readonly ok: true; readonly kind: 'file'; readonly file: DeltaFileReference }
  | { readonly ok: false; readonly problems: readonly string[] };

/**
 * Reads an event body (bytes, text, or the object the Functions host parsed): a body naming the
 * delta-file schema is checked as a reference, any other as a delta envelope. A malformed body is a
 * result whose problems name paths and expectations, never values.
 */
export function parseTransportEvent(body: unknown): TransportEvent {
  const read = readEventJson(body);
  if (!read.ok) return read;
  const value = read.value;
  if (
    typeof value === 'object' &&
    value !== null &&
    (value as { schema?: unknown }).schema === DELTA_FILE_SCHEMA
  ) {
    const parsed = deltaFileEnvelopeSchema.safeParse(value);
    return parsed.success
      ? { ok: true, kind: 'file', file: parsed.data.file }
      : { ok: false, problems: issueProblems(parsed.error.issues) };
  }
  const envelope = checkDeltaEnvelope(value);
  return envelope.ok ? { ok: true, kind: 'deltas', deltas: envelope.envelope.deltas } : envelope;
}

/**
 * Reads one line of a delta file (or of any bronze delta batch) as a `Delta`, checked against the
 * delta schema. A bad line is a result naming the line and the fields, never a value, and saying
 * why: `not-json` (the text does not parse) or `not-a-delta` (JSON, but not a delta).
 */
export function readDeltaLine(
  line: string,
  lineNumber: number,
):
  | { readonly ok: true; readonly delta: Delta }
  | { readonly ok: false; readonly reason: 'not-json' | 'not-a-delta'; readonly problems: string } {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return {
      ok: false,
      reason: 'not-json',
      problems: `line ${lineNumber}: expected JSON, received text that does not parse`,
    };
  }
  const parsed = deltaSchema.safeParse(value);
  if (parsed.success) return { ok: true, delta: parsed.data };
  const problems = parsed.error.issues
    .slice(0, 5)
    .map((issue) => `${issue.path.map(String).join('.') || 'delta'}: ${issue.message}`)
    .join('; ');
  return { ok: false, reason: 'not-a-delta', problems: `line ${lineNumber}: ${problems}` };
}
