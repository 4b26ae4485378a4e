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
 */
export class StateStoreSeenEvents implements SeenEvents {
  static readonly defaultTable = 'seenevents';

  constructor(
    private readonly store: StateStore,
    private readonly clock: Clock,
    private readonly options: { readonly table?: string; readonly readConcurrency?: number } = {},
  ) {}

  private get table(): string {
    return this.options.table ?? StateStoreSeenEvents.defaultTable;
  }

  /** Creates the table if it does not exist. */
  async ensure(): Promise<void> {
    await this.store.ensureTables([this.table]);
  }

  async filterUnseen(eventIds: readonly string[]): Promise<string[]> {
    const distinct = [...new Set(eventIds)];
    const seen = new Set<string>();
    const concurrency = Math.max(1, this.options.readConcurrency ?? 32);
    let next = 0;
    const worker = async () => {
      while (next < distinct.length) {
        const id = distinct[next++]!;
        const entity = await this.store.get(this.table, shardOf(id), id);
        if (entity) seen.add(id);
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, distinct.length) }, worker));
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
  }
}

function shardOf(eventId: string): string {
  return hash('sha256', eventId, 'hex').slice(0, 2);
}
