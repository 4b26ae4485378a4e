import { createInterface } from 'node:readline';
import { parse as parseCsv } from 'csv-parse';
import type { Delta } from '../../../domain/capture/delta.js';
import { sourceTable, type SourceRow, type SourceTableSpec } from '../../../domain/datasets/source-tables.js';
import { InfrastructureError, InputError } from '../../../domain/errors.js';
import { lakePaths } from '../../../domain/lake/lake-paths.js';
import {
  encodeRecords,
  recordFromDelta,
  type BatchDescriptor,
  type BatchRecord,
} from '../../../domain/pipeline/batch-record.js';
import { hashHex } from '../../../domain/pipeline/ids.js';
import type { ChunkPlan, ChunkRef, UnreadableRecord } from '../../../domain/pipeline/pipeline-contracts.js';
import type { PipelineDeps } from './pipeline-deps.js';

/**
 * Splits a bronze batch into chunk files of at most `NHSFLOWS_CHUNK_SIZE` records in the restricted
 * work area, streaming (memory flat in batch size). CDC batches hold deltas; dropped files are CSV
 * (header row naming the table's columns) or NDJSON rows. Records that cannot be read are written
 * to quarantine with file, row, field and reason, so `records + unreadable` = lines read.
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
    const flush = async () => {
      if (buffer.length === 0) return;
      const index = chunks.length;
      const path = lakePaths.work(batch.batchId, 'chunk', index);
      await deps.lake.put('bronze', path, encodeRecords(buffer), { contentType: 'application/x-ndjson' });
      chunks.push({ index, path, records: buffer.length });
      buffer = [];
    };
    for await (const item of readRecords(batch, spec, bronze)) {
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
    });
    return {
      batchId: batch.batchId,
      table: spec.table,
      records,
      chunks,
      unreadable: unreadable.length,
      unreadablePath,
    };
  }
}

async function* readRecords(
  batch: BatchDescriptor,
  spec: SourceTableSpec,
  bronze: NodeJS.ReadableStream,
): AsyncIterable<BatchRecord | UnreadableRecord> {
  if (batch.format === 'csv') {
    yield* readCsv(batch, spec, bronze);
    return;
  }
  if (batch.format === 'fhir')
    throw new InputError(`file ${batch.origin}: FHIR bundles are not supported yet`);
  const lines = createInterface({ input: bronze, crlfDelay: Infinity });
  let n = 0;
  for await (const line of lines) {
    if (line.trim() === '') continue;
    n += 1;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      yield {
        row: n,
        field: '(record)',
        rule: 'FILE.JSON_MALFORMED',
        message: `${batch.origin} row ${n}: not valid JSON`,
      };
      continue;
    }
    if (batch.format === 'deltas') {
      yield recordFromDelta(parsed as Delta, n);
      continue;
    }
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
      yield {
        row: n,
        field: '(record)',
        rule: 'FILE.NOT_AN_OBJECT',
        message: `${batch.origin} row ${n}: expected a JSON object`,
      };
      continue;
    }
    yield fileRecord(batch, spec, parsed as SourceRow, n);
  }
}

async function* readCsv(
  batch: BatchDescriptor,
  spec: SourceTableSpec,
  bronze: NodeJS.ReadableStream,
): AsyncIterable<BatchRecord | UnreadableRecord> {
  const parser = bronze.pipe(parseCsv({ bom: true, relax_column_count: true, skip_empty_lines: true }));
  let header: string[] | undefined;
  let n = 0;
  const known = new Map(spec.columns.map((c) => [c.name, c]));
  for await (const fields of parser as AsyncIterable<string[]>) {
    if (!header) {
      header = fields.map((f) => f.trim());
      const unknown = header.filter((h) => !known.has(h));
      if (unknown.length > 0)
        throw new InputError(
          `file ${batch.origin}: header names columns not in ${spec.table}: ${unknown.join(', ')}`,
        );
      const missing = spec.columns.filter(
        (c) =>
          !c.nullable &&
          !header!.includes(c.name) &&
          c.name !== spec.changeVersionColumn &&
          c.name !== 'modified_at',
      );
      if (missing.length > 0)
        throw new InputError(
          `file ${batch.origin}: header lacks required columns of ${spec.table}: ${missing.map((c) => c.name).join(', ')}`,
        );
      continue;
    }
    n += 1;
    if (fields.length !== header.length) {
      yield {
        row: n,
        field: '(record)',
        rule: 'FILE.COLUMN_COUNT',
        message: `${batch.origin} row ${n}: expected ${header.length} fields, received ${fields.length}`,
      };
      continue;
    }
    const row: SourceRow = {};
    header.forEach((name, i) => {
      const raw = fields[i] ?? '';
      const type = known.get(name)?.type;
      row[name] =
        raw === ''
          ? null
          : type === 'int' && /^-?\d+$/.test(raw)
            ? Number(raw)
            : type === 'bit'
              ? raw === '1' || raw.toLowerCase() === 'true'
              : raw;
    });
    yield fileRecord(batch, spec, row, n);
  }
}

function fileRecord(batch: BatchDescriptor, spec: SourceTableSpec, row: SourceRow, n: number): BatchRecord {
  const key = spec.key.map((k) => (row[k] === null || row[k] === undefined ? '' : String(row[k])));
  return {
    n,
    seq: n,
    op: 'insert',
    eventId: hashHex(`${batch.batchId}|${n}`),
    key,
    row,
    sourceVersion: null,
    capturedAt: batch.receivedAt,
  };
}
