import type { DimensionSpec, DimensionVersion } from '../../../domain/scd2/dimension.js';
import type { KeyedStateDeps } from '../../lake-state/keyed-lake-state.js';
import { dimensionState } from '../scd2-merge.use-case.js';

/**
 * How new a member's history is, for the warehouse's newer-wins apply of a dimension replaced member
 * by member (docs/warehouse-apply.md): the newest capture time in the member's change log, then how
 * many changes the log holds. Merges of a member commit one after another (the bucket head's ETag),
 * so a later merge's log is a superset of an earlier one's: never older on both counts. The versions
 * alone cannot say this (a change that extends a version, or a late one that re-cuts history, does
 * not raise the newest `recorded_at` of the versions).
 */
export interface MemberSourceVersion {
  /** Newest `recorded_at` (canonical UTC instant) among the member's changes. */
  readonly capturedAt: string;
  /** Changes in the member's log. */
  readonly changes: number;
}

/**
 * The source version of each given member whose stored history is still the one `versions` holds;
 * a member whose stored versions differ (another merge committed it since) is left out: that
 * merge's own change set carries the newer history. One read per touched bucket.
 *
 * Reads the change-log rows of the SCD2 state (`row_kind` 'c' with `recorded_at`, 'v' with
 * `surrogate_key` and `valid_to`; shared/application/use-cases/scd2-merge.use-case.ts): if that
 * layout changes, this fails loudly rather than stamping members wrongly.
 */
export async function memberSourceVersions(
  dimension: DimensionSpec,
  versions: ReadonlyMap<string, readonly DimensionVersion[]>,
  deps: KeyedStateDeps,
): Promise<Map<string, MemberSourceVersion>> {
  const keys = [...versions.keys()];
  const logs = new Map<string, { capturedAt: string; changes: number; stored: string[] }>();
  for (const row of await dimensionState(dimension, deps).read(keys)) {
    const key = String(row.member);
    const log = logs.get(key) ?? { capturedAt: '', changes: 0, stored: [] };
    logs.set(key, log);
    if (row.row_kind === 'c') {
      if (typeof row.recorded_at !== 'string')
        throw new Error(`scd2 state of ${dimension.name}: a change-log row has no recorded_at`);
      log.changes += 1;
      if (row.recorded_at > log.capturedAt) log.capturedAt = row.recorded_at;
    } else log.stored.push(`${String(row.surrogate_key)}|${String(row.valid_to)}`);
  }
  const out = new Map<string, MemberSourceVersion>();
  for (const key of keys) {
    const log = logs.get(key);
    if (!log || log.changes === 0)
      throw new Error(`scd2 state of ${dimension.name}: a merged member has no change log`);
    const merged = (versions.get(key) ?? []).map((v) => `${v.surrogateKey}|${v.validTo}`);
    if (merged.sort().join(',') !== log.stored.sort().join(',')) continue;
    out.set(key, { capturedAt: log.capturedAt, changes: log.changes });
  }
  return out;
}
