import { setImmediate as nextTurn } from 'node:timers/promises';
import type { SourceRow } from '../../../domain/datasets/source-tables.js';
import { BaseChunkWriter, type ChunkRef } from './capture-hash-state.js';
import type { CapturePoll, FoundChange } from './capture-poll.js';
import { POLL_ROWS_PER_TURN, type PollOutcome } from './capture-types.js';

/**
 * Initial snapshot (no committed state yet): source pages of full rows in key order (the batch
 * size), gathered into steps of the publish size (`pageSize`: the batch size, or one delta file),
 * hashed here, each step published as snapshot inserts, written as base chunks and committed with a
 * cursor, so a crash or `maxSnapshotPages` (steps) resumes where the last step ended. The watermark
 * read before the first page becomes the first watermark.
 */
export async function captureSnapshot(poll: CapturePoll): Promise<PollOutcome> {
  let m = poll.manifest;
  let chunks: readonly ChunkRef[] = [];
  let cursor: Buffer | null = null;
  let pendingWatermark: string | null;
  let rowCount = 0;
  if (m) {
    chunks = (await poll.repo.loadIndex(m.indexPath)).chunks;
    cursor = m.snapshotCursor ? Buffer.from(m.snapshotCursor, 'base64') : null;
    pendingWatermark = m.pendingWatermark;
    rowCount = m.rowCount;
  } else {
    pendingWatermark = poll.layout.versionColumn
      ? await poll.source.currentVersion(poll.table, poll.layout.versionColumn)
      : null;
  }
  const snapshotStartedAt = m?.lastReconciledAt ?? poll.capturedAt.toISOString();
  const prefix = `${poll.table}/snapshot-${Date.parse(snapshotStartedAt)}`;
  let published = 0;
  let pages = 0;
  let done = false;
  const rowPages = poll.source.scanRows({
    table: poll.table,
    keyColumns: poll.keyColumns,
    after: cursor ? poll.keyValuesOf(cursor) : null,
    pageSize: poll.batchSize,
  });
  const stream = rowPages[Symbol.asyncIterator]();
  let next = await stream.next();
  let carry: SourceRow[] = [];
  while (!done) {
    if (poll.request.maxSnapshotPages !== undefined && pages >= poll.request.maxSnapshotPages) {
      await stream.return?.(undefined);
      break;
    }
    // One step: source pages of the batch size, gathered into exactly the publish size (with delta
    // files, one chunk: one step is one file), then published and committed together; rows read
    // past it wait for the next step (after the committed cursor, so a resumed snapshot reads them
    // again).
    const rows = carry;
    carry = [];
    while (rows.length < poll.pageSize && !next.done) {
      for (const row of next.value) rows.push(row);
      next = await stream.next();
    }
    if (rows.length > poll.pageSize) carry = rows.splice(poll.pageSize);
    pages++;
    done = next.done === true && carry.length === 0;
    const seq = (m?.seq ?? 0) + 1;
    const writer = new BaseChunkWriter(poll.repo, prefix, poll.batchSize, chunks);
    const changes: FoundChange[] = [];
    let last = cursor;
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i]!;
      const { key, keyValues } = poll.keyOf(row);
      poll.checkOrder(last, key);
      last = key;
      const found = poll.change(key, keyValues, row, poll.hashOf(row), undefined);
      changes.push(found);
      writer.add(found.record);
      if (i % POLL_ROWS_PER_TURN === POLL_ROWS_PER_TURN - 1) await nextTurn();
    }
    published += await poll.publish(poll.toDeltas(changes, true, seq));
    await writer.flush();
    chunks = writer.written;
    rowCount += rows.length;
    cursor = last;
    await poll.commit(
      seq,
      { chunks, overlays: [] },
      {
        status: done ? 'ready' : 'snapshot',
        watermark: done ? pendingWatermark : null,
        pendingWatermark,
        rowCount,
        lastReconciledAt: snapshotStartedAt,
        snapshotCursor: cursor ? cursor.toString('base64') : null,
      },
      [],
    );
    m = poll.manifest;
  }
  return {
    path: 'snapshot',
    inserts: published,
    updates: 0,
    deletes: 0,
    published,
    rowCount,
    watermark: done ? pendingWatermark : null,
    snapshotComplete: done,
    unverifiedRebased: 0,
    divergentCandidates: 0,
  };
}
