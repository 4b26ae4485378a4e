import { InputError } from '../../errors.js';
import type { SourceRow, SourceRowValue } from '../source-tables.js';

/**
 * MHSDS monthly resubmission (docs/adr/0012-mhsds-resubmission.md). A provider submits, per table,
 * every record it holds for a reporting month (UniqMonthID); a later submission of the same month
 * replaces that provider-month: records it changed are updated, records it no longer carries are
 * deleted, new ones inserted. Nothing outside the provider-month moves. The plan is pure: the
 * caller reads what the source holds and applies the plan through its ordinary writes, so CDC,
 * silver (the history), gold and the warehouse tombstones see row changes as for any other table.
 */

/** One provider's submission of one table for one reporting month. */
export interface MhsdsSubmission {
  readonly table: string;
  readonly providerCode: string;
  readonly uniqMonthId: number;
  /** Orders the submissions of a provider-month: a larger number is a later submission. */
  readonly uniqSubmissionId: string;
  readonly rows: readonly SourceRow[];
}

/** What the source holds that the submission can touch. */
export interface HeldRows {
  /** Every row held for the submission's provider and month. */
  readonly scope: readonly SourceRow[];
  /** Rows held elsewhere (another month or provider) under a key the submission carries. */
  readonly elsewhere: readonly SourceRow[];
  /**
   * The latest submission applied to the provider-month, as the source's submission register
   * recorded it: it still counts when it left no rows (an empty resubmission), so an earlier
   * submission arriving late cannot bring back what it removed.
   */
  readonly latestApplied?: string;
}

/** The table shape the plan needs: its key and its data columns (no system columns). */
export interface SubmissionTable {
  readonly key: readonly string[];
  readonly dataColumns: readonly string[];
}

export interface SubmissionPlan {
  /** `stale`: the provider-month holds a later submission; the plan changes nothing. */
  readonly outcome: 'applied' | 'stale';
  readonly inserts: SourceRow[];
  readonly updates: SourceRow[];
  /** Keys (values in key-column order) of the provider-month's rows the submission no longer carries. */
  readonly deletes: string[][];
  readonly unchanged: number;
  /** Submitted records the source holds for a later month of the provider: left as they are. */
  readonly keptInLaterMonth: number;
  /** Submitted records whose key the source holds for another provider: refused, left as they are. */
  readonly heldByOtherProvider: number;
  /** The submissions of the provider-month the plan replaces (ascending). */
  readonly replaces: string[];
}

const PROVIDER = 'provider_code';
const MONTH = 'uniq_month_id';
const SUBMISSION = 'uniq_submission_id';

/** Compares two whole-number submission ids (any length). */
export function compareSubmissionIds(a: string, b: string): number {
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

const keyOf = (table: SubmissionTable, row: SourceRow): string[] =>
  table.key.map((k) => String(row[k] as SourceRowValue));
const keyText = (key: readonly string[]): string => JSON.stringify(key);

/**
 * Checks a submission is one provider-month of one submission: every row carries the submission's
 * provider, UniqMonthID and UniqSubmissionID, and no key twice. Messages give row numbers, never values.
 */
export function checkSubmission(table: SubmissionTable, submission: MhsdsSubmission): void {
  if (!/^[0-9]{1,20}$/.test(submission.uniqSubmissionId))
    throw new InputError('MHSDS submission: the UniqSubmissionID is not a whole number of up to 20 digits');
  if (!Number.isInteger(submission.uniqMonthId) || submission.uniqMonthId < 1)
    throw new InputError('MHSDS submission: the UniqMonthID is not a whole number from 1');
  const problems: string[] = [];
  const seen = new Set<string>();
  submission.rows.forEach((row, i) => {
    const n = i + 1;
    if (row[PROVIDER] !== submission.providerCode)
      problems.push(`row ${n}: provider_code is not the submission's provider`);
    if (row[MONTH] !== submission.uniqMonthId)
      problems.push(`row ${n}: uniq_month_id is not the submission's month`);
    if (row[SUBMISSION] !== submission.uniqSubmissionId)
      problems.push(`row ${n}: uniq_submission_id is not the submission's id`);
    const k = keyText(keyOf(table, row));
    if (seen.has(k)) problems.push(`row ${n}: the key of an earlier row of the submission`);
    seen.add(k);
  });
  if (problems.length > 0)
    throw new InputError(
      `MHSDS submission of ${submission.table}: ${problems.length} problem(s): ${problems.slice(0, 20).join('; ')}`,
    );
}

/**
 * Plans a submission against what the source holds. The rule, in order:
 * 1. if the provider-month holds a later submission (a larger UniqSubmissionID, on its rows or in the
 *    source's submission register), nothing changes (`stale`: an earlier submission replayed or
 *    arriving late never undoes a resubmission, even one that left the month empty);
 * 2. a submitted record held in the provider-month is updated when any data column differs;
 * 3. a submitted record held for a later month of the same provider is left alone (a resubmitted
 *    older month never touches a newer month); one held for an earlier month moves to this month
 *    (updated: the source holds a record once, as its latest month reported it);
 * 4. a submitted record held for another provider is refused (counted, not written);
 * 5. a record of the provider-month the submission does not carry is deleted;
 * 6. any other submitted record is inserted.
 */
export function planMhsdsSubmission(
  table: SubmissionTable,
  submission: MhsdsSubmission,
  held: HeldRows,
): SubmissionPlan {
  checkSubmission(table, submission);
  const replaces = [
    ...new Set(
      held.scope.map((r) => String(r[SUBMISSION] as SourceRowValue)).filter((s) => /^[0-9]+$/.test(s)),
    ),
  ].sort(compareSubmissionIds);
  const latestHeld = [...replaces, ...(held.latestApplied === undefined ? [] : [held.latestApplied])]
    .sort(compareSubmissionIds)
    .at(-1);
  const empty = {
    inserts: [],
    updates: [],
    deletes: [],
    unchanged: 0,
    keptInLaterMonth: 0,
    heldByOtherProvider: 0,
  };
  if (latestHeld !== undefined && compareSubmissionIds(latestHeld, submission.uniqSubmissionId) > 0)
    return { outcome: 'stale', ...empty, replaces: [] };

  const inScope = new Map(held.scope.map((r) => [keyText(keyOf(table, r)), r]));
  const outside = new Map(held.elsewhere.map((r) => [keyText(keyOf(table, r)), r]));
  const inserts: SourceRow[] = [];
  const updates: SourceRow[] = [];
  let unchanged = 0;
  let keptInLaterMonth = 0;
  let heldByOtherProvider = 0;
  const carried = new Set<string>();
  for (const row of submission.rows) {
    const k = keyText(keyOf(table, row));
    carried.add(k);
    const data: SourceRow = Object.fromEntries(table.dataColumns.map((c) => [c, row[c] ?? null]));
    const current = inScope.get(k);
    if (current !== undefined) {
      if (table.dataColumns.some((c) => (current[c] ?? null) !== data[c])) updates.push(data);
      else unchanged++;
      continue;
    }
    const other = outside.get(k);
    if (other === undefined) inserts.push(data);
    else if (other[PROVIDER] !== submission.providerCode) heldByOtherProvider++;
    else if ((other[MONTH] as number) > submission.uniqMonthId) keptInLaterMonth++;
    else updates.push(data);
  }
  const deletes = [...inScope.entries()].filter(([k]) => !carried.has(k)).map(([, r]) => keyOf(table, r));
  return {
    outcome: 'applied',
    inserts,
    updates,
    deletes,
    unchanged,
    keptInLaterMonth,
    heldByOtherProvider,
    replaces: replaces.filter((s) => s !== submission.uniqSubmissionId),
  };
}
