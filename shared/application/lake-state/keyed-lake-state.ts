import { hash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { ConcurrencyError, LakeObjectMissingError } from '../../domain/errors.js';
import type { PortableColumn, PortableRow } from '../../domain/gold/portable-types.js';
import { lakePaths } from '../../domain/lake/lake-paths.js';
import type { Logger } from '../ports/logger.port.js';
import type { ObjectInfo, ObjectStore } from '../ports/object-store.port.js';
import type { KeyedRun, ParquetLake } from '../ports/parquet-lake.port.js';

/** The lake container keyed state lives in. */
export const STATE_CONTAINER = 'state';

/** One keyed state: its name (a lake folder), bucket count, key column and row columns. */
export interface KeyedStateSpec {
  readonly name: string;
  /** Hash buckets (fixed for the life of the state: changing it needs a rebuild). */
  readonly buckets: number;
  readonly keyColumn: string;
  readonly columns: readonly PortableColumn[];
}

export interface KeyedStateDeps {
  readonly lake: ObjectStore;
  readonly parquet: ParquetLake;
  readonly logger: Logger;
}

/** What one bucket's plan returns: the rows replacing the planned keys (none = nothing to write). */
export interface BucketPlan<R> {
  readonly rows: readonly PortableRow[];
  readonly result: R;
}

/** Counts of the lake work behind a state operation (for reports and the bench). */
export interface KeyedStateStats {
  bucketsRead: number;
  runsWritten: number;
  retries: number;
  compactions: number;
}

/**
 * State that grows with the data (SCD2 histories, seen event ids, content and referral indexes)
 * as Parquet in the lake, bucketed by a hash of the key (docs/adr/0006-state-in-the-lake.md).
 *
 * A bucket is a sequence of immutable runs `run-<generation>.parquet`; a later run replaces a
 * key's rows whole, so a bucket's state is, per key, the rows of the highest run holding it.
 * A write is one new run at generation max+1, created only if absent: that create IS the commit
 * (two writers that planned from the same state cannot both commit; the loser re-reads and
 * re-plans). A compaction writes the latest rows of every key as the next generation and only
 * then removes the runs below it, so a crash at any point leaves a readable, correct bucket.
 *
 * Cost: an update reads and writes each touched bucket once (plus a listing), never per key;
 * the engine does the set work (semi-join on the keys, latest-run selection, compaction).
 */
export class KeyedLakeState {
  readonly stats: KeyedStateStats = { bucketsRead: 0, runsWritten: 0, retries: 0, compactions: 0 };

  constructor(
    readonly spec: KeyedStateSpec,
    private readonly deps: KeyedStateDeps,
    private readonly options: {
      /** Buckets worked on at once (default 4). */
      readonly concurrency?: number;
      /** Commit attempts per bucket before giving up (default 25). */
      readonly maxAttempts?: number;
    } = {},
  ) {
    if (!Number.isInteger(spec.buckets) || spec.buckets < 1 || spec.buckets > 999)
      throw new Error(`keyed state ${spec.name}: buckets must be 1–999, received ${spec.buckets}`);
    if (!spec.columns.some((c) => c.name === spec.keyColumn))
      throw new Error(`keyed state ${spec.name}: key column ${spec.keyColumn} is not among its columns`);
  }

  bucketOf(key: string): number {
    return hash('sha256', key, 'buffer').readUInt32BE(0) % this.spec.buckets;
  }

  /** Rows of the given keys (every row of every key when omitted): one read per touched bucket. */
  async read(keys?: readonly string[]): Promise<PortableRow[]> {
    const groups = keys ? this.group(keys) : new Map<number, string[] | undefined>();
    if (!keys) for (let b = 0; b < this.spec.buckets; b++) groups.set(b, undefined);
    const listing = await this.listAll();
    const out: PortableRow[] = [];
    await this.forEachBucket([...groups.keys()], async (bucket) => {
      const rows = await this.readBucket(bucket, groups.get(bucket), listing.get(bucket) ?? []);
      for (const row of rows) out.push(row);
    });
    return out;
  }

  /** Every row of one bucket (a full scan, bucket by bucket). */
  async readBucketRows(bucket: number): Promise<PortableRow[]> {
    return this.readBucket(bucket, undefined, await this.listBucket(bucket));
  }

  /**
   * Plans and commits each touched bucket: `plan` gets the current rows of the bucket's keys and
   * returns the rows that replace them. On a lost commit race the bucket is re-read and re-planned
   * (so `plan` must be a pure function of its input). Returns each bucket's committed plan result.
   */
  async update<R>(
    keys: readonly string[],
    plan: (existing: PortableRow[], keys: readonly string[]) => BucketPlan<R>,
  ): Promise<R[]> {
    const groups = this.group(keys);
    const listing = await this.listAll();
    const results: R[] = [];
    await this.forEachBucket([...groups.keys()], async (bucket) => {
      const bucketKeys = groups.get(bucket)!;
      let runs = listing.get(bucket) ?? [];
      const maxAttempts = this.options.maxAttempts ?? 25;
      for (let attempt = 1; ; attempt++) {
        const existing = await this.readBucket(bucket, bucketKeys, runs, (fresh) => (runs = fresh));
        const planned = plan(existing, bucketKeys);
        if (planned.rows.length === 0) {
          results.push(planned.result);
          return;
        }
        const generation = nextGeneration(runs);
        const path = lakePaths.stateRun(this.spec.name, bucket, generation);
        const written = await this.deps.parquet.write(
          STATE_CONTAINER,
          path,
          this.spec.columns,
          planned.rows,
          {
            ifNoneMatch: '*',
          },
        );
        if (written.created) {
          this.stats.runsWritten++;
          results.push(planned.result);
          await this.maybeCompact(bucket, [...runs, { path, size: 1, generation }]);
          return;
        }
        if (attempt >= maxAttempts)
          throw new ConcurrencyError(
            `keyed state ${this.spec.name} bucket ${bucket}: lost ${attempt} commit races in a row; retry`,
          );
        this.stats.retries++;
        await sleep(Math.min(250, 5 * 2 ** Math.min(attempt, 6)) * (0.5 + Math.random()));
        runs = await this.listBucket(bucket);
      }
    });
    return results;
  }

  /** Compacts every bucket with more than one run (maintenance; updates compact as they go). */
  async compactAll(): Promise<number> {
    const listing = await this.listAll();
    let compacted = 0;
    for (const [bucket, runs] of listing)
      if (runs.length > 1 && (await this.compact(bucket, runs))) compacted++;
    return compacted;
  }

  private group(keys: readonly string[]): Map<number, string[]> {
    const groups = new Map<number, string[]>();
    for (const key of new Set(keys)) {
      const bucket = this.bucketOf(key);
      const list = groups.get(bucket);
      if (list) list.push(key);
      else groups.set(bucket, [key]);
    }
    return groups;
  }

  private async forEachBucket(
    buckets: readonly number[],
    work: (bucket: number) => Promise<void>,
  ): Promise<void> {
    let next = 0;
    let failure: { error: unknown } | undefined;
    const worker = async () => {
      while (!failure && next < buckets.length) {
        const bucket = buckets[next++]!;
        try {
          await work(bucket);
        } catch (error) {
          failure ??= { error };
        }
      }
    };
    await Promise.all(
      Array.from({ length: Math.min(this.options.concurrency ?? 4, buckets.length) }, worker),
    );
    if (failure) throw failure.error;
  }

  /** Reads a bucket's rows for `keys`; a run removed by a concurrent compaction → re-list, retry. */
  private async readBucket(
    bucket: number,
    keys: readonly string[] | undefined,
    runs: readonly StateRun[],
    onRelist?: (runs: StateRun[]) => void,
  ): Promise<PortableRow[]> {
    let current = runs;
    for (let attempt = 1; ; attempt++) {
      if (current.length === 0) return [];
      try {
        this.stats.bucketsRead++;
        return await this.deps.parquet.readRuns(
          STATE_CONTAINER,
          toKeyedRuns(current),
          this.spec.keyColumn,
          keys,
        );
      } catch (error) {
        if (!(error instanceof LakeObjectMissingError) || attempt >= 10) throw error;
        const fresh = await this.listBucket(bucket);
        onRelist?.(fresh);
        current = fresh;
      }
    }
  }

  private async listAll(): Promise<Map<number, StateRun[]>> {
    const out = new Map<number, StateRun[]>();
    for await (const object of this.deps.lake.list(STATE_CONTAINER, lakePaths.statePrefix(this.spec.name))) {
      const run = toStateRun(object);
      if (!run) continue;
      const list = out.get(run.bucket);
      if (list) list.push(run);
      else out.set(run.bucket, [run]);
    }
    return out;
  }

  private async listBucket(bucket: number): Promise<StateRun[]> {
    const out: StateRun[] = [];
    for await (const object of this.deps.lake.list(
      STATE_CONTAINER,
      lakePaths.stateBucketPrefix(this.spec.name, bucket),
    )) {
      const run = toStateRun(object);
      if (run) out.push(run);
    }
    return out;
  }

  /**
   * Size-tiered: compact when a bucket holds many runs, or when the runs above the largest add up
   * to as much as it (so each row is rewritten a logarithmic number of times as the state grows).
   */
  private async maybeCompact(bucket: number, runs: readonly StateRun[]): Promise<void> {
    if (runs.length < 2) return;
    const largest = Math.max(...runs.map((r) => r.size));
    const rest = runs.reduce((n, r) => n + r.size, 0) - largest;
    if (runs.length >= 8 || (runs.length >= 3 && rest >= largest)) await this.compact(bucket, runs);
  }

  private async compact(bucket: number, runs: readonly StateRun[]): Promise<boolean> {
    const generation = nextGeneration(runs);
    const to = lakePaths.stateRun(this.spec.name, bucket, generation);
    try {
      const done = await this.deps.parquet.compact(
        STATE_CONTAINER,
        toKeyedRuns(runs),
        this.spec.keyColumn,
        to,
      );
      if (!done.created) return false; // a writer committed this generation first: compact later
    } catch (error) {
      if (error instanceof LakeObjectMissingError) return false; // someone else compacted
      throw error;
    }
    this.stats.compactions++;
    // Only now are the older runs redundant; readers that listed them re-list when they vanish.
    for (const run of runs) await this.deps.lake.delete(STATE_CONTAINER, run.path);
    return true;
  }
}

interface StateRun {
  readonly path: string;
  readonly size: number;
  readonly generation: number;
  readonly bucket?: number;
}

function toStateRun(object: ObjectInfo): (StateRun & { bucket: number }) | undefined {
  const parsed = lakePaths.parseStateRun(object.path);
  return parsed && { path: object.path, size: object.size, ...parsed };
}

function toKeyedRuns(runs: readonly StateRun[]): KeyedRun[] {
  return runs.map((r) => ({ path: r.path, rank: r.generation }));
}

function nextGeneration(runs: readonly StateRun[]): number {
  return runs.reduce((max, r) => Math.max(max, r.generation), 0) + 1;
}
