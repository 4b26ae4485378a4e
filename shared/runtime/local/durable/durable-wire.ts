/**
 * The wire contract between durable-functions (JS) and the Durable Task extension: history event and
 * action JSON as the extension sends/reads it. The numeric enums are internal to durable-functions
 * (`lib/src/history/HistoryEventType.js`, `lib/src/actions/ActionType.js`) and mirror DurableTask.Core;
 * a test pins these copies to the installed package.
 */
export const HistoryEventType = {
  ExecutionStarted: 0,
  ExecutionCompleted: 1,
  ExecutionFailed: 2,
  ExecutionTerminated: 3,
  TaskScheduled: 4,
  TaskCompleted: 5,
  TaskFailed: 6,
  SubOrchestrationInstanceCreated: 7,
  SubOrchestrationInstanceCompleted: 8,
  SubOrchestrationInstanceFailed: 9,
  TimerCreated: 10,
  TimerFired: 11,
  OrchestratorStarted: 12,
  OrchestratorCompleted: 13,
  EventSent: 14,
  EventRaised: 15,
  ContinueAsNew: 16,
  GenericEvent: 17,
  HistoryState: 18,
  ExecutionSuspended: 19,
  ExecutionResumed: 20,
} as const;

export const ActionType = {
  CallActivity: 0,
  CallActivityWithRetry: 1,
  CallSubOrchestrator: 2,
  CallSubOrchestratorWithRetry: 3,
  ContinueAsNew: 4,
  CreateTimer: 5,
  WaitForExternalEvent: 6,
  CallEntity: 7,
  CallHttp: 8,
  SignalEntity: 9,
  WhenAny: 11,
  WhenAll: 12,
  LockEntities: 13,
  ReleaseEntities: 14,
} as const;

/** durable-functions' `ReplaySchema`: V3 (=2) keeps compound actions and needs the timer durations. */
export const ReplaySchemaV3 = 2;

/** One history event in the extension's JSON form (PascalCase, Timestamp as ISO text). */
export interface HistoryEvent {
  readonly EventType: number;
  readonly EventId: number;
  readonly Timestamp: string;
  IsPlayed?: boolean;
  readonly [field: string]: unknown;
}

/** The part of a durable-functions action the driver reads. */
export interface WireAction {
  readonly actionType: number;
  readonly functionName?: string;
  readonly input?: unknown;
  readonly instanceId?: string;
  readonly retryOptions?: WireRetryOptions;
  readonly fireAt?: string;
  readonly isCanceled?: boolean;
  readonly externalEventName?: string;
  readonly compoundActions?: readonly WireAction[];
}

export interface WireRetryOptions {
  readonly firstRetryIntervalInMilliseconds: number;
  readonly maxNumberOfAttempts: number;
  readonly backoffCoefficient?: number;
  readonly maxRetryIntervalInMilliseconds?: number;
  readonly retryTimeoutInMilliseconds?: number;
}

/** What the orchestrator handler returns (`OrchestratorState`), as JSON. */
export interface WireOrchestratorState {
  readonly isDone: boolean;
  readonly actions: readonly (readonly WireAction[])[];
  readonly output?: unknown;
  readonly error?: string;
  readonly customStatus?: unknown;
  readonly schemaVersion?: number;
}

/** The label durable-functions puts before the state JSON in the message of a failed orchestration. */
export const outOfProcDataLabel = '$OutOfProcData$:';

/**
 * Action inputs: durable-functions JSON-encodes string inputs of activities and continue-as-new
 * (`Utils.processInput`) and the extension decodes them; other values travel as they are.
 */
export function decodeActionInput(input: unknown): unknown {
  if (typeof input !== 'string') return input;
  try {
    return JSON.parse(input) as unknown;
  } catch {
    return input;
  }
}

/**
 * The next retry delay after failed attempt `attempt` (1-based), as DurableTask.Core's RetryInterceptor
 * computes it: firstRetryInterval × backoffCoefficient^(attempt−1), capped by maxRetryInterval.
 */
export function retryDelayMs(options: WireRetryOptions, attempt: number): number {
  const coefficient = options.backoffCoefficient ?? 1;
  const delay = options.firstRetryIntervalInMilliseconds * Math.pow(coefficient, attempt - 1);
  const cap = options.maxRetryIntervalInMilliseconds;
  return cap !== undefined && cap > 0 && cap < delay ? cap : delay;
}

/** Flattens the orchestrator's action list depth-first, as the extension walks compound actions. */
export function flattenActions(state: WireOrchestratorState): WireAction[] {
  const out: WireAction[] = [];
  const visit = (action: WireAction) => {
    if (action.actionType === ActionType.WhenAll || action.actionType === ActionType.WhenAny) {
      for (const child of action.compoundActions ?? []) visit(child);
    } else {
      out.push(action);
    }
  };
  for (const group of state.actions) for (const action of group) visit(action);
  return out;
}
