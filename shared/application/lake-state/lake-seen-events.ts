import type { Clock } from '../ports/clock.port.js';
import type { SeenEvents } from '../ports/seen-events.port.js';
import { KeyedLakeState, type KeyedStateDeps } from './keyed-lake-state.js';

/**
 * Seen event ids as keyed state in the lake (`state/seen-events/`, 16 hash buckets): a receipt's
 * check reads each touched bucket once (a semi-join on its ids), and marking writes one run per
 * touched bucket; no request per event id. Ids this instance marked or found seen are remembered
 * (seen is permanent, so a positive cache is always right).
 */
export class LakeSeenEvents implements SeenEvents {
  private readonly state: KeyedLakeState;
  private readonly known = new Set<string>();

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
    const distinct = [...new Set(eventIds)];
    const toRead = distinct.filter((id) => !this.known.has(id));
    const seen = new Set<string>();
    for (const row of await this.state.read(toRead)) {
      const id = String(row.event_id);
      seen.add(id);
      this.remember(id);
    }
    return distinct.filter((id) => !this.known.has(id) && !seen.has(id));
  }

  async markSeen(eventIds: readonly string[], context: { readonly batchId?: string } = {}): Promise<void> {
    const markedAt = this.clock.now().toISOString();
    await this.state.update(eventIds, (existing, keys) => {
      const held = new Set(existing.map((r) => String(r.event_id)));
      return {
        rows: keys
          .filter((id) => !held.has(id))
          .map((id) => ({ event_id: id, batch_id: context.batchId ?? null, marked_at: markedAt })),
        result: null,
      };
    });
    for (const id of new Set(eventIds)) this.remember(id);
  }

  private remember(id: string): void {
    const limit = this.options.cacheSize ?? 200_000;
    if (limit <= 0) return;
    this.known.delete(id);
    this.known.add(id);
    if (this.known.size > limit) {
      const oldest = this.known.values().next();
      if (!oldest.done) this.known.delete(oldest.value);
    }
  }
}
