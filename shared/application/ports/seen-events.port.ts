/**
 * The set of event ids a sink has already taken in: what makes at-least-once delivery
 * exactly-once in effect.
 *
 * Guarantees: `filterUnseen` returns the given ids that were never passed to a resolved `markSeen`,
 * in input order, without duplicates; `markSeen` is idempotent and durable when it resolves. The
 * caller marks ids only after the batch holding them is safely written (see
 * docs/events.md, "Exactly-once in effect").
 */
export interface SeenEvents {
  filterUnseen(eventIds: readonly string[]): Promise<string[]>;
  markSeen(eventIds: readonly string[], context?: { readonly batchId?: string }): Promise<void>;
}
