/** Nearest-rank percentile (q in 0..1) of a sample; NaN for an empty sample. */
export function percentile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length)));
  return sorted[rank - 1]!;
}

export interface Summary {
  readonly p50: number;
  readonly p95: number;
  readonly max: number;
}

export function summarise(values: readonly number[]): Summary {
  return {
    p50: percentile(values, 0.5),
    p95: percentile(values, 0.95),
    max: values.length === 0 ? Number.NaN : Math.max(...values),
  };
}
