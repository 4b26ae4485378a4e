import { hash } from 'node:crypto';
import type { Clock } from '../ports/clock.port.js';
import type { SeenEvents } from '../ports/seen-events.port.js';
import type { StateStore } from '../ports/state-store.port.js';

/**
 * Seen event ids in the StateStore (Table storage on Azure and on Azurite).
 *
 * Layout: table `seenevents` (configurable); partition key = the first two hex characters of
 * SHA-256(event id) (256 partitions, so writes spread and one `markSeen` needs few transactions);
 * row key = the event id; value `{ batchId, markedAt }` for tracing and a future retention sweep.
 *
 * Cost: one point read per id not already known to this instance. Ids this instance marked or found
 * seen are remembered (seen is permanent, so a positive cache is always right), so a redelivery to
 * the same process costs no reads. Against Azurite a point read is slow (~60/s on a busy 2-core
 * machine), so large first-time batches (snapshots) pay for it locally; Azure Table storage serves
 * the parallel reads far faster.
 */
export class StateStoreSeenEvents implements SeenEvents {
  static readonly defaultTable = 'seenevents';

  constructor(
    private readonly store: StateStore,
    private readonly clock: Clock,
    private readonly options: {
      readonly table?: string;
      readonly readConcurrency?: number;
      /** Seen ids remembered in memory (default 200,000; 0 turns the cache off). */
      readonly cacheSize?: number;
    } = {},
  ) {}

  private readonly known = new Set<string>();

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

  private get table(): string {
    return this.options.table ?? StateStoreSeenEvents.defaultTable;
  }

  /** Creates the table if it does not exist. */
  async ensure(): Promise<void> {
    await this.store.ensureTables([this.table]);
  }

  async filterUnseen(eventIds: readonly string[]): Promise<string[]> {
    const distinct = [...new Set(eventIds)];
    const seen = new Set<string>(distinct.filter((id) => this.known.has(id)));
    const toRead = distinct.filter((id) => !seen.has(id));
    const concurrency = Math.max(1, this.options.readConcurrency ?? 32);
    let next = 0;
    const worker = async () => {
      while (next < toRead.length) {
        const id = toRead[next++]!;
        const entity = await this.store.get(this.table, shardOf(id), id);
        if (entity) {
          seen.add(id);
          this.remember(id);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, toRead.length) }, worker));
    return distinct.filter((id) => !seen.has(id));
  }

  async markSeen(eventIds: readonly string[], context: { readonly batchId?: string } = {}): Promise<void> {
    const byShard = new Map<string, string[]>();
    for (const id of new Set(eventIds)) {
      const shard = shardOf(id);
      const list = byShard.get(shard) ?? [];
      list.push(id);
      byShard.set(shard, list);
    }
    const markedAt = this.clock.now().toISOString();
    const value = { batchId: context.batchId ?? null, markedAt };
    const jobs: (() => Promise<void>)[] = [];
    for (const [shard, ids] of byShard) {
      for (let i = 0; i < ids.length; i += 100) {
        const chunk = ids.slice(i, i + 100);
        jobs.push(() =>
          this.store.transact(
            this.table,
            shard,
            chunk.map((rowKey) => ({ kind: 'upsert', rowKey, value })),
          ),
        );
      }
    }
    let next = 0;
    const worker = async () => {
      while (next < jobs.length) await jobs[next++]!();
    };
    await Promise.all(Array.from({ length: Math.min(8, jobs.length) }, worker));
    for (const ids of byShard.values()) for (const id of ids) this.remember(id);
  }
}

function shardOf(eventId: string): string {
  return hash('sha256', eventId, 'hex').slice(0, 2);
}
