import {
  planMhsdsSubmission,
  type MhsdsSubmission,
  type SubmissionPlan,
} from '../../../domain/datasets/mhsds/mhsds-resubmission.js';
import { sourceTable, type SourceTableName } from '../../../domain/datasets/source-tables.js';
import { InputError } from '../../../domain/errors.js';
import type { Logger } from '../../ports/logger.port.js';
import type { MhsdsSubmissionSource } from '../../ports/mhsds-submission-source.port.js';

/** The MHSDS tables a submission can replace (the tables carrying UniqMonthID). */
export function isMhsdsSubmissionTable(table: string): table is SourceTableName {
  try {
    const spec = sourceTable(table);
    return spec.dataset === 'mhsds' && spec.columns.some((c) => c.name === 'uniq_month_id');
  } catch {
    return false;
  }
}

export interface ApplyMhsdsSubmissionResult extends Omit<SubmissionPlan, 'inserts' | 'updates' | 'deletes'> {
  readonly table: SourceTableName;
  readonly uniqMonthId: number;
  readonly uniqSubmissionId: string;
  readonly inserted: number;
  readonly updated: number;
  readonly deleted: number;
}

/**
 * Applies one provider's submission of one MHSDS table for one month to the source: reads what the
 * source holds for that provider-month and under the submitted keys, plans the replacement
 * (`planMhsdsSubmission`) and writes it as inserts, updates and deletes. Capture then publishes
 * them like any other change, so silver keeps the replaced submission as history and the
 * warehouse tombstones the records the resubmission dropped. Logs counts and ids, never values.
 */
export async function applyMhsdsSubmission(
  deps: { readonly source: MhsdsSubmissionSource; readonly logger: Logger },
  submission: MhsdsSubmission,
): Promise<ApplyMhsdsSubmissionResult> {
  if (!isMhsdsSubmissionTable(submission.table))
    throw new InputError(
      `MHSDS submission: '${submission.table}' is not an MHSDS table carrying UniqMonthID`,
    );
  const table = submission.table;
  const spec = sourceTable(table);
  const shape = {
    key: spec.key,
    dataColumns: spec.columns
      .map((c) => c.name)
      .filter((c) => c !== spec.changeVersionColumn && c !== 'modified_at'),
  };
  const scope = await deps.source.readScope(table, submission.providerCode, submission.uniqMonthId);
  const scopeKeys = new Set(scope.map((r) => JSON.stringify(spec.key.map((k) => String(r[k])))));
  const otherKeys = submission.rows
    .map((r) => spec.key.map((k) => String(r[k])))
    .filter((k) => !scopeKeys.has(JSON.stringify(k)));
  const elsewhere = otherKeys.length > 0 ? await deps.source.readByKeys(table, otherKeys) : [];
  const latestApplied = await deps.source.latestSubmission(
    table,
    submission.providerCode,
    submission.uniqMonthId,
  );
  const plan = planMhsdsSubmission(shape, submission, {
    scope,
    elsewhere,
    ...(latestApplied === undefined ? {} : { latestApplied }),
  });
  if (plan.outcome === 'applied') {
    // Deletes first, so a key dropped and re-used never meets itself; updates before inserts. The
    // register last: a crash before it leaves the rows applied, and the same submission again
    // changes nothing.
    await deps.source.deleteRows(table, plan.deletes);
    await deps.source.updateRows(table, plan.updates);
    await deps.source.insertRows(table, plan.inserts);
    await deps.source.recordSubmission(
      table,
      submission.providerCode,
      submission.uniqMonthId,
      submission.uniqSubmissionId,
    );
  }
  const { inserts, updates, deletes, ...counts } = plan;
  const result: ApplyMhsdsSubmissionResult = {
    ...counts,
    table,
    uniqMonthId: submission.uniqMonthId,
    uniqSubmissionId: submission.uniqSubmissionId,
    inserted: plan.outcome === 'applied' ? inserts.length : 0,
    updated: plan.outcome === 'applied' ? updates.length : 0,
    deleted: plan.outcome === 'applied' ? deletes.length : 0,
  };
  deps.logger.info('mhsds submission applied', {
    table,
    providerCode: submission.providerCode,
    uniqMonthId: submission.uniqMonthId,
    uniqSubmissionId: submission.uniqSubmissionId,
    outcome: plan.outcome,
    inserted: result.inserted,
    updated: result.updated,
    deleted: result.deleted,
    unchanged: plan.unchanged,
    keptInLaterMonth: plan.keptInLaterMonth,
    heldByOtherProvider: plan.heldByOtherProvider,
    replaces: plan.replaces.join(','),
  });
  return result;
}
