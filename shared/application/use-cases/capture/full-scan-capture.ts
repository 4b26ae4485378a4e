import {
  compareBytes,
  type ChunkReader,
  type StateRecord,
} from '../../../domain/capture/hash-state-chunk.js';
import { mergeSortedRuns } from '../../../domain/capture/merge-join.js';
import { keyAt, type RowHashPage } from '../../../domain/capture/row-hash-page.js';
import type { SourceRow } from '../../../domain/datasets/source-tables.js';
import { BaseChunkWriter, HashStateView, type StateIndex } from './capture-hash-state.js';
import type { CapturePoll, FoundChange } from './capture-poll.js';
import type { PollOutcome } from './capture-types.js';
import { DeltaSpool } from './delta-spool.js';

/**
 * What a full pass holds between the merge and the fetch, in key order:
 * - `copy`: a run of state records whose source hash matched (carried to the new base as bytes);
 * - `fetch`: a key the source has with a different hash, or that the state lacks;
 * - `delete`: a key only the state has.
 */
type Segment =
  | { kind: 'copy'; reader: ChunkReader; from: number; to: number }
  | { kind: 'fetch'; key: Buffer; prev: StateRecord | undefined }
  | { kind: 'delete'; prev: StateRecord };

/** Rows one full-scan window may span at most (with 4 × batchSize): each fetch is one read. */
const WINDOW_ROWS = 262_144;

/** Counts of a full pass. */
export interface FullPassTotals {
  inserts: number;
  updates: number;
  deletes: number;
  unverified: number;
}

/**
 * Full scan: the source hashes every row itself and streams (key, row hash) pages in key order;
 * they are merge-joined against the state's chunks, comparing keys and hashes as bytes. Runs of
 * unchanged rows are copied to the new base as they are; only keys whose hash differs, or that are
 * new, are fetched as full rows (`readRowsByKeys`, in batches) and re-hashed in TypeScript, which
 * decides the delta. A key only in the state is a delete. The deltas are spooled and published only
 * after the whole scan has passed the mass-delete guard.
 */
export async function captureFullScan(poll: CapturePoll): Promise<PollOutcome> {
  const m = poll.manifest!;
  const seq = m.seq + 1;
  const watermark = poll.layout.versionColumn
    ? await poll.source.currentVersion(poll.table, poll.layout.versionColumn)
    : null;
  const index = await poll.repo.loadIndex(m.indexPath);
  const view = await HashStateView.load(poll.repo, index);
  const pass = new FullPass(poll, seq);
  let window: Segment[] = [];
  let open: Extract<Segment, { kind: 'copy' }> | null = null;
  let candidates = 0;
  let windowRows = 0;

  // A window's rows are fetched while the merge goes on; the window is applied (in key order) when
  // the next one is due or the merge ends. One window in flight at a time.
  let applied: Promise<void> = Promise.resolve();
  const resolveWindow = async () => {
    const segments = window;
    window = [];
    open = null;
    candidates = 0;
    windowRows = 0;
    await applied;
    const wanted = segments.filter((s): s is Extract<Segment, { kind: 'fetch' }> => s.kind === 'fetch');
    const rows =
      wanted.length === 0
        ? Promise.resolve([])
        : poll.source.readRowsByKeys({
            table: poll.table,
            keyColumns: poll.keyColumns,
            keys: wanted.map((s) => poll.keyValuesOf(s.key)),
          });
    applied = rows.then((list) => applyWindow(segments, list));
    // Awaited when the next window is due; a failure must not count as unhandled until then.
    applied.catch(() => undefined);
  };

  const applyWindow = async (segments: readonly Segment[], rows: readonly SourceRow[]) => {
    const fetched = new Map<string, SourceRow>();
    for (const row of rows) fetched.set(poll.keyOf(row).key.toString('latin1'), row);
    for (const segment of segments) {
      if (segment.kind === 'copy') {
        pass.writer.addRecords(segment.reader, segment.from, segment.to);
        continue;
      }
      if (segment.kind === 'delete') {
        pass.emit(
          poll.change(segment.prev.key, poll.keyValuesOf(segment.prev.key), null, null, segment.prev),
        );
        continue;
      }
      const { key, prev } = segment;
      const row = fetched.get(key.toString('latin1'));
      if (!row) {
        // Deleted between the hash page and the fetch: a delete if the state had it.
        if (prev) pass.emit(poll.change(key, poll.keyValuesOf(key), null, null, prev));
        continue;
      }
      const hash = poll.hashOf(row);
      if (prev && hash.equals(prev.hash!)) {
        poll.divergent++;
        pass.writer.add(prev);
        continue;
      }
      const found = poll.change(key, poll.keyValuesOf(key), row, hash, prev);
      pass.emit(found);
      pass.writer.add(found.record);
    }
    await pass.writer.drain();
    await pass.spool.spill();
  };

  // Resolve when enough rows need fetching (one read per batch), or when the window spans many
  // rows: it holds their state chunks (about 60 bytes a row), so memory stays flat in table size.
  const limit = poll.batchSize;
  const span = Math.max(4 * limit, WINDOW_ROWS);
  const push = (segment: Segment): Promise<void> | undefined => {
    window.push(segment);
    open = null;
    windowRows++;
    if (segment.kind === 'fetch') candidates++;
    return candidates >= limit || windowRows >= span ? resolveWindow() : undefined;
  };
  try {
    await mergeSortedRuns(
      checkedOrder(poll, poll.source.scanRowHashes({ layout: poll.layout, pageSize: poll.batchSize })),
      view.scanChunkReaders(),
      (s, i, t, j) => -t.compareKey(j, s.data, s.keyStarts[i]!, s.hashStarts[i]!),
      {
        sourceOnly: (s, i) => push({ kind: 'fetch', key: keyAt(s, i), prev: undefined }),
        stateOnly: (t, j) => push({ kind: 'delete', prev: t.recordAt(j) }),
        both: (s, i, t, j) => {
          if (!t.hashEquals(j, s.data, s.hashStarts[i]!))
            return push({ kind: 'fetch', key: keyAt(s, i), prev: t.recordAt(j) });
          if (open !== null && open.reader === t && open.to === j) open.to++;
          else {
            open = { kind: 'copy', reader: t, from: j, to: j + 1 };
            window.push(open);
          }
          return ++windowRows >= span ? resolveWindow() : undefined;
        },
      },
    );
  } catch (error) {
    // No object write may outlive the poll that failed.
    await applied.catch(() => undefined);
    await pass.writer.settle();
    throw error;
  }
  await resolveWindow();
  await applied;
  return pass.finish(index, view.rowCount, watermark, false);
}

/** Source pages with their key order checked (the state's byte order), row by row. */
async function* checkedOrder(
  poll: CapturePoll,
  pages: AsyncIterable<RowHashPage>,
): AsyncGenerator<RowHashPage> {
  let last: Buffer | null = null;
  for await (const page of pages) {
    const { data, keyStarts, hashStarts } = page;
    for (let i = 0; i < page.length; i++) {
      const ordered =
        i === 0
          ? last === null || compareBytes(last, 0, last.length, data, keyStarts[0]!, hashStarts[0]!) < 0
          : compareBytes(data, keyStarts[i - 1]!, hashStarts[i - 1]!, data, keyStarts[i]!, hashStarts[i]!) <
            0;
      if (!ordered) poll.checkOrder(i === 0 ? last : keyAt(page, i - 1), keyAt(page, i));
    }
    if (page.length > 0) last = Buffer.from(keyAt(page, page.length - 1));
    yield page;
  }
}

/** The new base, the delta spool and the counts of a full pass (full scan or re-base), and its commit. */
export class FullPass {
  readonly writer: BaseChunkWriter;
  readonly spool: DeltaSpool;
  readonly totals: FullPassTotals = { inserts: 0, updates: 0, deletes: 0, unverified: 0 };

  constructor(
    private readonly poll: CapturePoll,
    private readonly seq: number,
  ) {
    this.writer = new BaseChunkWriter(poll.repo, `${poll.table}/base-${seq}`, poll.batchSize);
    this.spool = new DeltaSpool(
      poll.repo,
      `${poll.table}/spool-${seq}`,
      Math.max(poll.batchSize * 4, 20_000),
    );
  }

  emit(found: FoundChange): void {
    const op = found.change.op;
    this.totals[op === 'insert' ? 'inserts' : op === 'update' ? 'updates' : 'deletes']++;
    for (const d of this.poll.toDeltas([found], false, this.seq)) this.spool.add(d);
  }

  /**
   * Checks the mass-delete guard (dropping what the pass wrote when it stops the poll), publishes
   * the spooled deltas, then commits the new base and drops the old one.
   */
  async finish(
    index: StateIndex,
    priorRows: number,
    watermark: string | null,
    rebase: boolean,
  ): Promise<PollOutcome> {
    const { poll, writer, spool, totals } = this;
    const m = poll.manifest!;
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
      this.seq,
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
}
