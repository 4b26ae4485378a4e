import { Worker } from 'node:worker_threads';
import type { LogRecord } from '../../application/ports/logger.port.js';

/**
 * Runs durable activities on worker threads, so the local host uses more than one core (the Azure
 * host scales out with worker processes and instances instead). Activities are stateless by design:
 * their inputs and results are small JSON (ids and lake paths), and every effect goes through the
 * lake, Table storage or the warehouse, so a worker thread with its own services (its own
 * composition root, DuckDB engine and storage clients) runs them exactly as the main thread would.
 *
 * Each worker captures the same `functions/` registrations and invokes the activity through the
 * same `@azure/functions` invocation model; its log records come back to the main thread and go
 * through the main logger's route (the log file, the CLI's progress). An activity's error comes back
 * with its name, message and stack, so durable retries see what they would in-process.
 */
export interface ActivityRunner {
  /** True when `name` runs on a worker (the others run in the main thread). */
  runsOnWorker(name: string): boolean;
  invoke(name: string, input: unknown): Promise<unknown>;
  /** The thread ids of the workers running now (a recycled worker's successor has a new one). */
  threadIds(): readonly number[];
  /** Each running worker's V8 young generation in MiB, as V8 applies it (`Worker.resourceLimits`). */
  youngGenerationMb(): readonly (number | undefined)[];
  close(): Promise<void>;
}

export interface ActivityWorkerOptions {
  /** Worker threads (≥ 1). */
  readonly size: number;
  /** Activities that must stay in the main thread (e.g. the one that owns the embedded warehouse file). */
  readonly mainThreadActivities?: readonly string[];
  /**
   * Activities pinned by a key of their input: invocations with the same key always run on the same
   * worker (so they take turns in one thread); different keys are spread over the workers.
   */
  readonly pinnedActivities?: Readonly<Record<string, (input: unknown) => string>>;
  /** Where forwarded log records go (the main process's log route). */
  readonly onLog: (record: LogRecord, at: Date) => void;
  /**
   * Told of every invocation a worker ran, when it settles (timings in `performance.now()` ms of
   * this thread): worker activities run no `@azure/functions` hooks in the main thread, so this is
   * how the main thread sees them (the initial-load bench's stages).
   */
  readonly onInvocation?: (invocation: ActivityInvocation) => void;
  /**
   * A worker whose V8 heap has grown to `heapBytes` or more is replaced by a fresh one once it has
   * had nothing in flight for `idleMs`, so the memory its largest activities made V8 (and its DuckDB
   * engine) keep is given back between waves of work: after a large load, before the marts refresh
   * the main thread runs. A worker that stays small (a poll's few changes) is kept warm. Undefined:
   * workers live until close.
   */
  readonly recycle?: { readonly idleMs: number; readonly heapBytes: number };
  /**
   * Each worker's V8 young generation, in MiB (`resourceLimits.maxYoungGenerationSizeMb`; V8 splits
   * it into two semi-spaces and a large-object space, a third each). Undefined: V8's default.
   */
  readonly youngGenerationMb?: number;
}

/** One activity invocation run on a worker, as the main thread saw it (dispatch → result). */
export interface ActivityInvocation {
  readonly name: string;
  readonly startedAt: number;
  readonly endedAt: number;
  readonly failed: boolean;
  /**
   * The worker thread's CPU time spent on it (ms): its JavaScript and the garbage collection on that
   * thread, shared equally among the invocations in flight on the worker (ThreadCpuShare); not the
   * work it handed to DuckDB's or libuv's threads. Undefined where threads' CPU cannot be read.
   */
  readonly cpuMs?: number;
}

/**
 * The worker of a pinned activity's invocation: one pin key (activity + key of its input), one
 * worker, for good; each new key takes the next worker in turn, so two keys on two workers never
 * share one. Undefined for an activity that is not pinned.
 */
export function pinAssigner(
  pinned: Readonly<Record<string, (input: unknown) => string>>,
  workers: number,
): (name: string, input: unknown) => number | undefined {
  const pins = new Map<string, number>();
  return (name, input) => {
    const keyOf = pinned[name];
    if (!keyOf) return undefined;
    const key = `${name}\u0000${keyOf(input)}`;
    let slot = pins.get(key);
    if (slot === undefined) {
      slot = pins.size % workers;
      pins.set(key, slot);
    }
    return slot;
  };
}

type FromWorker =
  | { readonly kind: 'ready' }
  | { readonly kind: 'log'; readonly record: LogRecord; readonly at: string }
  | {
      readonly kind: 'done';
      readonly id: number;
      readonly returnValue: unknown;
      readonly heapBytes?: number;
      readonly cpuMs?: number;
    }
  | {
      readonly kind: 'failed';
      readonly id: number;
      readonly heapBytes?: number;
      readonly cpuMs?: number;
      readonly error: { name: string; message: string; stack?: string; code?: string };
    };

interface Slot {
  worker: Worker;
  busy: number;
  /** The timer that recycles this worker once it has been idle long enough. */
  idle?: NodeJS.Timeout;
  /** The worker's V8 heap after its last settled invocation. */
  heapBytes: number;
}

export function startActivityWorkers(options: ActivityWorkerOptions): ActivityRunner {
  if (!Number.isInteger(options.size) || options.size < 1)
    throw new Error(`activity workers: size must be a positive whole number, received ${options.size}`);
  const here = new URL(import.meta.url);
  const typescript = here.pathname.endsWith('.ts');
  const script = new URL(`./activity-worker.${typescript ? 'ts' : 'js'}`, here);
  const resourceLimits =
    options.youngGenerationMb === undefined ? {} : { maxYoungGenerationSizeMb: options.youngGenerationMb };
  const pending = new Map<
    number,
    { resolve: (v: unknown) => void; reject: (e: Error) => void; slot: Slot }
  >();
  /** The worker thread's CPU share of each settled invocation, until `onInvocation` hears it. */
  const cpuOf = new Map<number, number>();
  let nextId = 0;
  const onMessage = (message: FromWorker) => {
    if ((message.kind === 'done' || message.kind === 'failed') && message.heapBytes !== undefined) {
      const slot = pending.get(message.id)?.slot;
      if (slot) slot.heapBytes = message.heapBytes;
    }
    if ((message.kind === 'done' || message.kind === 'failed') && message.cpuMs !== undefined)
      cpuOf.set(message.id, message.cpuMs);
    if (message.kind === 'log') options.onLog(message.record, new Date(message.at));
    else if (message.kind === 'done') {
      pending.get(message.id)?.resolve(message.returnValue);
      pending.delete(message.id);
    } else if (message.kind === 'failed') {
      const error = new Error(message.error.message);
      error.name = message.error.name;
      if (message.error.stack) error.stack = message.error.stack;
      if (message.error.code) Object.assign(error, { code: message.error.code });
      pending.get(message.id)?.reject(error);
      pending.delete(message.id);
    }
  };
  let failure: Error | undefined;
  const spawnWorker = (): Worker => {
    const worker = typescript
      ? // From source (tests, benches): register tsx's loader in the worker before loading the script
        // (Node 20 does not apply `--import` in a worker before its entry module).
        new Worker(
          `(async () => { (await import('tsx/esm/api')).register(); await import(${JSON.stringify(script.href)}); })()`,
          { eval: true, env: process.env, resourceLimits },
        )
      : new Worker(script, { env: process.env, resourceLimits });
    worker.on('message', onMessage);
    const fail = (error: Error) => {
      if (retired.has(worker)) return;
      failure ??= error;
      const index = slots.findIndex((s) => s.worker === worker);
      if (index >= 0) slots.splice(index, 1);
      // Invocations in flight anywhere fail: the orchestrator's retry runs them again.
      for (const [id, p] of pending) {
        p.reject(new Error(`activity worker stopped: ${error.message}`));
        pending.delete(id);
      }
    };
    worker.on('error', fail);
    worker.on('exit', (code) => {
      if (!closing && !retired.has(worker)) fail(new Error(`activity worker exited with code ${code}`));
    });
    worker.unref();
    return worker;
  };
  /** Workers being closed after recycling: their exit is expected. */
  const retired = new Set<Worker>();
  const slots: Slot[] = Array.from({ length: options.size }, () => ({
    worker: spawnWorker(),
    busy: 0,
    heapBytes: 0,
  }));
  const stopWorker = async (worker: Worker): Promise<void> => {
    worker.postMessage({ close: true });
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    const timeout = new Promise<void>((resolve) => setTimeout(resolve, 10_000).unref());
    await Promise.race([exited, timeout]);
    await worker.terminate();
  };
  const recycle = (slot: Slot): void => {
    slot.idle = undefined;
    if (closing || slot.busy > 0 || !slots.includes(slot)) return;
    const old = slot.worker;
    options.onLog(
      {
        level: 'info',
        message: 'activity worker recycled',
        fields: { thread: old.threadId, heapMiB: Math.round(slot.heapBytes / 2 ** 20) },
      },
      new Date(),
    );
    retired.add(old);
    slot.worker = spawnWorker();
    slot.heapBytes = 0;
    void stopWorker(old).finally(() => retired.delete(old));
  };
  let closing = false;
  const onMain = new Set(options.mainThreadActivities ?? []);
  const pinnedSlot = pinAssigner(options.pinnedActivities ?? {}, slots.length);
  return {
    runsOnWorker: (name) => !onMain.has(name),
    threadIds: () => slots.map((s) => s.worker.threadId),
    youngGenerationMb: () => slots.map((s) => s.worker.resourceLimits?.maxYoungGenerationSizeMb),
    invoke: (name, input) => {
      if (slots.length === 0)
        return Promise.reject(new Error(`no activity worker is running: ${failure?.message ?? 'closed'}`));
      const pin = pinnedSlot(name, input);
      const slot =
        pin !== undefined
          ? slots[pin]!
          : slots.reduce((best, s) => (s.busy < best.busy ? s : best), slots[0]!);
      const id = nextId++;
      slot.busy++;
      if (slot.idle) clearTimeout(slot.idle);
      slot.idle = undefined;
      const startedAt = performance.now();
      let failed = true;
      return new Promise<unknown>((resolve, reject) => {
        pending.set(id, { resolve, reject, slot });
        slot.worker.postMessage({ id, name, input });
      })
        .then((value) => {
          failed = false;
          return value;
        })
        .finally(() => {
          slot.busy--;
          const policy = options.recycle;
          if (policy && slot.busy === 0 && !closing && slot.heapBytes >= policy.heapBytes) {
            slot.idle = setTimeout(() => recycle(slot), policy.idleMs);
            slot.idle.unref();
          }
          const cpuMs = cpuOf.get(id);
          cpuOf.delete(id);
          options.onInvocation?.({
            name,
            startedAt,
            endedAt: performance.now(),
            failed,
            ...(cpuMs !== undefined && { cpuMs }),
          });
        });
    },
    close: async () => {
      closing = true;
      for (const slot of slots) if (slot.idle) clearTimeout(slot.idle);
      await Promise.all(slots.map(({ worker }) => stopWorker(worker)));
    },
  };
}
