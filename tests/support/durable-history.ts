import { HistoryEventType as H, type HistoryEvent } from '../../shared/runtime/local/durable/durable-wire.js';
import type { EpisodeInstance, EpisodeMessage } from '../../shared/runtime/local/durable/episode-plan.js';
import type { Slot } from '../../shared/runtime/local/durable/instance-journal.js';

/**
 * Replay-history builders: small, readable histories and instances in the extension's wire form,
 * for unit tests of episode planning and of orchestrators' decisions. Timestamps are fixed so
 * every plan reproduces.
 */
export const T0 = '2026-12-01T09:00:00.000Z';

export const events = {
  orchestratorStarted: (at = T0): HistoryEvent => ({
    EventType: H.OrchestratorStarted,
    EventId: -1,
    Timestamp: at,
  }),
  orchestratorCompleted: (at = T0): HistoryEvent => ({
    EventType: H.OrchestratorCompleted,
    EventId: -1,
    Timestamp: at,
  }),
  executionStarted: (name: string, input: unknown, instanceId = 'i-1', at = T0): HistoryEvent => ({
    EventType: H.ExecutionStarted,
    EventId: -1,
    Timestamp: at,
    Name: name,
    Input: JSON.stringify(input ?? null),
    OrchestrationInstance: { InstanceId: instanceId, ExecutionId: 'e-1' },
  }),
  taskScheduled: (id: number, name: string, input: unknown = null, at = T0): HistoryEvent => ({
    EventType: H.TaskScheduled,
    EventId: id,
    Timestamp: at,
    Name: name,
    Input: JSON.stringify(input ?? null),
  }),
  taskCompleted: (id: number, result: unknown, at = T0): HistoryEvent => ({
    EventType: H.TaskCompleted,
    EventId: -1,
    Timestamp: at,
    TaskScheduledId: id,
    Result: JSON.stringify(result ?? null),
  }),
  taskFailed: (id: number, reason: string, at = T0): HistoryEvent => ({
    EventType: H.TaskFailed,
    EventId: -1,
    Timestamp: at,
    TaskScheduledId: id,
    Reason: reason,
    Details: '',
    FailureDetails: { ErrorType: 'Error', ErrorMessage: reason },
  }),
  subOrchestrationCreated: (
    id: number,
    name: string,
    instanceId: string,
    input: unknown,
    at = T0,
  ): HistoryEvent => ({
    EventType: H.SubOrchestrationInstanceCreated,
    EventId: id,
    Timestamp: at,
    Name: name,
    InstanceId: instanceId,
    Input: JSON.stringify(input ?? null),
  }),
  subOrchestrationCompleted: (id: number, result: unknown, at = T0): HistoryEvent => ({
    EventType: H.SubOrchestrationInstanceCompleted,
    EventId: -1,
    Timestamp: at,
    TaskScheduledId: id,
    Result: JSON.stringify(result ?? null),
  }),
  subOrchestrationFailed: (id: number, reason: string, at = T0): HistoryEvent => ({
    EventType: H.SubOrchestrationInstanceFailed,
    EventId: -1,
    Timestamp: at,
    TaskScheduledId: id,
    Reason: reason,
    Details: '',
    FailureDetails: { ErrorType: 'OrchestrationFailure', ErrorMessage: reason },
  }),
  timerCreated: (id: number, fireAt: string, at = T0): HistoryEvent => ({
    EventType: H.TimerCreated,
    EventId: id,
    Timestamp: at,
    FireAt: fireAt,
  }),
  timerFired: (id: number, fireAt: string, at = T0): HistoryEvent => ({
    EventType: H.TimerFired,
    EventId: -1,
    Timestamp: at,
    TimerId: id,
    FireAt: fireAt,
  }),
  eventRaised: (name: string, input: unknown, at = T0): HistoryEvent => ({
    EventType: H.EventRaised,
    EventId: -1,
    Timestamp: at,
    Name: name,
    Input: JSON.stringify(input ?? null),
  }),
};

/** An instance of `name` with `history` already played; slots and ids as the driver left them. */
export function instanceOf(
  name: string,
  options: {
    readonly input?: unknown;
    readonly history?: readonly HistoryEvent[];
    readonly slots?: readonly (readonly [number, Slot])[];
    readonly nextEventId?: number;
    readonly actionsSeen?: number;
    readonly instanceId?: string;
  } = {},
): EpisodeInstance {
  return {
    instanceId: options.instanceId ?? 'i-1',
    name,
    executionId: 'e-1',
    input: options.input ?? null,
    parent: undefined,
    history: options.history ?? [],
    slots: new Map(options.slots ?? []),
    nextEventId: options.nextEventId ?? 0,
    actionsSeen: options.actionsSeen ?? 0,
  };
}

/** Inbox messages, numbered m1, m2, … in order. */
export function inboxOf(...messages: readonly HistoryEvent[]): EpisodeMessage[] {
  return messages.map((event, i) => ({ msgId: `m${i + 1}`, event }));
}
