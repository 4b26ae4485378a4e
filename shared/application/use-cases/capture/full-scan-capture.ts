import { compareKeys, type StateRecord } from '../../../domain/capture/hash-state-chunk.js';
import { mergeSortedRuns } from '../../../domain/capture/merge-join.js';
import { rowHash, type RowHashLayout } from '../../../domain/capture/row-hash.js';
import { encodeKey } from '../../../domain/capture/state-key.js';
import type { SourceRow } from '../../../domain/datasets/source-tables.js';
import type { KeyValues } from '../../ports/change-source.port.js';
import { BaseChunkWriter, HashStateView } from './capture-hash-state.js';
import type { CapturePoll, FoundChange } from './capture-poll.js';
import type { PollOutcome } from './capture-types.js';
import { DeltaSpool } from './delta-spool.js';

/** One source row in a full pass: its key, its hash, and the full row when it was read. */
interface SourceItem {
  kind: 'source';
  key: Buffer;
  keyValues: string[];
  hash: string;
  row: SourceRow | null;
  prev: undefined;
}

type Slot =
  | { kind: 'delete'; prev: StateRecord }
  | {
      kind: 'source';
      key: Buffer;
      keyValues: string[];
      hash: string;
      row: SourceRow | null;
      prev: StateRecord | undefined;
      /** The source hash equals the stored one (computed once, at merge time). */
      same: boolean;
    };

/**
 * Full scan: the source's (key, row hash) pages in key order merge-joined against the state
 * stream; only rows whose hash differs are fetched. With `rebase`, full rows are read and compared
 * under the layout the state was written with (docs/capture.md § Schema drift). The deltas are
 * spooled and published only after the whole scan passed the mass-delete guard; the state is a new
 * base written as the scan streams.
 */
export async function captureFullScan(poll: CapturePoll, rebase: boolean): Promise<PollOutcome> {
  const m = poll.manifest!;
  const seq = m.seq + 1;
  const watermark = poll.layout.versionColumn
    ? await poll.source.currentVersion(poll.table, poll.layout.versionColumn)
    : null;
  const index = await poll.repo.loadIndex(m.indexPath);
  const view = await HashStateView.load(poll.repo, index);
  const priorRows = view.rowCount;
  const oldLayout: RowHashLayout | null = rebase
    ? { ...poll.layout, ...(JSON.parse(m.layoutJson) as Pick<RowHashLayout, 'keyColumns' | 'hashColumns'>) }
    : null;
  const writer = new BaseChunkWriter(poll.repo, `${poll.table}/base-${seq}`, poll.batchSize);
  const spool = new DeltaSpool(poll.repo, `${poll.table}/spool-${seq}`, Math.max(poll.batchSize * 4, 20_000));
  const totals = { inserts: 0, updates: 0, deletes: 0, unverified: 0, rows: 0 };
  let window: Slot[] = [];

  const emit = (found: FoundChange) => {
    totals[found.change.op === 'insert' ? 'inserts' : found.change.op === 'update' ? 'updates' : 'deletes']++;
    for (const d of poll.toDeltas([found], false, seq)) spool.add(d);
  };

  const resolveWindow = async () => {
    const slots = window;
    window = [];
    const fetched = new Map<string, SourceRow>();
    if (!rebase) {
      const wanted = slots.filter(
        (s): s is Extract<Slot, { kind: 'source' }> => s.kind === 'source' && !s.same,
      );
      if (wanted.length > 0) {
        const rows = await poll.source.readRowsByKeys({
          table: poll.table,
          keyColumns: poll.keyColumns,
          keys: wanted.map((s) => s.keyValues),
        });
        for (const row of rows) fetched.set(poll.keyOf(row).key.toString('latin1'), row);
      }
    }
    for (const slot of slots) {
      if (slot.kind === 'delete') {
        emit(poll.change(slot.prev.key, poll.keyValuesOf(slot.prev.key), null, null, slot.prev));
        continue;
      }
      const prev = slot.prev;
      if (rebase) {
        const row = slot.row!;
        const hash = Buffer.from(slot.hash, 'hex');
        if (!prev) {
          emit(poll.change(slot.key, slot.keyValues, row, hash, undefined));
          writer.add({ key: slot.key, hash, version: poll.versionOf(row) });
          continue;
        }
        const oldHash = hashUnderOldLayout(oldLayout!, row);
        if (oldHash === null || oldHash === prev.hash!.toString('hex')) {
          if (oldHash === null) totals.unverified++;
          writer.add({ key: slot.key, hash, version: prev.version });
        } else {
          const found = poll.change(slot.key, slot.keyValues, row, hash, prev);
          emit(found);
          writer.add(found.record);
        }
        continue;
      }
      if (prev && slot.same) {
        writer.add(prev);
        continue;
      }
      const row = fetched.get(slot.key.toString('latin1'));
      if (!row) {
        // Deleted between the hash page and the fetch: a delete if the state had it.
        if (prev) emit(poll.change(slot.key, slot.keyValues, null, null, prev));
        continue;
      }
      const hash = poll.hashOf(row);
      if (prev && hash.equals(prev.hash!)) {
        poll.divergent++;
        writer.add(prev);
        continue;
      }
      const found = poll.change(slot.key, slot.keyValues, row, hash, prev);
      emit(found);
      writer.add(found.record);
    }
    await writer.drain();
    await spool.spill();
  };

  let candidates = 0;
  // Resolve when enough rows need fetching (one read per batch) or the window gets long.
  const maybeResolve = (): Promise<void> | undefined => {
    if (candidates < poll.batchSize && window.length < 4 * poll.batchSize) return undefined;
    candidates = 0;
    return resolveWindow();
  };
  await mergeSortedRuns(
    sourcePages(poll, rebase),
    view.scanChunks(),
    (s, i, t, j) => compareKeys(s[i]!.key, t[j]!.key),
    {
      sourceOnly: (s, i) => {
        window.push({ ...s[i]!, prev: undefined, same: false });
        totals.rows++;
        candidates++;
        return maybeResolve();
      },
      stateOnly: (t, j) => {
        window.push({ kind: 'delete', prev: t[j]! });
        return maybeResolve();
      },
      both: (s, i, t, j) => {
        const same = !rebase && t[j]!.hash!.toString('hex') === s[i]!.hash;
        window.push({ ...s[i]!, prev: t[j]!, same });
        totals.rows++;
        if (!same) candidates++;
        return maybeResolve();
      },
    },
  );
  await resolveWindow();
  await writer.flush();
  try {
    poll.guard(totals.deletes, priorRows, rebase ? 'rebase' : 'full-scan');
  } catch (error) {
    await poll.repo.deleteObjects([...writer.written.map((c) => c.path!), ...spool.paths]);
    throw error;
  }
  const published = await poll.publish(spool);
  const obsolete = [
    ...index.chunks.map((c) => c.path).filter((x): x is string => x !== null),
    ...index.overlays.map((o) => o.path),
    ...spool.paths,
  ];
  const rowCount = writer.written.reduce((n, c) => n + c.count, 0);
  await poll.commit(
    seq,
    { chunks: writer.written, overlays: [] },
    {
      status: 'ready',
      watermark: watermark ?? m.watermark,
      pendingWatermark: null,
      rowCount,
      lastReconciledAt: poll.capturedAt.toISOString(),
      snapshotCursor: null,
      ...(rebase ? { layoutVersion: m.layoutVersion + 1 } : {}),
    },
    obsolete,
  );
  return {
    path: rebase ? 'rebase' : 'full-scan',
    inserts: totals.inserts,
    updates: totals.updates,
    deletes: totals.deletes,
    published,
    rowCount,
    watermark: watermark ?? m.watermark,
    snapshotComplete: true,
    unverifiedRebased: totals.unverified,
    divergentCandidates: poll.divergent,
  };
}

/** Source pages for the full pass: (key, source hash) pages streamed in key order, or full rows hashed here when re-basing. */
async function* sourcePages(poll: CapturePoll, rebase: boolean): AsyncGenerator<SourceItem[]> {
  let last: Buffer | null = null;
  const check = (items: SourceItem[]) => {
    for (const item of items) {
      poll.checkOrder(last, item.key);
      last = item.key;
    }
    return items;
  };
  if (!rebase) {
    for await (const page of poll.source.scanRowHashes({ layout: poll.layout, pageSize: poll.batchSize }))
      yield check(
        page.map((e) => ({
          kind: 'source' as const,
          key: encodeKey(poll.keyColumns, e.key),
          keyValues: [...e.key],
          hash: e.hash,
          row: null,
          prev: undefined,
        })),
      );
    return;
  }
  let after: KeyValues | null = null;
  for (;;) {
    const rows = await poll.source.readRows({
      table: poll.table,
      keyColumns: poll.keyColumns,
      after,
      limit: poll.batchSize,
    });
    const items = check(
      rows.map((row) => {
        const { key, keyValues } = poll.keyOf(row);
        return {
          kind: 'source' as const,
          key,
          keyValues,
          hash: rowHash(poll.layout.hashColumns, row),
          row,
          prev: undefined,
        };
      }),
    );
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
