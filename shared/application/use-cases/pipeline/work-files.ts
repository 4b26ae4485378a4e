import { INFRASTRUCTURE_CODES, InfrastructureError } from '../../../domain/errors.js';
import {
  decodeDeltaRecords,
  decodeRecords,
  encodeRecords,
  type BatchRecord,
} from '../../../domain/pipeline/batch-record.js';
import type { ChunkRef } from '../../../domain/pipeline/pipeline-contracts.js';
import type { ObjectStore } from '../../ports/object-store.port.js';

/** Reads a chunk's records from the restricted bronze container (a work file, or a delta batch in place). */
export async function readWorkRecords(
  lake: ObjectStore,
  path: string,
  encoding: ChunkRef['encoding'] = 'records',
): Promise<BatchRecord[]> {
  const body = await lake.get('bronze', path);
  if (!body)
    throw new InfrastructureError(
      INFRASTRUCTURE_CODES.workFileMissing,
      `work file bronze/${path} does not exist`,
    );
  const text = body.toString('utf8');
  return encoding === 'deltas' ? decodeDeltaRecords(text, path) : decodeRecords(text);
}

/** Writes a work file of batch records (overwrites: the same input always writes the same bytes). */
export async function writeWorkRecords(
  lake: ObjectStore,
  path: string,
  records: readonly BatchRecord[],
): Promise<void> {
  await lake.put('bronze', path, encodeRecords(records), { contentType: 'application/x-ndjson' });
}

/** Writes the record numbers a stage rejected (a JSON array). */
export async function writeRejectedNumbers(
  lake: ObjectStore,
  path: string,
  numbers: readonly number[],
): Promise<void> {
  await lake.put('bronze', path, JSON.stringify(numbers), { contentType: 'application/json' });
}

/** The chunk's records minus those whose numbers the rejected file lists (none when `rejectedPath` is null). */
export async function readAcceptedRecords(
  lake: ObjectStore,
  chunk: ChunkRef,
  rejectedPath: string | null,
): Promise<BatchRecord[]> {
  const [records, rejectedBody] = await Promise.all([
    readWorkRecords(lake, chunk.path, chunk.encoding),
    rejectedPath ? lake.get('bronze', rejectedPath) : Promise.resolve(null),
  ]);
  if (!rejectedPath) return records;
  if (!rejectedBody)
    throw new InfrastructureError(
      INFRASTRUCTURE_CODES.workFileMissing,
      `work file bronze/${rejectedPath} does not exist`,
    );
  const rejected = new Set(JSON.parse(rejectedBody.toString('utf8')) as number[]);
  return records.filter((r) => !rejected.has(r.n));
}

/** Writes NDJSON lines of any JSON values. */
export function ndjson(values: readonly unknown[]): string {
  return values.length === 0 ? '' : `${values.map((v) => JSON.stringify(v)).join('\n')}\n`;
}
