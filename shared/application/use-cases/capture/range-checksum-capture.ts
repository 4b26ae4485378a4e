import type { StateRecord } from '../../../domain/capture/hash-state-chunk.js';
import { compareKeys } from '../../../domain/capture/hash-state-chunk.js';
import { mergeSortedArrays } from '../../../domain/capture/merge-join.js';
import {
  bisectKeys,
  bisectRange,
  orderRanges,
  rangeAgrees,
  type CountedKeyRange,
  type SourceRangeDigest,
  type StateKeyRange,
} from '../../../domain/capture/range-bisection.js';
import type { SourceRow } from '../../../domain/datasets/source-tables.js';
import { HashStateView } from './capture-hash-state.js';
import type { CapturePoll, FoundChange } from './capture-poll.js';
import type { PollOutcome } from './capture-types.js';

/**
 * Range checksums: the state's per-chunk digests are compared with digests the source computes per
 * key range; differing ranges are bisected down to leaves, which are read and merged with the state.
 * An unchanged table costs one query of about 24 bytes per range.
 */
export async function captureRangeChecksums(poll: CapturePoll): Promise<PollOutcome> {
  const m = poll.manifest!;
  const watermark = poll.layout.versionColumn
    ? await poll.source.currentVersion(poll.table, poll.layout.versionColumn)
    : null;
  const index = await poll.repo.loadIndex(m.indexPath);
  const view = await HashStateView.load(poll.repo, index);
  const priorRows = view.rowCount;
  const found = await diffRanges(poll, view);
  return poll.commitIncremental('range-checksum', m, index, view, found, priorRows, watermark ?? m.watermark);
}

/**
 * Compares the state's range digests with the source's, bisecting differing ranges (fan-out
 * `fanOut`) until they hold at most `leafRows` state rows, then fetches those ranges row by row
 * (one read per batch of ranges). With `countOnly` (the change-version path, where only deletes
 * remain to be found) the source counts without hashing, and the state's side of a range is its
 * keys alone until the range is a leaf. Applies what it finds to the view.
 */
export async function diffRanges(
  poll: CapturePoll,
  view: HashStateView,
  countOnly = false,
): Promise<FoundChange[]> {
  const options = poll.cfg.config;
  const leaves = countOnly
    ? await bisectToLeaves<CountedRange>(poll, {
        countOnly: true,
        ranges: view.ranges().map((r) => ({ from: r.from, to: r.to, count: r.digest.count })),
        agrees: (r, s) => s.count === r.count,
        split: async (r, s) => {
          const keys = r.keys ?? (await view.keysInRange(r.from, r.to));
          const parts = bisectKeys({ from: r.from, to: r.to, keys }, s.count, options);
          return parts
            ? { parts: parts.map((part) => ({ ...part, count: part.keys.length })) }
            : { entries: await view.entriesInRange(r.from, r.to) };
        },
      })
    : await bisectToLeaves<StateKeyRange>(poll, {
        countOnly: false,
        ranges: view.ranges(),
        agrees: (r, s) => rangeAgrees(r.digest, s, false),
        split: async (r, s) => {
          const entries = r.entries ?? (await view.entriesInRange(r.from, r.to));
          const parts = bisectRange({ ...r, entries }, s.count, options);
          return parts ? { parts } : { entries };
        },
      });
  // Leaves are disjoint: in key order, their state rows and their source rows are two sorted runs.
  const ordered = orderRanges(leaves);
  const entries = ordered.flatMap((leaf) => leaf.entries);
  const rows =
    ordered.length === 0
      ? []
      : await poll.source.readRowsInRanges({
          table: poll.table,
          keyColumns: poll.keyColumns,
          ranges: ordered.map((leaf) => poll.toRange(leaf.from, leaf.to)),
        });
  let last: Buffer | null = null;
  const keyed = rows.map((row) => {
    const { key, keyValues } = poll.keyOf(row);
    poll.checkOrder(last, key);
    last = key;
    return { key, keyValues, row };
  });
  const found: FoundChange[] = [];
  const record = (key: Buffer, keyValues: readonly string[], row: SourceRow | null, prev?: StateRecord) => {
    const hash = row ? poll.hashOf(row) : null;
    if (prev && hash && prev.hash!.equals(hash)) {
      if (!countOnly) poll.divergent++;
      return;
    }
    const f = poll.change(key, keyValues, row, hash, prev);
    view.apply(f.record, prev);
    found.push(f);
  };
  mergeSortedArrays(keyed, entries, (s, t) => compareKeys(s.key, t.key), {
    sourceOnly: (s) => record(s.key, s.keyValues, s.row),
    stateOnly: (t) => record(t.key, poll.keyValuesOf(t.key), null, t),
    both: (s, t) => record(s.key, s.keyValues, s.row, t),
  });
  return found;
}

/** A range of count-only bisection: the state's live row count, and its keys once loaded. */
type CountedRange = Omit<CountedKeyRange, 'keys'> & {
  readonly count: number;
  readonly keys?: readonly Buffer[];
};

/**
 * Bisects level by level (one source query per level) until every differing range is a leaf, and
 * returns the leaves with the state's live records in them. `split` loads what it needs of the
 * state's side of a range and returns the range's parts, or its records when it is a leaf.
 */
async function bisectToLeaves<R extends { readonly from: Buffer | null; readonly to: Buffer | null }>(
  poll: CapturePoll,
  bisection: {
    readonly countOnly: boolean;
    readonly ranges: R[];
    agrees(range: R, source: SourceRangeDigest): boolean;
    split(
      range: R,
      source: SourceRangeDigest,
    ): Promise<{ readonly parts: R[] } | { readonly entries: readonly StateRecord[] }>;
  },
): Promise<
  { readonly from: Buffer | null; readonly to: Buffer | null; readonly entries: readonly StateRecord[] }[]
> {
  let level = bisection.ranges;
  const leaves: { from: Buffer | null; to: Buffer | null; entries: readonly StateRecord[] }[] = [];
  while (level.length > 0) {
    const sums = await poll.source.rangeChecksums({
      layout: poll.layout,
      ranges: level.map((r) => poll.toRange(r.from, r.to)),
      countOnly: bisection.countOnly,
    });
    const next: R[] = [];
    for (let i = 0; i < level.length; i++) {
      const r = level[i]!;
      const s = sums[i]!;
      if (bisection.agrees(r, s)) continue;
      const split = await bisection.split(r, s);
      if ('parts' in split) next.push(...split.parts);
      else leaves.push({ from: r.from, to: r.to, entries: split.entries });
    }
    level = next;
  }
  return leaves;
}
