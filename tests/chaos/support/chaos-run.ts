import { warehouseDigest } from '../../support/cli-process.js';

/** `npm run chaos` sets NHSFLOWS_CHAOS=full; `npm test` runs the short form. */
export const CHAOS_FULL = process.env.NHSFLOWS_CHAOS === 'full';

/**
 * The chaos suite compares warehouses as the crash tests do (`warehouseDigest`: run-dependent
 * columns left out; `patient_sk` compared, since surrogate keys are the same in every run, ADR 0009).
 */
export const chaosWarehouseDigest = warehouseDigest;

/** The tables whose rows or digest differ between two digests (names only). */
export function differingTables(
  a: Record<string, { rows: number; digest: string }>,
  b: Record<string, { rows: number; digest: string }>,
): string[] {
  const names = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  return names.filter((n) => a[n]?.rows !== b[n]?.rows || a[n]?.digest !== b[n]?.digest);
}

/** A pattern that matches only its Nth matching line (for `CliProcess.waitForLine`). */
export class NthLine extends RegExp {
  private seen = 0;
  constructor(
    source: RegExp,
    private readonly n: number,
  ) {
    super(source.source, source.flags);
  }
  override test(line: string): boolean {
    return super.test(line) && ++this.seen === this.n;
  }
}

/** One line of the summary table the suite prints. */
export interface ChaosOutcome {
  readonly point: string;
  readonly outcome: string;
  readonly passed: boolean;
  readonly seconds: number;
}

/** The kill point → outcome table, as printed at the end of the suite (and copied into the README). */
export function renderSummary(title: string, outcomes: readonly ChaosOutcome[]): string {
  const width = Math.max(10, ...outcomes.map((o) => o.point.length));
  const lines = [
    title,
    `${'#'.padStart(3)}  ${'kill point / check'.padEnd(width)}  ${'outcome'.padEnd(40)}  seconds`,
    ...outcomes.map(
      (o, i) =>
        `${String(i + 1).padStart(3)}  ${o.point.padEnd(width)}  ${o.outcome.padEnd(40)}  ${o.seconds.toFixed(0)}`,
    ),
    `passed: ${outcomes.filter((o) => o.passed).length} of ${outcomes.length}`,
  ];
  return lines.join('\n');
}
