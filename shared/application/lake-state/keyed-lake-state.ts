import { hash, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { ConcurrencyError, LakeObjectMissingError } from '../../domain/errors.js';
import type { PortableColumn, PortableRow } from '../../domain/gold/portable-types.js';
import { lakePaths } from '../../domain/lake/lake-paths.js';
import type { Logger } from '../ports/logger.port.js';
import type { ObjectStore } from '../ports/object-store.port.js';
import type { KeyedRowFilter, ParquetLake } from '../ports/parquet-lake.port.js';

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

/** Keys read and held by `KeyedLakeState.hold` (see there). */
export interface HeldKeyedState {
  /** The rows of the held keys when read. */
  readonly rows: readonly PortableRow[];
  /** `update` of keys among the held ones, its first attempt planned on the held read. */
  update<R>(
    keys: readonly string[],
    plan: (existing: PortableRow[], keys: readonly string[]) => BucketPlan<R>,
  ): Promise<R[]>;
  /**
   * Lets this process's other updates of the buckets go on, then compacts the buckets the update
   * left with too many runs (after the turns are released, so nobody waits for it). Idempotent.
   */
  release(): Promise<void>;
}

/** Counts of the lake work behind a state operation (for reports and the bench). */
export interface KeyedStateStats {
  bucketsRead: number;
  runsWritten: number;
  retries: number;
  compactions: number;
  /** Milliseconds summed over buckets (buckets run concurrently): reading, planning, writing runs, committing heads, compacting. */
  readMs: number;
  planMs: number;
  writeMs: number;
  commitMs: number;
  compactMs: number;
}

/**
 * State that grows with the data (SCD2 histories, seen event ids, content and referral indexes)
 * as Parquet in the lake, bucketed by a hash of the key (docs/adr/0006-state-in-the-lake.md).
 *
 * A bucket is a head object (`head.json`: its generation and the list of its runs) and immutable
 * Parquet runs; a later run replaces a key's rows whole, so a bucket's state is, per key, the rows
 * of the highest run holding it. A write uploads a new run under a unique name, then replaces the
 * head only if its ETag is still the one read (If-Match): that replacement IS the commit. Two
 * writers that planned from the same head cannot both commit; the loser removes its run, re-reads
 * and re-plans. A compaction merges a contiguous stretch of a bucket's runs (the latest rows of
 * each key in them) into one run ranked as the newest run it replaces, and commits a head in which
 * that run stands where they stood, the same way (If-Match); runs appended meanwhile stay listed
 * after it, so it never has to hold back writers. Only then are the replaced runs removed, so a
 * crash at any point leaves a readable, correct bucket (at worst an unlisted run file nobody reads).
 *
 * Cost: an update reads each touched bucket's head and runs once and writes one run and one head,
 * never a request per key; the engine does the set work (semi-join on the keys, latest-run
 * selection, compaction).
 */
/** Most runs one engine read takes in (see readBuckets). */
const RUNS_PER_READ = 24;
/** Most rows one engine pass compacts (its partitioned write holds them until it ends). */
const ROWS_PER_COMPACTION = 120_000;
/** Runs a bucket may hold before its small recent runs are merged (see compactionOf). */
const RUNS_BEFORE_COMPACTION = 8;

export class KeyedLakeState {
  readonly stats: KeyedStateStats = {
    bucketsRead: 0,
    runsWritten: 0,
    retries: 0,
    compactions: 0,
    readMs: 0,
    planMs: 0,
    writeMs: 0,
    commitMs: 0,
    compactMs: 0,
  };

  constructor(
    readonly spec: KeyedStateSpec,
    private readonly deps: KeyedStateDeps,
    private readonly options: {
      /** Buckets worked on at once (default 4). */
      readonly concurrency?: number;
      /** Commit attempts per bucket before giving up (default 25). */
      readonly maxAttempts?: number;
      /**
       * Updates of one bucket in this process wait for each other (default true): only saves lost
       * races (the head commit keeps other processes correct). Tests standing in for separate
       * processes turn it off.
       */
      readonly inProcessTurns?: boolean;
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

  /**
   * Rows of the given keys (every row of every key when omitted); only the rows `where` selects
   * (among each key's current rows) when given. Given keys, the touched buckets are read together
   * (one engine read per `RUNS_PER_READ` runs, as an update reads them); without, bucket by bucket.
   */
  async read(keys?: readonly string[], where?: KeyedRowFilter): Promise<PortableRow[]> {
    const out: PortableRow[] = [];
    if (keys) {
      const groups = this.group(keys);
      const buckets = [...groups.keys()].sort((x, y) => x - y);
      const { rows } = await this.readBuckets(buckets, groups, where);
      for (const bucketRows of rows.values()) for (const row of bucketRows) out.push(row);
      return out;
    }
    const buckets = Array.from({ length: this.spec.buckets }, (_, b) => b);
    await this.forEachBucket(buckets, async (bucket) => {
      const { rows } = await this.readBucket(bucket, undefined, where);
      for (const row of rows) out.push(row);
    });
    return out;
  }

  /** Every row of one bucket (a full scan, bucket by bucket). */
  async readBucketRows(bucket: number): Promise<PortableRow[]> {
    return (await this.readBucket(bucket, undefined)).rows;
  }

  /**
   * Plans and commits each touched bucket: `plan` gets the current rows of the bucket's keys and
   * returns the rows that replace them. On a lost commit race the bucket is re-read and re-planned
   * (so `plan` must be a pure function of its input). Returns each bucket's committed plan result.
   *
   * The touched buckets move together: their heads are read at once, their rows come out of one
   * engine read (a semi-join over every touched bucket's runs), their new runs go in through one
   * engine write, and their heads are committed at once. Buckets that lose a race go round again.
   */
  async update<R>(
    keys: readonly string[],
    plan: (existing: PortableRow[], keys: readonly string[]) => BucketPlan<R>,
  ): Promise<R[]> {
    const groups = this.group(keys);
    const buckets = [...groups.keys()].sort((x, y) => x - y);
    const release = await this.takeTurns(buckets);
    let committed: Committed<R>;
    try {
      committed = await this.commitBuckets(groups, buckets, plan, undefined);
    } finally {
      release();
    }
    await this.compactDue(committed.due);
    return committed.results;
  }

  /**
   * Reads the rows of `keys` (as `read`) and holds their buckets (this process's other updates of
   * them wait) until `release`; the holder's `update` of keys among them plans its first attempt on
   * what was read here, committed only where each head is still the one read (the If-Match of
   * every commit), so a read-then-write costs one read. Release on every path.
   */
  async hold(keys: readonly string[]): Promise<HeldKeyedState> {
    const groups = this.group(keys);
    const buckets = [...groups.keys()].sort((x, y) => x - y);
    const release = await this.takeTurns(buckets);
    let released = false;
    const due: CommittedHead[] = [];
    try {
      const read = await this.readBuckets(buckets, groups);
      const rows = [...read.rows.values()].flat();
      let first: typeof read | undefined = read;
      return {
        rows,
        update: async <R>(
          claimKeys: readonly string[],
          plan: (existing: PortableRow[], keys: readonly string[]) => BucketPlan<R>,
        ): Promise<R[]> => {
          if (released) throw new Error(`keyed state ${this.spec.name}: update after release`);
          const claimGroups = this.group(claimKeys);
          const claimBuckets = [...claimGroups.keys()].sort((x, y) => x - y);
          const outside = claimBuckets.filter((b) => !groups.has(b));
          if (outside.length > 0)
            throw new Error(`keyed state ${this.spec.name}: update of keys this hold did not read`);
          // The held read, cut to the claimed keys (a key lives in one bucket); used once.
          const held = first;
          first = undefined;
          const seed = held && {
            heads: held.heads,
            rows: new Map(
              claimBuckets.map((b) => {
                const wanted = new Set(claimGroups.get(b));
                return [
                  b,
                  (held.rows.get(b) ?? []).filter((r) => wanted.has(String(r[this.spec.keyColumn]))),
                ];
              }),
            ),
          };
          const committed = await this.commitBuckets(claimGroups, claimBuckets, plan, seed);
          due.push(...committed.due);
          return committed.results;
        },
        release: async () => {
          if (released) return;
          released = true;
          release();
          await this.compactDue(due.splice(0));
        },
      };
    } catch (error) {
      release();
      throw error;
    }
  }

  /** This process's turns on the buckets, taken in ascending order (overlapping holders cannot deadlock). */
  private async takeTurns(buckets: readonly number[]): Promise<() => void> {
    const releases: (() => void)[] = [];
    if (this.options.inProcessTurns !== false)
      for (const bucket of buckets) releases.push(await bucketTurn(`${this.spec.name}/${bucket}`));
    return () => {
      for (const release of releases.splice(0)) release();
    };
  }

  /** The update loop over buckets whose turns the caller holds; `seed`: a first read to plan on. */
  private async commitBuckets<R>(
    groups: ReadonlyMap<number, readonly string[]>,
    buckets: readonly number[],
    plan: (existing: PortableRow[], keys: readonly string[]) => BucketPlan<R>,
    seed:
      | {
          readonly heads: ReadonlyMap<number, VersionedHead>;
          readonly rows: ReadonlyMap<number, PortableRow[]>;
        }
      | undefined,
  ): Promise<Committed<R>> {
    const maxAttempts = this.options.maxAttempts ?? 25;
    const results: R[] = [];
    const due: CommittedHead[] = [];
    let pending = buckets;
    for (let attempt = 1; pending.length > 0; attempt++) {
      let at = performance.now();
      const lap = (): number => {
        const now = performance.now();
        const ms = now - at;
        at = now;
        return ms;
      };
      const { heads, rows } = attempt === 1 && seed ? seed : await this.readBuckets(pending, groups);
      this.stats.readMs += lap();
      const writes: { bucket: number; head: VersionedHead; path: string; planned: BucketPlan<R> }[] = [];
      for (const bucket of pending) {
        const planned = plan(rows.get(bucket) ?? [], groups.get(bucket)!);
        const head = heads.get(bucket)!;
        if (planned.rows.length === 0) results.push(planned.result);
        else
          writes.push({
            bucket,
            head,
            planned,
            path: lakePaths.stateRun(this.spec.name, bucket, head.generation + 1, randomUUID().slice(0, 8)),
          });
      }
      this.stats.planMs += lap();
      const written = await this.deps.parquet.writeMany(
        STATE_CONTAINER,
        this.spec.columns,
        writes.map((w) => ({ path: w.path, rows: w.planned.rows })),
        { ifNoneMatch: '*' },
      );
      this.stats.writeMs += lap();
      const committed = await Promise.all(
        writes.map((w, i) =>
          this.commitRun(w.bucket, w.head, {
            path: w.path,
            generation: w.head.generation + 1,
            rows: written[i]!.rows,
          }),
        ),
      );
      this.stats.commitMs += lap();
      const lost: number[] = [];
      for (const [i, w] of writes.entries()) {
        const head = committed[i];
        if (head) {
          this.stats.runsWritten++;
          results.push(w.planned.result);
          if (compactionOf(head.runs)) due.push({ bucket: w.bucket, head });
        } else lost.push(w.bucket);
      }
      await Promise.all(
        writes.filter((_, i) => !committed[i]).map((w) => this.deps.lake.delete(STATE_CONTAINER, w.path)),
      );
      if (lost.length === 0) break;
      if (attempt >= maxAttempts)
        throw new ConcurrencyError(
          `keyed state ${this.spec.name} buckets ${lost.join(', ')}: lost ${attempt} commit races in a row; retry`,
        );
      this.stats.retries += lost.length;
      await sleep(Math.min(250, 5 * 2 ** Math.min(attempt, 6)) * (0.5 + Math.random()));
      pending = lost;
    }
    return { results, due };
  }

  /** Compacts every bucket with more than one run into one (maintenance; updates compact as they go). */
  async compactAll(): Promise<number> {
    const before = this.stats.compactions;
    for (let bucket = 0; bucket < this.spec.buckets; bucket++) {
      const head = await this.readHead(bucket);
      if (head.runs.length > 1) await this.compactBuckets([{ bucket, head, runs: head.runs }]);
    }
    return this.stats.compactions - before;
  }

  /**
   * Compacts the buckets a commit left due, once the turns are released. A failure is logged and
   * left for the next update (the data is committed; a compaction only tidies it), and a bucket this
   * process is already compacting is skipped.
   */
  private async compactDue(due: readonly CommittedHead[]): Promise<void> {
    if (due.length === 0) return;
    const mine: CommittedHead[] = [];
    for (const entry of due) {
      const name = `${this.spec.name}/${entry.bucket}`;
      if (compacting.has(name)) continue;
      compacting.add(name);
      mine.push(entry);
    }
    const at = performance.now();
    try {
      await this.compactBuckets(
        mine.flatMap((entry) => {
          const runs = compactionOf(entry.head.runs);
          return runs ? [{ ...entry, runs }] : [];
        }),
      );
    } catch (error) {
      this.deps.logger.warn('keyed state compaction failed; the next update retries it', {
        state: this.spec.name,
        buckets: mine.map((e) => e.bucket).join(','),
        error: error instanceof Error ? error.message.slice(0, 300) : 'unknown',
      });
    } finally {
      for (const entry of mine) compacting.delete(`${this.spec.name}/${entry.bucket}`);
      this.stats.compactMs += performance.now() - at;
    }
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

  private async readHead(bucket: number): Promise<VersionedHead> {
    const got = await this.deps.lake.getVersioned(
      STATE_CONTAINER,
      lakePaths.stateHead(this.spec.name, bucket),
    );
    if (!got) return { generation: 0, runs: [], etag: null };
    const parsed = JSON.parse(got.body.toString('utf8')) as BucketHead;
    return { generation: parsed.generation, runs: parsed.runs, etag: got.etag };
  }

  /**
   * The heads of `buckets` and the rows of their keys, out of one engine read over every run of
   * every one of them (a key lives in one bucket only, so the latest-run rule is per key as before);
   * a run removed by a concurrent compaction → re-read the heads.
   */
  private async readBuckets(
    buckets: readonly number[],
    groups: ReadonlyMap<number, readonly string[]>,
    where?: KeyedRowFilter,
  ): Promise<{ heads: Map<number, VersionedHead>; rows: Map<number, PortableRow[]> }> {
    for (let attempt = 1; ; attempt++) {
      const heads = new Map(
        await Promise.all(buckets.map(async (bucket) => [bucket, await this.readHead(bucket)] as const)),
      );
      const rows = new Map<number, PortableRow[]>();
      // Buckets are read in parts of at most RUNS_PER_READ runs: every run is a scan with its own
      // buffers in the engine, and a hundred of them in one query exceeded its memory limit.
      const parts: number[][] = [];
      let part: number[] = [];
      let partRuns = 0;
      for (const bucket of buckets) {
        const n = heads.get(bucket)!.runs.length;
        if (n === 0) continue;
        if (part.length > 0 && partRuns + n > RUNS_PER_READ) {
          parts.push(part);
          part = [];
          partRuns = 0;
        }
        part.push(bucket);
        partRuns += n;
      }
      if (part.length > 0) parts.push(part);
      try {
        for (const readPart of parts) {
          const runs = readPart.flatMap((bucket) =>
            heads.get(bucket)!.runs.map((r) => ({ path: r.path, rank: r.generation })),
          );
          const bucketOfKey = new Map<string, number>();
          for (const bucket of readPart)
            for (const key of groups.get(bucket) ?? []) bucketOfKey.set(key, bucket);
          this.stats.bucketsRead += readPart.length;
          const found = await this.deps.parquet.readRuns(
            STATE_CONTAINER,
            runs,
            this.spec.keyColumn,
            [...bucketOfKey.keys()],
            where,
          );
          for (const row of found) {
            const bucket = bucketOfKey.get(String(row[this.spec.keyColumn]))!;
            const list = rows.get(bucket);
            if (list) list.push(row);
            else rows.set(bucket, [row]);
          }
        }
        return { heads, rows };
      } catch (error) {
        if (!(error instanceof LakeObjectMissingError) || attempt >= 10) throw error;
      }
    }
  }

  /** The head and the rows of `keys`; a run removed by a concurrent compaction → re-read the head. */
  private async readBucket(
    bucket: number,
    keys: readonly string[] | undefined,
    where?: KeyedRowFilter,
  ): Promise<{ head: VersionedHead; rows: PortableRow[] }> {
    for (let attempt = 1; ; attempt++) {
      const head = await this.readHead(bucket);
      if (head.runs.length === 0) return { head, rows: [] };
      try {
        this.stats.bucketsRead++;
        const rows = await this.deps.parquet.readRuns(
          STATE_CONTAINER,
          head.runs.map((r) => ({ path: r.path, rank: r.generation })),
          this.spec.keyColumn,
          keys,
          where,
        );
        return { head, rows };
      } catch (error) {
        if (!(error instanceof LakeObjectMissingError) || attempt >= 10) throw error;
      }
    }
  }

  /**
   * Appends a run planned on `read` to the bucket's head. A head moved only by compactions (which
   * keep the generation: only writes raise it) holds the same rows per key, so the plan still
   * stands and the run is appended to it; undefined when a write committed since (re-plan).
   */
  private async commitRun(
    bucket: number,
    read: VersionedHead,
    run: RunEntry,
  ): Promise<VersionedHead | undefined> {
    let head = read;
    for (let attempt = 1; attempt <= 25; attempt++) {
      const committed = await this.commitHead(bucket, head, {
        generation: run.generation,
        runs: [...head.runs, run],
      });
      if (committed) return committed;
      head = await this.readHead(bucket);
      if (head.generation !== read.generation) return undefined;
    }
    return undefined;
  }

  /** Replaces the head only if it is still the one read; the new head with its ETag, or undefined. */
  private async commitHead(
    bucket: number,
    read: VersionedHead,
    next: BucketHead,
  ): Promise<VersionedHead | undefined> {
    const path = lakePaths.stateHead(this.spec.name, bucket);
    const { created, etag } = await this.deps.lake.put(STATE_CONTAINER, path, JSON.stringify(next), {
      ...(read.etag === null ? { ifNoneMatch: '*' as const } : { ifMatch: read.etag }),
      contentType: 'application/json',
    });
    if (!created) return undefined;
    // Without the new ETag, compaction waits for the next commit (it needs a head to match).
    return { ...next, etag: etag ?? null };
  }

  /**
   * Merges each entry's runs (a contiguous stretch of its bucket's head) into one run: one engine
   * pass per part of at most RUNS_PER_READ runs and ROWS_PER_COMPACTION rows (each bucket to its
   * own new run), then each head swapped (`commitCompaction`).
   */
  private async compactBuckets(list: readonly CompactionEntry[]): Promise<void> {
    const parts: CompactionEntry[][] = [];
    let part: CompactionEntry[] = [];
    let partRuns = 0;
    let partRows = 0;
    for (const entry of list) {
      const rows = entry.runs.reduce((n, r) => n + r.rows, 0);
      if (
        part.length > 0 &&
        (partRuns + entry.runs.length > RUNS_PER_READ || partRows + rows > ROWS_PER_COMPACTION)
      ) {
        parts.push(part);
        part = [];
        partRuns = 0;
        partRows = 0;
      }
      part.push(entry);
      partRuns += entry.runs.length;
      partRows += rows;
    }
    if (part.length > 0) parts.push(part);
    for (const entries of parts) {
      const planned = entries.map((entry) => {
        // Ranked as the newest run it replaces: runs appended after those still outrank it.
        const generation = Math.max(...entry.runs.map((r) => r.generation));
        return {
          ...entry,
          generation,
          to: lakePaths.stateRun(this.spec.name, entry.bucket, generation, randomUUID().slice(0, 8)),
        };
      });
      let written: readonly { readonly rows: number; readonly created: boolean }[];
      try {
        written = await this.deps.parquet.compactMany(
          STATE_CONTAINER,
          planned.map((p) => ({ runs: p.runs.map((r) => ({ path: r.path, rank: r.generation })), to: p.to })),
          this.spec.keyColumn,
        );
      } catch (error) {
        if (error instanceof LakeObjectMissingError) continue; // someone else compacted
        throw error;
      }
      await Promise.all(
        planned.map(async (p, i) => {
          const run = { path: p.to, generation: p.generation, rows: written[i]!.rows };
          if (!(await this.commitCompaction(p.bucket, p.head, p.runs, run))) {
            await this.deps.lake.delete(STATE_CONTAINER, p.to); // its runs were compacted by someone else
            return;
          }
          this.stats.compactions++;
          // Only now are the older runs unlisted; readers that read the old head re-read when they vanish.
          await Promise.all(p.runs.map((r) => this.deps.lake.delete(STATE_CONTAINER, r.path)));
        }),
      );
    }
  }

  /**
   * Swaps `merged` for `run` in the bucket's head where they stand, If-Match the head it read:
   * runs appended since `known` stay listed after it. A lost race re-reads the head and swaps again;
   * false when the merged runs are no longer all listed (another compaction took them).
   */
  private async commitCompaction(
    bucket: number,
    known: VersionedHead,
    merged: readonly RunEntry[],
    run: RunEntry,
  ): Promise<boolean> {
    let head = known;
    for (let attempt = 1; attempt <= 25; attempt++) {
      const at = head.runs.findIndex((r) => r.path === merged[0]!.path);
      const stretch = at < 0 ? [] : head.runs.slice(at, at + merged.length);
      const listed = stretch.length === merged.length && stretch.every((r, i) => r.path === merged[i]!.path);
      if (!listed || head.etag === null) return false;
      const runs = [...head.runs.slice(0, at), run, ...head.runs.slice(at + merged.length)];
      if (await this.commitHead(bucket, head, { generation: head.generation, runs })) return true;
      head = await this.readHead(bucket);
    }
    return false;
  }
}

/**
 * Size-tiered, on a bucket's runs in rank order: every run when the runs other than the largest
 * hold as many rows as it (so each row is rewritten a logarithmic number of times as it grows);
 * otherwise, once a bucket holds RUNS_BEFORE_COMPACTION runs, the runs after the largest (the small
 * recent ones, never the large one: a 1M-id state compacted whole on every eighth small write held
 * its writers for seconds). Undefined when nothing is due.
 */
export function compactionOf(runs: readonly RunEntry[]): readonly RunEntry[] | undefined {
  if (runs.length < 2) return undefined;
  let largest = 0;
  for (let i = 1; i < runs.length; i++) if (runs[i]!.rows > runs[largest]!.rows) largest = i;
  const rest = runs.reduce((n, r) => n + r.rows, 0) - runs[largest]!.rows;
  if (runs.length >= 3 && rest >= runs[largest]!.rows) return runs;
  if (runs.length < RUNS_BEFORE_COMPACTION) return undefined;
  const after = runs.slice(largest + 1);
  return after.length >= 2 ? after : runs;
}

/** One keyed state per key (e.g. per source table), made on first use and kept. */
export function keyedStatesBy<K extends string>(
  spec: (key: K) => KeyedStateSpec,
  deps: KeyedStateDeps,
): (key: K) => KeyedLakeState {
  const states = new Map<K, KeyedLakeState>();
  return (key) => {
    let state = states.get(key);
    if (!state) {
      state = new KeyedLakeState(spec(key), deps);
      states.set(key, state);
    }
    return state;
  };
}

/** Buckets (`state/bucket`) this process is compacting now. */
const compacting = new Set<string>();

const turns = new Map<string, Promise<void>>();
/** Waits for this process's earlier updates of the bucket; resolves with the release of this turn. */
async function bucketTurn(name: string): Promise<() => void> {
  const before = turns.get(name) ?? Promise.resolve();
  let release: () => void = () => undefined;
  const mine = new Promise<void>((resolve) => (release = resolve));
  const chained = before.then(() => mine);
  turns.set(name, chained);
  await before;
  return () => {
    release();
    if (turns.get(name) === chained) turns.delete(name);
  };
}

/** What a bucket's head object holds (JSON; contract of the state layout). */
interface BucketHead {
  readonly generation: number;
  /** In rank order (generation ascending). */
  readonly runs: readonly RunEntry[];
}

/** One run of a bucket: its object, its rank (the generation it was written at) and its rows. */
export interface RunEntry {
  readonly path: string;
  readonly generation: number;
  readonly rows: number;
}

/** A bucket as a commit left it. */
interface CommittedHead {
  readonly bucket: number;
  readonly head: VersionedHead;
}

/** A bucket and the stretch of its head's runs to merge. */
interface CompactionEntry extends CommittedHead {
  readonly runs: readonly RunEntry[];
}

/** What a commit loop returns: each bucket's plan result, and the buckets due a compaction. */
interface Committed<R> {
  readonly results: R[];
  readonly due: CommittedHead[];
}

interface VersionedHead extends BucketHead {
  /** null when the bucket has no head yet. */
  readonly etag: string | null;
}
