import type { OrchestrationContext, OrchestrationHandler, Task } from 'durable-functions';
import { services, withInvocationLog, type InvocationLogLike } from './composition-root.js';
import { OPERATIONS_METRICS, type TriggerKind } from '../shared/domain/operations/operations-metrics.js';
import type { BreakerDependency } from '../shared/domain/operations/circuit-breaker.js';
import { recordDependencyOutcome } from '../shared/application/use-cases/operations/circuit-breakers.js';
import { isPermanentFailure } from '../shared/domain/pipeline/activity-outcome.js';
import { InfrastructureError, NhsFlowsError } from '../shared/domain/errors.js';

/**
 * Whether a failure says the dependency itself is failing: an SDK, network or engine error, or an
 * `InfrastructureError`. The product's other coded errors (a missing bronze object, bad key material,
 * a guard) are about one batch or one setting, and do not open a breaker that stops every batch.
 */
export function isDependencyFailure(thrown: unknown): boolean {
  return !(thrown instanceof NhsFlowsError) || thrown instanceof InfrastructureError;
}

/** The code of a thrown value (coded errors carry one), for metric dimensions: never a message. */
function codeOf(thrown: unknown): string {
  const code = (thrown as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[\w.-]{1,64}$/.test(code) ? code : 'UNEXPECTED';
}

/** Emits `nhsflows.function.failed`; telemetry trouble never hides the failure it reports. */
async function reportFailed(name: string, trigger: TriggerKind, code: string): Promise<void> {
  try {
    const s = await services();
    s.telemetry.metric(OPERATIONS_METRICS.functionFailed, 1, { function: name, trigger, code });
  } catch {
    // The host's own failure log still records the execution.
  }
}

/** The handler argument that is the invocation's context (the trigger's position differs per kind). */
function isInvocationContext(arg: unknown): arg is InvocationLogLike & { invocationId: string } {
  const c = arg as Partial<Record<'invocationId' | 'debug' | 'info' | 'warn' | 'error', unknown>> | null;
  return (
    typeof c === 'object' &&
    c !== null &&
    typeof c.invocationId === 'string' &&
    [c.debug, c.info, c.warn, c.error].every((f) => typeof f === 'function')
  );
}

export interface ObservedOptions {
  /**
   * The dependency whose circuit breaker this function's outcome feeds: a thrown failure of the
   * dependency ({@link isDependencyFailure}) counts against it, a success closes it. Permanent failures returned as results (bad input,
   * counts that do not reconcile) are data problems and are not counted.
   */
  readonly dependency?: BreakerDependency;
}

/**
 * Wraps a registration's handler so every failed execution, whatever its trigger, emits
 * `nhsflows.function.failed` (function name, trigger kind, error code) before the error goes on to
 * the host (its retry policy, its failure log). An HTTP handler answering 5xx counts as failed.
 * The handler runs with its InvocationContext as the target of the app's log records.
 */
export function observed<A extends unknown[], R>(
  name: string,
  trigger: TriggerKind,
  handler: (...args: A) => Promise<R>,
  options: ObservedOptions = {},
): (...args: A) => Promise<R> {
  return async (...args: A): Promise<R> => {
    // The app's logs during this invocation are written through its context (see invocation-log.azure.ts).
    const context = args.find(isInvocationContext);
    let result: R;
    try {
      result = await withInvocationLog(context, () => handler(...args));
    } catch (thrown) {
      await reportFailed(name, trigger, codeOf(thrown));
      if (options.dependency && isDependencyFailure(thrown)) {
        const s = await services().catch(() => undefined);
        if (s)
          await recordDependencyOutcome(s.pipeline, options.dependency, { ok: false, code: codeOf(thrown) });
      }
      throw thrown;
    }
    const status = (result as { status?: unknown } | null)?.status;
    if (trigger === 'http' && typeof status === 'number' && status >= 500)
      await reportFailed(name, trigger, `HTTP_${status}`);
    if (options.dependency && !isPermanentFailure(result)) {
      const s = await services().catch(() => undefined);
      if (s) await recordDependencyOutcome(s.pipeline, options.dependency, { ok: true });
    }
    return result;
  };
}

/**
 * The same for an orchestrator: a generator cannot be awaited around, so the failure is reported
 * when the orchestration function throws outside a replay (once per failed orchestration).
 */
export function observedOrchestrator(name: string, orchestrator: OrchestrationHandler): OrchestrationHandler {
  return function* observedOrchestration(context: OrchestrationContext): Generator<Task, unknown, unknown> {
    try {
      return yield* orchestrator(context);
    } catch (thrown) {
      if (!context.df.isReplaying) void reportFailed(name, 'orchestrator', codeOf(thrown));
      throw thrown;
    }
  };
}
