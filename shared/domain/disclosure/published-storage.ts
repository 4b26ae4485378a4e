import { InvariantError } from '../errors.js';
import type { AggregateRow, PublishedRow } from './apply-disclosure-control.js';
import { applyDisclosureControl } from './apply-disclosure-control.js';
import { DEFAULT_DISCLOSURE_POLICY, type DisclosurePolicy } from './disclosure-policy.js';
import { assertPublishable } from './publishable.js';
import type { PublishedTable } from './published-table.js';
import { SUPPRESSED } from './small-numbers.js';

/**
 * Published marts are stored disclosure-controlled: the marts refresh runs the exact aggregate
 * through `applyDisclosureControl` once and writes what comes out, every value as text (`'*'` is
 * not a number). Readers (export, the dashboard, the data API) read the stored rows back with
 * {@link readStoredPublishedRows}, which never applies disclosure control a second time: a second
 * pass over rounded counts would round nothing new but would see `'*'` where it expects a count,
 * and secondary suppression would have nothing exact to work from. Idempotence is by design: the
 * control is applied exactly once, at materialisation, and checked (not re-applied) at every read.
 */

/** A stored published row: every value as text, or null (a percentage over a zero denominator). */
export type StoredPublishedRow = Record<string, string | null>;

/** The result of materialising one published mart. */
export interface MaterialisedPublishedMart {
  readonly rows: StoredPublishedRow[];
  readonly primarySuppressed: number;
  readonly secondarySuppressed: number;
}

/**
 * The exact aggregate rows of a published mart as they are stored: checked publishable (no person,
 * no exact date, no narrow age band: throws `GuardError` NOT_PUBLISHABLE), then disclosure-
 * controlled with `policy`, then every value as text.
 */
export function materialisePublishedMart(
  table: PublishedTable,
  exact: readonly AggregateRow[],
  policy: DisclosurePolicy = DEFAULT_DISCLOSURE_POLICY,
): MaterialisedPublishedMart {
  assertPublishable(table, exact);
  const result = applyDisclosureControl(table, exact, policy);
  return {
    rows: result.rows.map((row) => {
      const out: StoredPublishedRow = {};
      for (const column of table.columns) {
        const value = row[column.name];
        out[column.name] = value === null || value === undefined ? null : String(value);
      }
      return out;
    }),
    primarySuppressed: result.primarySuppressed,
    secondarySuppressed: result.secondarySuppressed,
  };
}

/**
 * Stored published rows as readers show them: counts, totals, percentages and statistics as numbers
 * or `'*'`, dimensions as text. Checks, without re-applying anything, that no count or total is
 * from 1 to `policy.minCell − 1` on a non-national row (a table written by anything but
 * {@link materialisePublishedMart}); throws `InvariantError` naming table, row and column, never the
 * value.
 */
export function readStoredPublishedRows(
  table: PublishedTable,
  rows: readonly Readonly<Record<string, unknown>>[],
  policy: DisclosurePolicy = DEFAULT_DISCLOSURE_POLICY,
): PublishedRow[] {
  return rows.map((row, r) => {
    const national =
      table.national !== undefined &&
      policy.nationalExempt &&
      row[table.national.dimension] === table.national.value;
    const out: PublishedRow = {};
    for (const column of table.columns) {
      const value = row[column.name];
      if (value === null || value === undefined || value === '') {
        out[column.name] = null;
        continue;
      }
      if (column.role === 'dimension' || column.role === 'context') {
        out[column.name] = typeof value === 'number' ? String(value) : (value as string);
        continue;
      }
      if (value === SUPPRESSED) {
        out[column.name] = SUPPRESSED;
        continue;
      }
      const n = typeof value === 'number' ? value : Number(value);
      if (!Number.isFinite(n))
        throw new InvariantError(
          `published mart ${table.name}: row ${r + 1}: ${column.name} is not a number or '*'`,
        );
      if ((column.role === 'count' || column.role === 'total') && !national && n > 0 && n < policy.minCell)
        throw new InvariantError(
          `published mart ${table.name}: row ${r + 1}: ${column.name} holds a count below ${policy.minCell} that is not suppressed (the table was not written by the marts refresh)`,
        );
      out[column.name] = n;
    }
    return out;
  });
}
