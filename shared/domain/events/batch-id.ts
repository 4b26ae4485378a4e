import { hash } from 'node:crypto';

/**
 * The deterministic id of a batch of deltas.
 *
 * Contract: `b-` + the first 32 hex characters of SHA-256 over the batch's distinct event ids,
 * sorted by code unit and joined with `\n`. The same set of deltas, received in any order or
 * redelivered, always gets the same batch id, so bronze writes and orchestration starts keyed by it
 * are idempotent.
 */
export function batchIdOf(eventIds: readonly string[]): string {
  const sorted = [...new Set(eventIds)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return `b-${hash('sha256', sorted.join('\n'), 'hex').slice(0, 32)}`;
}
