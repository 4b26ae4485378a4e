import { randomUUID } from 'node:crypto';
import type { ActivityRunner } from '../activity-workers.js';
import type { Logger } from '../../../application/ports/logger.port.js';
import { toError } from '../../../domain/errors.js';
import { invokeRegistration, jsonData } from '../function-invoker.js';
import type { Registration, Registry, RpcTypedData } from '../registration-capture.js';
import {
  InstanceAlreadyExistsError,
  OrchestrationFailedError,
  UnknownFunctionError,
} from './durable-errors.js';
import {
  HistoryEventType as H,
  outOfProcDataLabel,
  type HistoryEvent,
  type WireOrchestratorState,
} from './durable-wire.js';
import type { InstanceJournal, JournalRecord, ParentLink, Slot } from './instance-journal.js';
import {
  answeredId,
  planEpisode,
  replayInput,
  settleEpisode,
  type OrchestratorReply,
} from './episode-plan.js';

/**
 * The local Durable Task "extension": runs registered orchestrators under durable-functions' own
 * replay and executes what they ask for.
 *
 * What an episode does is decided by the pure functions of episode-plan.ts; this class journals the
 * decision and dispatches the work. Each episode calls the registered orchestrator handler (through the library's invocation model,
 * exactly as the worker would) with the whole history of the current execution plus the new events,
 * reads the returned actions, appends TaskScheduled / TimerCreated / SubOrchestrationInstanceCreated
 * for the new ones, and journals the episode before any of that work is dispatched. Completions
 * (activity results, fired timers, sub-orchestration results, raised events) are journalled as inbox
 * messages the moment they arrive and consumed in batches by the next episode.
 *
 * Event ids follow durable-functions' task sequence numbers. `callActivityWithRetry` /
 * `callSubOrchestratorWithRetry` are retried here, as DurableTask.Core's RetryInterceptor does: after
 * every failed attempt a retry timer (firstRetryInterval × backoffCoefficient^(n−1), capped by
 * maxRetryInterval), then either the next attempt or, after maxNumberOfAttempts, the failure. Messages
 * that make durable-functions allocate a retry sequence number are ordered first in an episode, so the
 * ids the driver allocates are the ones the JS executor expects.
 *
 * Guarantees: an activity whose result was journalled is never run again for that execution; after a
 * crash, `load` rebuilds every instance from the journal, re-dispatches scheduled-but-unfinished work
 * (activities at least once, as on Azure), re-arms timers and resumes. Instance ids are unique: starting
 * an id that is Pending/Running fails with {@link InstanceAlreadyExistsError} (the extension's 409 with
 * the default `overridableExistingInstanceStates: NonRunningStates`); starting an id whose instance is
 * Completed/Failed/Terminated replaces it with a new execution, as the extension does.
 */
export type RuntimeStatus = 'Pending' | 'Running' | 'Completed' | 'Failed' | 'Terminated' | 'ContinuedAsNew';

export interface InstanceStatus {
  readonly name: string;
  readonly instanceId: string;
  readonly runtimeStatus: RuntimeStatus;
  readonly input: unknown;
  readonly customStatus: unknown;
  readonly output: unknown;
  readonly createdTime: string;
  readonly lastUpdatedTime: string;
  readonly history?: readonly HistoryEvent[];
}

export interface ReplayDriverOptions {
  readonly registry: Registry;
  readonly journal: InstanceJournal;
  readonly logger: Logger;
  /** Activities running at once, across instances (default 16). */
  readonly maxConcurrentActivities?: number;
  /**
   * Most invocations of one activity (by name) in flight at once. An invocation over its activity's
   * limit waits for a turn before it takes one of the `maxConcurrentActivities` slots, so an
   * activity that queues on a single resource (the embedded warehouse's one writer) cannot fill the
   * slots with invocations that only wait, while other work is ready to run.
   */
  readonly activityLimits?: Readonly<Record<string, number>>;
  /** RPC data for extra input bindings (e.g. `durableClient`) of activities/orchestrators. */
  readonly extraInputData?: (registration: Registration) => Record<string, RpcTypedData>;
  /** Where activities run when not in this thread (the host's worker threads; see activity-workers.ts). */
  readonly activityRunner?: () => ActivityRunner | undefined;
  /** How long an episode waits for more results while activities of the instance still run (default 10 ms). */
  readonly batchWindowMs?: number;
  /** host.json `extensions.durableTask.overridableExistingInstanceStates` (default NonRunningStates). */
  readonly overridableExistingInstanceStates?: 'NonRunningStates' | 'AnyState';
}

interface InboxMessage {
  readonly msgId: string;
  readonly event: HistoryEvent;
}

interface Instance {
  readonly instanceId: string;
  name: string;
  executionId: string;
  input: unknown;
  createdTime: string;
  lastUpdatedTime: string;
  status: RuntimeStatus;
  output: unknown;
  customStatus: unknown;
  parent: ParentLink | undefined;
  history: HistoryEvent[];
  slots: Map<number, Slot>;
  resolved: Set<number>;
  nextEventId: number;
  actionsSeen: number;
  inbox: InboxMessage[];
  episodeQueued: boolean;
  episodeRunning: boolean;
  timers: Map<number, NodeJS.Timeout>;
  /** Running activities as `<executionId>:<taskId>` (a replaced execution reuses task ids). */
  inflight: Set<string>;
  waiters: { resolve: (output: unknown) => void; reject: (error: Error) => void }[];
}

const terminal = (s: RuntimeStatus) => s === 'Completed' || s === 'Failed' || s === 'Terminated';

/**
 * The failure of an orchestrator invocation: durable-functions throws an error whose message ends with
 * `$OutOfProcData$:` and the orchestrator state JSON, whose `error` is the user's exception message.
 */
function orchestratorFailure(error: Error): { message: string; details?: string } {
  const at = error.message.indexOf(outOfProcDataLabel);
  if (at < 0) return { message: error.message, ...(error.stack ? { details: error.stack } : {}) };
  try {
    const state = JSON.parse(error.message.slice(at + outOfProcDataLabel.length)) as { error?: string };
    return {
      message: state.error ?? error.message.slice(0, at).trim(),
      ...(error.stack ? { details: error.stack.split(outOfProcDataLabel)[0] } : {}),
    };
  } catch {
    return { message: error.message.slice(0, at).trim() };
  }
}

class Semaphore {
  #free: number;
  readonly #waiting: (() => void)[] = [];
  constructor(size: number) {
    this.#free = Math.max(1, size);
  }
  async acquire(): Promise<void> {
    if (this.#free > 0) {
      this.#free -= 1;
      return;
    }
    await new Promise<void>((resolve) => this.#waiting.push(resolve));
  }
  release(): void {
    const next = this.#waiting.shift();
    if (next) next();
    else this.#free += 1;
  }
}

export class ReplayDriver {
  readonly #registry: Registry;
  readonly #journal: InstanceJournal;
  readonly #log: Logger;
  readonly #slots: Semaphore;
  /** Per-activity turns (`activityLimits`), taken before a slot. */
  readonly #turns = new Map<string, Semaphore>();
  readonly #extraInputData: (registration: Registration) => Record<string, RpcTypedData>;
  readonly #activityRunner: () => ActivityRunner | undefined;
  readonly #overridable: 'NonRunningStates' | 'AnyState';
  readonly #batchWindowMs: number;
  readonly #instances = new Map<string, Instance>();
  /** Child instance ids whose `created` record is being written (dispatch may run again meanwhile). */
  readonly #creating = new Set<string>();
  /** Messages being journalled, so a result reported twice at once is recorded once. */
  readonly #delivering = new Set<string>();
  readonly #lastFailures: { instanceId: string; name: string; message: string; at: string }[] = [];
  #accepting = true;
  #busy = 0;
  #drained: (() => void)[] = [];

  constructor(options: ReplayDriverOptions) {
    this.#registry = options.registry;
    this.#journal = options.journal;
    this.#log = options.logger.child({ component: 'replay-driver' });
    this.#slots = new Semaphore(options.maxConcurrentActivities ?? 16);
    for (const [name, limit] of Object.entries(options.activityLimits ?? {})) {
      if (!Number.isInteger(limit) || limit < 1)
        throw new Error(`activity limit of ${name}: expected a whole number ≥ 1, received ${limit}`);
      this.#turns.set(name, new Semaphore(limit));
    }
    this.#extraInputData = options.extraInputData ?? (() => ({}));
    this.#activityRunner = options.activityRunner ?? (() => undefined);
    this.#overridable = options.overridableExistingInstanceStates ?? 'NonRunningStates';
    this.#batchWindowMs = options.batchWindowMs ?? 10;
  }

  // ---------------------------------------------------------------- journal folding (memory == disk)

  #blank(instanceId: string): Instance {
    return {
      instanceId,
      name: '',
      executionId: '',
      input: null,
      createdTime: '',
      lastUpdatedTime: '',
      status: 'Pending',
      output: null,
      customStatus: null,
      parent: undefined,
      history: [],
      slots: new Map(),
      resolved: new Set(),
      nextEventId: 0,
      actionsSeen: 0,
      inbox: [],
      episodeQueued: false,
      episodeRunning: false,
      timers: new Map(),
      inflight: new Set(),
      waiters: [],
    };
  }

  #apply(inst: Instance, record: JournalRecord): void {
    if (record.kind === 'created') {
      this.#clearTimers(inst);
      Object.assign(inst, {
        name: record.name,
        executionId: record.executionId,
        input: record.input,
        createdTime: record.createdTime,
        lastUpdatedTime: record.createdTime,
        status: 'Pending',
        output: null,
        customStatus: null,
        parent: record.parent,
        history: [],
        slots: new Map(),
        resolved: new Set(),
        nextEventId: 0,
        actionsSeen: 0,
        inbox: [],
      });
      return;
    }
    if (record.executionId !== inst.executionId) return; // a late message for a replaced execution
    if (record.kind === 'inbox') {
      const id = answeredId(record.event);
      if (terminal(inst.status) || (id !== undefined && inst.resolved.has(id))) return;
      inst.inbox.push({ msgId: record.msgId, event: record.event });
      if (id !== undefined) inst.resolved.add(id);
      return;
    }
    if (record.kind === 'terminated') {
      inst.status = 'Terminated';
      inst.output = record.reason;
      inst.lastUpdatedTime = record.at;
      inst.inbox = [];
      return;
    }
    // episode
    const consumed = new Set(record.consumed);
    inst.inbox = inst.inbox.filter((m) => !consumed.has(m.msgId));
    for (const event of record.events) {
      inst.history.push(event);
      const id = answeredId(event);
      if (id !== undefined && event.EventType !== H.TimerCreated) inst.resolved.add(id);
    }
    for (const [id, slot] of Object.entries(record.slots)) inst.slots.set(Number(id), slot);
    inst.nextEventId = record.nextEventId;
    inst.actionsSeen = record.actionsSeen;
    if (record.customStatus !== undefined) inst.customStatus = record.customStatus;
    const last = record.events[0];
    if (last) inst.lastUpdatedTime = last.Timestamp;
    inst.status = 'Running';
    const outcome = record.outcome;
    if (!outcome) return;
    if (outcome.status === 'Completed') {
      inst.status = 'Completed';
      inst.output = outcome.output ?? null;
    } else if (outcome.status === 'Failed') {
      inst.status = 'Failed';
      inst.output = outcome.message;
    } else {
      this.#clearTimers(inst);
      Object.assign(inst, {
        executionId: outcome.newExecutionId,
        input: outcome.input,
        status: 'Pending',
        history: [],
        slots: new Map(),
        resolved: new Set(),
        nextEventId: 0,
        actionsSeen: 0,
        inbox: [],
      });
    }
  }

  async #record(inst: Instance, record: JournalRecord): Promise<void> {
    await this.#journal.append(inst.instanceId, record);
    this.#apply(inst, record);
  }

  /** Rebuilds every instance from the journal and resumes the ones that had not finished. */
  async load(): Promise<void> {
    const all = await this.#journal.load();
    for (const [instanceId, records] of all) {
      // A journal whose `created` record never got written whole (the process was killed while
      // starting the instance): the instance never started. Replaying it would run an episode of
      // an orchestration with no name, and fail it; a later start of the same id starts it afresh.
      if (!records.some((r) => r.kind === 'created')) continue;
      const inst = this.#instances.get(instanceId) ?? this.#blank(instanceId);
      this.#instances.set(instanceId, inst);
      for (const record of records) this.#apply(inst, record);
    }
    for (const inst of this.#instances.values()) {
      if (!terminal(inst.status)) this.#dispatch(inst);
    }
    // A child that finished after its parent's last episode but before the parent heard of it.
    for (const inst of this.#instances.values()) {
      if (terminal(inst.status) && inst.parent) this.#notifyParent(inst);
    }
  }

  // ---------------------------------------------------------------- client operations

  #orchestrator(name: string): Registration {
    const reg = this.#registry.get(name);
    if (!reg || String(reg.trigger.type).toLowerCase() !== 'orchestrationtrigger') {
      throw new UnknownFunctionError(name, 'an orchestrator');
    }
    return reg;
  }

  /** Schedules a new instance (startNew). Returns its id; see the class doc for existing ids. */
  async startNew(name: string, input: unknown, instanceId?: string, parent?: ParentLink): Promise<string> {
    this.#orchestrator(name);
    const id = instanceId && instanceId.length > 0 ? instanceId : randomUUID().replace(/-/g, '');
    const existing = this.#instances.get(id);
    if (existing && !terminal(existing.status) && this.#overridable === 'NonRunningStates') {
      throw new InstanceAlreadyExistsError(id, existing.status);
    }
    const inst = existing ?? this.#blank(id);
    this.#instances.set(id, inst);
    await this.#record(inst, {
      kind: 'created',
      executionId: randomUUID(),
      name,
      input: input === undefined ? null : input,
      createdTime: new Date().toISOString(),
      ...(parent ? { parent } : {}),
    });
    this.#log.info('orchestration scheduled', { instanceId: id, orchestration: name });
    this.#queueEpisode(inst);
    return id;
  }

  status(
    instanceId: string,
    options: { showHistory?: boolean; showInput?: boolean } = {},
  ): InstanceStatus | undefined {
    const inst = this.#instances.get(instanceId);
    if (!inst) return undefined;
    return {
      name: inst.name,
      instanceId,
      runtimeStatus: inst.status,
      input: options.showInput === false ? null : inst.input,
      customStatus: inst.customStatus ?? null,
      output: inst.output ?? null,
      createdTime: inst.createdTime,
      lastUpdatedTime: inst.lastUpdatedTime,
      ...(options.showHistory ? { history: inst.history } : {}),
    };
  }

  list(): InstanceStatus[] {
    return [...this.#instances.keys()].map((id) => this.status(id)!);
  }

  lastFailures(): readonly { instanceId: string; name: string; message: string; at: string }[] {
    return this.#lastFailures;
  }

  /** Resolves with the output when the instance completes; rejects when it fails or is terminated. */
  waitForCompletion(instanceId: string): Promise<unknown> {
    const inst = this.#instances.get(instanceId);
    if (!inst) return Promise.reject(new Error(`No instance with ID '${instanceId}' found.`));
    if (terminal(inst.status)) return Promise.resolve().then(() => this.#settle(inst));
    return new Promise((resolve, reject) => inst.waiters.push({ resolve, reject }));
  }

  #settle(inst: Instance): unknown {
    if (inst.status === 'Completed') return inst.output;
    throw new OrchestrationFailedError(
      inst.instanceId,
      inst.status === 'Terminated' ? 'Terminated' : 'Failed',
      inst.status === 'Terminated'
        ? `orchestration '${inst.name}' (instance ${inst.instanceId}) was terminated: ${String(inst.output)}`
        : String(inst.output),
    );
  }

  /** 'not-found' | 'gone' (already finished) | 'accepted', like the extension's 404/410/202. */
  async terminate(instanceId: string, reason: string): Promise<'not-found' | 'gone' | 'accepted'> {
    const inst = this.#instances.get(instanceId);
    if (!inst) return 'not-found';
    if (terminal(inst.status)) return 'gone';
    await this.#record(inst, {
      kind: 'terminated',
      executionId: inst.executionId,
      reason,
      at: new Date().toISOString(),
    });
    this.#finished(inst);
    return 'accepted';
  }

  /** Deletes a finished instance's history (journal file and memory). */
  async purge(instanceId: string): Promise<'not-found' | 'not-terminal' | 'purged'> {
    const inst = this.#instances.get(instanceId);
    if (!inst) return 'not-found';
    if (!terminal(inst.status)) return 'not-terminal';
    await this.#journal.remove(instanceId);
    this.#instances.delete(instanceId);
    return 'purged';
  }

  async raiseEvent(
    instanceId: string,
    eventName: string,
    data: unknown,
  ): Promise<'not-found' | 'gone' | 'accepted'> {
    const inst = this.#instances.get(instanceId);
    if (!inst) return 'not-found';
    if (terminal(inst.status)) return 'gone';
    await this.#deliver(inst, inst.executionId, `e:${randomUUID()}`, {
      EventType: H.EventRaised,
      EventId: -1,
      Timestamp: new Date().toISOString(),
      Name: eventName,
      Input: JSON.stringify(data ?? null),
    });
    return 'accepted';
  }

  // ---------------------------------------------------------------- lifecycle

  /** True when nothing can make progress without an outside event (no episode, activity or timer). */
  isIdle(): boolean {
    if (this.#busy > 0) return false;
    for (const inst of this.#instances.values()) {
      if (terminal(inst.status)) continue;
      if (inst.episodeQueued || inst.episodeRunning || inst.inbox.length > 0 || inst.status === 'Pending')
        return false;
      if (inst.inflight.size > 0 || inst.timers.size > 0) return false;
    }
    return true;
  }

  /** Stops dispatching new work, waits for running activities and episodes (journalled), disarms timers. */
  async stop(drainTimeoutMs = 30_000): Promise<void> {
    this.#accepting = false;
    for (const inst of this.#instances.values()) this.#clearTimers(inst);
    if (this.#busy > 0) {
      let timer: NodeJS.Timeout | undefined;
      const drained = new Promise<void>((resolve) => this.#drained.push(resolve));
      const timedOut = new Promise<void>((resolve) => (timer = setTimeout(resolve, drainTimeoutMs)));
      await Promise.race([drained, timedOut]);
      clearTimeout(timer);
      if (this.#busy > 0) {
        // Whatever is still running is re-dispatched from the journal on the next start.
        this.#log.warn('stopped with work still running', { running: this.#busy });
      }
    }
    await this.#journal.flush();
  }

  #enter(): void {
    this.#busy += 1;
  }

  #leave(): void {
    this.#busy -= 1;
    if (this.#busy === 0) for (const done of this.#drained.splice(0)) done();
  }

  // ---------------------------------------------------------------- messages and episodes

  async #deliver(inst: Instance, executionId: string, msgId: string, event: HistoryEvent): Promise<void> {
    if (executionId !== inst.executionId || terminal(inst.status)) return;
    const id = answeredId(event);
    if (id !== undefined && inst.resolved.has(id)) return;
    const key = `${executionId}|${msgId}`;
    if (this.#delivering.has(key)) return;
    this.#delivering.add(key);
    try {
      await this.#record(inst, { kind: 'inbox', executionId, msgId, event });
    } finally {
      this.#delivering.delete(key);
    }
    this.#queueEpisode(inst);
  }

  #queueEpisode(inst: Instance): void {
    if (!this.#accepting || inst.episodeQueued || terminal(inst.status)) return;
    inst.episodeQueued = true;
    this.#enter();
    const run = () => void this.#runEpisodes(inst).finally(() => this.#leave());
    // While activities of this instance are still running, wait a moment so their results share
    // one episode (each episode replays the whole history).
    if (inst.inflight.size > 0) setTimeout(run, this.#batchWindowMs);
    else setImmediate(run);
  }

  async #runEpisodes(inst: Instance): Promise<void> {
    if (inst.episodeRunning) {
      inst.episodeQueued = false;
      return;
    }
    inst.episodeRunning = true;
    inst.episodeQueued = false;
    try {
      while (
        this.#accepting &&
        !terminal(inst.status) &&
        (inst.inbox.length > 0 || inst.status === 'Pending')
      ) {
        await this.#episode(inst);
      }
    } catch (thrown) {
      this.#log.error('episode could not be journalled', {
        instanceId: inst.instanceId,
        error: toError(thrown).message,
      });
    } finally {
      inst.episodeRunning = false;
    }
    if (this.#accepting && !terminal(inst.status) && inst.inbox.length > 0) this.#queueEpisode(inst);
  }

  async #episode(inst: Instance): Promise<void> {
    const batch = inst.inbox.slice();
    const plan = planEpisode(inst, batch, new Date());
    const at = plan.at;
    const reg = this.#registry.get(inst.name);
    let reply: OrchestratorReply;
    if (!reg) {
      reply = {
        kind: 'unregistered',
        message: new UnknownFunctionError(inst.name, 'an orchestrator').message,
      };
    } else {
      try {
        const result = await invokeRegistration(
          reg,
          {
            inputData: { [reg.triggerName]: jsonData(replayInput(inst, plan)), ...this.#extraInputData(reg) },
          },
          this.#log,
        );
        reply = { kind: 'state', state: result.returnValue as WireOrchestratorState };
      } catch (thrown) {
        reply = { kind: 'threw', ...orchestratorFailure(toError(thrown)) };
      }
    }
    const { record, canceled } = settleEpisode(inst, plan, reply, randomUUID);
    await this.#record(inst, record);
    if (terminal(inst.status)) {
      if (inst.status === 'Failed') {
        this.#lastFailures.push({
          instanceId: inst.instanceId,
          name: inst.name,
          message: String(inst.output),
          at,
        });
        if (this.#lastFailures.length > 20) this.#lastFailures.shift();
        this.#log.warn('orchestration failed', { instanceId: inst.instanceId, orchestration: inst.name });
      } else {
        this.#log.info('orchestration completed', { instanceId: inst.instanceId, orchestration: inst.name });
      }
      this.#finished(inst);
      return;
    }
    for (const id of canceled) {
      const t = inst.timers.get(id);
      if (t) clearTimeout(t);
      inst.timers.delete(id);
    }
    this.#dispatch(inst);
  }

  // ---------------------------------------------------------------- dispatching scheduled work

  /** Starts whatever the history scheduled and nobody answered yet (activities, timers, children). */
  #dispatch(inst: Instance): void {
    if (!this.#accepting || terminal(inst.status)) return;
    if (inst.status === 'Pending' || inst.inbox.length > 0) this.#queueEpisode(inst);
    for (const [id, slot] of inst.slots) {
      if (inst.resolved.has(id)) continue;
      if (slot.kind === 'activity') {
        if (!inst.inflight.has(`${inst.executionId}:${id}`)) this.#runActivity(inst, id, slot);
      } else if (slot.kind === 'timer' || slot.kind === 'retryTimer') {
        if (!inst.timers.has(id) && !slot.canceled) this.#armTimer(inst, id, slot.fireAt!);
      } else {
        this.#ensureChild(inst, id, slot);
      }
    }
  }

  #runActivity(inst: Instance, id: number, slot: Slot): void {
    const executionId = inst.executionId;
    const key = `${executionId}:${id}`;
    inst.inflight.add(key);
    this.#enter();
    void (async () => {
      const turn = this.#turns.get(slot.name ?? '');
      await turn?.acquire();
      await this.#slots.acquire();
      let event: HistoryEvent;
      try {
        const reg = this.#registry.get(slot.name ?? '');
        if (!reg || String(reg.trigger.type).toLowerCase() !== 'activitytrigger') {
          throw new UnknownFunctionError(slot.name ?? '', 'an activity');
        }
        const runner = this.#activityRunner();
        const returnValue =
          runner && runner.runsOnWorker(reg.name)
            ? await runner.invoke(reg.name, slot.input)
            : (
                await invokeRegistration(
                  reg,
                  { inputData: { [reg.triggerName]: jsonData(slot.input), ...this.#extraInputData(reg) } },
                  this.#log,
                )
              ).returnValue;
        event = {
          EventType: H.TaskCompleted,
          EventId: -1,
          Timestamp: new Date().toISOString(),
          TaskScheduledId: id,
          Result: JSON.stringify(returnValue ?? null),
        };
      } catch (thrown) {
        const error = toError(thrown);
        event = {
          EventType: H.TaskFailed,
          EventId: -1,
          Timestamp: new Date().toISOString(),
          TaskScheduledId: id,
          Reason: error.message,
          Details: error.stack ?? '',
          FailureDetails: { ErrorType: error.name, ErrorMessage: error.message, StackTrace: error.stack },
        };
        this.#log.warn('activity failed', {
          instanceId: inst.instanceId,
          activity: slot.name ?? '',
          taskId: id,
          attempt: slot.retry?.attempt ?? 1,
        });
      } finally {
        this.#slots.release();
        turn?.release();
      }
      try {
        // A stopped host journals the result too: the next start consumes it instead of re-running.
        await this.#deliver(inst, executionId, `t:${id}`, event);
      } finally {
        inst.inflight.delete(key);
      }
    })()
      .catch((thrown) =>
        this.#log.error('activity result could not be journalled', {
          instanceId: inst.instanceId,
          error: toError(thrown).message,
        }),
      )
      .finally(() => this.#leave());
  }

  #armTimer(inst: Instance, id: number, fireAt: string): void {
    const executionId = inst.executionId;
    const due = new Date(fireAt).getTime();
    const fire = () => {
      const wait = due - Date.now();
      if (wait > 0) {
        inst.timers.set(id, setTimeout(fire, Math.min(wait, 2_000_000_000)));
        return;
      }
      inst.timers.delete(id);
      this.#enter();
      void this.#deliver(inst, executionId, `f:${id}`, {
        EventType: H.TimerFired,
        EventId: -1,
        Timestamp: new Date().toISOString(),
        TimerId: id,
        FireAt: fireAt,
      })
        .catch((thrown) =>
          this.#log.error('timer could not be journalled', {
            instanceId: inst.instanceId,
            error: toError(thrown).message,
          }),
        )
        .finally(() => this.#leave());
    };
    inst.timers.set(id, setTimeout(fire, Math.max(0, Math.min(due - Date.now(), 2_000_000_000))));
  }

  #clearTimers(inst: Instance): void {
    for (const t of inst.timers.values()) clearTimeout(t);
    inst.timers.clear();
  }

  #ensureChild(inst: Instance, id: number, slot: Slot): void {
    const childId = slot.instanceId ?? `${inst.instanceId}:${id}`;
    const child = this.#instances.get(childId);
    const link: ParentLink = {
      instanceId: inst.instanceId,
      executionId: inst.executionId,
      taskScheduledId: id,
    };
    const ours =
      child?.parent?.instanceId === link.instanceId &&
      child.parent.executionId === link.executionId &&
      child.parent.taskScheduledId === id;
    if (ours) {
      if (terminal(child.status)) this.#notifyParent(child);
      return;
    }
    if (this.#creating.has(childId)) return;
    this.#creating.add(childId);
    this.#enter();
    void this.startNew(slot.name ?? '', slot.input, childId, link)
      .finally(() => this.#creating.delete(childId))
      .catch((thrown) => {
        const error = toError(thrown);
        return this.#deliver(inst, inst.executionId, `s:${id}`, {
          EventType: H.SubOrchestrationInstanceFailed,
          EventId: -1,
          Timestamp: new Date().toISOString(),
          TaskScheduledId: id,
          Reason: error.message,
          Details: '',
          FailureDetails: { ErrorType: error.name, ErrorMessage: error.message },
        });
      })
      .catch((thrown) =>
        this.#log.error('sub-orchestration could not be started', {
          instanceId: inst.instanceId,
          error: toError(thrown).message,
        }),
      )
      .finally(() => this.#leave());
  }

  #finished(inst: Instance): void {
    this.#clearTimers(inst);
    for (const w of inst.waiters.splice(0)) {
      try {
        w.resolve(this.#settle(inst));
      } catch (error) {
        w.reject(toError(error));
      }
    }
    if (inst.parent) this.#notifyParent(inst);
  }

  #notifyParent(child: Instance): void {
    const link = child.parent;
    if (!link) return;
    const parent = this.#instances.get(link.instanceId);
    if (!parent || parent.executionId !== link.executionId || terminal(parent.status)) return;
    if (parent.resolved.has(link.taskScheduledId)) return;
    const at = new Date().toISOString();
    const event: HistoryEvent =
      child.status === 'Completed'
        ? {
            EventType: H.SubOrchestrationInstanceCompleted,
            EventId: -1,
            Timestamp: at,
            TaskScheduledId: link.taskScheduledId,
            Result: JSON.stringify(child.output ?? null),
          }
        : {
            EventType: H.SubOrchestrationInstanceFailed,
            EventId: -1,
            Timestamp: at,
            TaskScheduledId: link.taskScheduledId,
            Reason: String(child.output),
            Details: '',
            FailureDetails: { ErrorType: 'OrchestrationFailure', ErrorMessage: String(child.output) },
          };
    this.#enter();
    void this.#deliver(parent, link.executionId, `s:${link.taskScheduledId}`, event)
      .catch((thrown) =>
        this.#log.error('sub-orchestration result could not be journalled', {
          instanceId: parent.instanceId,
          error: toError(thrown).message,
        }),
      )
      .finally(() => this.#leave());
  }
}
