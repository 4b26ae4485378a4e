import type { SourceRow, SourceTableName } from '../../domain/datasets/source-tables.js';
import type { SourceWriter } from './source-writer.port.js';

/**
 * The source database as an MHSDS submission sees it: what it holds for one provider-month, the
 * rows under given keys, and the ordinary writes (docs/adr/0012-mhsds-resubmission.md).
 */
export interface MhsdsSubmissionSource extends Pick<
  SourceWriter,
  'insertRows' | 'updateRows' | 'deleteRows'
> {
  /** Every row of `table` held for the provider and UniqMonthID, in wire form. */
  readScope(table: SourceTableName, providerCode: string, uniqMonthId: number): Promise<SourceRow[]>;
  /** The rows of `table` under these keys (values in key-column order), wherever they are held. */
  readByKeys(table: SourceTableName, keys: readonly (readonly string[])[]): Promise<SourceRow[]>;
  /** The submission register: the latest UniqSubmissionID applied to the provider-month, if any. */
  latestSubmission(
    table: SourceTableName,
    providerCode: string,
    uniqMonthId: number,
  ): Promise<string | undefined>;
  /** Records a submission as applied to the provider-month (kept when it is later than the one held). */
  recordSubmission(
    table: SourceTableName,
    providerCode: string,
    uniqMonthId: number,
    uniqSubmissionId: string,
  ): Promise<void>;
}
