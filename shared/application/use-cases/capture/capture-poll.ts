import type { ResolvedCaptureTable } from '../../../domain/capture/capture-config.js';
import type { Delta } from '../../../domain/capture/delta.js';
import { toDelta, type CapturedChange } from '../../../domain/capture/delta-factory.js';
import { ChunkBuilder, compareKeys, type StateRecord } from '../../../domain/capture/hash-state-chunk.js';
import {
  businessKeyOf,
  layoutFingerprint,
  rowHash,
  type HashColumn,
  type RowHashLayout,
} from '../../../domain/capture/row-hash.js';
import { decodeKey, encodeKey } from '../../../domain/capture/state-key.js';
import type { SourceRow } from '../../../domain/datasets/source-tables.js';
import { GuardError, InfrastructureError } from '../../../domain/errors.js';
import type { KeyRange, KeyValues } from '../../ports/change-source.port.js';
import {
  BaseChunkWriter,
  type CaptureManifest,
  type CaptureStateRepository,
  type HashStateView,
  type StateIndex,
} from './capture-hash-state.js';
import {
  MASS_DELETE_GUARD_EVENT,
  type CaptureChangesDeps,
  type CaptureChangesRequest,
  type CapturePath,
  type PollOutcome,
} from './capture-types.js';
import type { DeltaSpool } from './delta-spool.js';
import type { MeteredSource } from './metered-source.js';

/** A change found by a path, with its encoded key and the state record it leaves. */
export interface FoundChange {
  readonly key: Buffer;
  readonly change: CapturedChange;
  readonly record: StateRecord;
  readonly previous: StateRecord | undefined;
}

/** The manifest fields a commit sets (the layout fields come from the poll). */
export type CommitFields = Omit<
  CaptureManifest,
  | 'seq'
  | 'indexPath'
  | 'specVersion'
  | 'layoutFingerprint'
  | 'layoutJson'
  | 'driftSignature'
  | 'layoutVersion'
> & {
  layoutVersion?: number;
};

const hex = (hash: Buffer | null | undefined): string | null => (hash ? hash.toString('hex') : null);

/**
 * One poll of one table: what every capture path shares (the table, its layout, the manifest it
 * started from, the source) and the steps they have in common (building changes and deltas,
 * publishing, the mass-delete guard, committing the state).
 */
export class CapturePoll {
  readonly cfg: ResolvedCaptureTable;
  readonly table: string;
  readonly keyColumns: readonly HashColumn[];
  readonly batchSize: number;
  /** Deltas per publish and rows per snapshot step: the batch size, or the publish size when larger. */
  readonly pageSize: number;
  /** The committed manifest (moves with each commit of this poll). */
  manifest: CaptureManifest | undefined;
  private etag: string | undefined;
  /** Rows the source's hash flagged whose recomputed hash matched the state. */
  divergent = 0;

  constructor(
    readonly deps: CaptureChangesDeps,
    readonly repo: CaptureStateRepository,
    readonly source: MeteredSource,
    readonly request: CaptureChangesRequest,
    readonly layout: RowHashLayout,
    readonly capturedAt: Date,
    private readonly driftSignature: string,
    loaded: { manifest: CaptureManifest; etag: string } | undefined,
  ) {
    this.cfg = request.table;
    this.table = this.cfg.name;
    this.keyColumns = layout.keyColumns;
    this.batchSize = this.cfg.config.batchSize;
    this.pageSize = Math.max(this.batchSize, deps.publishSize ?? 0);
    this.manifest = loaded?.manifest;
    this.etag = loaded?.etag;
  }

  keyOf(row: SourceRow): { key: Buffer; keyValues: string[] } {
    const keyValues = businessKeyOf(this.keyColumns, row);
    return { key: encodeKey(this.keyColumns, keyValues), keyValues };
  }

  versionOf(row: SourceRow): string | null {
    const v = this.layout.versionColumn ? row[this.layout.versionColumn] : null;
    return v === null || v === undefined ? null : String(v);
  }

  hashOf(row: SourceRow, layout: RowHashLayout = this.layout): Buffer {
    return Buffer.from(rowHash(layout.hashColumns, row), 'hex');
  }

  keyValuesOf(key: Buffer): KeyValues {
    return decodeKey(this.keyColumns, key);
  }

  toRange(from: Buffer | null, to: Buffer | null): KeyRange {
    return { from: from ? this.keyValuesOf(from) : null, to: to ? this.keyValuesOf(to) : null };
  }

  change(
    key: Buffer,
    keyValues: readonly string[],
    row: SourceRow | null,
    hash: Buffer | null,
    previous: StateRecord | undefined,
  ): FoundChange {
    const version = row ? this.versionOf(row) : null;
    const op = row === null ? 'delete' : previous ? 'update' : 'insert';
    return {
      key,
      previous,
      record: { key, hash: row === null ? null : hash, version: row === null ? null : version },
      change: {
        op,
        businessKey: keyValues,
        rowHash: row === null ? null : hex(hash),
        previousHash: hex(previous?.hash),
        sourceVersion: version,
        previousVersion: previous?.version ?? null,
        row,
      },
    };
  }

  toDeltas(changes: readonly FoundChange[], snapshot: boolean, seq: number): Delta[] {
    const context = {
      table: this.cfg.spec.table,
      hashSpecVersion: this.layout.specVersion,
      capturedAt: this.capturedAt,
      snapshot,
      occurrence: `seq:${seq}`,
    };
    return changes.map((c) => toDelta(c.change, context));
  }

  async publish(deltas: readonly Delta[] | DeltaSpool): Promise<number> {
    this.deps.crashAt?.('before-publish');
    let published = 0;
    if (Array.isArray(deltas)) {
      const list = deltas as readonly Delta[];
      for (let i = 0; i < list.length; i += this.pageSize) {
        const batch = list.slice(i, i + this.pageSize);
        await this.deps.publisher.publish(batch);
        published += batch.length;
      }
    } else {
      for await (const batch of (deltas as DeltaSpool).batches(this.pageSize)) {
        await this.deps.publisher.publish(batch);
        published += batch.length;
      }
    }
    this.deps.crashAt?.('after-publish');
    return published;
  }

  /** Writes the index, then the manifest (the commit point), then drops what is no longer referenced. */
  async commit(
    seq: number,
    index: StateIndex,
    fields: CommitFields,
    obsolete: readonly string[],
  ): Promise<void> {
    const indexPath = await this.repo.writeIndex(this.table, seq, index);
    this.deps.crashAt?.('mid-state-write');
    const manifest: CaptureManifest = {
      ...fields,
      seq,
      indexPath,
      specVersion: this.layout.specVersion,
      layoutFingerprint: layoutFingerprint(this.layout),
      layoutJson: JSON.stringify({
        keyColumns: this.layout.keyColumns,
        hashColumns: this.layout.hashColumns,
      }),
      layoutVersion: fields.layoutVersion ?? this.manifest?.layoutVersion ?? 1,
      driftSignature: this.driftSignature,
    };
    this.etag = await this.repo.commit(this.table, manifest, this.etag);
    const previousIndex = this.manifest?.indexPath;
    this.manifest = manifest;
    this.deps.crashAt?.('after-state-write');
    await this.repo.deleteObjects([
      ...obsolete,
      ...(previousIndex && previousIndex !== indexPath ? [previousIndex] : []),
    ]);
  }

  guard(deletes: number, priorRows: number, path: CapturePath): void {
    const { maxDeleteShare, massDeleteMinRows } = this.cfg.config;
    if (this.request.allowMassDelete || deletes === 0) return;
    if (deletes < massDeleteMinRows || deletes <= maxDeleteShare * priorRows) return;
    const share = priorRows === 0 ? 1 : deletes / priorRows;
    this.deps.telemetry.event(
      MASS_DELETE_GUARD_EVENT,
      { table: this.table, path },
      { deletes, rowCount: priorRows, share, maxDeleteShare },
    );
    this.deps.logger.error('mass-delete guard stopped the poll; nothing was published', {
      table: this.table,
      deletes,
      rowCount: priorRows,
    });
    throw new GuardError(
      'MASS_DELETE_GUARD',
      `capture of ${this.table}: the poll would delete ${deletes} of ${priorRows} rows (${(share * 100).toFixed(1)} %), more than the allowed ${(maxDeleteShare * 100).toFixed(1)} %; nothing was published. Check the source, then re-run with allowMassDelete to accept it`,
    );
  }

  checkOrder(previous: Buffer | null, key: Buffer): void {
    if (previous && compareKeys(previous, key) >= 0)
      throw new InfrastructureError(
        'KEY_ORDER_MISMATCH',
        `capture of ${this.table}: the source returned keys out of the byte order the capture state uses (key columns ${this.keyColumns.map((c) => c.name).join(', ')}); check the source collation`,
      );
  }

  count(changes: readonly FoundChange[]): { inserts: number; updates: number; deletes: number } {
    let inserts = 0;
    let updates = 0;
    let deletes = 0;
    for (const c of changes) {
      if (c.change.op === 'insert') inserts++;
      else if (c.change.op === 'update') updates++;
      else deletes++;
    }
    return { inserts, updates, deletes };
  }

  /** Publishes the changes of a change-version or range poll, then commits them as an overlay (or a compacted base). */
  async commitIncremental(
    path: CapturePath,
    m: CaptureManifest,
    index: StateIndex,
    view: HashStateView,
    found: FoundChange[],
    priorRows: number,
    watermark: string | null,
  ): Promise<PollOutcome> {
    found.sort((a, b) => compareKeys(a.key, b.key));
    const counts = this.count(found);
    this.guard(counts.deletes, priorRows, path);
    const seq = m.seq + 1;
    const published = found.length > 0 ? await this.publish(this.toDeltas(found, false, seq)) : 0;
    const rowCount = view.rowCount;
    const outcome: PollOutcome = {
      path,
      ...counts,
      published,
      rowCount,
      watermark,
      snapshotComplete: true,
      unverifiedRebased: 0,
      divergentCandidates: this.divergent,
    };
    if (found.length === 0 && watermark === m.watermark) return outcome;
    const fields = {
      status: 'ready' as const,
      watermark,
      pendingWatermark: null,
      rowCount,
      lastReconciledAt: m.lastReconciledAt,
      snapshotCursor: null,
    };
    const compact =
      view.overlaySize > Math.max(this.batchSize, Math.floor(rowCount / 10)) || index.overlays.length >= 32;
    if (compact) {
      const writer = new BaseChunkWriter(this.repo, `${this.table}/base-${seq}`, this.batchSize);
      for await (const records of view.scanChunks()) {
        for (const record of records) writer.add(record);
        await writer.drain();
      }
      await writer.flush();
      const obsolete = [
        ...index.chunks.map((c) => c.path).filter((x): x is string => x !== null),
        ...index.overlays.map((o) => o.path),
      ];
      await this.commit(seq, { chunks: writer.written, overlays: [] }, fields, obsolete);
      return outcome;
    }
    const overlays = [...index.overlays];
    if (view.pendingCount > 0) {
      const builder = new ChunkBuilder();
      for (const record of view.pendingRecords()) builder.add(record);
      const overlayPath = `${this.table}/overlay-${String(seq).padStart(10, '0')}.bin`;
      await this.repo.putObject(overlayPath, builder.build());
      overlays.push({ path: overlayPath, count: builder.count });
    }
    await this.commit(seq, { chunks: view.chunkRefs(), overlays }, fields, []);
    return outcome;
  }
}
