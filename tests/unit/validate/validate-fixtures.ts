import { loadReferenceData } from '../../../shared/adapters/local/reference-data.loader.js';
import type { SourceRow, SourceTableName } from '../../../shared/domain/datasets/source-tables.js';
import type { ReferralIndex } from '../../../shared/domain/validate/referral-index.js';
import { validateBatch, type ValidationResult } from '../../../shared/domain/validate/validate-batch.js';
import { CLEAN_ROWS, EXTRACT_DATE } from '../datasets/clean-rows.js';

/** Shared fixtures of the validation tests: the repo's reference data and the contracts' clean rows. */
export const reference = loadReferenceData();
export { CLEAN_ROWS, EXTRACT_DATE };

/** A clean row of `table` with some columns changed. */
export function row(table: SourceTableName, changes: SourceRow = {}): SourceRow {
  return { ...CLEAN_ROWS[table], ...changes };
}

/** Validates rows of one table with the test extract date and reference data. */
export function validate(
  table: SourceTableName,
  rows: readonly SourceRow[],
  opts: { referralIndex?: ReferralIndex; batchId?: string; chunkSize?: number } = {},
): Promise<ValidationResult> {
  return validateBatch(table, rows, {
    batchId: opts.batchId ?? 'batch-test',
    extractDate: EXTRACT_DATE,
    reference,
    ...(opts.referralIndex ? { referralIndex: opts.referralIndex } : {}),
    ...(opts.chunkSize ? { chunkSize: opts.chunkSize } : {}),
  });
}
