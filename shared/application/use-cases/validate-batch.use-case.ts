import { SOURCE_TABLES, type DatasetId, type SourceTableName } from '../../domain/datasets/source-tables.js';
import { DqAccumulator, type DqState } from '../../domain/dq/dq-accumulator.js';
import { lakePaths } from '../../domain/lake/lake-paths.js';
import type { ReferenceData } from '../../domain/reference/reference-data.js';
import type { ReferralIndex } from '../../domain/validate/referral-index.js';
import {
  validateNumberedRows,
  type NumberedRow,
  type QuarantineRecord,
  type RowContractLike,
  type ValidationCounts,
} from '../../domain/validate/validate-batch.js';
import type { ContentIndex } from '../../domain/validate/content-index.js';
import type { ObjectStore } from '../ports/object-store.port.js';

/** One chunk of one batch to validate. */
export interface ValidateChunkRequest {
  readonly table: SourceTableName;
  readonly batchId: string;
  /** Chunk index within the batch (names the quarantine object). */
  readonly chunk: number;
  /** Extract (or file) date 'YYYY-MM-DD'. */
  readonly extractDate: string;
  /** The chunk's rows with their 1-based numbers in the batch. */
  readonly rows: AsyncIterable<NumberedRow> | Iterable<NumberedRow>;
  /** The file (or `cdc`) the rows came from: written on every quarantine record. */
  readonly file?: string;
}

export interface ValidateChunkDeps {
  readonly lake: ObjectStore;
  readonly reference: ReferenceData;
  /** Referrals known outside this chunk (contacts and assessments are checked against it). */
  readonly referralIndex?: ReferralIndex;
  /** Content already delivered, so duplicates are found across chunks and batches (default: per chunk). */
  readonly contentIndex?: ContentIndex;
  /** Override of the table's row contract (tests); default `contractFor`. */
  readonly contract?: RowContractLike;
  readonly tariffTolerance?: number;
}

/** The small, JSON-serialisable outcome an activity returns (no rows, no values). */
export interface ValidateChunkSummary {
  readonly dataset: DatasetId;
  readonly table: SourceTableName;
  readonly batchId: string;
  readonly chunk: number;
  readonly counts: ValidationCounts;
  /** Path in the `quarantine` container of this chunk's failure records, or null when there are none. */
  readonly quarantinePath: string | null;
  /** DQ counts of every row of the chunk (accepted and quarantined), to merge into the scorecard. */
  readonly dq: DqState;
}

export interface ValidateChunkOutcome {
  readonly summary: ValidateChunkSummary;
  /** Accepted rows, in order, for the caller to hand on (never put these in a durable payload). */
  readonly accepted: readonly NumberedRow[];
}

/** The quarantine container's NDJSON: one failure record per line, in row order. */
export function encodeQuarantine(records: readonly QuarantineRecord[]): string {
  let out = '';
  for (const r of records) out += `${JSON.stringify(r)}\n`;
  return out;
}

/**
 * Validates one chunk of a batch and writes its failure records to the quarantine container.
 *
 * Guarantees:
 * - counts reconcile (in = accepted + quarantined) or the call throws ReconciliationError and writes
 *   nothing;
 * - the quarantine object `lakePaths.quarantine(dataset, table, batchId, chunk)` holds every failure of
 *   every quarantined row and every warning of accepted rows (`outcome` says which), no row values;
 *   it is written create-only, so a retried chunk leaves the first write in place (same content);
 * - the DQ state counts every row of the chunk exactly once.
 */
export async function validateBatchChunk(
  request: ValidateChunkRequest,
  deps: ValidateChunkDeps,
): Promise<ValidateChunkOutcome> {
  const { table, batchId, chunk } = request;
  const dataset = SOURCE_TABLES[table].dataset;
  const dq = new DqAccumulator(table);
  const records: QuarantineRecord[] = [];
  const accepted: NumberedRow[] = [];
  const result = await validateNumberedRows(
    table,
    request.rows,
    {
      batchId,
      extractDate: request.extractDate,
      reference: deps.reference,
      ...(deps.referralIndex ? { referralIndex: deps.referralIndex } : {}),
      ...(deps.contract ? { contract: deps.contract } : {}),
      ...(deps.contentIndex ? { contentIndex: deps.contentIndex } : {}),
      ...(deps.tariffTolerance !== undefined ? { tariffTolerance: deps.tariffTolerance } : {}),
    },
    {
      accepted: (rows) => {
        for (const r of rows) accepted.push(r);
      },
      failures: (chunkRecords) => {
        for (const r of chunkRecords) records.push(r);
      },
      row: (row, failures) => dq.add(row, failures),
    },
  );

  let quarantinePath: string | null = null;
  if (records.length > 0) {
    quarantinePath = lakePaths.quarantine(dataset, table, batchId, chunk);
    await deps.lake.put(
      'quarantine',
      quarantinePath,
      encodeQuarantine(
        request.file === undefined ? records : records.map((r) => ({ ...r, file: request.file })),
      ),
      {
        ifNoneMatch: '*',
        contentType: 'application/x-ndjson',
      },
    );
  }
  return {
    summary: { dataset, table, batchId, chunk, counts: result.counts, quarantinePath, dq: dq.state() },
    accepted,
  };
}


