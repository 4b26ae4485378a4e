import type { RangeDigest, StateRecord } from '../capture/hash-state-chunk.js';
import { compareKeys } from '../capture/hash-state-chunk.js';
import { bisectRange, digestOf, rangeAgrees, type StateKeyRange } from '../capture/range-bisection.js';
import { hashHex } from '../pipeline/ids.js';

/**
 * Source-to-gold reconciliation: what one layer holds of one table, as key-ordered records per
 * reporting period, and the comparison of two layers (docs/reconciliation.md).
 *
 * Contract (the checksums in a report): a record's digest entry is the SHA-256 of its record key
 * (the key columns joined with '|', as `fact_activity.record_key`), or of the key and its version
 * (`<key>\u001f<event id>`) where both layers keep the event id; a period's checksum is the exact sum
 * of the entries' signed 64-bit prefixes (the capture's range digest, docs/row-hash-spec.md § 6), so
 * it does not depend on order and a range's checksum is the sum over its part ranges.
 */

/** One record of a layer: its record key and, where the layer keeps it, the id of its version. */
export interface LayerRecord {
  readonly key: string;
  readonly period: string;
  /** The change event the record's current version came from (silver, gold, warehouse). */
  readonly eventId?: string | null;
}

/** A layer's records of one table grouped by period, each period's records in key order. */
export type LayerIndex = ReadonlyMap<string, readonly StateRecord[]>;

/** Builds a layer's index; `withVersion` puts the event id in the digest (both layers must agree on it). */
export function indexLayer(records: Iterable<LayerRecord>, withVersion: boolean): LayerIndex {
  const byPeriod = new Map<string, StateRecord[]>();
  for (const r of records) {
    const entry: StateRecord = {
      key: Buffer.from(r.key, 'utf8'),
      hash: Buffer.from(hashHex(withVersion ? `${r.key}\u001f${r.eventId ?? ''}` : r.key), 'hex'),
      version: null,
    };
    const list = byPeriod.get(r.period);
    if (list) list.push(entry);
    else byPeriod.set(r.period, [entry]);
  }
  for (const list of byPeriod.values()) list.sort((a, b) => compareKeys(a.key, b.key));
  return byPeriod;
}

/** Count and checksum (decimal text) of one table and period in one layer. */
export interface PeriodDigest {
  readonly count: number;
  readonly checksum: string;
}

/** A key range `[from, to)` where two layers differ; null = unbounded on that side. */
export interface DifferingRange {
  readonly from: string | null;
  readonly to: string | null;
  /** Records in the range on each side. */
  readonly expected: number;
  readonly actual: number;
}

/** The difference between two layers in one period. */
export interface PeriodDifference {
  readonly period: string;
  readonly expected: PeriodDigest;
  readonly actual: PeriodDigest;
  /** Narrowed by bisection over key-ordered checksums (the capture's range bisection). */
  readonly ranges: readonly DifferingRange[];
}

const digestText = (d: RangeDigest): PeriodDigest => ({ count: d.count, checksum: d.sum.toString() });

/** The records of a key-sorted list in `[from, to)`. */
function inRange(records: readonly StateRecord[], from: Buffer | null, to: Buffer | null): StateRecord[] {
  return records.filter(
    (r) => (from === null || compareKeys(r.key, from) >= 0) && (to === null || compareKeys(r.key, to) < 0),
  );
}

/**
 * Compares the `actual` layer with the `expected` one, period by period: equal counts and
 * checksums agree; otherwise the period's key range is bisected (`bisectRange`, split at the
 * expected side's keys) down to ranges of at most `leafRows` expected records, and each range
 * whose count or checksum still differs is reported. Ranges are in key order.
 */
export function compareLayers(
  expected: LayerIndex,
  actual: LayerIndex,
  options: { readonly leafRows: number; readonly fanOut: number } = { leafRows: 1, fanOut: 2 },
): PeriodDifference[] {
  const periods = [...new Set([...expected.keys(), ...actual.keys()])].sort();
  const out: PeriodDifference[] = [];
  for (const period of periods) {
    const e = expected.get(period) ?? [];
    const a = actual.get(period) ?? [];
    const eDigest = digestOf(e);
    const aDigest = digestOf(a);
    if (eDigest.count === aDigest.count && eDigest.sum === aDigest.sum) continue;
    const ranges: DifferingRange[] = [];
    const visit = (range: StateKeyRange & { readonly entries: readonly StateRecord[] }): void => {
      const theirs = inRange(a, range.from, range.to);
      const theirDigest = digestOf(theirs);
      if (rangeAgrees(range.digest, { count: theirDigest.count, sum: theirDigest.sum.toString() }, false))
        return;
      const parts = bisectRange(range, theirs.length, options);
      if (parts === null) {
        ranges.push({
          from: range.from === null ? null : range.from.toString('utf8'),
          to: range.to === null ? null : range.to.toString('utf8'),
          expected: range.entries.length,
          actual: theirs.length,
        });
        return;
      }
      for (const part of parts) visit(part);
    };
    visit({ from: null, to: null, digest: eDigest, entries: e });
    out.push({
      period,
      expected: digestText(eDigest),
      actual: digestText(aDigest),
      ranges: mergeAdjacent(ranges),
    });
  }
  return out;
}

/** Adjacent differing ranges (one's `to` is the next's `from`) read as one. */
function mergeAdjacent(ranges: readonly DifferingRange[]): DifferingRange[] {
  const out: DifferingRange[] = [];
  for (const r of ranges) {
    const last = out[out.length - 1];
    if (last && last.to !== null && last.to === r.from)
      out[out.length - 1] = {
        from: last.from,
        to: r.to,
        expected: last.expected + r.expected,
        actual: last.actual + r.actual,
      };
    else out.push(r);
  }
  return out;
}

/** Count and checksum of each period of a layer. */
export function periodDigests(index: LayerIndex): Map<string, PeriodDigest> {
  const out = new Map<string, PeriodDigest>();
  for (const [period, records] of index) out.set(period, digestText(digestOf(records)));
  return out;
}
