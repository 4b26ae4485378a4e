import { InvariantError } from '../../domain/errors.js';
import {
  canonicalTime,
  checkDimensionSpec,
  SCD2_HIGH_DATE,
  type DimensionChange,
  type DimensionSpec,
  type DimensionVersion,
} from '../../domain/scd2/dimension.js';
import {
  compareChanges,
  foldChanges,
  normaliseChange,
  type AppliedChange,
  type ChangeOutcome,
} from '../../domain/scd2/scd2-merge.js';
import type { PortableColumn, PortableRow } from '../../domain/gold/portable-types.js';
import { KeyedLakeState, type KeyedStateDeps } from '../lake-state/keyed-lake-state.js';
import type { Clock } from '../ports/clock.port.js';
import type { Logger } from '../ports/logger.port.js';

/**
 * SCD2 state in the lake (docs/adr/0006-state-in-the-lake.md): one keyed state per dimension,
 * `scd2-<dimension table>`, bucketed by a hash of the member key. A member's rows (its change log `c`
 * and its versions `v`) always travel together, so one bucket run replaces a member's history
 * whole, atomically. A merge reads each touched bucket once (only the touched members' rows),
 * folds each member's full change log with the pure fold (shared/domain/scd2/scd2-merge.ts) and
 * commits one run per touched bucket.
 */

/** Counts of one merge. Every received change lands in exactly one of the outcome counts. */
export interface Scd2MergeReport {
  readonly dimension: string;
  readonly received: number;
  readonly members: number;
  /** First version of a member. */
  readonly inserted: number;
  /** Current version closed and a new one opened. */
  readonly updated: number;
  /** Tracked attributes equal to the current version (no new version). */
  readonly unchanged: number;
  /** Untracked attributes overwritten on the version they fall in (`untracked: 'type1'`). */
  readonly type1Overwritten: number;
  readonly deleted: number;
  /** A member re-appearing after a delete. */
  readonly resurrected: number;
  /** Changes earlier (business time, capture time, change id) than one already applied, stitched in. */
  readonly lateStitched: number;
  /** Change ids already applied (redelivery, re-run). */
  readonly duplicates: number;
  /** Change ids already applied with different content: ignored (first delivery wins) and logged. */
  readonly conflicts: number;
  /** Deletes under `deleteMode: 'ignore'`. */
  readonly ignoredDeletes: number;
  /** Bucket commits re-planned after losing a race with a concurrent merge. */
  readonly retries: number;
  /** Buckets read and runs written (one each per touched bucket unless a race was lost). */
  readonly bucketsRead: number;
  readonly runsWritten: number;
  readonly durationMs: number;
}

/**
 * How new a member's history is, for the warehouse's newer-wins apply of a dimension replaced member
 * by member (docs/warehouse-apply.md): the newest capture time in the member's change log, then how
 * many changes the log holds. Merges of a member commit one after another (the bucket head's ETag),
 * so a later merge's log is a superset of an earlier one's: never older on both counts. The versions
 * alone cannot say this (a change that extends a version, or a late one that re-cuts history, does
 * not raise the newest `recorded_at` of the versions).
 */
export interface MemberSourceVersion {
  /** Newest `recorded_at` among the member's changes. */
  readonly capturedAt: string;
  /** Changes in the member's log. */
  readonly changes: number;
}

/**
 * A merge's report, every version of every member the batch touched (for the gold change set) and
 * each touched member's source version, as committed by this merge.
 */
export interface Scd2MergeResult extends Scd2MergeReport {
  readonly versions: ReadonlyMap<string, readonly DimensionVersion[]>;
  readonly sources: ReadonlyMap<string, MemberSourceVersion>;
}

export interface Scd2MergeDeps extends KeyedStateDeps {
  readonly clock: Clock;
  readonly logger: Logger;
}

export interface Scd2MergeOptions {
  /** Buckets merged at once (default 4). */
  readonly concurrency?: number;
  /** Commit attempts per bucket after losing races (default 25). */
  readonly maxAttempts?: number;
  /**
   * Merges of one dimension in this process wait for each other (default true): it saves re-folding
   * lost races. Tests that stand in for separate processes racing turn it off.
   */
  readonly inProcessTurns?: boolean;
}

/** Buckets per dimension (fixed: changing it needs a rebuild of the state). */
export const SCD2_BUCKETS = 16;

/** The rows of a member's history, beside its change log (`row_kind` 'c'). */
const VERSION_ROWS = { column: 'row_kind', equals: 'v' } as const;

const COLUMNS: readonly PortableColumn[] = [
  { name: 'member', type: 'string', nullable: false },
  { name: 'row_kind', type: 'string', nullable: false },
  { name: 'change_id', type: 'string', nullable: false },
  { name: 'kind', type: 'string', nullable: true },
  { name: 'effective_at', type: 'string', nullable: true },
  { name: 'recorded_at', type: 'string', nullable: true },
  { name: 'content_hash', type: 'string', nullable: true },
  { name: 'row_hash', type: 'string', nullable: true },
  { name: 'attributes', type: 'string', nullable: true },
  { name: 'surrogate_key', type: 'string', nullable: true },
  { name: 'valid_from', type: 'string', nullable: true },
  { name: 'valid_to', type: 'string', nullable: true },
  { name: 'is_current', type: 'boolean', nullable: true },
  { name: 'is_deleted', type: 'boolean', nullable: true },
];

/** The keyed lake state holding a dimension's histories. */
export function dimensionState(
  dimension: DimensionSpec,
  deps: KeyedStateDeps,
  options: Scd2MergeOptions = {},
): KeyedLakeState {
  return new KeyedLakeState(
    { name: `scd2-${dimension.table}`, buckets: SCD2_BUCKETS, keyColumn: 'member', columns: COLUMNS },
    deps,
    {
      ...(options.concurrency !== undefined && { concurrency: options.concurrency }),
      ...(options.maxAttempts !== undefined && { maxAttempts: options.maxAttempts }),
      ...(options.inProcessTurns !== undefined && { inProcessTurns: options.inProcessTurns }),
    },
  );
}

/**
 * Merges a batch of dimension changes into the SCD2 history of `dimension`.
 *
 * Guarantees:
 * - the history of a member depends only on the set of its changes (by change id), never on
 *   delivery order, batching or repetition: a re-run or double delivery writes nothing new;
 * - a member's history is replaced whole in one bucket run, committed only if no other merge
 *   committed to that bucket since it was read, so concurrent merges never interleave a member's
 *   versions (the loser re-reads and re-folds);
 * - late changes are stitched: the member's full change log is folded again with them in place.
 * Throws `InputError` for a malformed change (before writing anything), `ConcurrencyError` when a
 * bucket kept changing under it, `InfrastructureError` when storage fails: the activity retries.
 */
export async function mergeDimensionChanges(
  dimension: DimensionSpec,
  changes: readonly DimensionChange[],
  deps: Scd2MergeDeps,
  options: Scd2MergeOptions = {},
): Promise<Scd2MergeResult> {
  const started = deps.clock.now().getTime();
  checkDimensionSpec(dimension);
  const logger = deps.logger.child({ dimension: dimension.name });
  const counts = newCounts();
  const byKey = new Map<string, AppliedChange[]>();
  const keys: string[] = [];
  for (const change of changes) {
    const applied = normaliseChange(change, dimension);
    if (applied.kind === 'delete' && dimension.deleteMode === 'ignore') {
      counts.ignoredDeletes++;
      continue;
    }
    let list = byKey.get(change.key);
    if (!list) {
      list = [];
      byKey.set(change.key, list);
      keys.push(change.key);
    }
    list.push(applied);
  }
  const incoming = new Map<string, AppliedChange[]>();
  for (const [key, list] of byKey) incoming.set(key, uniqueInOrder(list, counts, logger));

  const state = dimensionState(dimension, deps, options);
  const versions = new Map<string, readonly DimensionVersion[]>();
  const sources = new Map<string, MemberSourceVersion>();
  // Merges of one dimension in this process take turns: correctness comes from the bucket commits
  // (other processes and instances still race safely); this only saves re-folding lost races.
  let turnWaitMs = 0;
  const merge = () => {
    turnWaitMs = deps.clock.now().getTime() - started;
    return state.update(keys, (existing, bucketKeys) =>
      planBucket(dimension, existing, bucketKeys, incoming, logger),
    );
  };
  const planned = options.inProcessTurns === false ? await merge() : await inTurn(dimension.table, merge);
  for (const plan of planned) {
    for (const [name, n] of Object.entries(plan.tally) as [keyof Counts, number][]) counts[name] += n;
    for (const [key, history] of plan.versions) versions.set(key, history);
    for (const [key, source] of plan.sources) sources.set(key, source);
  }
  const report: Scd2MergeReport = {
    dimension: dimension.name,
    received: changes.length,
    members: keys.length,
    ...counts,
    retries: state.stats.retries,
    bucketsRead: state.stats.bucketsRead,
    runsWritten: state.stats.runsWritten,
    durationMs: deps.clock.now().getTime() - started,
  };
  const ms = (n: number) => Math.round(n);
  logger.info('scd2 merge done', {
    ...report,
    turnWaitMs,
    readMs: ms(state.stats.readMs),
    planMs: ms(state.stats.planMs),
    writeMs: ms(state.stats.writeMs),
    commitMs: ms(state.stats.commitMs),
    compactMs: ms(state.stats.compactMs),
  });
  return { ...report, versions, sources };
}

/** Every version of every member (for the gold dimension), bucket by bucket. */
export async function* readDimension(
  dimension: DimensionSpec,
  deps: KeyedStateDeps,
): AsyncIterable<DimensionVersion> {
  const state = dimensionState(dimension, deps);
  for (let bucket = 0; bucket < SCD2_BUCKETS; bucket++) {
    const members = decodeMembers(await state.readBucketRows(bucket));
    for (const key of [...members.keys()].sort()) yield* members.get(key)!.versions;
  }
}

/** The versions of each given member in business-time order (one read per touched bucket). */
export async function readMemberHistories(
  dimension: DimensionSpec,
  keys: readonly string[],
  deps: KeyedStateDeps,
): Promise<Map<string, DimensionVersion[]>> {
  // Versions only: a member's change log (most of its rows) is what a merge needs, not a reader.
  const members = decodeMembers(await dimensionState(dimension, deps).read(keys, VERSION_ROWS));
  const out = new Map<string, DimensionVersion[]>();
  for (const key of keys) out.set(key, members.get(key)?.versions ?? []);
  return out;
}

/**
 * Each given member's versions as the pipeline knew them at system time `asOf`: the member's change
 * log cut to the changes recorded (captured) at or before `asOf`, folded again. A late change
 * recorded after `asOf` that re-cut the history is not in it; a member unknown then has no
 * versions. Read-only (one read per touched bucket).
 */
export async function readMemberHistoriesAsOf(
  dimension: DimensionSpec,
  keys: readonly string[],
  asOf: string,
  deps: KeyedStateDeps,
): Promise<Map<string, DimensionVersion[]>> {
  const cut = canonicalTime(asOf, 'asOf', 'as-of read');
  const members = decodeMembers(await dimensionState(dimension, deps).read(keys));
  const out = new Map<string, DimensionVersion[]>();
  for (const key of keys) {
    const known = (members.get(key)?.changes ?? []).filter((c) => c.recordedAt <= cut).sort(compareChanges);
    if (known.length === 0) {
      out.set(key, []);
      continue;
    }
    const folded = foldChanges(dimension, key, { versions: [], existed: false, partial: false }, known);
    if (folded.kind !== 'folded')
      throw new InvariantError(
        `scd2: the fold of a full change log asked for more history (${dimension.name})`,
      );
    out.set(key, [...folded.history.versions]);
  }
  return out;
}

/** One member's versions in business-time order (empty when unknown). */
export async function readMemberHistory(
  dimension: DimensionSpec,
  key: string,
  deps: KeyedStateDeps,
): Promise<DimensionVersion[]> {
  return (await readMemberHistories(dimension, [key], deps)).get(key) ?? [];
}

// ---------------------------------------------------------------------------------------------------

const turns = new Map<string, Promise<unknown>>();
/** Runs `work` after every earlier `inTurn` of the same name in this process has settled. */
async function inTurn<T>(name: string, work: () => Promise<T>): Promise<T> {
  const before = turns.get(name) ?? Promise.resolve();
  const mine = before.catch(() => undefined).then(work);
  turns.set(name, mine);
  try {
    return await mine;
  } finally {
    if (turns.get(name) === mine) turns.delete(name);
  }
}

type Counts = {
  -readonly [
    K in keyof Omit<
      Scd2MergeReport,
      'dimension' | 'received' | 'members' | 'durationMs' | 'retries' | 'bucketsRead' | 'runsWritten'
    >
  ]: number;
};
function newCounts(): Counts {
  return {
    inserted: 0,
    updated: 0,
    unchanged: 0,
    type1Overwritten: 0,
    deleted: 0,
    resurrected: 0,
    lateStitched: 0,
    duplicates: 0,
    conflicts: 0,
    ignoredDeletes: 0,
  };
}
const outcomeCount: Record<ChangeOutcome, keyof Counts> = {
  inserted: 'inserted',
  updated: 'updated',
  unchanged: 'unchanged',
  type1: 'type1Overwritten',
  deleted: 'deleted',
  resurrected: 'resurrected',
};

interface MemberRows {
  changes: AppliedChange[];
  versions: DimensionVersion[];
}

interface BucketOutcome {
  readonly tally: Partial<Counts>;
  readonly versions: Map<string, DimensionVersion[]>;
  readonly sources: Map<string, MemberSourceVersion>;
}

/** How new a member's history is: the newest capture time in its change log, then the log's length. */
function sourceVersionOf(changes: readonly AppliedChange[]): MemberSourceVersion {
  let capturedAt = '';
  for (const c of changes) if (c.recordedAt > capturedAt) capturedAt = c.recordedAt;
  return { capturedAt, changes: changes.length };
}

/** Pure: the rows replacing the bucket's touched members, their versions and the outcome counts. */
function planBucket(
  dimension: DimensionSpec,
  existing: PortableRow[],
  keys: readonly string[],
  incoming: ReadonlyMap<string, AppliedChange[]>,
  logger: Logger,
): { rows: PortableRow[]; result: BucketOutcome } {
  const tally: Partial<Counts> = {};
  const add = (name: keyof Counts, n = 1) => (tally[name] = (tally[name] ?? 0) + n);
  const stored = decodeMembers(existing);
  const rows: PortableRow[] = [];
  const versions = new Map<string, DimensionVersion[]>();
  const sources = new Map<string, MemberSourceVersion>();
  for (const key of keys) {
    const member = stored.get(key) ?? { changes: [], versions: [] };
    const logged = new Map(member.changes.map((c) => [c.changeId, c]));
    const fresh: AppliedChange[] = [];
    for (const c of incoming.get(key) ?? []) {
      const seen = logged.get(c.changeId);
      if (!seen) fresh.push(c);
      else if (seen.contentHash === c.contentHash) add('duplicates');
      else {
        add('conflicts');
        logger.warn('scd2 change id already applied with different content; ignored', {
          code: 'SCD2_CHANGE_CONFLICT',
          changeId: c.changeId,
        });
      }
    }
    if (fresh.length === 0) {
      versions.set(key, member.versions);
      sources.set(key, sourceVersionOf(member.changes));
      continue;
    }
    const last = member.changes[member.changes.length - 1];
    const all = [...member.changes, ...fresh].sort(compareChanges);
    const folded = foldChanges(dimension, key, { versions: [], existed: false, partial: false }, all);
    if (folded.kind !== 'folded')
      throw new InvariantError('unreachable: a full fold never needs more history');
    for (const c of fresh) {
      const outcome = folded.outcomes.get(c.changeId);
      if (last && compareChanges(c, last) <= 0) add('lateStitched');
      else add(outcome ? outcomeCount[outcome] : 'unchanged');
    }
    const after = [...folded.history.versions];
    versions.set(key, after);
    sources.set(key, sourceVersionOf(all));
    for (const c of all) rows.push(changeRow(key, c));
    for (const v of after) rows.push(versionRow(v));
  }
  return { rows, result: { tally, versions, sources } };
}

/** The batch's changes of one member in apply order, each change id once. */
function uniqueInOrder(list: AppliedChange[], counts: Counts, logger: Logger): AppliedChange[] {
  const seen = new Map<string, AppliedChange>();
  for (const c of list) {
    const first = seen.get(c.changeId);
    if (!first) seen.set(c.changeId, c);
    else if (first.contentHash === c.contentHash) counts.duplicates++;
    else {
      counts.conflicts++;
      logger.warn('scd2 change id delivered twice with different content; first kept', {
        code: 'SCD2_CHANGE_CONFLICT',
        changeId: c.changeId,
      });
    }
  }
  return [...seen.values()].sort(compareChanges);
}

function changeRow(key: string, c: AppliedChange): PortableRow {
  return {
    member: key,
    row_kind: 'c',
    change_id: c.changeId,
    kind: c.kind,
    effective_at: c.effectiveAt,
    recorded_at: c.recordedAt,
    content_hash: c.contentHash,
    row_hash: c.rowHash,
    attributes: c.attributes ? JSON.stringify(c.attributes) : null,
    surrogate_key: null,
    valid_from: null,
    valid_to: null,
    is_current: null,
    is_deleted: null,
  };
}

function versionRow(v: DimensionVersion): PortableRow {
  return {
    member: v.key,
    row_kind: VERSION_ROWS.equals,
    change_id: v.changeId,
    kind: null,
    effective_at: null,
    recorded_at: v.recordedAt,
    content_hash: null,
    row_hash: v.rowHash,
    attributes: JSON.stringify(v.attributes),
    surrogate_key: v.surrogateKey,
    valid_from: v.validFrom,
    valid_to: v.validTo,
    is_current: v.isCurrent,
    is_deleted: v.isDeleted,
  };
}

const text = (value: PortableRow[string] | undefined): string =>
  typeof value === 'string' ? value : value === null || value === undefined ? '' : String(value);

function decodeMembers(rows: readonly PortableRow[]): Map<string, MemberRows> {
  const members = new Map<string, MemberRows>();
  for (const row of rows) {
    const key = text(row.member);
    let member = members.get(key);
    if (!member) {
      member = { changes: [], versions: [] };
      members.set(key, member);
    }
    if (row.row_kind === 'c')
      member.changes.push({
        changeId: text(row.change_id),
        kind: row.kind === 'delete' ? 'delete' : 'upsert',
        effectiveAt: text(row.effective_at),
        recordedAt: text(row.recorded_at),
        attributes:
          typeof row.attributes === 'string' ? (JSON.parse(row.attributes) as Record<string, never>) : null,
        rowHash: typeof row.row_hash === 'string' ? row.row_hash : null,
        contentHash: text(row.content_hash),
      });
    else
      member.versions.push({
        key,
        surrogateKey: text(row.surrogate_key),
        validFrom: text(row.valid_from),
        validTo: text(row.valid_to),
        isCurrent: row.is_current === true && row.valid_to === SCD2_HIGH_DATE,
        isDeleted: row.is_deleted === true,
        rowHash: text(row.row_hash),
        recordedAt: text(row.recorded_at),
        changeId: text(row.change_id),
        attributes: JSON.parse(text(row.attributes)) as Record<string, never>,
      });
  }
  for (const member of members.values()) {
    member.changes.sort(compareChanges);
    member.versions.sort((a, b) => (a.validFrom < b.validFrom ? -1 : a.validFrom > b.validFrom ? 1 : 0));
  }
  return members;
}
