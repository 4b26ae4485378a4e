import {
  ActionType,
  decodeActionInput,
  flattenActions,
  HistoryEventType as H,
  ReplaySchemaV3,
  retryDelayMs,
  type HistoryEvent,
  type WireOrchestratorState,
} from './durable-wire.js';
import type { EpisodeOutcome, JournalRecord, ParentLink, Slot } from './instance-journal.js';

/**
 * What one orchestrator episode does, decided without I/O: the replay driver reads the instance,
 * asks {@link planEpisode} what to deliver, runs the orchestrator on {@link replayInput}, and asks
 * {@link settleEpisode} what the orchestrator's reply means (the events to append, the work to
 * schedule, the outcome). Same instance, inbox, clock and reply → same record, so these are
 * unit-tested with small history builders (tests/unit/runtime/episode-plan.test.ts) and the driver
 * keeps only journalling and dispatching.
 */

/** The part of an instance an episode reads (the current execution). */
export interface EpisodeInstance {
  readonly instanceId: string;
  readonly name: string;
  readonly executionId: string;
  readonly input: unknown;
  readonly parent: ParentLink | undefined;
  /** History of the current execution, as journalled (every event already played). */
  readonly history: readonly HistoryEvent[];
  /** What was scheduled under each event id. */
  readonly slots: ReadonlyMap<number, Slot>;
  readonly nextEventId: number;
  /** Actions of the orchestrator already turned into history (the rest are new). */
  readonly actionsSeen: number;
}

/** A completion waiting for the next episode (activity result, timer fired, child result, event). */
export interface EpisodeMessage {
  readonly msgId: string;
  readonly event: HistoryEvent;
}

/** What an episode delivers before the orchestrator runs, and the retries it schedules itself. */
export interface EpisodePlan {
  /** Timestamp of every event the episode appends. */
  readonly at: string;
  /** The inbox messages this episode consumes. */
  readonly consumed: readonly string[];
  /** OrchestratorStarted, ExecutionStarted (first episode) and the messages, retry-allocating ones first. */
  readonly delivered: readonly HistoryEvent[];
  /** Retry timers and next attempts the driver schedules (the orchestrator never sees a retry). */
  readonly scheduled: readonly HistoryEvent[];
  readonly slots: Readonly<Record<string, Slot>>;
  readonly nextEventId: number;
}

/** What the orchestrator invocation answered. */
export type OrchestratorReply =
  | { readonly kind: 'state'; readonly state: WireOrchestratorState }
  | { readonly kind: 'threw'; readonly message: string; readonly details?: string }
  /** No orchestrator is registered under the instance's name. */
  | { readonly kind: 'unregistered'; readonly message: string };

/** The episode's journal record, and the timers the orchestrator cancelled in it (to disarm). */
export interface EpisodeDecision {
  readonly record: Extract<JournalRecord, { kind: 'episode' }>;
  readonly canceled: readonly number[];
}

/** The event id a completion message answers (TaskScheduledId / TimerId), if any. */
export function answeredId(event: HistoryEvent): number | undefined {
  const id = event.EventType === H.TimerFired ? event.TimerId : event.TaskScheduledId;
  return typeof id === 'number' ? id : undefined;
}

/** A message that makes durable-functions allocate a retry sequence number without resuming user code. */
export function allocatesRetryId(instance: EpisodeInstance, event: HistoryEvent): boolean {
  const id = answeredId(event);
  const slot = id === undefined ? undefined : instance.slots.get(id);
  if (!slot) return false;
  if (event.EventType === H.TaskFailed || event.EventType === H.SubOrchestrationInstanceFailed) {
    return slot.retry !== undefined;
  }
  if (event.EventType === H.TimerFired && slot.kind === 'retryTimer' && slot.retry) {
    return slot.retry.attempt < slot.retry.options.maxNumberOfAttempts;
  }
  return false;
}

/**
 * Before the orchestrator runs: the events to deliver (retry-allocating messages first, so the ids
 * the driver allocates are the ones the JS executor expects) and the retry work the driver schedules
 * as DurableTask.Core's RetryInterceptor does: a failed attempt with retries left gets a retry timer
 * (firstRetryInterval × backoffCoefficient^(n−1), capped); a fired retry timer gets the next attempt.
 */
export function planEpisode(
  instance: EpisodeInstance,
  inbox: readonly EpisodeMessage[],
  now: Date,
): EpisodePlan {
  const at = now.toISOString();
  const retrying = inbox.filter((m) => allocatesRetryId(instance, m.event));
  const others = inbox.filter((m) => !retrying.includes(m));
  const delivered: HistoryEvent[] = [{ EventType: H.OrchestratorStarted, EventId: -1, Timestamp: at }];
  if (instance.history.length === 0) {
    delivered.push({
      EventType: H.ExecutionStarted,
      EventId: -1,
      Timestamp: at,
      Name: instance.name,
      Input: JSON.stringify(instance.input ?? null),
      OrchestrationInstance: { InstanceId: instance.instanceId, ExecutionId: instance.executionId },
      ...(instance.parent
        ? {
            ParentInstance: {
              OrchestrationInstance: { InstanceId: instance.parent.instanceId },
              TaskScheduleId: instance.parent.taskScheduledId,
            },
          }
        : {}),
    });
  }
  for (const m of [...retrying, ...others]) delivered.push({ ...m.event });

  const scheduled: HistoryEvent[] = [];
  const slots: Record<string, Slot> = {};
  let nextId = instance.nextEventId;
  for (const m of retrying) {
    const slot = instance.slots.get(answeredId(m.event)!)!;
    const retry = slot.retry!;
    const id = nextId++;
    if (m.event.EventType === H.TimerFired) {
      const attempt = retry.attempt + 1;
      if (retry.of === 'activity') {
        scheduled.push({
          EventType: H.TaskScheduled,
          EventId: id,
          Timestamp: at,
          Name: slot.name,
          Input: JSON.stringify(slot.input ?? null),
        });
        slots[id] = { kind: 'activity', name: slot.name, input: slot.input, retry: { ...retry, attempt } };
      } else {
        scheduled.push({
          EventType: H.SubOrchestrationInstanceCreated,
          EventId: id,
          Timestamp: at,
          Name: slot.name,
          InstanceId: slot.instanceId ?? `${instance.instanceId}:${id}`,
          Input: JSON.stringify(slot.input ?? null),
        });
        slots[id] = {
          kind: 'subOrchestration',
          name: slot.name,
          input: slot.input,
          instanceId: slot.instanceId,
          retry: { ...retry, attempt },
        };
      }
    } else {
      const fireAt = new Date(now.getTime() + retryDelayMs(retry.options, retry.attempt)).toISOString();
      scheduled.push({ EventType: H.TimerCreated, EventId: id, Timestamp: at, FireAt: fireAt });
      slots[id] = {
        kind: 'retryTimer',
        name: slot.name,
        input: slot.input,
        instanceId: slot.instanceId,
        fireAt,
        retry,
      };
    }
  }
  return { at, consumed: inbox.map((m) => m.msgId), delivered, scheduled, slots, nextEventId: nextId };
}

/**
 * The orchestration trigger's binding data for this episode: the played history plus the new
 * events, as the extension hands it to durable-functions.
 */
export function replayInput(instance: EpisodeInstance, plan: EpisodePlan): Record<string, unknown> {
  return {
    history: [
      ...instance.history.map((e) => ({ ...e, IsPlayed: true })),
      ...plan.delivered.map((e) => ({ ...e, IsPlayed: false })),
    ],
    input: instance.input ?? null,
    instanceId: instance.instanceId,
    isReplaying: instance.history.length > 0,
    parentInstanceId: instance.parent?.instanceId,
    upperSchemaVersion: ReplaySchemaV3,
    // Long enough that durable-functions never splits a timer (the extension does that itself).
    maximumShortTimerDuration: '36500.00:00:00',
    longRunningTimerIntervalDuration: '3.00:00:00',
    defaultHttpAsyncRequestSleepTimeMillseconds: 30000,
  };
}

/**
 * After the orchestrator ran: its new actions become scheduled events and slots (activities,
 * sub-orchestrations, timers; event waits and continue-as-new schedule nothing), timers it
 * cancelled are marked, and the episode ends the execution when the orchestrator is done, threw,
 * asked for something the local runtime does not emulate, or is not registered.
 * `newExecutionId` names the execution a continue-as-new starts.
 */
export function settleEpisode(
  instance: EpisodeInstance,
  plan: EpisodePlan,
  reply: OrchestratorReply,
  newExecutionId: () => string,
): EpisodeDecision {
  const { at } = plan;
  const scheduled = [...plan.scheduled];
  const slots: Record<string, Slot> = { ...plan.slots };
  let nextId = plan.nextEventId;
  let outcome: EpisodeOutcome | undefined;
  let actionsSeen = instance.actionsSeen;
  let customStatus: unknown;
  const canceled: number[] = [];
  if (reply.kind === 'unregistered') {
    outcome = { status: 'Failed', message: reply.message };
  } else if (reply.kind === 'threw') {
    outcome = {
      status: 'Failed',
      message: `Orchestrator function '${instance.name}' failed: ${reply.message}`,
      ...(reply.details ? { details: reply.details } : {}),
    };
  } else {
    const { state } = reply;
    customStatus = state.customStatus;
    const actions = flattenActions(state);
    for (let i = instance.actionsSeen; i < actions.length && !outcome; i++) {
      const action = actions[i]!;
      switch (action.actionType) {
        case ActionType.CallActivity:
        case ActionType.CallActivityWithRetry: {
          const id = nextId++;
          const input = decodeActionInput(action.input);
          scheduled.push({
            EventType: H.TaskScheduled,
            EventId: id,
            Timestamp: at,
            Name: action.functionName,
            Input: JSON.stringify(input ?? null),
          });
          slots[id] = {
            kind: 'activity',
            name: action.functionName,
            input,
            actionIndex: i,
            ...(action.actionType === ActionType.CallActivityWithRetry && action.retryOptions
              ? {
                  retry: {
                    options: action.retryOptions,
                    attempt: 1,
                    of: 'activity' as const,
                    firstAttemptAt: at,
                  },
                }
              : {}),
          };
          break;
        }
        case ActionType.CallSubOrchestrator:
        case ActionType.CallSubOrchestratorWithRetry: {
          const id = nextId++;
          const input = action.input;
          scheduled.push({
            EventType: H.SubOrchestrationInstanceCreated,
            EventId: id,
            Timestamp: at,
            Name: action.functionName,
            InstanceId: action.instanceId || `${instance.instanceId}:${id}`,
            Input: JSON.stringify(input ?? null),
          });
          slots[id] = {
            kind: 'subOrchestration',
            name: action.functionName,
            input,
            instanceId: action.instanceId || undefined,
            actionIndex: i,
            ...(action.actionType === ActionType.CallSubOrchestratorWithRetry && action.retryOptions
              ? {
                  retry: {
                    options: action.retryOptions,
                    attempt: 1,
                    of: 'subOrchestration' as const,
                    firstAttemptAt: at,
                  },
                }
              : {}),
          };
          break;
        }
        case ActionType.CreateTimer: {
          const id = nextId++;
          const fireAt = new Date(String(action.fireAt)).toISOString();
          scheduled.push({ EventType: H.TimerCreated, EventId: id, Timestamp: at, FireAt: fireAt });
          slots[id] = { kind: 'timer', fireAt, actionIndex: i };
          break;
        }
        case ActionType.WaitForExternalEvent:
        case ActionType.ContinueAsNew:
          break;
        default:
          outcome = {
            status: 'Failed',
            message: `Orchestrator function '${instance.name}' failed: the local runtime does not support action type ${action.actionType} (durable entities and durable HTTP are not emulated)`,
          };
      }
    }
    actionsSeen = actions.length;
    // A timer the orchestrator cancelled (Task.any timeout pattern) is not fired any more.
    for (const [id, slot] of [
      ...instance.slots,
      ...Object.entries(slots).map(([k, v]) => [Number(k), v] as const),
    ]) {
      const action =
        slot.kind === 'timer' && slot.actionIndex !== undefined ? actions[slot.actionIndex] : undefined;
      if (action?.actionType === ActionType.CreateTimer && action.isCanceled && !slot.canceled) {
        slots[id] = { ...slot, canceled: true };
        canceled.push(id);
      }
    }
    if (!outcome && state.isDone) {
      const continueAsNew = actions.find((a) => a.actionType === ActionType.ContinueAsNew);
      outcome = continueAsNew
        ? {
            status: 'ContinuedAsNew',
            newExecutionId: newExecutionId(),
            input: decodeActionInput(continueAsNew.input) ?? null,
          }
        : { status: 'Completed', output: state.output ?? null };
    }
  }

  const events: HistoryEvent[] = [
    ...plan.delivered,
    ...scheduled,
    { EventType: H.OrchestratorCompleted, EventId: -1, Timestamp: at },
  ];
  if (outcome?.status === 'Completed' || outcome?.status === 'Failed') {
    events.push({
      EventType: H.ExecutionCompleted,
      EventId: -1,
      Timestamp: at,
      OrchestrationStatus: outcome.status,
      Result: outcome.status === 'Completed' ? JSON.stringify(outcome.output ?? null) : outcome.message,
    });
  }
  return {
    record: {
      kind: 'episode',
      executionId: instance.executionId,
      consumed: plan.consumed,
      events,
      slots,
      nextEventId: nextId,
      actionsSeen,
      ...(customStatus !== undefined ? { customStatus } : {}),
      ...(outcome ? { outcome } : {}),
    },
    canceled,
  };
}
