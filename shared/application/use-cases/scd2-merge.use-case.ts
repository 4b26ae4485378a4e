import { setTimeout as sleep } from 'node:timers/promises';
import {
  checkDimensionSpec,
  MEMBER_BUCKETS,
  memberBucket,
  SCD2_HIGH_DATE,
  type DimensionChange,
  type DimensionSpec,
  type DimensionVersion,
} from '../../domain/scd2/dimension.js';
import {
  compareChanges,
  diffVersions,
  foldChanges,
  normaliseChange,
  versionRowKey,
  type AppliedChange,
  type ChangeOutcome,
  type MemberHistory,
} from '../../domain/scd2/scd2-merge.js';
import { ConcurrencyError, InfrastructureError } from '../../domain/errors.js';
import type { Clock } from '../ports/clock.port.js';
import type { Logger } from '../ports/logger.port.js';
import type { StateEntity, StateOperation, StateStore, StateValue } from '../ports/state-store.port.js';

/**
 * SCD2 state on the `StateStore` port (Table storage; Azurite locally). Layout per dimension
 * (docs/adr/0003-scd2-state.md):
 * - table `<spec.table>`, partition = member key, so one member's history is one partition and one
 *   entity-group transaction updates it atomically. Row keys:
 *   `current` (pointer: the current version, its hash, the last change applied),
 *   `v|<valid_from>|<surrogate_key>` (versions), `c|<change_id>` (the change log);
 * - table `<spec.table>members`, partition = `memberBucket(key)` (16), row key = member key: the
 *   member index that `readDimension` walks.
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
  /** Changes earlier (business time, then change id) than one already applied, stitched into history. */
  readonly lateStitched: number;
  /** Change ids already applied (redelivery, re-run). */
  readonly duplicates: number;
  /** Change ids already applied with different content: ignored (first delivery wins) and logged. */
  readonly conflicts: number;
  /** Deletes under `deleteMode: 'ignore'`. */
  readonly ignoredDeletes: number;
  /** Transactions re-planned after losing an optimistic-concurrency race. */
  readonly retries: number;
  readonly transactions: number;
  /** Point reads (pointer and change-log rows) and partition reads (late arrivals only). */
  readonly pointReads: number;
  readonly historyReads: number;
  readonly durationMs: number;
}

export interface Scd2MergeDeps {
  readonly state: StateStore;
  readonly clock: Clock;
  readonly logger: Logger;
}

export interface Scd2MergeOptions {
  /** Members merged at once (default 16). */
  readonly concurrency?: number;
  /** Re-plans of one member after a concurrency conflict before giving up (default 10). */
  readonly maxRetries?: number;
}

const POINTER = 'current';
const MAX_TRANSACTION = 100;
/** Changes of one member per transaction: each costs at most 4 writes (24 × 4 + the pointer ≤ 100). */
const CHUNK = 24;

/**
 * Merges a batch of dimension changes into the SCD2 history of `dimension`.
 *
 * Guarantees:
 * - each member's writes go in ONE transaction per chunk of its changes, conditional on the pointer
 *   etag read (or the pointer's absence), so concurrent merges can never leave two current versions
 *   or overlapping ones: the loser gets `ConcurrencyError`, re-reads and re-plans (bounded retries);
 * - the history of a member depends only on the set of its changes (by change id), never on delivery
 *   order, batching or repetition: a re-run or double delivery writes nothing;
 * - an in-order change costs one point read (the pointer) and one transaction; a change that may have
 *   been seen costs one more point read; only a late change reads the member's partition.
 * Throws `InputError` for a malformed change (before writing anything), `ConcurrencyError` when a
 * member kept changing under it, `InfrastructureError` when storage fails: the activity retries.
 */
export async function mergeDimensionChanges(
  dimension: DimensionSpec,
  changes: readonly DimensionChange[],
  deps: Scd2MergeDeps,
  options: Scd2MergeOptions = {},
): Promise<Scd2MergeReport> {
  const started = deps.clock.now().getTime();
  checkDimensionSpec(dimension);
  const logger = deps.logger.child({ dimension: dimension.name });
  const counts = newCounts();
  const byKey = new Map<string, AppliedChange[]>();
  for (const change of changes) {
    const applied = normaliseChange(change, dimension);
    if (applied.kind === 'delete' && dimension.deleteMode === 'ignore') {
      counts.ignoredDeletes++;
      continue;
    }
    const list = byKey.get(change.key);
    if (list) list.push(applied);
    else byKey.set(change.key, [applied]);
  }
  await ensureTablesOnce(deps.state, dimension);

  const keys = [...byKey.keys()];
  const ctx: MemberContext = {
    dimension,
    state: deps.state,
    logger,
    counts,
    maxRetries: options.maxRetries ?? 10,
  };
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    // After a failure, members in flight finish and no new one starts; the batch then fails whole
    // (a retry re-applies it idempotently).
    while (!failure && next < keys.length) {
      const key = keys[next++]!;
      try {
        await mergeMember(ctx, key, uniqueInOrder(byKey.get(key)!, counts, logger));
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency ?? 16, keys.length) }, worker));
  if (failure) {
    logger.error('scd2 merge failed; the batch can be retried as it is', {
      code: 'SCD2_MERGE_FAILED',
      membersStarted: next,
      members: keys.length,
    });
    throw failure.error;
  }

  const report: Scd2MergeReport = {
    dimension: dimension.name,
    received: changes.length,
    members: keys.length,
    ...counts,
    durationMs: deps.clock.now().getTime() - started,
  };
  logger.info('scd2 merge done', { ...report });
  return report;
}

/** Every version of every member (for the gold dimension), member by member via the member index. */
export async function* readDimension(
  dimension: DimensionSpec,
  deps: { readonly state: StateStore },
): AsyncIterable<DimensionVersion> {
  const window = 32;
  for (const bucket of MEMBER_BUCKETS) {
    const keys: string[] = [];
    for await (const entry of deps.state.list(memberIndexTable(dimension), bucket)) keys.push(entry.rowKey);
    for (let i = 0; i < keys.length; i += window) {
      const histories = await Promise.all(
        keys.slice(i, i + window).map((key) => readMemberHistory(dimension, key, deps)),
      );
      for (const history of histories) yield* history;
    }
  }
}

/** One member's versions in business-time order (empty when unknown). */
export async function readMemberHistory(
  dimension: DimensionSpec,
  key: string,
  deps: { readonly state: StateStore },
): Promise<DimensionVersion[]> {
  const versions: DimensionVersion[] = [];
  for await (const row of deps.state.list<VersionRow>(dimension.table, key, {
    fromRowKey: 'v|',
    toRowKey: 'v}',
  }))
    versions.push(fromVersionRow(key, row.value));
  return versions;
}

/** The member-index table of a dimension. */
export function memberIndexTable(dimension: DimensionSpec): string {
  return `${dimension.table}members`;
}

// ---------------------------------------------------------------------------------------------------

type Counts = {
  -readonly [K in keyof Omit<Scd2MergeReport, 'dimension' | 'received' | 'members' | 'durationMs'>]: number;
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
    retries: 0,
    transactions: 0,
    pointReads: 0,
    historyReads: 0,
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

interface MemberContext {
  readonly dimension: DimensionSpec;
  readonly state: StateStore;
  readonly logger: Logger;
  readonly counts: Counts;
  readonly maxRetries: number;
}

type VersionRow = {
  business_key: string;
  surrogate_key: string;
  valid_from: string;
  valid_to: string;
  is_current: boolean;
  is_deleted: boolean;
  row_hash: string;
  recorded_at: string;
  change_id: string;
  attributes: string;
};
type ChangeRow = {
  change_id: string;
  kind: string;
  effective_at: string;
  recorded_at: string;
  content_hash: string;
  row_hash?: string;
  attributes?: string;
};
type PointerRow = {
  last_effective_at: string;
  last_change_id: string;
  existed: boolean;
  change_count: number;
  version_count: number;
  /** Absent when no version is current (never existed, or invalidated). */
  current_row_key?: string;
  row_hash?: string;
  current_version?: string;
};

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

async function mergeMember(
  ctx: MemberContext,
  key: string,
  changes: readonly AppliedChange[],
): Promise<void> {
  let size = CHUNK;
  for (let i = 0; i < changes.length;) {
    const chunk = changes.slice(i, i + size);
    if ((await mergeChunk(ctx, key, chunk)) === 'too-large') {
      if (size === 1)
        throw new InfrastructureError(
          'SCD2_TRANSACTION_TOO_LARGE',
          `scd2 ${ctx.dimension.name}: one change needs more than ${MAX_TRANSACTION} writes in one member's history`,
        );
      size = Math.max(1, size >> 1);
      continue;
    }
    i += chunk.length;
  }
}

async function mergeChunk(
  ctx: MemberContext,
  key: string,
  chunk: readonly AppliedChange[],
): Promise<'done' | 'too-large'> {
  for (let attempt = 0; ; attempt++) {
    // After a lost race, check every change id against the log: the winner may have applied some.
    const plan = await planChunk(ctx, key, chunk, attempt > 0);
    if (plan.operations.length > MAX_TRANSACTION) return 'too-large';
    if (plan.operations.length > 0) {
      try {
        // Index first (idempotent): a crash in between leaves an index entry for an empty member,
        // which readers skip; the reverse order could hide a member from readDimension forever.
        if (plan.newMember)
          await ctx.state.upsert(memberIndexTable(ctx.dimension), memberBucket(key), key, {
            business_key: key,
          });
        await ctx.state.transact(ctx.dimension.table, key, plan.operations);
        ctx.counts.transactions++;
      } catch (error) {
        if (!(error instanceof ConcurrencyError)) throw error;
        if (attempt >= ctx.maxRetries) {
          ctx.logger.error('scd2 member kept changing concurrently; giving up', {
            code: 'SCD2_RETRIES_EXHAUSTED',
            attempts: attempt + 1,
          });
          throw new ConcurrencyError(
            `scd2 ${ctx.dimension.name}: a member changed concurrently on ${attempt + 1} attempts; retry the batch`,
            { cause: error },
          );
        }
        ctx.counts.retries++;
        await sleep(Math.min(200, 2 ** attempt));
        continue;
      }
    }
    for (const [name, n] of Object.entries(plan.tally) as [keyof Counts, number][]) ctx.counts[name] += n;
    return 'done';
  }
}

interface ChunkPlan {
  readonly operations: StateOperation[];
  readonly newMember: boolean;
  readonly tally: Partial<Counts>;
}

async function planChunk(
  ctx: MemberContext,
  key: string,
  chunk: readonly AppliedChange[],
  verifyAll: boolean,
): Promise<ChunkPlan> {
  const { dimension, state } = ctx;
  const tally: Partial<Counts> = {};
  const add = (name: keyof Counts, n = 1) => (tally[name] = (tally[name] ?? 0) + n);
  let pointer = await state.get<PointerRow>(dimension.table, key, POINTER);
  add('pointReads');
  const last = pointer && {
    effectiveAt: pointer.value.last_effective_at,
    changeId: pointer.value.last_change_id,
  };

  // Anything at or before the last applied change may be a redelivery: one point read tells.
  const maybeSeen = chunk.filter((c) => verifyAll || (last && compareChanges(c, last) <= 0));
  const stored = await Promise.all(
    maybeSeen.map((c) => state.get<ChangeRow>(dimension.table, key, changeRowKey(c.changeId))),
  );
  add('pointReads', maybeSeen.length);
  const known = new Map(stored.flatMap((row) => (row ? [[row.value.change_id, row.value] as const] : [])));
  const fresh: AppliedChange[] = [];
  const late = new Set<string>();
  for (const c of chunk) {
    const seen = known.get(c.changeId);
    if (seen) {
      if (seen.content_hash === c.contentHash) add('duplicates');
      else conflict(ctx, c, add);
      continue;
    }
    if (last && compareChanges(c, last) <= 0) late.add(c.changeId);
    fresh.push(c);
  }
  if (fresh.length === 0) return { operations: [], newMember: false, tally };

  let before: DimensionVersion[] = [];
  let folded: ReturnType<typeof foldChanges> = { kind: 'needs-history' };
  let toApply = fresh;
  if (late.size === 0) {
    const current = pointer?.value.current_version
      ? (JSON.parse(pointer.value.current_version) as DimensionVersion)
      : undefined;
    before = current ? [current] : [];
    const start: MemberHistory = { versions: before, existed: pointer?.value.existed ?? false };
    folded = foldChanges(dimension, key, { ...start, partial: true }, fresh);
  }
  if (folded.kind === 'needs-history') {
    // Late arrival (or a change at the current version's own business time): fold the whole log.
    const history = await readPartition(ctx, key);
    add('historyReads');
    pointer = history.pointer;
    const inLog = new Set(history.changes.map((c) => c.changeId));
    toApply = fresh.filter((c) => {
      if (!inLog.has(c.changeId)) return true;
      const logged = history.changes.find((l) => l.changeId === c.changeId)!;
      if (logged.contentHash === c.contentHash) add('duplicates');
      else conflict(ctx, c, add);
      return false;
    });
    if (toApply.length === 0) return { operations: [], newMember: false, tally };
    before = history.versions;
    const all = [...history.changes, ...toApply].sort(compareChanges);
    folded = foldChanges(dimension, key, { versions: [], existed: false, partial: false }, all);
    if (folded.kind !== 'folded') throw new Error('unreachable: a full fold never needs more history');
  }
  const newIds = new Set(toApply.map((c) => c.changeId));
  for (const [id, outcome] of folded.outcomes)
    if (newIds.has(id)) add(late.has(id) ? 'lateStitched' : outcomeCount[outcome]);
  for (const c of toApply) if (!folded.outcomes.has(c.changeId)) add('unchanged');

  const after = folded.history.versions;
  const diff = diffVersions(before, after);
  const operations: StateOperation[] = [
    ...toApply.map((c): StateOperation => ({
      kind: 'insert',
      rowKey: changeRowKey(c.changeId),
      value: toChangeRow(c),
    })),
    ...diff.remove.map((v): StateOperation => ({ kind: 'delete', rowKey: versionRowKey(v) })),
    ...diff.insert.map((v): StateOperation => ({
      kind: 'insert',
      rowKey: versionRowKey(v),
      value: toVersionRow(v),
    })),
    ...diff.replace.map((v): StateOperation => ({
      kind: 'upsert',
      rowKey: versionRowKey(v),
      value: toVersionRow(v),
    })),
  ];
  const newest = toApply[toApply.length - 1]!;
  const logged = pointer && {
    effectiveAt: pointer.value.last_effective_at,
    changeId: pointer.value.last_change_id,
  };
  const lastApplied = logged && compareChanges(logged, newest) > 0 ? logged : newest;
  const current = after[after.length - 1]?.isCurrent ? after[after.length - 1] : undefined;
  const pointerRow: PointerRow = {
    last_effective_at: lastApplied.effectiveAt,
    last_change_id: lastApplied.changeId,
    existed: folded.history.existed,
    change_count: (pointer?.value.change_count ?? 0) + toApply.length,
    version_count: (pointer?.value.version_count ?? 0) + diff.insert.length - diff.remove.length,
    ...(current && {
      current_row_key: versionRowKey(current),
      row_hash: current.rowHash,
      current_version: JSON.stringify(current),
    }),
  };
  operations.push(
    pointer
      ? { kind: 'update', rowKey: POINTER, value: pointerRow, etag: pointer.etag }
      : { kind: 'insert', rowKey: POINTER, value: pointerRow },
  );
  return { operations, newMember: !pointer, tally };
}

function conflict(ctx: MemberContext, c: AppliedChange, add: (name: keyof Counts) => void): void {
  add('conflicts');
  ctx.logger.warn('scd2 change id already applied with different content; ignored', {
    code: 'SCD2_CHANGE_CONFLICT',
    changeId: c.changeId,
  });
}

async function readPartition(
  ctx: MemberContext,
  key: string,
): Promise<{
  pointer: StateEntity<PointerRow> | undefined;
  changes: AppliedChange[];
  versions: DimensionVersion[];
}> {
  let pointer: StateEntity<PointerRow> | undefined;
  const changes: AppliedChange[] = [];
  const versions: DimensionVersion[] = [];
  for await (const row of ctx.state.list<StateValue>(ctx.dimension.table, key)) {
    if (row.rowKey === POINTER) pointer = row as StateEntity<PointerRow>;
    else if (row.rowKey.startsWith('c|')) changes.push(fromChangeRow(row.value as ChangeRow));
    else if (row.rowKey.startsWith('v|')) versions.push(fromVersionRow(key, row.value as VersionRow));
  }
  return { pointer, changes: changes.sort(compareChanges), versions };
}

function changeRowKey(changeId: string): string {
  return `c|${changeId}`;
}

function toChangeRow(c: AppliedChange): ChangeRow {
  return {
    change_id: c.changeId,
    kind: c.kind,
    effective_at: c.effectiveAt,
    recorded_at: c.recordedAt,
    content_hash: c.contentHash,
    ...(c.rowHash !== null && { row_hash: c.rowHash }),
    ...(c.attributes && { attributes: attributesJson(c.attributes) }),
  };
}

function fromChangeRow(row: ChangeRow): AppliedChange {
  return {
    changeId: row.change_id,
    kind: row.kind === 'delete' ? 'delete' : 'upsert',
    effectiveAt: row.effective_at,
    recordedAt: row.recorded_at,
    attributes: row.attributes === undefined ? null : (JSON.parse(row.attributes) as Record<string, never>),
    rowHash: row.row_hash ?? null,
    contentHash: row.content_hash,
  };
}

function toVersionRow(v: DimensionVersion): VersionRow {
  return {
    business_key: v.key,
    surrogate_key: v.surrogateKey,
    valid_from: v.validFrom,
    valid_to: v.validTo,
    is_current: v.isCurrent,
    is_deleted: v.isDeleted,
    row_hash: v.rowHash,
    recorded_at: v.recordedAt,
    change_id: v.changeId,
    attributes: attributesJson(v.attributes),
  };
}

function fromVersionRow(key: string, row: VersionRow): DimensionVersion {
  return {
    key,
    surrogateKey: row.surrogate_key,
    validFrom: row.valid_from,
    validTo: row.valid_to,
    isCurrent: row.is_current && row.valid_to === SCD2_HIGH_DATE,
    isDeleted: row.is_deleted,
    rowHash: row.row_hash,
    recordedAt: row.recorded_at,
    changeId: row.change_id,
    attributes: JSON.parse(row.attributes) as Record<string, never>,
  };
}

/** Attributes as JSON (NULL kept as null: Table storage would drop a null property). */
function attributesJson(attributes: Readonly<Record<string, unknown>>): string {
  return JSON.stringify(attributes);
}

const ensured = new WeakMap<StateStore, Set<string>>();
async function ensureTablesOnce(state: StateStore, dimension: DimensionSpec): Promise<void> {
  const done = ensured.get(state) ?? new Set<string>();
  ensured.set(state, done);
  if (done.has(dimension.table)) return;
  await state.ensureTables([dimension.table, memberIndexTable(dimension)]);
  done.add(dimension.table);
}
