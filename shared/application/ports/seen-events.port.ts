/**
 * The set of event ids a sink has already taken in: what makes at-least-once delivery
 * exactly-once in effect.
 *
 * Each id is marked with the receipt that claimed it (the receipt id names the batches it was cut
 * into, see `ingestDeltas`). Guarantees: `filterUnseen` returns the given ids that were never
 * passed to a resolved `markSeen`, in input order, without duplicates; `markSeen` is idempotent
 * (the first receipt to claim an id keeps it) and durable when it resolves. `classify` also names
 * the receipts of seen ids this instance has not settled, so a caller that crashed between
 * claiming and finishing a receipt can finish it instead of cutting the same events into new
 * batches (docs/events.md, "Exactly-once in effect").
 */
export interface SeenEvents {
  filterUnseen(eventIds: readonly string[]): Promise<string[]>;
  /** Claims the ids for `batchId` (the receipt id) and settles them. */
  markSeen(eventIds: readonly string[], context?: { readonly batchId?: string }): Promise<void>;
  /**
   * Unseen ids (input order, distinct), and the seen ids not settled in this instance grouped by
   * the receipt that claimed them (`null`: claimed with no receipt id).
   */
  classify(eventIds: readonly string[]): Promise<SeenClassification>;
  /** Claims the ids for a receipt, durably, without settling them. */
  claim(eventIds: readonly string[], receiptId: string): Promise<void>;
  /** Records that the receipts holding these ids are finished: `classify` no longer reports them. */
  settle(eventIds: readonly string[]): void;
  /**
   * `classify`, holding what it read until the reservation is released: the reservation's `claim`
   * (of ids among these) is planned on that read instead of reading again, and is as safe as
   * `claim` (it commits only where nobody else wrote since; otherwise it reads again). This
   * instance's other claims of the same state wait meanwhile, so release it on every path, and do
   * not claim through the instance itself before releasing it.
   */
  reserve(eventIds: readonly string[]): Promise<SeenReservation>;
}

/** A classification whose read a later claim reuses (`SeenEvents.reserve`). */
export interface SeenReservation extends SeenClassification {
  claim(eventIds: readonly string[], receiptId: string): Promise<void>;
  /** Lets the instance's other claims go on, then tidies the state the claim wrote (idempotent). */
  release(): Promise<void>;
}

export interface SeenClassification {
  readonly unseen: readonly string[];
  readonly claimed: ReadonlyMap<string | null, readonly string[]>;
}
