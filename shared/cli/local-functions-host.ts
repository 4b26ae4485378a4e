import { join } from 'node:path';
import { LocalEventLog } from '../adapters/local/event-log/local-event-log.js';
import type { Logger } from '../application/ports/logger.port.js';
import { createLocalHost, type LocalHost } from '../runtime/local/local-host.js';
import {
  eventHubOptionsFromHostJson,
  maxConcurrentActivitiesFromHostJson,
} from '../runtime/local/host-json.js';
import type { ActivityInvocation } from '../runtime/local/activity-workers.js';
import {
  allRegistrations,
  captureRegistrations,
  type Registry,
} from '../runtime/local/registration-capture.js';
import { localActor, type LocalEnvironment } from './local-environment.js';
import { ACTIVITIES, CONNECTIONS, FUNCTIONS } from '../../functions/function-names.js';
import { LANDING_EVENT_SUBSCRIPTION } from '../domain/landing/landing-event.js';
import type { MergeDimensionInput } from '../domain/pipeline/pipeline-contracts.js';
import { projectForTable, projectIds } from '../domain/pseudonymise/projects.js';

/**
 * The timers a one-shot run fires itself (see {@link runOneShot}): pass them as `disabledFunctions`
 * so that no schedule (a past-due timer, say) polls at the same moment.
 */
// The reconciliation timer never fires in a one-shot run (nhs-flows reconcile runs it on demand).
export const ONE_SHOT_TIMERS: readonly string[] = [
  FUNCTIONS.cdcPoller,
  FUNCTIONS.martsRefresh,
  FUNCTIONS.reconcile,
];

/**
 * How long a one-shot run may go without any sign of progress (a log record, an orchestration
 * moving) before it gives up, by default. A run that keeps moving is never cut off, however long it
 * takes (`nhs-flows start --patients 250000`); one activity may take minutes without logging.
 */
export const ONE_SHOT_STALL_TIMEOUT_MS = 30 * 60_000;

/** How often a waiting one-shot run looks for progress. */
const PROGRESS_CHECK_MS = 5_000;

/** Wall times of a one-shot run's phases, in ms (performance clock). */
export interface OneShotTimes {
  /** The CDC poller's invocation: capture of every table and publish to the event log. */
  readonly pollMs: number;
  /** From firing the poller until the host is idle: every batch through bronze → warehouse. */
  readonly pipelineMs: number;
  /** From firing the marts refresh until the host is idle again. */
  readonly martsMs: number;
}

export interface OneShotOptions {
  /** Gives up on a phase still busy after this long, progressing or not (default: no limit). */
  readonly phaseTimeoutMs?: number;
  /** Gives up on a phase still busy at this time (epoch ms; default: none). */
  readonly deadline?: number;
  /** Gives up when nothing has progressed for this long (default {@link ONE_SHOT_STALL_TIMEOUT_MS}). */
  readonly stallTimeoutMs?: number;
  /** When the caller last saw progress (epoch ms), e.g. the last log record; orchestrations count too. */
  readonly lastProgressAt?: () => number;
  /** Called once the poll's batches are through the warehouse, before the marts refresh is fired. */
  readonly onPipelineIdle?: () => void;
}

/**
 * The main job of `nhs-flows start` on a started host: fires the CDC poller once and waits until
 * every batch has gone through bronze → silver → gold → warehouse (the host is idle), then fires the
 * marts refresh and waits again. A wait goes on as long as the run progresses (a log record seen by
 * `lastProgressAt`, an orchestration updated); it gives up with a message saying so after
 * `stallTimeoutMs` without progress, and with the host's "still busy" error after `phaseTimeoutMs`
 * or at `deadline`, when given.
 */
export async function runOneShot(
  host: LocalHost,
  registry: Registry,
  options: OneShotOptions = {},
): Promise<OneShotTimes> {
  const started = performance.now();
  await fireTimer(host, registry, FUNCTIONS.cdcPoller);
  const pollMs = performance.now() - started;
  await waitUntilIdle(host, options);
  const pipelineMs = performance.now() - started;
  options.onPipelineIdle?.();
  const martsStarted = performance.now();
  await fireTimer(host, registry, FUNCTIONS.martsRefresh);
  await waitUntilIdle(host, options);
  return { pollMs, pipelineMs, martsMs: performance.now() - martsStarted };
}

async function waitUntilIdle(host: LocalHost, options: OneShotOptions): Promise<void> {
  const phaseStarted = Date.now();
  const end = Math.min(phaseStarted + (options.phaseTimeoutMs ?? Infinity), options.deadline ?? Infinity);
  const stallMs = options.stallTimeoutMs ?? ONE_SHOT_STALL_TIMEOUT_MS;
  for (;;) {
    try {
      await host.waitForIdle({ timeoutMs: Math.max(0, Math.min(PROGRESS_CHECK_MS, end - Date.now())) });
      return;
    } catch (error) {
      // waitForIdle's only error is "still busy" at its timeout: anything else is a real failure.
      if (!(error instanceof Error) || !error.message.startsWith('the local host was still busy'))
        throw error;
      if (Date.now() >= end) throw error;
    }
    const progressAt = Math.max(phaseStarted, options.lastProgressAt?.() ?? 0, lastOrchestrationUpdate(host));
    const quietMs = Date.now() - progressAt;
    if (quietMs >= stallMs)
      throw new Error(
        `no progress for ${Math.round(quietMs / 60_000)} min: the local host is still busy, but nothing has been logged and no orchestration has moved since ${new Date(progressAt).toISOString()}`,
      );
  }
}

function lastOrchestrationUpdate(host: LocalHost): number {
  let latest = 0;
  for (const instance of host.durable.list()) {
    const at = Date.parse(instance.lastUpdatedTime);
    if (at > latest) latest = at;
  }
  return latest;
}

/**
 * The real `functions/` registrations driven by the local runtime: timers, the eventHub trigger fed
 * by the durable local event log, blob and queue triggers on Azurite, HTTP and the durable client on
 * loopback, orchestrations replayed by durable-functions itself with a persisted journal.
 */
/** An activity worker idle for 2 s whose V8 heap has grown past 256 MiB is replaced by a fresh one. */
const WORKER_RECYCLE = { idleMs: 2_000, heapBytes: 256 * 1024 * 1024 } as const;

/**
 * An activity worker's V8 young generation: 96 MiB (semi-spaces of 32 MiB; V8's default is 16).
 * An activity's rows live for one chunk; with the default, most of them outlive two scavenges and
 * are promoted, then collected again by the old generation's full collections (the runs that
 * measured it: docs/local-runtime.md).
 */
const WORKER_YOUNG_GENERATION_MB = 96;

export async function openLocalFunctionsHost(
  env: LocalEnvironment,
  options: {
    logger: Logger;
    eventLog: LocalEventLog;
    httpPort?: number;
    handleSignals?: boolean;
    disabledFunctions?: readonly string[];
    /** Told of every activity invocation a worker thread ran (the bench's stage timings). */
    onActivityInvocation?: (invocation: ActivityInvocation) => void;
  },
): Promise<{ host: LocalHost; registry: Registry }> {
  const registry = await functionsRegistry();
  const maxConcurrentActivities = maxConcurrentActivitiesFromHostJson();
  const host = createLocalHost({
    registry,
    dataDir: join(env.dataDir, 'functions-host'),
    connections: { AzureWebJobsStorage: env.connectionString, NHSFLOWS_LAKE: env.connectionString },
    appSettings: process.env,
    logger: options.logger,
    taskHub: 'nhsflows',
    // The local admin key guards every non-anonymous route and the durable API (docs/keys.md).
    http: {
      port: options.httpPort ?? 0,
      adminKey: env.adminKey,
      principal: { actor: localActor(), roles: env.operatorRoles },
    },
    eventSources: () => options.eventLog.consumer('$Default'),
    // The lake's BlobCreated events under landing/, as the Event Grid subscription delivers them on Azure.
    eventGrid: {
      [FUNCTIONS.landingFile]: {
        connection: CONNECTIONS.lake,
        container: LANDING_EVENT_SUBSCRIPTION.container,
        name: LANDING_EVENT_SUBSCRIPTION.name,
        maxDeliveryAttempts: LANDING_EVENT_SUBSCRIPTION.maxDeliveryAttempts,
        deadLetterContainer: LANDING_EVENT_SUBSCRIPTION.deadLetterContainer,
      },
    },
    // host.json's batch size: large receipts make few, large batches (an initial snapshot of a
    // table becomes one batch per partition, not one per hundred events).
    eventHubs: eventHubOptionsFromHostJson(),
    // host.json's per-instance activity limit, as the Azure host applies it: each activity in
    // flight holds up to a chunk of rows, so more of them than the cores can run only adds memory.
    ...(maxConcurrentActivities !== undefined && { maxConcurrentActivities }),
    // Activities that take turns on one resource, or hold a chunk's rows, wait for their turn
    // outside those slots (`localActivityLimits`).
    activityLimits: localActivityLimits(env.settings.NHSFLOWS_LOCAL_ACTIVITY_WORKERS, projectIds().length),
    // Activities on worker threads (both cores). The warehouse load stays with the warehouse file's
    // owner (the main thread); the SCD2 merges of one project's patient dimension all run on one
    // worker, so they take turns there instead of racing, while the two projects' dimensions merge
    // on different workers at once (the main thread is busy with capture and orchestration).
    activityWorkers: {
      size: env.settings.NHSFLOWS_LOCAL_ACTIVITY_WORKERS,
      mainThread: [ACTIVITIES.loadWarehouse],
      pinned: {
        [ACTIVITIES.mergePatientDimension]: (input) =>
          projectForTable((input as MergeDimensionInput).batch.table),
      },
      ...(options.onActivityInvocation && { onInvocation: options.onActivityInvocation }),
      // Between waves of work (after a large load, before the marts refresh the main thread runs) a
      // worker whose heap has grown gives it back; a worker that stays small is kept warm.
      recycle: WORKER_RECYCLE,
      youngGenerationMb: WORKER_YOUNG_GENERATION_MB,
    },
    handleSignals: options.handleSignals ?? false,
    disabledFunctions: options.disabledFunctions ?? [],
  });
  return { host, registry };
}

let registered: Promise<Registry> | undefined;

/**
 * The registrations of `functions/`, captured once per process: a module registers on its first
 * import only, so a second host in the same process (`start --watch` after the one-shot run) gets
 * the registry the first capture made.
 */
function functionsRegistry(): Promise<Registry> {
  registered ??= (async () => {
    // The same relative path from shared/cli (tsx) and dist/shared/cli (built).
    const captured = await captureRegistrations(() => import('../../functions/index.js'));
    // Imported earlier in this process (a test, say): what it registered then is the app.
    return captured.functions.size > 0 ? captured : allRegistrations();
  })();
  return registered;
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

/**
 * The local host's per-activity limits (`activityLimits`): an invocation over its activity's limit
 * waits for a turn before it takes one of host.json's slots.
 * - The embedded warehouse has one writer, so its loads run one at a time, and a project's patient
 *   dimension merges one batch at a time. At 1M records, loads waiting for the warehouse held up to
 *   7 of the 8 slots while chunks were ready to validate.
 * - Validation + pseudonymisation and gold each hold a chunk's or a batch's rows while they run:
 *   one of each per worker thread (the cores). At 1M records up to six of them ran at once on the
 *   two workers, each worker's heap reached 0.8–1 GB, and the cores were already full, so more at
 *   once only added memory (docs/local-runtime.md, "Heavy activities one per worker").
 */
export function localActivityLimits(workers: number, projects: number): Readonly<Record<string, number>> {
  const perWorker = Math.max(1, workers);
  return {
    [ACTIVITIES.loadWarehouse]: 1,
    [ACTIVITIES.mergePatientDimension]: Math.max(1, projects),
    [ACTIVITIES.validatePseudonymiseChunk]: perWorker,
    [ACTIVITIES.buildGold]: perWorker,
  };
}
