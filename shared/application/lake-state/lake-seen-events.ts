import type { Clock } from '../ports/clock.port.js';
import type { SeenClassification, SeenEvents, SeenReservation } from '../ports/seen-events.port.js';
import type { PortableRow } from '../../domain/gold/portable-types.js';
import { KeyedLakeState, type BucketPlan, type KeyedStateDeps } from './keyed-lake-state.js';

/**
 * Seen event ids as keyed state in the lake (`state/seen-events/`, 16 hash buckets): a receipt's
 * check reads each touched bucket once (a semi-join on its ids), and marking writes one run per
 * touched bucket; no request per event id. Settled ids (this instance finished their receipt, or
 * `filterUnseen` found them seen) are remembered: seen is permanent, so a positive cache is always
 * right. Claimed-but-unsettled ids are not, so `classify` reads them again and names their receipt.
 */
export class LakeSeenEvents implements SeenEvents {
  private readonly state: KeyedLakeState;
  /**
   * Two generations of remembered ids: lookups check both, and when the newer one fills half the
   * cache it becomes the older one (the oldest half is dropped at once). Constant time per id; an
   * LRU that evicts the oldest entry of one Set one id at a time walks the Set's deleted slots on
   * every eviction and took 107 s of the host's main thread in a 1M-record load.
   */
  private recent = new Set<string>();
  private older = new Set<string>();

  constructor(
    deps: KeyedStateDeps,
    private readonly clock: Clock,
    private readonly options: { readonly name?: string; readonly cacheSize?: number } = {},
  ) {
    this.state = new KeyedLakeState(
      {
        name: options.name ?? 'seen-events',
        buckets: 16,
        keyColumn: 'event_id',
        columns: [
          { name: 'event_id', type: 'string', nullable: false },
          { name: 'batch_id', type: 'string', nullable: true },
          { name: 'marked_at', type: 'string', nullable: false },
        ],
      },
      deps,
    );
  }

  async filterUnseen(eventIds: readonly string[]): Promise<string[]> {
    const { unseen, claimed } = await this.classify(eventIds);
    for (const ids of claimed.values()) this.settle(ids);
    return [...unseen];
  }

  async classify(eventIds: readonly string[]): Promise<SeenClassification> {
    const distinct = [...new Set(eventIds)];
    return this.classified(distinct, await this.state.read(distinct.filter((id) => !this.knows(id))));
  }

  async reserve(eventIds: readonly string[]): Promise<SeenReservation> {
    const distinct = [...new Set(eventIds)];
    const held = await this.state.hold(distinct.filter((id) => !this.knows(id)));
    try {
      return {
        ...this.classified(distinct, held.rows),
        claim: async (ids, receiptId) => {
          await held.update(ids, this.claimPlan(receiptId));
        },
        release: () => held.release(),
      };
    } catch (error) {
      await held.release();
      throw error;
    }
  }

  /** The classification of `distinct` ids given the state rows read for the ones not known. */
  private classified(distinct: readonly string[], read: readonly PortableRow[]): SeenClassification {
    const claimedBy = new Map<string, string | null>();
    for (const row of read) {
      const receipt = row.batch_id === null || row.batch_id === undefined ? null : String(row.batch_id);
      claimedBy.set(String(row.event_id), receipt);
    }
    const unseen: string[] = [];
    const claimed = new Map<string | null, string[]>();
    for (const id of distinct) {
      if (this.knows(id)) continue;
      if (!claimedBy.has(id)) {
        unseen.push(id);
        continue;
      }
      const receipt = claimedBy.get(id) ?? null;
      const ids = claimed.get(receipt) ?? [];
      ids.push(id);
      claimed.set(receipt, ids);
    }
    return { unseen, claimed };
  }

  async markSeen(eventIds: readonly string[], context: { readonly batchId?: string } = {}): Promise<void> {
    await this.write(eventIds, context.batchId ?? null);
    this.settle(eventIds);
  }

  async claim(eventIds: readonly string[], receiptId: string): Promise<void> {
    await this.write(eventIds, receiptId);
  }

  settle(eventIds: readonly string[]): void {
    for (const id of new Set(eventIds)) this.remember(id);
  }

  private async write(eventIds: readonly string[], receiptId: string | null): Promise<void> {
    await this.state.update(eventIds, this.claimPlan(receiptId));
  }

  /** Claims ids for a receipt: the first receipt to claim an id keeps it. */
  private claimPlan(
    receiptId: string | null,
  ): (existing: PortableRow[], keys: readonly string[]) => BucketPlan<null> {
    const markedAt = this.clock.now().toISOString();
    return (existing, keys) => {
      const held = new Set(existing.map((r) => String(r.event_id)));
      return {
        rows: keys
          .filter((id) => !held.has(id))
          .map((id) => ({ event_id: id, batch_id: receiptId, marked_at: markedAt })),
        result: null,
      };
    };
  }

  private knows(id: string): boolean {
    return this.recent.has(id) || this.older.has(id);
  }

  private remember(id: string): void {
    const limit = this.options.cacheSize ?? 200_000;
    if (limit <= 0 || this.recent.has(id)) return;
    this.recent.add(id);
    if (this.recent.size >= Math.max(1, Math.floor(limit / 2))) {
      this.older = this.recent;
      this.recent = new Set();
    }
  }
}
