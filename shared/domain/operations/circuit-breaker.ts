/**
 * A circuit breaker per downstream dependency (the warehouse, the lake): after `failureThreshold`
 * consecutive failures within `windowSeconds` it opens and no new batch is started; after
 * `coolDownSeconds` it half-opens by itself and lets new work through as a trial; the next success
 * closes it, the next failure opens it again for another cool-down.
 *
 * Pure: the state is a small flat record (kept in Table storage control state by the application
 * layer); every transition takes the time it happens at.
 */
export const BREAKER_DEPENDENCIES = ['warehouse', 'lake'] as const;
export type BreakerDependency = (typeof BREAKER_DEPENDENCIES)[number];

export interface BreakerPolicy {
  readonly failureThreshold: number;
  readonly windowSeconds: number;
  readonly coolDownSeconds: number;
}

export const DEFAULT_BREAKER_POLICY: BreakerPolicy = {
  failureThreshold: 5,
  windowSeconds: 600,
  coolDownSeconds: 300,
};

export type BreakerStatus = 'closed' | 'open' | 'half-open';

/** The stored state (flat: it is one Table storage entity). */
export interface BreakerState {
  readonly [key: string]: string | number | null;
  /** 'closed' or 'open'; half-open is derived from `openedAt` and the cool-down ({@link breakerStatus}). */
  readonly status: 'closed' | 'open';
  readonly consecutiveFailures: number;
  readonly firstFailureAt: string | null;
  readonly openedAt: string | null;
  /** Code of the last failure (an error code, never a value). */
  readonly lastFailureCode: string | null;
}

export const CLOSED_BREAKER: BreakerState = {
  status: 'closed',
  consecutiveFailures: 0,
  firstFailureAt: null,
  openedAt: null,
  lastFailureCode: null,
};

/** The status at `now`: an open breaker is half-open once its cool-down has passed. */
export function breakerStatus(
  state: BreakerState,
  now: Date,
  policy = DEFAULT_BREAKER_POLICY,
): BreakerStatus {
  if (state.status === 'closed') return 'closed';
  const openedAt = state.openedAt ? Date.parse(state.openedAt) : Number.NaN;
  if (Number.isNaN(openedAt)) return 'half-open';
  return now.getTime() - openedAt >= policy.coolDownSeconds * 1000 ? 'half-open' : 'open';
}

/** Whether new batches may start at `now` (closed, or half-open: a trial). */
export function allowsNewWork(state: BreakerState, now: Date, policy = DEFAULT_BREAKER_POLICY): boolean {
  return breakerStatus(state, now, policy) !== 'open';
}

/** The state after a failure at `at`. */
export function afterFailure(
  state: BreakerState,
  at: Date,
  code: string,
  policy = DEFAULT_BREAKER_POLICY,
): BreakerState {
  const status = breakerStatus(state, at, policy);
  if (status === 'half-open')
    // The trial failed: open again for a full cool-down.
    return { ...state, status: 'open', openedAt: at.toISOString(), lastFailureCode: code };
  if (status === 'open')
    return { ...state, consecutiveFailures: state.consecutiveFailures + 1, lastFailureCode: code };
  const first = state.firstFailureAt ? Date.parse(state.firstFailureAt) : Number.NaN;
  const inWindow = !Number.isNaN(first) && at.getTime() - first <= policy.windowSeconds * 1000;
  const consecutiveFailures = inWindow ? state.consecutiveFailures + 1 : 1;
  const firstFailureAt = inWindow ? state.firstFailureAt : at.toISOString();
  return consecutiveFailures >= policy.failureThreshold
    ? {
        status: 'open',
        consecutiveFailures,
        firstFailureAt,
        openedAt: at.toISOString(),
        lastFailureCode: code,
      }
    : { status: 'closed', consecutiveFailures, firstFailureAt, openedAt: null, lastFailureCode: code };
}

/** The state after a success: closed, the failure run forgotten. */
export function afterSuccess(): BreakerState {
  return CLOSED_BREAKER;
}

/** Reads a stored entity back; anything unrecognised is a closed breaker (fail open, not shut). */
export function breakerStateOf(value: Readonly<Record<string, unknown>> | undefined): BreakerState {
  if (!value) return CLOSED_BREAKER;
  const text = (v: unknown): string | null => (typeof v === 'string' && v ? v : null);
  return {
    status: value.status === 'open' ? 'open' : 'closed',
    consecutiveFailures: typeof value.consecutiveFailures === 'number' ? value.consecutiveFailures : 0,
    firstFailureAt: text(value.firstFailureAt),
    openedAt: text(value.openedAt),
    lastFailureCode: text(value.lastFailureCode),
  };
}
