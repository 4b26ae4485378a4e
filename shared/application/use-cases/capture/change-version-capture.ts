import { HashStateView } from './capture-hash-state.js';
import type { CapturePoll, FoundChange } from './capture-poll.js';
import type { PollOutcome } from './capture-types.js';
import { captureFullScan } from './full-scan-capture.js';
import { diffRanges } from './range-checksum-capture.js';

/**
 * Change version, O(changes): rows whose version moved past the watermark are read in one consistent
 * snapshot and compared with the state by key lookup; an update that changed nothing gives no delta.
 * Deletes leave no version behind: when the source's row count differs from the state's, count-only
 * range checks localise the missing keys. A table without a version column, or more changes than
 * `maxFastPathChanges`, falls back to a full scan.
 */
export async function captureChangeVersion(poll: CapturePoll): Promise<PollOutcome> {
  const m = poll.manifest!;
  if (!poll.layout.versionColumn) return captureFullScan(poll);
  const changes = await poll.source.readChangesSince({
    table: poll.table,
    keyColumns: poll.keyColumns,
    versionColumn: poll.layout.versionColumn,
    sinceVersion: m.watermark,
    limit: poll.cfg.config.maxFastPathChanges,
  });
  if (changes.truncated) return captureFullScan(poll);
  const index = await poll.repo.loadIndex(m.indexPath);
  const view = await HashStateView.load(poll.repo, index);
  const priorRows = view.rowCount;
  const found: FoundChange[] = [];
  let last: Buffer | null = null;
  for (const row of changes.rows) {
    const { key, keyValues } = poll.keyOf(row);
    poll.checkOrder(last, key);
    last = key;
    const hash = poll.hashOf(row);
    const prev = await view.lookup(key);
    if (prev && prev.hash!.equals(hash)) continue;
    const f = poll.change(key, keyValues, row, hash, prev);
    view.apply(f.record, prev);
    found.push(f);
  }
  // Rows missing from the count were deleted (or written under an older version): find them by range.
  if (changes.rowCount !== view.rowCount) found.push(...(await diffRanges(poll, view, true)));
  return poll.commitIncremental('change-version', m, index, view, found, priorRows, changes.upToVersion);
}
