import type { ExponentialBackoffRetryOptions } from '@azure/functions';

/**
 * Retry policies declared on the registrations (the Functions docs support them on timer and Event
 * Hubs triggers; host.json declares none, so each function's policy is in one place).
 *
 * - Timers (CDC poller, marts refresh): a few retries with backoff; the next schedule is the real
 *   retry, and a poll is idempotent (the watermark moves only after a publish).
 * - Event Hubs (CDC consumer): retried without limit, because with a retry policy the host does not
 *   checkpoint until the execution succeeds. The consumer dead-letters every receipt it cannot
 *   ingest and only throws when even that fails, or when a circuit breaker defers it: the partition
 *   then waits (and `nhsflows.function.failed` pages) rather than skipping events.
 */
export const TIMER_RETRY: ExponentialBackoffRetryOptions = {
  strategy: 'exponentialBackoff',
  maxRetryCount: 3,
  minimumInterval: { seconds: 10 },
  maximumInterval: { minutes: 1 },
};

export const EVENT_HUB_RETRY: ExponentialBackoffRetryOptions = {
  strategy: 'exponentialBackoff',
  maxRetryCount: -1,
  minimumInterval: { seconds: 5 },
  maximumInterval: { minutes: 15 },
};
