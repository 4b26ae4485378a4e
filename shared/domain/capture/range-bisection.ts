import { compareKeys, hashPrefix, type RangeDigest, type StateRecord } from './hash-state-chunk.js';

/**
 * Range bisection for the range-checksum path (docs/capture.md § The capture paths, 4): the state's
 * digest of a key range is compared with the digest the source computes for it; a range that
 * differs is split `fanOut` ways at state keys, until it holds at most `leafRows` rows, and the leaf
 * ranges are then read row by row. Pure: the caller fetches digests, state records and rows.
 */

/** A key range `[from, to)` of the capture state (null: unbounded) with the state's digest for it. */
export interface StateKeyRange {
  readonly from: Buffer | null;
  readonly to: Buffer | null;
  readonly digest: RangeDigest;
  /** The state's live records in the range, in key order, once loaded. */
  readonly entries?: readonly StateRecord[];
}

/** The source's count and digest sum (exact decimal text) for one range. */
export interface SourceRangeDigest {
  readonly count: number;
  readonly sum: string;
}

export interface BisectionOptions {
  /** A range with at most this many rows (state or source side) is a leaf. */
  readonly leafRows: number;
  /** How many parts a differing range is split into. */
  readonly fanOut: number;
}

/** True when the source agrees with the state on the range: the same count and (unless counting only) the same sum. */
export function rangeAgrees(state: RangeDigest, source: SourceRangeDigest, countOnly: boolean): boolean {
  return source.count === state.count && (countOnly || source.sum === state.sum.toString());
}

/** Count and prefix sum of records (docs/row-hash-spec.md § 6). */
export function digestOf(records: readonly StateRecord[]): RangeDigest {
  const digest: RangeDigest = { count: 0, sum: 0n };
  for (const record of records) {
    digest.count++;
    digest.sum += hashPrefix(record.hash!);
  }
  return digest;
}

/**
 * Splits a differing range whose state records are loaded: null when it is a leaf (at most
 * `leafRows` rows on the state side or the source side), otherwise up to `fanOut` contiguous parts
 * cut at state keys, each with its own records and digest. The parts cover exactly the range: the
 * first starts at `from`, the last ends at `to`.
 */
export function bisectRange(
  range: StateKeyRange & { readonly entries: readonly StateRecord[] },
  sourceCount: number,
  options: BisectionOptions,
): (StateKeyRange & { readonly entries: readonly StateRecord[] })[] | null {
  return (
    cutRange(range, range.entries, (record) => record.key, sourceCount, options)?.map((part) => ({
      from: part.from,
      to: part.to,
      digest: digestOf(part.items),
      entries: part.items,
    })) ?? null
  );
}

/** A key range `[from, to)` with the state's live keys in it, in key order (count-only bisection). */
export interface CountedKeyRange {
  readonly from: Buffer | null;
  readonly to: Buffer | null;
  readonly keys: readonly Buffer[];
}

/**
 * `bisectRange` for count-only bisection (the change-version path, where only deletes remain to be
 * found and a range is compared by its row count alone): the parts carry the state's keys, not its
 * records, and no digest is summed.
 */
export function bisectKeys(
  range: CountedKeyRange,
  sourceCount: number,
  options: BisectionOptions,
): CountedKeyRange[] | null {
  return (
    cutRange(range, range.keys, (key) => key, sourceCount, options)?.map((part) => ({
      from: part.from,
      to: part.to,
      keys: part.items,
    })) ?? null
  );
}

/**
 * Null when a range holding `items` (in key order) is a leaf, otherwise up to `fanOut` contiguous
 * parts cut at item keys, covering exactly `[from, to)`.
 */
function cutRange<T>(
  range: { readonly from: Buffer | null; readonly to: Buffer | null },
  items: readonly T[],
  keyOf: (item: T) => Buffer,
  sourceCount: number,
  options: BisectionOptions,
): { from: Buffer | null; to: Buffer | null; items: T[] }[] | null {
  if (items.length <= options.leafRows || sourceCount <= options.leafRows) return null;
  const parts = Math.min(options.fanOut, items.length);
  const out: { from: Buffer | null; to: Buffer | null; items: T[] }[] = [];
  for (let j = 0; j < parts; j++) {
    const lo = Math.floor((j * items.length) / parts);
    const hi = Math.floor(((j + 1) * items.length) / parts);
    out.push({
      from: j === 0 ? range.from : keyOf(items[lo]!),
      to: j === parts - 1 ? range.to : keyOf(items[hi]!),
      items: items.slice(lo, hi),
    });
  }
  return out;
}

/** Disjoint ranges in key order (the one open below first). */
export function orderRanges<R extends Pick<StateKeyRange, 'from'>>(ranges: readonly R[]): R[] {
  return [...ranges].sort((a, b) =>
    a.from === null ? -1 : b.from === null ? 1 : compareKeys(a.from, b.from),
  );
}
