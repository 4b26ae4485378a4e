import { InputError } from '../errors.js';
import { DEFAULT_DISCLOSURE_POLICY, type DisclosurePolicy } from './disclosure-policy.js';
import {
  columnsOfRole,
  type DimensionColumn,
  type PercentageColumn,
  type PublishedTable,
} from './published-table.js';
import {
  applySecondarySuppression,
  type AdditiveLine,
  type CellState,
  type SuppressionCell,
} from './secondary-suppression.js';
import { SUPPRESSED, roundCount } from './small-numbers.js';

/** One row of an aggregate table before disclosure control: exact counts. */
export type AggregateRow = Readonly<Record<string, string | number | boolean | null | undefined>>;

/**
 * One row as published: dimensions as given; counts as rounded numbers or `'*'`; percentages as
 * numbers, `'*'` when a part is suppressed, `null` when the denominator is 0; statistics as given,
 * `'*'` when 1 to `minCell − 1` individuals contribute.
 */
export type PublishedRow = Record<string, string | number | boolean | null>;

export interface DisclosureResult {
  readonly table: string;
  readonly policy: string;
  readonly rows: PublishedRow[];
  /** Cells shown as `*` because their count is from 1 to `minCell − 1`. */
  readonly primarySuppressed: number;
  /** Cells shown as `*` so that no primary-suppressed cell can be recovered from a line. */
  readonly secondarySuppressed: number;
  /** Lines that still give a suppressed cell away (only possible against exempt cells). */
  readonly unprotectedLines: readonly string[];
}

/**
 * Applies a disclosure control policy to an aggregate table (docs/disclosure-control.md):
 *
 * 1. totals are computed from the unrounded parts (a supplied total must equal their sum);
 * 2. primary suppression: a sub-national count from 1 to `minCell − 1` is `*`, 0 stays 0;
 * 3. secondary suppression along every additive line (row totals, total rows), to a fixed point;
 * 4. every other sub-national count is rounded to the nearest `roundTo` (halves up), totals
 *    included, from their unrounded values;
 * 5. percentages from the rounded numerator and denominator, with `percentDecimals` places only
 *    when the rounded denominator is at least `percentDecimalsMinDenominator`;
 * 6. national rows (when the policy exempts them) are shown exact and never suppressed.
 *
 * Idempotent on its own output, by design: a count or total given as `'*'` is a cell already
 * suppressed (it stays `*`, its value unknown, and no line or total check reads it), and the shown
 * counts (0, or rounded values of at least `minCell` under the default policy) round to
 * themselves, so a table stored disclosure-controlled (the published marts) comes out unchanged if
 * a reader controls it again. This holds for tables without total columns or total rows (a rounded
 * total is not the sum of its rounded parts): every published mart; readers of stored published
 * marts use `readStoredPublishedRows` (published-storage.ts), which checks and never re-applies.
 *
 * Throws `InputError` (`INPUT_INVALID`) on rows that do not fit the declaration: a missing
 * dimension, a count that is not a whole number ≥ 0, a total that does not add up, two rows with
 * the same dimension values. Messages name the table, row number and column, never a value.
 */
export function applyDisclosureControl(
  table: PublishedTable,
  rows: readonly AggregateRow[],
  policy: DisclosurePolicy = DEFAULT_DISCLOSURE_POLICY,
): DisclosureResult {
  const dimensions = columnsOfRole(table, 'dimension');
  const counts = columnsOfRole(table, 'count');
  const totals = columnsOfRole(table, 'total');
  const measured = [...counts.map((c) => c.name), ...totals.map((c) => c.name)];
  const fail = (row: number, message: string): never => {
    throw new InputError(`disclosure control of ${table.name}: row ${row + 1}: ${message}`);
  };

  // Exact values, totals computed from their parts; `*` marks a cell suppressed already.
  const given = rows.map(() => new Set<string>());
  const exact = rows.map((row, r) => {
    const values = new Map<string, number>();
    for (const column of counts) {
      if (row[column.name] === SUPPRESSED) {
        given[r]!.add(column.name);
        values.set(column.name, 0);
        continue;
      }
      values.set(
        column.name,
        wholeCount(row[column.name], () => fail(r, `${column.name} must be a whole count ≥ 0`)),
      );
    }
    for (const column of totals) {
      const sum = column.of.reduce((s, part) => s + (values.get(part) ?? 0), 0);
      const supplied = row[column.name];
      if (supplied === SUPPRESSED || column.of.some((part) => given[r]!.has(part))) {
        given[r]!.add(column.name);
        values.set(column.name, 0);
        continue;
      }
      if (supplied !== undefined && supplied !== null && supplied !== sum)
        fail(
          r,
          `${column.name} must be the sum of ${column.of.join(' + ')} (totals come from unrounded values)`,
        );
      values.set(column.name, sum);
    }
    return values;
  });
  const keys = rows.map((row, r) =>
    dimensions.map((d) => {
      const v = row[d.name];
      if (typeof v !== 'string' && typeof v !== 'number') return fail(r, `dimension ${d.name} is missing`);
      return String(v);
    }),
  );
  const seen = new Map<string, number>();
  keys.forEach((key, r) => {
    const k = JSON.stringify(key);
    const first = seen.get(k);
    if (first !== undefined) fail(r, `has the same dimension values as row ${first + 1}`);
    seen.set(k, r);
  });

  const nationalAt = table.national ? dimensions.findIndex((d) => d.name === table.national?.dimension) : -1;
  const exempt = keys.map(
    (key) => policy.nationalExempt && nationalAt >= 0 && key[nationalAt] === table.national?.value,
  );

  // Cells: one per row and count or total column, primary-suppressed where small.
  const cellAt = (r: number, column: string): number => r * measured.length + measured.indexOf(column);
  const cells: SuppressionCell[] = [];
  rows.forEach((_, r) => {
    for (const column of measured) {
      const value = exact[r]?.get(column) ?? 0;
      const state: CellState = given[r]?.has(column)
        ? 'suppressed'
        : exempt[r]
          ? 'exempt'
          : value > 0 && value < policy.minCell
            ? 'suppressed'
            : 'published';
      cells.push({ value, state });
    }
  });
  const primary = cells.filter((c) => c.state === 'suppressed').length;

  const lines = additiveLines(table, keys, dimensions, cellAt);
  const unknown = new Set<number>();
  given.forEach((columns, r) => columns.forEach((column) => unknown.add(cellAt(r, column))));
  for (const line of lines) {
    if (unknown.has(line.total) || line.parts.some((i) => unknown.has(i))) continue;
    const sum = line.parts.reduce((s, i) => s + (cells[i]?.value ?? 0), 0);
    if (sum !== cells[line.total]?.value)
      throw new InputError(
        `disclosure control of ${line.label}: the total row is not the sum of the rows it totals (declare a count that does not add up as distinct)`,
      );
  }
  const { states, secondary, unprotected } = applySecondarySuppression(
    cells,
    policy.secondarySuppression ? lines : [],
  );

  const published = rows.map((row, r): PublishedRow => {
    const out: PublishedRow = {};
    const shown = (column: string): number | string => {
      const i = cellAt(r, column);
      const value = cells[i]?.value ?? 0;
      if (states[i] === 'exempt') return value;
      if (states[i] === 'suppressed') return SUPPRESSED;
      return roundCount(value, policy);
    };
    for (const column of table.columns) {
      switch (column.role) {
        case 'dimension':
        case 'context':
          out[column.name] = row[column.name] ?? null;
          break;
        case 'count':
        case 'total':
          out[column.name] = shown(column.name);
          break;
        case 'percentage':
          out[column.name] = percentage(column, shown(column.numerator), shown(column.denominator), policy);
          break;
        case 'statistic': {
          const contributors = exact[r]?.get(column.contributors) ?? 0;
          const value = row[column.name];
          out[column.name] =
            given[r]?.has(column.contributors) ||
            (!exempt[r] && contributors > 0 && contributors < policy.minCell)
              ? SUPPRESSED
              : (value ?? null);
          break;
        }
      }
    }
    return out;
  });

  return {
    table: table.name,
    policy: policy.name,
    rows: published,
    primarySuppressed: primary,
    secondarySuppressed: secondary.length,
    unprotectedLines: unprotected,
  };
}

/**
 * The table's additive lines: each row's total columns with their parts, and, for each dimension
 * with a `totalValue`, each (non-distinct) count or total column down the rows that differ only in
 * that dimension, with the total row as the line's total.
 */
function additiveLines(
  table: PublishedTable,
  keys: readonly (readonly string[])[],
  dimensions: readonly DimensionColumn[],
  cellAt: (r: number, column: string) => number,
): AdditiveLine[] {
  const lines: AdditiveLine[] = [];
  const describe = (key: readonly string[], skip = -1): string =>
    dimensions
      .map((d, i) => (i === skip ? null : `${d.name}=${key[i] ?? ''}`))
      .filter((s) => s !== null)
      .join(', ');
  const totals = columnsOfRole(table, 'total');
  keys.forEach((key, r) => {
    for (const total of totals)
      lines.push({
        total: cellAt(r, total.name),
        parts: total.of.map((part) => cellAt(r, part)),
        label: `${table.name}: ${total.name} = ${total.of.join(' + ')} at ${describe(key)}`,
      });
  });
  const additive = [
    ...columnsOfRole(table, 'count')
      .filter((c) => c.distinct !== true)
      .map((c) => c.name),
    ...totals.map((c) => c.name),
  ];
  dimensions.forEach((dimension, d) => {
    if (dimension.totalValue === undefined) return;
    const groups = new Map<string, { total?: number; parts: number[]; key: readonly string[] }>();
    keys.forEach((key, r) => {
      const group = JSON.stringify(key.filter((_, i) => i !== d));
      const entry = groups.get(group) ?? { parts: [], key };
      if (key[d] === dimension.totalValue) entry.total = r;
      else entry.parts.push(r);
      groups.set(group, entry);
    });
    for (const { total, parts, key } of groups.values()) {
      if (total === undefined || parts.length === 0) continue;
      for (const column of additive)
        lines.push({
          total: cellAt(total, column),
          parts: parts.map((r) => cellAt(r, column)),
          label: `${table.name}: ${column} over ${dimension.name} at ${describe(key, d) || 'the whole table'}`,
        });
    }
  });
  return lines;
}

/**
 * A percentage (or rate per `per`) from the published parts: `'*'` when either is suppressed,
 * `null` when the denominator is 0, else rounded half up with `percentDecimals` places only when
 * the denominator is at least `percentDecimalsMinDenominator` (exact integer arithmetic).
 */
function percentage(
  column: PercentageColumn,
  numerator: number | string,
  denominator: number | string,
  policy: DisclosurePolicy,
): number | string | null {
  if (typeof numerator !== 'number' || typeof denominator !== 'number') return SUPPRESSED;
  if (denominator === 0) return null;
  const places = denominator >= policy.percentDecimalsMinDenominator ? policy.percentDecimals : 0;
  const scale = 10 ** places;
  const scaled = numerator * (column.per ?? 100) * scale;
  return Math.floor((2 * scaled + denominator) / (2 * denominator)) / scale;
}

function wholeCount(value: unknown, onBad: () => never): number {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return value;
  return onBad();
}
