import type { SourceTableSpec } from '../../../domain/datasets/source-tables.js';
import { InfrastructureError } from '../../../domain/errors.js';
import { columnMapFormat, parseColumnMap, type ColumnMap } from '../../../domain/landing/column-map.js';
import type { BatchDescriptor } from '../../../domain/pipeline/batch-record.js';
import type { ObjectStore } from '../../ports/object-store.port.js';

/**
 * The column map a landing batch is read with: the copy beside its bronze file (`columnMap` of the
 * descriptor), so planning and every replay read the file as it was first read. Undefined when the
 * file came without one. A map that was checked at ingestion and is now gone or unreadable is an
 * infrastructure fault (retried), not the supplier's.
 */
export async function batchColumnMap(
  batch: BatchDescriptor,
  spec: SourceTableSpec,
  lake: Pick<ObjectStore, 'get'>,
): Promise<ColumnMap | undefined> {
  if (!batch.columnMap) return undefined;
  const bytes = await lake.get('bronze', batch.columnMap);
  const format = columnMapFormat(batch.columnMap);
  if (!bytes || !format)
    throw new InfrastructureError(
      'BRONZE_OBJECT_MISSING',
      `batch ${batch.batchId}: column map ${batch.columnMap} is missing from bronze`,
    );
  return parseColumnMap(batch.columnMap, bytes.toString('utf8'), format, spec);
}
