/**
 * The NHS Data Quality Maturity Index arithmetic (NHS Digital DQMI methodology, as summarised in
 * shared/nhs/REFERENCE.md §10.1). Pure functions over counts, so the scorecard and its tests share
 * one definition.
 *
 * - defaults in excess = max(0, defaults − threshold × records);
 * - item score = (valid and complete − defaults in excess) / records × 100, floored at 0;
 * - dataset score = mean(item scores as fractions) × mean(coverage) × 100.
 */

/** Defaults beyond what the item's threshold allows (may be fractional). */
export function defaultsInExcess(defaults: number, records: number, threshold: number): number {
  return Math.max(0, defaults - threshold * records);
}

/** The DQMI item score (0–100), or null when there are no records. */
export function dqmiItemScore(counts: {
  readonly records: number;
  readonly validAndComplete: number;
  readonly defaults: number;
  readonly threshold: number;
}): number | null {
  if (counts.records === 0) return null;
  const excess = defaultsInExcess(counts.defaults, counts.records, counts.threshold);
  return (Math.max(0, counts.validAndComplete - excess) / counts.records) * 100;
}

/**
 * The DQMI dataset (or provider) score (0–100): the mean item score as a fraction times the mean
 * coverage (each 0–1) times 100. No items or no coverage gives 0.
 */
export function dqmiDatasetScore(itemScores: readonly number[], coverages: readonly number[]): number {
  if (itemScores.length === 0 || coverages.length === 0) return 0;
  const meanItems = itemScores.reduce((a, s) => a + s / 100, 0) / itemScores.length;
  const meanCoverage = coverages.reduce((a, c) => a + c, 0) / coverages.length;
  return meanItems * meanCoverage * 100;
}
