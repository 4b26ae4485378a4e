import {
  BREAKER_DEPENDENCIES,
  DEFAULT_BREAKER_POLICY,
  afterFailure,
  afterSuccess,
  breakerStateOf,
  breakerStatus,
  type BreakerDependency,
  type BreakerPolicy,
  type BreakerState,
  type BreakerStatus,
} from '../../../domain/operations/circuit-breaker.js';
import { OPERATIONS_METRICS } from '../../../domain/operations/operations-metrics.js';
import { ConcurrencyError, GuardError } from '../../../domain/errors.js';
import type { Clock } from '../../ports/clock.port.js';
import type { Logger } from '../../ports/logger.port.js';
import type { StateStore } from '../../ports/state-store.port.js';
import type { Telemetry } from '../../ports/telemetry.port.js';
import { BREAKER_PARTITION, OPERATIONS_TABLE } from './operations-state.js';

export interface BreakerDeps {
  readonly state: StateStore;
  readonly clock: Clock;
  readonly telemetry: Telemetry;
  readonly logger: Logger;
  readonly breakerPolicy?: BreakerPolicy;
}

export interface BreakerView {
  readonly dependency: BreakerDependency;
  readonly status: BreakerStatus;
  readonly consecutiveFailures: number;
  readonly openedAt: string | null;
  readonly lastFailureCode: string | null;
}

// A closed breaker with no failure run, seen recently, needs no write on a success.
const quiet = new Map<BreakerDependency, number>();
const QUIET_MS = 30_000;
// Every breaker closed, read this recently: the consumer (per receipt) and the poller (per tick)
// need not read them again, so the bulk path makes no Table request per batch for them. An open
// breaker is always read again (its cool-down and recovery are seen at once); a write forgets this.
let allClosedAt: number | undefined;
const ALL_CLOSED_MS = 5_000;

/** Every breaker as it stands now (what `nhs-flows status` and GET /api/status show). */
export async function readBreakers(deps: BreakerDeps): Promise<BreakerView[]> {
  await deps.state.ensureTables([OPERATIONS_TABLE]);
  const now = deps.clock.now();
  const views: BreakerView[] = [];
  for (const dependency of BREAKER_DEPENDENCIES) {
    const state = breakerStateOf(
      (await deps.state.get(OPERATIONS_TABLE, BREAKER_PARTITION, dependency))?.value,
    );
    views.push(view(dependency, state, now, deps.breakerPolicy));
  }
  return views;
}

function view(
  dependency: BreakerDependency,
  state: BreakerState,
  now: Date,
  policy = DEFAULT_BREAKER_POLICY,
): BreakerView {
  return {
    dependency,
    status: breakerStatus(state, now, policy),
    consecutiveFailures: state.consecutiveFailures,
    openedAt: state.openedAt,
    lastFailureCode: state.lastFailureCode,
  };
}

/**
 * Reads the breakers, emits `nhsflows.breaker.open` per dependency, and returns those that stop new
 * batches now (open, cool-down not over). A half-open breaker lets work through as its trial.
 */
export async function openBreakers(deps: BreakerDeps): Promise<BreakerView[]> {
  const nowMs = deps.clock.now().getTime();
  if (allClosedAt !== undefined && nowMs - allClosedAt < ALL_CLOSED_MS) return [];
  const views = await readBreakers(deps);
  allClosedAt = views.every((v) => v.status === 'closed') ? nowMs : undefined;
  for (const v of views)
    deps.telemetry.metric(OPERATIONS_METRICS.breakerOpen, v.status === 'closed' ? 0 : 1, {
      dependency: v.dependency,
      state: v.status,
    });
  return views.filter((v) => v.status === 'open');
}

/** Throws `GuardError('CIRCUIT_OPEN')` when a breaker stops new batches (the caller defers). */
export async function assertBreakersClosed(deps: BreakerDeps, what: string): Promise<void> {
  const open = await openBreakers(deps);
  if (open.length === 0) return;
  throw new GuardError(
    'CIRCUIT_OPEN',
    `${what} deferred: the ${open.map((o) => `${o.dependency} (${o.lastFailureCode ?? 'failing'})`).join(', ')} circuit breaker is open after repeated failures; it half-opens by itself after the cool-down (nhs-flows status shows it)`,
  );
}

/**
 * Defers new work while a breaker is open: waits (checking every `pollMs`) until every breaker lets
 * work through, which an open breaker does by itself after its cool-down. Nothing is started and
 * nothing is acknowledged meanwhile (the consumer's checkpoint does not move). Only if a breaker is
 * still open after `maxWaitMs` (it re-opened) does it throw `CIRCUIT_OPEN`, for the host to retry.
 * Returns how long it waited.
 */
export async function waitForBreakers(
  deps: BreakerDeps & { readonly sleep?: (ms: number) => Promise<void> },
  what: string,
  options: { readonly maxWaitMs?: number; readonly pollMs?: number } = {},
): Promise<number> {
  const policy = deps.breakerPolicy ?? DEFAULT_BREAKER_POLICY;
  const maxWaitMs = options.maxWaitMs ?? policy.coolDownSeconds * 1000 + 30_000;
  const pollMs = options.pollMs ?? 5_000;
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const started = deps.clock.now().getTime();
  let logged = false;
  for (;;) {
    const open = await openBreakers(deps);
    const waited = deps.clock.now().getTime() - started;
    if (open.length === 0) return waited;
    if (waited >= maxWaitMs) await assertBreakersClosed(deps, what);
    if (!logged) {
      deps.logger.warn(`${what} deferred: a circuit breaker is open`, {
        breakers: open.map((b) => b.dependency).join(','),
      });
      logged = true;
    }
    await sleep(pollMs);
  }
}

/**
 * Records one outcome of a call to a dependency: a failure moves the breaker on (and may open it),
 * a success closes it. Conditional on the row's etag; a lost race is retried once, then left (the
 * next outcome records it). Never throws: a breaker that cannot be written must not fail the work.
 */
export async function recordDependencyOutcome(
  deps: BreakerDeps,
  dependency: BreakerDependency,
  outcome: { readonly ok: true } | { readonly ok: false; readonly code: string },
): Promise<void> {
  const now = deps.clock.now();
  if (outcome.ok && now.getTime() - (quiet.get(dependency) ?? 0) < QUIET_MS) return;
  try {
    await deps.state.ensureTables([OPERATIONS_TABLE]);
    for (let attempt = 0; attempt < 2; attempt += 1) {
      const entity = await deps.state.get(OPERATIONS_TABLE, BREAKER_PARTITION, dependency);
      const before = breakerStateOf(entity?.value);
      const after = outcome.ok ? afterSuccess() : afterFailure(before, now, outcome.code, deps.breakerPolicy);
      if (outcome.ok && before.status === 'closed' && before.consecutiveFailures === 0) {
        quiet.set(dependency, now.getTime());
        return;
      }
      quiet.delete(dependency);
      allClosedAt = undefined;
      try {
        await deps.state.upsert(OPERATIONS_TABLE, BREAKER_PARTITION, dependency, { ...after }, entity?.etag);
      } catch (error) {
        if (error instanceof ConcurrencyError && attempt === 0) continue;
        throw error;
      }
      const wasOpen = breakerStatus(before, now, deps.breakerPolicy) !== 'closed';
      if (after.status === 'open' && !wasOpen)
        deps.logger.error('circuit breaker opened: no new batches start until it half-opens', {
          dependency,
          failures: after.consecutiveFailures,
          code: after.lastFailureCode,
        });
      if (after.status === 'closed' && wasOpen) deps.logger.info('circuit breaker closed', { dependency });
      deps.telemetry.metric(OPERATIONS_METRICS.breakerOpen, after.status === 'closed' ? 0 : 1, {
        dependency,
        state: breakerStatus(after, now, deps.breakerPolicy),
      });
      return;
    }
  } catch (error) {
    deps.logger.warn('circuit breaker state could not be written', {
      dependency,
      error: error instanceof Error ? error.message.slice(0, 300) : 'unknown',
    });
  }
}

/** Forgets the in-process "quiet" cache (tests). */
export function resetBreakerCache(): void {
  quiet.clear();
  allClosedAt = undefined;
}
