import { join } from 'node:path';
import { LocalEventLog } from '../adapters/local/event-log/local-event-log.js';
import type { Logger } from '../application/ports/logger.port.js';
import { createLocalHost, type LocalHost } from '../runtime/local/local-host.js';
import { captureRegistrations, type Registry } from '../runtime/local/registration-capture.js';
import type { LocalEnvironment } from './local-environment.js';
import { FUNCTIONS } from '../../functions/function-names.js';

/**
 * The timers a one-shot run fires itself (see {@link runOneShot}): pass them as `disabledFunctions`
 * so that no schedule (a past-due timer, say) polls at the same moment.
 */
export const ONE_SHOT_TIMERS: readonly string[] = [FUNCTIONS.cdcPoller, FUNCTIONS.martsRefresh];

/** How long each phase of a one-shot run may take before `waitForIdle` gives up (default). */
export const ONE_SHOT_PHASE_TIMEOUT_MS = 30 * 60_000;

/** Wall times of a one-shot run's phases, in ms (performance clock). */
export interface OneShotTimes {
  /** The CDC poller's invocation: capture of every table and publish to the event log. */
  readonly pollMs: number;
  /** From firing the poller until the host is idle: every batch through bronze → warehouse. */
  readonly pipelineMs: number;
  /** From firing the marts refresh until the host is idle again. */
  readonly martsMs: number;
}

/**
 * The main job of `nhs-flows start` on a started host: fires the CDC poller once and waits until
 * every batch has gone through bronze → silver → gold → warehouse (the host is idle), then fires the
 * marts refresh and waits again. Each wait gives up after `phaseTimeoutMs`, or at `deadline`
 * (epoch ms) if that comes first, with the host's "still busy" error.
 */
export async function runOneShot(
  host: LocalHost,
  registry: Registry,
  options: { phaseTimeoutMs?: number; deadline?: number } = {},
): Promise<OneShotTimes> {
  const timeout = () =>
    Math.max(
      0,
      Math.min(
        options.phaseTimeoutMs ?? ONE_SHOT_PHASE_TIMEOUT_MS,
        (options.deadline ?? Infinity) - Date.now(),
      ),
    );
  const started = performance.now();
  await fireTimer(host, registry, FUNCTIONS.cdcPoller);
  const pollMs = performance.now() - started;
  await host.waitForIdle({ timeoutMs: timeout() });
  const pipelineMs = performance.now() - started;
  const martsStarted = performance.now();
  await fireTimer(host, registry, FUNCTIONS.martsRefresh);
  await host.waitForIdle({ timeoutMs: timeout() });
  return { pollMs, pipelineMs, martsMs: performance.now() - martsStarted };
}

/**
 * The real `functions/` registrations driven by the local runtime: timers, the eventHub trigger fed
 * by the durable local event log, blob and queue triggers on Azurite, HTTP and the durable client on
 * loopback, orchestrations replayed by durable-functions itself with a persisted journal.
 */
export async function openLocalFunctionsHost(
  env: LocalEnvironment,
  options: { logger: Logger; eventLog: LocalEventLog; httpPort?: number; handleSignals?: boolean; disabledFunctions?: readonly string[] },
): Promise<{ host: LocalHost; registry: Registry }> {
  // The same relative path from shared/cli (tsx) and dist/shared/cli (built).
  const registry = await captureRegistrations(() => import('../../functions/index.js'));
  const host = createLocalHost({
    registry,
    dataDir: join(env.dataDir, 'functions-host'),
    connections: { AzureWebJobsStorage: env.connectionString, NHSFLOWS_LAKE: env.connectionString },
    appSettings: process.env,
    logger: options.logger,
    taskHub: 'nhsflows',
    http: { port: options.httpPort ?? 0 },
    eventSources: () => options.eventLog.consumer('$Default'),
    handleSignals: options.handleSignals ?? false,
    disabledFunctions: options.disabledFunctions ?? [],
  });
  return { host, registry };
}

/** Fires a timer-triggered registration once, as the host would on schedule. */
export async function fireTimer(host: LocalHost, registry: Registry, functionName: string): Promise<void> {
  const registration = registry.get(functionName);
  if (!registration) throw new Error(`no function named ${functionName} is registered`);
  const payload = { Schedule: { AdjustForDST: true }, ScheduleStatus: null, IsPastDue: false };
  await host.invoke(functionName, {
    inputData: { [registration.triggerName]: { json: JSON.stringify(payload) } },
  });
}
