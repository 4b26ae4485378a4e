import { decodeRecords, encodeRecords, type BatchRecord } from '../../../domain/pipeline/batch-record.js';
import type { ObjectStore } from '../../ports/object-store.port.js';

/** Reads a work file of batch records from the restricted bronze container. */
export async function readWorkRecords(lake: ObjectStore, path: string): Promise<BatchRecord[]> {
  const body = await lake.get('bronze', path);
  if (!body) throw new Error(`work file bronze/${path} does not exist`);
  return decodeRecords(body.toString('utf8'));
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
  chunkPath: string,
  rejectedPath: string | null,
): Promise<BatchRecord[]> {
  const [records, rejectedBody] = await Promise.all([
    readWorkRecords(lake, chunkPath),
    rejectedPath ? lake.get('bronze', rejectedPath) : Promise.resolve(null),
  ]);
  if (!rejectedPath) return records;
  if (!rejectedBody) throw new Error(`work file bronze/${rejectedPath} does not exist`);
  const rejected = new Set(JSON.parse(rejectedBody.toString('utf8')) as number[]);
  return records.filter((r) => !rejected.has(r.n));
}

/** Writes NDJSON lines of any JSON values. */
export function ndjson(values: readonly unknown[]): string {
  return values.length === 0 ? '' : `${values.map((v) => JSON.stringify(v)).join('\n')}\n`;
}
