import { DEFAULT_DISCLOSURE_POLICY } from './disclosure-policy.js';

/**
 * Small-number suppression of a published count (statistical disclosure control).
 *
 * The rule is NHS Digital's for HES / ECDS sub-national outputs from 13 September 2018
 * (shared/nhs/REFERENCE.md §9.1; "rounded to the nearest 5" is partially verified): 0 is shown as
 * 0, 1–7 as `*`, 8 or more rounded to the nearest 5. Totals are rounded from their unrounded
 * value, never summed from rounded cells: round once, at the edge where the count is shown.
 *
 * Other NHS England products use other thresholds, so the policy is a value, not a constant: any
 * {@link DisclosurePolicy} (disclosure-policy.ts) is a `SmallNumberPolicy`. Whole tables, with
 * totals, percentages and secondary suppression, go through `applyDisclosureControl`.
 */
export interface SmallNumberPolicy {
  /** The smallest count shown (below it, and above 0, the count is `*`). */
  readonly minCell: number;
  /** Shown counts are rounded to the nearest multiple of this (1 = not rounded). */
  readonly roundTo: number;
}

/** NHS Digital's HES / ECDS rule: `*` for 1–7, nearest 5 from 8 (the default policy's numbers). */
export const HES_SMALL_NUMBER_POLICY: SmallNumberPolicy = DEFAULT_DISCLOSURE_POLICY;

/** A disclosure-controlled count as published: `'0'`, `'*'` or a rounded whole number. */
export type DisclosedCount = string;

/** The symbol shown for a suppressed count. */
export const SUPPRESSED = '*';

/**
 * A whole count rounded to the nearest multiple of `policy.roundTo`, halves up (exact integer
 * arithmetic: with a step of 10, 15 → 20 and 14 → 10; with the default step of 5 a whole count is
 * never a half: 12 → 10, 13 → 15). No suppression: for totals and shown counts alike.
 */
export function roundCount(count: number, policy: SmallNumberPolicy = HES_SMALL_NUMBER_POLICY): number {
  assertWholeCount(count, 'roundCount');
  const step = Math.max(1, policy.roundTo);
  return Math.floor((2 * count + step) / (2 * step)) * step;
}

/**
 * The published form of a count under `policy`. Halves round up (with the default policy a count
 * never ends in .5: 8 → 10, 12 → 10, 13 → 15). Throws on a negative or fractional count (a bug:
 * counts of records are whole and non-negative).
 */
export function discloseCount(
  count: number,
  policy: SmallNumberPolicy = HES_SMALL_NUMBER_POLICY,
): DisclosedCount {
  assertWholeCount(count, 'discloseCount');
  if (count === 0) return '0';
  if (count < policy.minCell) return SUPPRESSED;
  return String(roundCount(count, policy));
}

function assertWholeCount(count: number, fn: string): void {
  if (!Number.isSafeInteger(count) || count < 0)
    throw new RangeError(`${fn}: expected a whole count ≥ 0, received ${String(count)}`);
}
