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
import { ConcurrencyError } from '../../domain/errors.js';
import type { ContentClaim, ContentIndex } from '../../domain/validate/content-index.js';
import type { ObjectStore } from '../ports/object-store.port.js';
import type { StateStore } from '../ports/state-store.port.js';

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

/** State table of the content index: partition `<table>-<first 2 hex digits>`, row = digest, value = key. */
export const CONTENT_INDEX_TABLE = 'nhsflowscontent';

/**
 * The duplicate rule's content index on the state store, so chunks validated by parallel activities
 * and later batches see each other's rows. Digests are 128-bit hashes of the whole row content (no
 * value can be read back); holders are business keys (episode/item/contact ids).
 *
 * Guarantees: a digest is held by the first key whose insert wins (Table storage insert conflicts
 * decide races between parallel chunks); claims go 100 to a transaction per partition and fall back
 * to one insert (then a read of the winner) per digest only when a transaction conflicts; replays are
 * idempotent.
 */
export class StateContentIndex implements ContentIndex {
  private ensured = false;
  constructor(private readonly state: StateStore) {}

  async claim(table: SourceTableName, claims: readonly ContentClaim[]): Promise<ReadonlyMap<string, string>> {
    if (!this.ensured) {
      await this.state.ensureTables([CONTENT_INDEX_TABLE]);
      this.ensured = true;
    }
    const holders = new Map<string, string>();
    const partitions = new Map<string, ContentClaim[]>();
    for (const c of claims) {
      const partition = `${table}-${c.digest.slice(0, 2)}`;
      const list = partitions.get(partition) ?? [];
      if (list.length === 0) partitions.set(partition, list);
      list.push(c);
    }
    await Promise.all(
      [...partitions].map(async ([partition, list]) => {
        for (let i = 0; i < list.length; i += 100) {
          const slice = list.slice(i, i + 100);
          try {
            await this.state.transact(
              CONTENT_INDEX_TABLE,
              partition,
              slice.map((c) => ({
                kind: 'insert' as const,
                rowKey: c.digest,
                value: { recordKey: c.recordKey },
              })),
            );
            for (const c of slice) holders.set(c.digest, c.recordKey);
          } catch (error) {
            if (!(error instanceof ConcurrencyError)) throw error;
            for (const c of slice) holders.set(c.digest, await this.claimOne(partition, c));
          }
        }
      }),
    );
    return holders;
  }

  private async claimOne(partition: string, c: ContentClaim): Promise<string> {
    try {
      await this.state.insert(CONTENT_INDEX_TABLE, partition, c.digest, { recordKey: c.recordKey });
      return c.recordKey;
    } catch (error) {
      if (!(error instanceof ConcurrencyError)) throw error;
      const held = await this.state.get<{ recordKey: string }>(CONTENT_INDEX_TABLE, partition, c.digest);
      return held?.value.recordKey ?? c.recordKey;
    }
  }
}
