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

/** Writes NDJSON lines of any JSON values. */
export function ndjson(values: readonly unknown[]): string {
  return values.length === 0 ? '' : `${values.map((v) => JSON.stringify(v)).join('\n')}\n`;
}
