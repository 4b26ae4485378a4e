/**
 * Names of the operations metrics the alert rules in infra/app/alerts.bicep watch (one declaration;
 * docs/operations.md says what each means and what to do). Dimensions are table names, function
 * names, trigger kinds, codes and counts: never a patient identifier.
 */
export const OPERATIONS_METRICS = {
  /** Per table, on every poller tick: seconds since the start of the last successful poll. */
  captureFreshness: 'nhsflows.capture.freshnessSeconds',
  /** A function execution failed (dimensions: function, trigger). */
  functionFailed: 'nhsflows.function.failed',
  /** Messages waiting on the poison queue, measured on every poller tick. */
  poisonQueueDepth: 'nhsflows.poison.depth',
  /** Event receipts dead-lettered (existing metric of the eventHub trigger; dimension: code). */
  deadLettered: 'nhsflows.events.deadLettered',
  /** DQMI score (0–100) per provider × dataset × month of a validated batch. */
  dqmiScore: 'nhsflows.dq.dqmiScore',
  /** 1 while a circuit breaker is open or half-open, 0 when closed (dimension: dependency, state). */
  breakerOpen: 'nhsflows.breaker.open',
} as const;

/** The trigger kinds a function failure is reported under. */
export const TRIGGER_KINDS = [
  'timer',
  'eventHub',
  'eventGrid',
  'queue',
  'http',
  'activity',
  'orchestrator',
] as const;
export type TriggerKind = (typeof TRIGGER_KINDS)[number];
