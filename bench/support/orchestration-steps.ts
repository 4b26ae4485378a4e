import { HistoryEventType as H, type HistoryEvent } from '../../shared/runtime/local/durable/durable-wire.js';

/** One activity or sub-orchestration of an instance: from scheduled to its result, in ms. */
export interface StepTime {
  readonly name: string;
  readonly ms: number;
}

/**
 * The steps of one orchestration instance, timed from its durable history: scheduled → completed
 * (or failed), so a step's time includes any wait for a free activity slot.
 */
export function stepTimes(history: readonly HistoryEvent[] | undefined): StepTime[] {
  if (!history) return [];
  const scheduled = new Map<number, { name: string; at: number }>();
  const out: StepTime[] = [];
  for (const event of history) {
    if (event.EventType === H.TaskScheduled || event.EventType === H.SubOrchestrationInstanceCreated)
      scheduled.set(event.EventId, { name: String(event.Name), at: Date.parse(event.Timestamp) });
    else if (
      event.EventType === H.TaskCompleted ||
      event.EventType === H.TaskFailed ||
      event.EventType === H.SubOrchestrationInstanceCompleted ||
      event.EventType === H.SubOrchestrationInstanceFailed
    ) {
      const started = scheduled.get(Number(event.TaskScheduledId));
      if (started) out.push({ name: started.name, ms: Date.parse(event.Timestamp) - started.at });
    }
  }
  return out;
}
