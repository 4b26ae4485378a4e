import { QueueClient } from '@azure/storage-queue';
import { startActivityWorkers, type ActivityInvocation, type ActivityRunner } from './activity-workers.js';
import { createLogger, type Logger } from '../../application/ports/logger.port.js';
import { toError } from '../../domain/errors.js';
import { durableClientInputData } from './durable/durable-http-api.js';
import { InstanceJournal } from './durable/instance-journal.js';
import { ReplayDriver, type InstanceStatus, type RuntimeStatus } from './durable/replay-driver.js';
import {
  invokeRegistration,
  runAppHooks,
  type InvokeRequest,
  type InvokeResult,
} from './function-invoker.js';
import {
  setCoreLogSink,
  type Registration,
  type Registry,
  type RpcTypedData,
} from './registration-capture.js';
import { BlobTrigger, type BlobEventSubscription, type BlobTriggerOptions } from './triggers/blob-trigger.js';
import {
  EventHubTrigger,
  type EventHubTriggerOptions,
  type EventSourceFactory,
} from './triggers/event-hub-trigger.js';
import { HttpTriggerServer } from './triggers/http-trigger-server.js';
import { QueueTrigger, type QueueTriggerOptions } from './triggers/queue-trigger.js';
import { TimerTrigger } from './triggers/timer-trigger.js';
import { resolveBindingExpression, type TriggerHost, type TriggerSource } from './triggers/trigger-source.js';

/**
 * The local Functions host: drives the registrations of a {@link Registry} (captured from the real
 * `functions/` modules) the way the Azure Functions host and the Durable Task extension would, on one
 * machine: timers on their NCRONTAB schedule, queue and blob triggers against Azurite, event-hub
 * triggers from a pluggable {@link EventSourceFactory} (the durable local event log), HTTP triggers and
 * the durable client API on loopback, orchestrations through {@link ReplayDriver}.
 *
 * Guarantees: `start` resumes every unfinished orchestration from the journal in `dataDir` before any
 * trigger fires; `stop` stops timers and pollers, waits for in-flight invocations and activities (their
 * results are journalled), and closes the server; `waitForIdle` resolves only when no trigger has
 * pending input, no function is running and no orchestration can make progress.
 */
export interface LocalHostOptions {
  readonly registry: Registry;
  /** Where orchestration journals and timer schedule status live (git-ignored `.data/...`). */
  readonly dataDir: string;
  /** Storage connection strings by setting name; `AzureWebJobsStorage` is the default connection. */
  readonly connections?: Readonly<Record<string, string>>;
  /** App settings for `%name%` binding expressions and connection names (default `process.env`). */
  readonly appSettings?: Readonly<Record<string, string | undefined>>;
  readonly logger?: Logger;
  /** host.json `extensions.durableTask.hubName`. */
  readonly taskHub?: string;
  readonly http?: {
    readonly port?: number;
    readonly routePrefix?: string;
    /** The local admin key every non-anonymous route and the durable API require (docs/keys.md). */
    readonly adminKey?: string;
    /** Who an authenticated request acts as, and the roles they hold. */
    readonly principal?: { readonly actor: string; readonly roles: readonly string[] };
  };
  /** Required when the registry has eventHub triggers. */
  readonly eventSources?: EventSourceFactory;
  readonly maxConcurrentActivities?: number;
  /** Most invocations of one activity in flight at once (ReplayDriverOptions.activityLimits). */
  readonly activityLimits?: Readonly<Record<string, number>>;
  readonly overridableExistingInstanceStates?: 'NonRunningStates' | 'AnyState';
  readonly queues?: QueueTriggerOptions;
  readonly blobs?: BlobTriggerOptions;
  /**
   * The Event Grid subscriptions of `app.eventGrid` registrations, by function name: the storage
   * events of a container, raised from Azurite as the account's system topic raises them on Azure.
   */
  readonly eventGrid?: Readonly<Record<string, BlobEventSubscription>>;
  readonly eventHubs?: EventHubTriggerOptions;
  /** Functions not to drive (the host's `AzureWebJobs.<name>.Disabled`). */
  readonly disabledFunctions?: readonly string[];
  /** Stop cleanly on SIGINT/SIGTERM (the `npm start` runner); the process itself is not exited. */
  readonly handleSignals?: boolean;
  /** How long `stop` waits for running activities before giving up on them (default 30 s). */
  readonly drainTimeoutMs?: number;
  /**
   * Run activities on this many worker threads (0 or absent = in the main thread), except
   * `mainThread` ones (see activity-workers.ts). Their log records go through `logger`.
   */
  readonly activityWorkers?: {
    readonly size: number;
    readonly mainThread?: readonly string[];
    /** Activity name → the pin key of an input: one key, one worker (see activity-workers.ts). */
    readonly pinned?: Readonly<Record<string, (input: unknown) => string>>;
    /** Told of every invocation a worker ran (see activity-workers.ts). */
    readonly onInvocation?: (invocation: ActivityInvocation) => void;
    /** When an idle worker with a large heap is replaced by a fresh one (see activity-workers.ts). */
    readonly recycle?: { readonly idleMs: number; readonly heapBytes: number };
    /** Each worker's V8 young generation in MiB (see activity-workers.ts); absent: V8's default. */
    readonly youngGenerationMb?: number;
  };
}

export interface LocalHostStatus {
  readonly instances: Readonly<Partial<Record<RuntimeStatus, number>>>;
  readonly lastFailures: readonly { instanceId: string; name: string; message: string; at: string }[];
  /** The last failed trigger invocations (queue, blob, timer, event hub, http), newest last. */
  readonly functionFailures: readonly { function: string; message: string; at: string }[];
  readonly triggers: readonly { function: string; type: string }[];
  readonly origin: string | undefined;
}

export interface LocalHost {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Starts an orchestration and waits for it: its output, or an `OrchestrationFailedError`. */
  runOrchestration(name: string, input?: unknown, instanceId?: string): Promise<unknown>;
  /** Starts an orchestration (the client's `startNew`) and returns its instance id. */
  startOrchestration(name: string, input?: unknown, instanceId?: string): Promise<string>;
  instance(instanceId: string): InstanceStatus | undefined;
  waitForIdle(options?: { timeoutMs?: number; pollMs?: number }): Promise<void>;
  status(): LocalHostStatus;
  /** Invokes any registration directly, as the worker would (tests, CLI). */
  invoke(functionName: string, request: InvokeRequest): Promise<InvokeResult>;
  /** `http://127.0.0.1:<port>` of the HTTP trigger / durable API server, once started. */
  readonly origin: string | undefined;
  readonly durable: ReplayDriver;
}

const drivenElsewhere = new Set(['orchestrationtrigger', 'activitytrigger']);

export function createLocalHost(options: LocalHostOptions): LocalHost {
  const logger =
    options.logger ??
    createLogger((r) =>
      process.stderr.write(`${JSON.stringify({ level: r.level, msg: r.message, ...r.fields })}\n`),
    );
  const log = logger.child({ component: 'local-host' });
  const settings = options.appSettings ?? process.env;
  const taskHub = options.taskHub ?? 'NhsFlowsHub';
  const disabled = new Set(options.disabledFunctions ?? []);
  let origin: string | undefined;
  let started = false;
  let stopping: Promise<void> | undefined;
  const warned = new Set<string>();

  const extraInputData = (registration: Registration): Record<string, RpcTypedData> => {
    const data: Record<string, RpcTypedData> = {};
    for (const input of registration.extraInputs) {
      const type = String(input.type).toLowerCase();
      if (type === 'durableclient' || type === 'orchestrationclient') {
        if (!origin)
          throw new Error(
            `function "${registration.name}" needs the durable client; start the local host first`,
          );
        data[input.name] = {
          json: JSON.stringify(durableClientInputData(origin, taskHub, options.http?.adminKey)),
        };
      } else if (!warned.has(`${registration.name}:${input.name}`)) {
        warned.add(`${registration.name}:${input.name}`);
        log.warn('input binding is not emulated; the function receives undefined', {
          function: registration.name,
          binding: type,
        });
      }
    }
    return data;
  };

  const storageConnection = (connection: unknown): string => {
    const name = typeof connection === 'string' && connection.length > 0 ? connection : 'AzureWebJobsStorage';
    const found =
      options.connections?.[name] ??
      settings[name] ??
      settings[`AzureWebJobs${name}`] ??
      options.connections?.AzureWebJobsStorage ??
      settings.AzureWebJobsStorage;
    if (!found)
      throw new Error(
        `no storage connection string for connection "${name}" (set it in connections or app settings)`,
      );
    return found;
  };

  const deliverOutputs = async (registration: Registration, result: InvokeResult): Promise<void> => {
    for (const output of registration.extraOutputs) {
      const value = result.outputs.get(output.name);
      if (value === undefined || value === null) continue;
      if (String(output.type).toLowerCase() === 'queue') {
        const queue = new QueueClient(
          storageConnection(output.connection),
          resolveBindingExpression(String(output.queueName), settings),
        );
        await queue.createIfNotExists();
        for (const item of Array.isArray(value) ? (value as unknown[]) : [value]) {
          const text = typeof item === 'string' ? item : JSON.stringify(item);
          await queue.sendMessage(Buffer.from(text).toString('base64'));
        }
      } else if (!warned.has(`${registration.name}:${output.name}`)) {
        warned.add(`${registration.name}:${output.name}`);
        log.warn('output binding is not emulated; its value is dropped', {
          function: registration.name,
          binding: String(output.type),
        });
      }
    }
  };

  const functionFailures: { function: string; message: string; at: string }[] = [];
  const invoke = async (registration: Registration, request: InvokeRequest): Promise<InvokeResult> => {
    try {
      const result = await invokeRegistration(
        registration,
        { ...request, inputData: { ...extraInputData(registration), ...request.inputData } },
        logger,
      );
      await deliverOutputs(registration, result);
      return result;
    } catch (thrown) {
      functionFailures.push({
        function: registration.name,
        message: toError(thrown).message,
        at: new Date().toISOString(),
      });
      if (functionFailures.length > 20) functionFailures.shift();
      throw thrown;
    }
  };

  const triggerHost: TriggerHost = {
    logger,
    dataDir: options.dataDir,
    invoke,
    resolve: (text) => resolveBindingExpression(text, settings),
    storageConnection,
  };

  let workers: ActivityRunner | undefined;
  const driver = new ReplayDriver({
    registry: options.registry,
    activityRunner: () => workers,
    journal: new InstanceJournal(options.dataDir, taskHub),
    logger,
    ...(options.maxConcurrentActivities !== undefined
      ? { maxConcurrentActivities: options.maxConcurrentActivities }
      : {}),
    ...(options.activityLimits ? { activityLimits: options.activityLimits } : {}),
    ...(options.overridableExistingInstanceStates
      ? { overridableExistingInstanceStates: options.overridableExistingInstanceStates }
      : {}),
    extraInputData,
  });

  const registrations = [...options.registry.functions.values()].filter((r) => !disabled.has(r.name));
  const httpRegistrations = registrations.filter(
    (r) => String(r.trigger.type).toLowerCase() === 'httptrigger',
  );
  const server = new HttpTriggerServer(httpRegistrations, triggerHost, driver, {
    taskHub,
    ...(options.http?.port !== undefined ? { port: options.http.port } : {}),
    ...(options.http?.routePrefix !== undefined ? { routePrefix: options.http.routePrefix } : {}),
    ...(options.http?.adminKey !== undefined ? { adminKey: options.http.adminKey } : {}),
    ...(options.http?.principal !== undefined ? { principal: options.http.principal } : {}),
  });
  const sources: TriggerSource[] = [];
  const triggerList: { function: string; type: string }[] = [];

  for (const registration of registrations) {
    const type = String(registration.trigger.type).toLowerCase();
    triggerList.push({ function: registration.name, type: String(registration.trigger.type) });
    if (type === 'timertrigger') sources.push(new TimerTrigger(registration, triggerHost));
    else if (type === 'queuetrigger')
      sources.push(new QueueTrigger(registration, triggerHost, options.queues));
    else if (type === 'blobtrigger') sources.push(new BlobTrigger(registration, triggerHost, options.blobs));
    else if (type === 'eventgridtrigger') {
      const subscription = options.eventGrid?.[registration.name];
      if (subscription) sources.push(new BlobTrigger(registration, triggerHost, options.blobs, subscription));
      else
        log.warn('an Event Grid trigger with no subscription given to the local host never runs', {
          function: registration.name,
        });
    } else if (type === 'eventhubtrigger') {
      if (!options.eventSources)
        throw new Error(
          `function "${registration.name}" has an eventHub trigger but no eventSources were given`,
        );
      sources.push(new EventHubTrigger(registration, triggerHost, options.eventSources, options.eventHubs));
    } else if (type === 'entitytrigger') {
      log.warn('durable entities are not supported by the local runtime; this entity never runs', {
        function: registration.name,
      });
    } else if (type !== 'httptrigger' && !drivenElsewhere.has(type)) {
      log.warn('trigger type is not driven by the local host', {
        function: registration.name,
        trigger: String(registration.trigger.type),
      });
    }
  }

  // Stops the host only: the caller owns the process (it may have Azurite or databases to close).
  const onSignal = () => {
    log.info('stopping (signal received)');
    void host.stop().catch((e) => log.error('stop failed', { error: toError(e).message }));
  };

  const host: LocalHost = {
    get origin() {
      return origin;
    },
    durable: driver,

    async start() {
      if (started) return;
      if (stopping)
        throw new Error(
          'a stopped local host cannot be started again; create a new one over the same data dir',
        );
      setCoreLogSink((level, category, message) => log.debug(message, { level, category }));
      await runAppHooks('appStart', process.cwd());
      origin = await server.start();
      if (options.activityWorkers && options.activityWorkers.size > 0)
        workers = startActivityWorkers({
          size: options.activityWorkers.size,
          ...(options.activityWorkers.mainThread && {
            mainThreadActivities: options.activityWorkers.mainThread,
          }),
          ...(options.activityWorkers.pinned && { pinnedActivities: options.activityWorkers.pinned }),
          ...(options.activityWorkers.recycle && { recycle: options.activityWorkers.recycle }),
          ...(options.activityWorkers.youngGenerationMb !== undefined && {
            youngGenerationMb: options.activityWorkers.youngGenerationMb,
          }),
          ...(options.activityWorkers.onInvocation && {
            onInvocation: options.activityWorkers.onInvocation,
          }),
          onLog: (record) => logger[record.level](record.message, record.fields),
        });
      await driver.load();
      for (const source of sources) await source.start();
      started = true;
      if (options.handleSignals) {
        process.once('SIGINT', onSignal);
        process.once('SIGTERM', onSignal);
      }
      log.info('local host started', { functions: registrations.length, origin });
    },

    async stop() {
      stopping ??= (async () => {
        if (options.handleSignals) {
          process.off('SIGINT', onSignal);
          process.off('SIGTERM', onSignal);
        }
        await Promise.all(
          sources.map((s) =>
            s.stop().catch((e) =>
              log.warn('trigger did not stop cleanly', {
                function: s.functionName,
                error: toError(e).message,
              }),
            ),
          ),
        );
        await driver.stop(options.drainTimeoutMs);
        await workers?.close();
        workers = undefined;
        await server.stop();
        await runAppHooks('appTerminate', process.cwd()).catch((e) =>
          log.warn('appTerminate hook failed', { error: toError(e).message }),
        );
        started = false;
        log.info('local host stopped');
      })();
      return stopping;
    },

    async startOrchestration(name, input, instanceId) {
      if (!started) throw new Error('start the local host before starting orchestrations');
      return driver.startNew(name, input, instanceId);
    },

    async runOrchestration(name, input, instanceId) {
      const id = await host.startOrchestration(name, input, instanceId);
      return driver.waitForCompletion(id);
    },

    instance: (instanceId) => driver.status(instanceId),

    async waitForIdle({ timeoutMs = 10 * 60_000, pollMs = 50 } = {}) {
      const deadline = Date.now() + timeoutMs;
      let quietChecks = 0;
      while (quietChecks < 2) {
        const idle =
          driver.isIdle() &&
          !server.busy &&
          (await Promise.all(sources.map((s) => s.isIdle()))).every(Boolean);
        quietChecks = idle ? quietChecks + 1 : 0;
        if (quietChecks >= 2) break;
        if (Date.now() > deadline) throw new Error(`the local host was still busy after ${timeoutMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, pollMs));
      }
    },

    status() {
      const instances: Partial<Record<RuntimeStatus, number>> = {};
      for (const s of driver.list()) instances[s.runtimeStatus] = (instances[s.runtimeStatus] ?? 0) + 1;
      return {
        instances,
        lastFailures: driver.lastFailures(),
        functionFailures: [...functionFailures],
        triggers: triggerList,
        origin,
      };
    },

    async invoke(functionName, request) {
      const registration = options.registry.get(functionName);
      if (!registration) throw new Error(`no function named "${functionName}" is registered`);
      return invoke(registration, request);
    },
  };
  return host;
}
