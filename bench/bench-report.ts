/**
 * What a benchmark writes. Benchmarks measure ratios against a baseline run in the same process on
 * the same data; targets are recorded next to the measurement, never asserted in tests.
 */
export interface BenchReport {
  /** Starts a titled section (one per benchmark file). */
  section(title: string, description: string): void;
  /** A measured value: rows/s, MiB, ms, bytes. */
  metric(name: string, value: number, unit: string, note?: string): void;
  /** A ratio against a baseline, with the target it is meant to meet (met/missed is reported, not asserted). */
  ratio(name: string, value: number, target?: { op: '>=' | '<='; value: number }, note?: string): void;
}

/** Scale factor for benchmark sizes: NHSFLOWS_BENCH_SCALE=0.1 runs a tenth of the rows (smoke runs). */
export function benchScale(): number {
  const raw = Number(process.env.NHSFLOWS_BENCH_SCALE ?? '1');
  return Number.isFinite(raw) && raw > 0 ? raw : 1;
}

export function scaled(rows: number): number {
  return Math.max(1, Math.round(rows * benchScale()));
}

/** Peak RSS sampler: call `stop()` to get the peak resident set size in MiB since `start`. */
export function peakMemorySampler(intervalMs = 50): { stop(): number } {
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, intervalMs);
  timer.unref();
  return {
    stop: () => {
      clearInterval(timer);
      peak = Math.max(peak, process.memoryUsage().rss);
      return peak / (1024 * 1024);
    },
  };
}

export async function timed<T>(fn: () => Promise<T>): Promise<{ result: T; ms: number }> {
  const start = performance.now();
  const result = await fn();
  return { result, ms: performance.now() - start };
}
