import { sourceTable } from '../../../domain/datasets/source-tables.js';
import { lakePaths } from '../../../domain/lake/lake-paths.js';
import type { BatchRecord } from '../../../domain/pipeline/batch-record.js';
import type { ChunkInput, ValidateChunkResult } from '../../../domain/pipeline/pipeline-contracts.js';
import { referralTableOf } from '../../../domain/validate/referral-index.js';
import { reconcile, type NumberedRow } from '../../../domain/validate/validate-batch.js';
import { validateBatchChunk } from '../validate-batch.use-case.js';
import { LakeContentIndex } from '../../lake-state/lake-content-index.js';
import { LakeReferralIndex } from '../../lake-state/lake-referral-index.js';
import { readWorkRecords, writeRejectedNumbers } from './work-files.js';
import type { PipelineDeps } from './pipeline-deps.js';

/** Where a chunk's DQ counts live (gold: counts only, no values), merged on demand by `nhs-flows dq`. */
export function dqStatePath(dataset: string, table: string, batchId: string, chunk: number): string {
  return lakePaths.dqState(dataset, table, batchId, chunk);
}

/** A validated chunk: the activity's result, and the accepted records in the chunk's order. */
export interface ValidatedChunk {
  readonly result: ValidateChunkResult;
  readonly accepted: readonly BatchRecord[];
}

/**
 * Validates one chunk: row contracts + assurance rules on every inserted/updated row (deletes carry
 * no row and pass through). The numbers of rejected records go to the restricted work area (the
 * accepted records are the chunk file minus those, read again by pseudonymisation); failure records (file,
 * row, field, rule, message; never values) to quarantine; the chunk's DQ counts to gold. Reconciles:
 * records in = accepted + quarantined, or throws.
 */
export async function validateChunk(input: ChunkInput, deps: PipelineDeps): Promise<ValidateChunkResult> {
  const records = await readWorkRecords(deps.lake, input.chunk.path, input.chunk.encoding);
  return (await validateChunkRecords(input, records, deps, { writeRejected: true })).result;
}

/**
 * Validates a chunk's records, read by the caller: quarantine, DQ counts and reconciliation as
 * `validateChunk`. With `writeRejected`, the rejected record numbers are written to the work area
 * for a later activity; without, the caller takes the accepted records from the result.
 */
export async function validateChunkRecords(
  input: ChunkInput,
  records: readonly BatchRecord[],
  deps: PipelineDeps,
  options: { readonly writeRejected: boolean },
): Promise<ValidatedChunk> {
  const table = input.batch.table;
  const spec = sourceTable(table);
  const byNumber = new Map<number, BatchRecord>();
  const rows: NumberedRow[] = [];
  let deletes = 0;
  for (const record of records) {
    if (record.op === 'delete' || record.row === null) deletes += 1;
    else {
      byNumber.set(record.n, record);
      rows.push({ n: record.n, row: record.row });
    }
  }
  const outcome = await validateBatchChunk(
    {
      table,
      batchId: input.batch.batchId,
      chunk: input.chunk.index,
      extractDate: deps.clock.now().toISOString().slice(0, 10),
      rows,
      file: input.batch.origin,
    },
    {
      lake: deps.lake,
      reference: deps.reference,
      // Duplicates are found across chunks and batches: content digests are claimed in the lake.
      contentIndex: new LakeContentIndex(deps),
      ...(referralTableOf(table) ? { referralIndex: new LakeReferralIndex(deps) } : {}),
    },
  );
  const acceptedNumbers = new Set<number>();
  for (const r of outcome.accepted) if (byNumber.has(r.n)) acceptedNumbers.add(r.n);
  // Deletes pass through; the accepted records keep the chunk's order.
  const accepted = records.filter((r) => r.op === 'delete' || r.row === null || acceptedNumbers.has(r.n));
  const counts = {
    in: records.length,
    accepted: deletes + acceptedNumbers.size,
    quarantined: outcome.summary.counts.quarantined,
  };
  reconcile(counts, `batch ${input.batch.batchId} chunk ${input.chunk.index}`);
  // The accepted records are the chunk's records minus the rejected ones: only the rejected record
  // numbers are written (a few bytes), not a second copy of the chunk.
  let rejectedPath: string | null = null;
  if (options.writeRejected && accepted.length < records.length) {
    const rejected = records.filter((r) => r.op !== 'delete' && r.row !== null && !acceptedNumbers.has(r.n));
    rejectedPath = lakePaths.work(input.batch.batchId, 'rejected', input.chunk.index);
    await writeRejectedNumbers(
      deps.lake,
      rejectedPath,
      rejected.map((r) => r.n),
    );
  }
  const dqPath = dqStatePath(spec.dataset, spec.table, input.batch.batchId, input.chunk.index);
  await deps.lake.put('gold', dqPath, JSON.stringify(outcome.summary.dq), {
    contentType: 'application/json',
  });
  deps.logger.info('chunk validated', {
    batchId: input.batch.batchId,
    chunk: input.chunk.index,
    records: counts.in,
    accepted: counts.accepted,
    quarantined: counts.quarantined,
  });
  return {
    result: {
      chunk: input.chunk.index,
      records: counts.in,
      accepted: counts.accepted,
      quarantined: counts.quarantined,
      warnings: outcome.summary.counts.acceptedWithWarnings,
      rejectedPath,
      quarantinePath: outcome.summary.quarantinePath,
      dqStatePath: dqPath,
    },
    accepted,
  };
}
