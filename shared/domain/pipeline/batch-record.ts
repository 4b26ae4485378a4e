import { z } from 'zod';
import type { Delta } from '../capture/delta.js';
import { SOURCE_TABLE_NAMES, type SourceRow, type SourceTableName } from '../datasets/source-tables.js';
import { InputError } from '../errors.js';
import { readDeltaLine } from '../events/delta-file.js';

/**
 * One record flowing through a batch, whatever its origin (a CDC delta or a row of a dropped file).
 *
 * Contract (NDJSON in the restricted bronze container, one object per line): `n` is the 1-based
 * position in the batch (the "row" every error and quarantine record names), `seq` orders records
 * of one key, `op` is the change, `row` is the source row in wire form (null for deletes).
 */
export interface BatchRecord {
  readonly n: number;
  readonly seq: number;
  readonly op: 'insert' | 'update' | 'delete';
  readonly eventId: string;
  readonly key: readonly string[];
  readonly row: SourceRow | null;
  readonly sourceVersion: string | null;
  readonly capturedAt: string;
}

export interface BatchDescriptor {
  readonly batchId: string;
  readonly table: SourceTableName;
  /** 'cdc' for captured deltas, or the landing file's name for blob drops. */
  readonly origin: string;
  /** Path of the exact received bytes in the bronze container. */
  readonly bronzePath: string;
  readonly format: 'deltas' | 'csv' | 'ndjson' | 'fhir';
  readonly receivedAt: string;
  /**
   * Deltas in the bronze object, when its writer counted them (CDC batches): a batch that fits one
   * chunk is then read in place instead of being copied into a chunk file.
   */
  readonly records?: number;
  /** A landing file's declared encoding (a WHATWG label from its name); absent = UTF-8. */
  readonly encoding?: string;
  /** Bronze path of the supplier column map the landing file is read with (docs/landing.md). */
  readonly columnMap?: string;
}

/** The boundary schema of a `BatchDescriptor` read back from storage (a CDC receipt, a poison message). */
export const batchDescriptorSchema = z.object({
  batchId: z.string().min(1),
  table: z.enum(SOURCE_TABLE_NAMES),
  origin: z.string(),
  bronzePath: z.string().min(1),
  format: z.enum(['deltas', 'csv', 'ndjson', 'fhir']),
  receivedAt: z.string(),
  records: z.number().int().nonnegative().optional(),
  encoding: z.string().optional(),
  columnMap: z.string().min(1).optional(),
}) satisfies z.ZodType<BatchDescriptor>;

export function recordFromDelta(delta: Delta, n: number): BatchRecord {
  return {
    n,
    seq: n,
    op: delta.op,
    eventId: delta.eventId,
    key: delta.businessKey,
    row: delta.row,
    sourceVersion: delta.sourceVersion,
    capturedAt: delta.capturedAt,
  };
}

/**
 * Reads a bronze delta batch (NDJSON of deltas: the consumer's, or a delta file the poller wrote) as
 * batch records numbered from 1 by line, each line checked against the delta schema. A line that is
 * not a delta throws `InputError` naming the object, the line and the fields (never a value).
 */
export function decodeDeltaRecords(text: string, bronzePath: string): BatchRecord[] {
  const records: BatchRecord[] = [];
  let lineNumber = 0;
  for (const line of text.split('\n')) {
    lineNumber++;
    if (line.trim().length === 0) continue;
    const read = readDeltaLine(line, lineNumber);
    if (!read.ok) throw new InputError(`bronze/${bronzePath} is not a delta batch: ${read.problems}`);
    records.push(recordFromDelta(read.delta, records.length + 1));
  }
  return records;
}

export function encodeRecords(records: Iterable<BatchRecord>): string {
  let out = '';
  for (const r of records) out += `${JSON.stringify(r)}\n`;
  return out;
}

export function decodeRecords(text: string): BatchRecord[] {
  const records: BatchRecord[] = [];
  for (const line of text.split('\n')) if (line.length > 0) records.push(JSON.parse(line) as BatchRecord);
  return records;
}
