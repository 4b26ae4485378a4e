import { z } from 'zod';
import type { Delta } from '../capture/delta.js';
import { SOURCE_TABLE_NAMES } from '../datasets/source-tables.js';
import { canonicalUtc, ISO_TIME_EXPECTED, ISO_TIME_RECEIVED, readIsoTime } from '../time/iso-time.js';

/**
 * The transport envelope: one event on Event Hubs (or the local log) carries many deltas.
 *
 * Contract (wire format, UTF-8 JSON, content type `application/json`):
 * `{"schema":"nhs-flows.deltas","version":1,"deltas":[<Delta>, ...]}`
 * - `schema` and `version` identify the format; a reader refuses any other pair (a new version is a
 *   new reader branch, never a silent reinterpretation).
 * - `deltas` keeps publish order; all deltas of one table + business key that appear in one publish
 *   are in the same event stream position order (see delta-packer.ts).
 * - Each delta is the `Delta` wire form of shared/domain/capture/delta.ts. `capturedAt` is read as
 *   the canonical UTC instant (milliseconds), whatever fractional precision was written.
 */
export const DELTA_ENVELOPE_SCHEMA = 'nhs-flows.deltas';
export const DELTA_ENVELOPE_VERSION = 1;
export const DELTA_ENVELOPE_CONTENT_TYPE = 'application/json';

export interface DeltaEnvelope {
  readonly schema: typeof DELTA_ENVELOPE_SCHEMA;
  readonly version: typeof DELTA_ENVELOPE_VERSION;
  readonly deltas: readonly Delta[];
}

const rowValue = z.union([z.string(), z.number(), z.boolean(), z.null()]);
const rowRecord = z.record(z.string(), rowValue);

/** True when `value` is a plain object whose every value is text, a number, true/false or null. */
function isFlatRow(value: unknown): value is Record<string, string | number | boolean | null> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  for (const name in value) {
    const v = (value as Record<string, unknown>)[name];
    if (v !== null && typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') return false;
  }
  return true;
}

/**
 * A delta's row: column name → text, number, true/false or null. A well-formed row (every event in
 * practice) is taken by one pass over its values; anything else goes through the zod record, so a
 * bad row is refused with the same issues and paths. zod's record alone cost about 10 µs per
 * 40-column row, most of an event's parse, on the host's main thread.
 */
const sourceRow = z.unknown().transform((value, ctx) => {
  if (isFlatRow(value)) return value;
  const checked = rowRecord.safeParse(value);
  if (checked.success) return checked.data;
  for (const issue of checked.error.issues)
    ctx.addIssue({ code: 'custom', path: issue.path, message: issue.message });
  return z.NEVER;
});

/**
 * A capture time: a UTC instant `YYYY-MM-DDTHH:mm:ss[.f…]Z` on a real calendar date and clock time,
 * read as its canonical text `YYYY-MM-DDTHH:mm:ss.sssZ` (fractions beyond milliseconds truncated).
 * Writers may send any fractional precision; readers get one form, so capture times compare as
 * instants whether they are compared as text or parsed.
 */
export const captureInstant = z.string().transform((text, ctx) => {
  const reading = readIsoTime(text, 'utc-instant');
  if (reading.ok) return canonicalUtc(reading.ms);
  ctx.addIssue({
    code: 'custom',
    message: `expected ${ISO_TIME_EXPECTED['utc-instant']}, received ${ISO_TIME_RECEIVED[reading.problem]}`,
  });
  return z.NEVER;
});

/** A delta as it must arrive: every field of `Delta`, with the op-dependent rules of delta.ts. */
export const deltaSchema = z
  .object({
    eventId: z.string().min(1),
    op: z.enum(['insert', 'update', 'delete']),
    sourceTable: z.enum(SOURCE_TABLE_NAMES),
    businessKey: z.array(z.string()).min(1),
    rowHash: z.string().min(1).nullable(),
    previousHash: z.string().min(1).nullable(),
    hashSpecVersion: z.number().int().positive(),
    sourceVersion: z.string().nullable(),
    capturedAt: captureInstant,
    snapshot: z.boolean(),
    row: sourceRow.nullable(),
  })
  .superRefine((delta, ctx) => {
    if (delta.op === 'delete' && delta.row !== null)
      ctx.addIssue({ code: 'custom', path: ['row'], message: 'expected null for a delete, received a row' });
    if (delta.op !== 'delete' && delta.row === null)
      ctx.addIssue({
        code: 'custom',
        path: ['row'],
        message: `expected a row for an ${delta.op}, received null`,
      });
    if (delta.op === 'insert' && delta.previousHash !== null)
      ctx.addIssue({
        code: 'custom',
        path: ['previousHash'],
        message: 'expected null for an insert, received a hash',
      });
    if (delta.op !== 'insert' && delta.previousHash === null)
      ctx.addIssue({
        code: 'custom',
        path: ['previousHash'],
        message: `expected the replaced hash for an ${delta.op}, received null`,
      });
  });

/** The envelope as it must arrive (zod, checked on receipt). */
export const deltaEnvelopeSchema = z.object({
  schema: z.literal(DELTA_ENVELOPE_SCHEMA),
  version: z.literal(DELTA_ENVELOPE_VERSION),
  deltas: z.array(deltaSchema),
});

/** Serialises deltas into one envelope body (the packer builds the same bytes incrementally). */
export function encodeDeltaEnvelope(deltas: readonly Delta[]): string {
  return envelopePrefix + deltas.map((d) => JSON.stringify(d)).join(',') + envelopeSuffix;
}

/** The envelope text around the comma-separated deltas: exact, so sizes can be computed up front. */
export const envelopePrefix = `{"schema":"${DELTA_ENVELOPE_SCHEMA}","version":${DELTA_ENVELOPE_VERSION},"deltas":[`;
export const envelopeSuffix = ']}';

export type EnvelopeParseResult =
  | { readonly ok: true; readonly envelope: DeltaEnvelope }
  | { readonly ok: false; readonly problems: readonly string[] };

/**
 * Reads an event body as an envelope. The body may be bytes, a string, or the object the Functions
 * host already parsed from JSON. A malformed body is a result, not a throw: the problems name the
 * path and what was expected, never a value (a row could hold identifiers).
 */
export function parseDeltaEnvelope(body: unknown): EnvelopeParseResult {
  const read = readEventJson(body);
  return read.ok ? checkDeltaEnvelope(read.value) : read;
}

/** An event body as a JSON value: bytes and text are parsed; anything else is taken as parsed. */
export function readEventJson(
  body: unknown,
):
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly problems: readonly string[] } {
  let value: unknown = body;
  if (body instanceof Uint8Array) value = new TextDecoder('utf-8', { fatal: false }).decode(body);
  if (typeof value === 'string') {
    const text = value;
    try {
      value = JSON.parse(text);
    } catch {
      return {
        ok: false,
        problems: [`body: expected JSON, received ${text.length} characters that do not parse`],
      };
    }
  }
  return { ok: true, value };
}

/** Checks a parsed body against the delta envelope. */
export function checkDeltaEnvelope(value: unknown): EnvelopeParseResult {
  const parsed = deltaEnvelopeSchema.safeParse(value);
  if (parsed.success) return { ok: true, envelope: parsed.data };
  return { ok: false, problems: issueProblems(parsed.error.issues) };
}

/** zod issues as `body.path: message` lines (at most 20, then a count), never a value. */
export function issueProblems(issues: readonly z.core.$ZodIssue[]): string[] {
  const problems = issues.slice(0, 20).map((issue) => {
    const path = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('');
    return `body${path}: ${issue.message}`;
  });
  if (issues.length > 20) problems.push(`… and ${issues.length - 20} more problems`);
  return problems;
}
