import { createInterface } from 'node:readline';
import { sourceTable, type SourceTableSpec } from '../../../domain/datasets/source-tables.js';
import { InfrastructureError } from '../../../domain/errors.js';
import { readDeltaLine } from '../../../domain/events/delta-file.js';
import { lakePaths } from '../../../domain/lake/lake-paths.js';
import {
  encodeRecords,
  recordFromDelta,
  type BatchDescriptor,
  type BatchRecord,
} from '../../../domain/pipeline/batch-record.js';
import type { ChunkPlan, ChunkRef, UnreadableRecord } from '../../../domain/pipeline/pipeline-contracts.js';
import { batchColumnMap } from './landing-column-map.js';
import { readLandingFile, type LandingItem } from './landing-file-reader.js';
import type { PipelineDeps } from './pipeline-deps.js';

/**
 * Splits a bronze batch into chunk files of at most `NHSFLOWS_CHUNK_SIZE` records in the restricted
 * work area, streaming (memory flat in batch size). CDC batches hold deltas; dropped files are CSV
 * (header row naming the table's columns) or NDJSON rows, read by `readLandingFile`. Records that
 * cannot be read are written to quarantine with file, row, line, field and reason, so
 * `records + unreadable` = rows read; a file-level problem throws `LandingFileRejectedError`
 * (permanent), and a file with no row comes back with its `notice`.
 */
export async function planChunks(batch: BatchDescriptor, deps: PipelineDeps): Promise<ChunkPlan> {
  const spec = sourceTable(batch.table);
  // A CDC batch that fits one chunk is read in place (its writer counted its deltas): copying it
  // into a work file would move every record through the lake once more for nothing.
  if (
    batch.format === 'deltas' &&
    batch.records !== undefined &&
    batch.records <= deps.settings.NHSFLOWS_CHUNK_SIZE
  ) {
    if (!(await deps.lake.exists('bronze', batch.bronzePath)))
      throw new InfrastructureError(
        'BRONZE_OBJECT_MISSING',
        `batch ${batch.batchId}: bronze object ${batch.bronzePath} does not exist`,
      );
    deps.logger.info('batch planned', {
      batchId: batch.batchId,
      table: spec.table,
      records: batch.records,
      chunks: batch.records > 0 ? 1 : 0,
      unreadable: 0,
      inPlace: true,
    });
    return {
      batchId: batch.batchId,
      table: spec.table,
      records: batch.records,
      chunks:
        batch.records > 0
          ? [{ index: 0, path: batch.bronzePath, records: batch.records, encoding: 'deltas' }]
          : [],
      unreadable: 0,
      unreadablePath: null,
    };
  }
  {
    const bronze = await deps.lake.getStream('bronze', batch.bronzePath);
    if (!bronze)
      // Transient as far as the batch knows (a copy not yet visible, a restore in progress): retried.
      throw new InfrastructureError(
        'BRONZE_OBJECT_MISSING',
        `batch ${batch.batchId}: bronze object ${batch.bronzePath} does not exist`,
      );
    const chunks: ChunkRef[] = [];
    const unreadable: UnreadableRecord[] = [];
    let buffer: BatchRecord[] = [];
    let records = 0;
    let notice: ChunkPlan['notice'];
    let fhir: Readonly<Record<string, number>> | undefined;
    const count = (k: string) => fhir?.[k] ?? 0;
    const flush = async () => {
      if (buffer.length === 0) return;
      const index = chunks.length;
      const path = lakePaths.work(batch.batchId, 'chunk', index);
      await deps.lake.put('bronze', path, encodeRecords(buffer), { contentType: 'application/x-ndjson' });
      chunks.push({ index, path, records: buffer.length });
      buffer = [];
    };
    const columnMap = await batchColumnMap(batch, spec, deps.lake);
    for await (const item of readRecords(batch, spec, bronze, columnMap, deps)) {
      if ('notice' in item) {
        notice = { code: item.notice, message: item.message };
        continue;
      }
      if ('report' in item) {
        // A FHIR file's resource accounting (counts only, no identifier): in the log line below.
        fhir = item.counts;
        continue;
      }
      if ('rule' in item) {
        unreadable.push(item);
        continue;
      }
      records += 1;
      buffer.push(item);
      if (buffer.length >= deps.settings.NHSFLOWS_CHUNK_SIZE) await flush();
    }
    await flush();
    let unreadablePath: string | null = null;
    if (unreadable.length > 0) {
      unreadablePath = lakePaths.quarantine(spec.dataset, spec.table, batch.batchId, 99999);
      const lines = unreadable.map((u) =>
        JSON.stringify({
          dataset: spec.dataset,
          table: spec.table,
          batchId: batch.batchId,
          file: batch.origin,
          ...u,
          severity: 'reject',
        }),
      );
      await deps.lake.put('quarantine', unreadablePath, `${lines.join('\n')}\n`);
    }
    deps.logger.info('batch planned', {
      batchId: batch.batchId,
      table: spec.table,
      records,
      chunks: chunks.length,
      unreadable: unreadable.length,
      ...(notice ? { notice: notice.code } : {}),
      ...(fhir
        ? {
            fhirResources: count('resources'),
            fhirRows: count('rows'),
            fhirJoined: count('joined'),
            fhirQuarantined: count('quarantined'),
            fhirReported: count('reported'),
          }
        : {}),
    });
    return {
      batchId: batch.batchId,
      table: spec.table,
      records,
      chunks,
      unreadable: unreadable.length,
      unreadablePath,
      ...(notice ? { notice } : {}),
    };
  }
}

async function* readRecords(
  batch: BatchDescriptor,
  spec: SourceTableSpec,
  bronze: NodeJS.ReadableStream,
  columnMap: Awaited<ReturnType<typeof batchColumnMap>>,
  deps: PipelineDeps,
): AsyncIterable<BatchRecord | LandingItem> {
  if (batch.format !== 'deltas') {
    yield* readLandingFile(batch, spec, bronze, columnMap, {
      dmdPrice: (code, asOf) => deps.reference.dmdPrice(code, asOf),
      // A bulk FHIR file is read twice from bronze rather than held (fhir-file-reader.ts).
      reopenStream: async () => {
        const again = await deps.lake.getStream('bronze', batch.bronzePath);
        if (!again)
          throw new InfrastructureError(
            'BRONZE_OBJECT_MISSING',
            `batch ${batch.batchId}: bronze object ${batch.bronzePath} does not exist`,
          );
        return again;
      },
    });
    return;
  }
  const lines = createInterface({ input: bronze, crlfDelay: Infinity });
  let n = 0;
  let line = 0;
  for await (const text of lines) {
    line += 1;
    if (text.trim() === '') continue;
    n += 1;
    const read = readDeltaLine(text, line);
    if (read.ok) {
      yield recordFromDelta(read.delta, n);
      continue;
    }
    const json = read.reason === 'not-json';
    yield {
      row: n,
      line,
      field: '(record)',
      rule: json ? 'FILE.JSON_MALFORMED' : 'FILE.DELTA_INVALID',
      message: `${batch.origin} row ${n}: ${json ? 'not valid JSON' : `not a delta (${read.problems})`}`,
    };
  }
}
