import type { StateRecord } from '../../../domain/capture/hash-state-chunk.js';
import { compareKeys } from '../../../domain/capture/hash-state-chunk.js';
import { mergeSortedArrays } from '../../../domain/capture/merge-join.js';
import {
  bisectRange,
  orderRanges,
  rangeAgrees,
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
 * remain to be found) the source counts without hashing. Applies what it finds to the view.
 */
export async function diffRanges(
  poll: CapturePoll,
  view: HashStateView,
  countOnly = false,
): Promise<FoundChange[]> {
  const options = poll.cfg.config;
  let level: StateKeyRange[] = view.ranges();
  const leaves: (StateKeyRange & { readonly entries: readonly StateRecord[] })[] = [];
  while (level.length > 0) {
    const sums = await poll.source.rangeChecksums({
      layout: poll.layout,
      ranges: level.map((r) => poll.toRange(r.from, r.to)),
      countOnly,
    });
    const next: StateKeyRange[] = [];
    for (let i = 0; i < level.length; i++) {
      const r = level[i]!;
      const s = sums[i]!;
      if (rangeAgrees(r.digest, s, countOnly)) continue;
      const entries = r.entries ?? (await view.entriesInRange(r.from, r.to));
      const parts = bisectRange({ ...r, entries }, s.count, options);
      if (parts === null) leaves.push({ ...r, entries });
      else next.push(...parts);
    }
    level = next;
  }
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
