/**
 * The stale-capture rule, as the alert in infra/app/alerts.bicep evaluates it over the freshness
 * metric: stale when no freshness sample arrived within the window (a stopped poller emits nothing),
 * or when any table's newest sample says its last successful poll is older than the threshold.
 */
export interface StaleRule {
  /** The alert's look-back window (windowSize): one default schedule period plus ingestion delay. */
  readonly windowMinutes: number;
  /** Seconds since the last successful poll above which a table is stale. */
  readonly thresholdSeconds: number;
}

/** The values infra/app/alerts.bicep uses (the infra test checks the Bicep against these). */
export const STALE_RULE: StaleRule = { windowMinutes: 10, thresholdSeconds: 1800 };

/** One freshness sample as emitted by a poller tick. */
export interface FreshnessSample {
  readonly table: string;
  /** When the sample was emitted. */
  readonly at: Date;
  /** Seconds since the last successful poll of the table at that tick. */
  readonly freshnessSeconds: number;
}

export type Staleness =
  | { readonly stale: false; readonly worstSeconds: number }
  | { readonly stale: true; readonly reason: 'no-ticks'; readonly worstSeconds: null }
  | {
      readonly stale: true;
      readonly reason: 'table-stale';
      readonly worstSeconds: number;
      readonly tables: readonly string[];
    };

/** Evaluates the rule at `now` over the samples (any order; samples outside the window are ignored). */
export function evaluateStaleness(
  samples: readonly FreshnessSample[],
  now: Date,
  rule: StaleRule = STALE_RULE,
): Staleness {
  const from = now.getTime() - rule.windowMinutes * 60_000;
  const inWindow = samples.filter((s) => s.at.getTime() > from && s.at.getTime() <= now.getTime());
  if (inWindow.length === 0) return { stale: true, reason: 'no-ticks', worstSeconds: null };
  const worstByTable = new Map<string, number>();
  for (const s of inWindow)
    worstByTable.set(s.table, Math.max(worstByTable.get(s.table) ?? -Infinity, s.freshnessSeconds));
  const worstSeconds = Math.max(...worstByTable.values());
  const tables = [...worstByTable].filter(([, v]) => v > rule.thresholdSeconds).map(([t]) => t);
  return tables.length > 0
    ? { stale: true, reason: 'table-stale', worstSeconds, tables: tables.sort() }
    : { stale: false, worstSeconds };
}

/** Value emitted for a table whose polls have failed since it was first polled (no success yet). */
export const NEVER_CAPTURED_SECONDS = 10 * 365 * 86_400;

/** now − last successful poll, in seconds; `NEVER_CAPTURED_SECONDS` when there was none. */
export function freshnessSeconds(lastSuccessAt: string | null, now: Date): number {
  if (!lastSuccessAt) return NEVER_CAPTURED_SECONDS;
  const at = Date.parse(lastSuccessAt);
  return Number.isNaN(at) ? NEVER_CAPTURED_SECONDS : Math.max(0, (now.getTime() - at) / 1000);
}
