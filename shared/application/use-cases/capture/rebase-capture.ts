import { compareKeys, type StateRecord } from '../../../domain/capture/hash-state-chunk.js';
import { mergeSortedRuns } from '../../../domain/capture/merge-join.js';
import { rowHash, type RowHashLayout } from '../../../domain/capture/row-hash.js';
import type { SourceRow } from '../../../domain/datasets/source-tables.js';
import type { KeyValues } from '../../ports/change-source.port.js';
import { HashStateView } from './capture-hash-state.js';
import type { CapturePoll } from './capture-poll.js';
import type { PollOutcome } from './capture-types.js';
import { FullPass } from './full-scan-capture.js';

/** One source row of a re-base: its key, its full row and its hash under the new layout. */
interface SourceItem {
  key: Buffer;
  keyValues: string[];
  row: SourceRow;
  hash: Buffer;
}

/**
 * Re-base after a layout change (docs/capture.md § Schema drift): every row is read in full and
 * hashed here under both layouts. Where the hash under the layout the state was written with equals
 * the stored one, the row is unchanged and its new-layout hash is stored silently; where it differs,
 * an update is published; where it cannot be recomputed (a dropped column), the row is re-based
 * without a delta and counted in `unverifiedRebased`. Rare, so it reads rows rather than hashes.
 */
export async function captureRebase(poll: CapturePoll): Promise<PollOutcome> {
  const m = poll.manifest!;
  const watermark = poll.layout.versionColumn
    ? await poll.source.currentVersion(poll.table, poll.layout.versionColumn)
    : null;
  const index = await poll.repo.loadIndex(m.indexPath);
  const view = await HashStateView.load(poll.repo, index);
  const oldLayout: RowHashLayout = {
    ...poll.layout,
    ...(JSON.parse(m.layoutJson) as Pick<RowHashLayout, 'keyColumns' | 'hashColumns'>),
  };
  const pass = new FullPass(poll, m.seq + 1);
  const { writer } = pass;
  let pending = 0;
  const drain = async () => {
    pending = 0;
    await writer.drain();
    await pass.spool.spill();
  };
  const step = (): Promise<void> | undefined => (++pending >= poll.batchSize ? drain() : undefined);
  await mergeSortedRuns(
    sourceRows(poll),
    view.scanChunks(),
    (s, i, t, j) => compareKeys(s[i]!.key, t[j]!.key),
    {
      sourceOnly: (s, i) => {
        const { key, keyValues, row, hash } = s[i]!;
        pass.emit(poll.change(key, keyValues, row, hash, undefined));
        writer.add({ key, hash, version: poll.versionOf(row) });
        return step();
      },
      stateOnly: (t, j) => {
        const prev = t[j]!;
        pass.emit(poll.change(prev.key, poll.keyValuesOf(prev.key), null, null, prev));
        return step();
      },
      both: (s, i, t, j) => {
        const { key, keyValues, row, hash } = s[i]!;
        const prev: StateRecord = t[j]!;
        const oldHash = hashUnderOldLayout(oldLayout, row);
        if (oldHash === null || oldHash === prev.hash!.toString('hex')) {
          if (oldHash === null) pass.totals.unverified++;
          writer.add({ key, hash, version: prev.version });
        } else {
          const found = poll.change(key, keyValues, row, hash, prev);
          pass.emit(found);
          writer.add(found.record);
        }
        return step();
      },
    },
  );
  await drain();
  return pass.finish(index, view.rowCount, watermark, true);
}

/** Keyset pages of full rows, hashed here under the new layout, with their key order checked. */
async function* sourceRows(poll: CapturePoll): AsyncGenerator<SourceItem[]> {
  let last: Buffer | null = null;
  let after: KeyValues | null = null;
  for (;;) {
    const rows = await poll.source.readRows({
      table: poll.table,
      keyColumns: poll.keyColumns,
      after,
      limit: poll.batchSize,
    });
    const items = rows.map((row) => {
      const { key, keyValues } = poll.keyOf(row);
      poll.checkOrder(last, key);
      last = key;
      return { key, keyValues, row, hash: poll.hashOf(row) };
    });
    if (items.length > 0) yield items;
    if (items.length < poll.batchSize) return;
    after = items[items.length - 1]!.keyValues;
  }
}

/**
 * The row's hash under the layout the state was written with, or null when it cannot be recomputed
 * (a hashed column is gone from the source, or its value no longer fits the old type).
 */
function hashUnderOldLayout(oldLayout: RowHashLayout, row: SourceRow): string | null {
  if (oldLayout.hashColumns.some((c) => !(c.name in row))) return null;
  try {
    return rowHash(oldLayout.hashColumns, row);
  } catch {
    return null;
  }
}
