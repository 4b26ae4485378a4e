import type { ResolvedCaptureTable } from '../../domain/capture/capture-config.js';
import type { Delta } from '../../domain/capture/delta.js';
import { toDelta, type CapturedChange } from '../../domain/capture/delta-factory.js';
import {
  ChunkBuilder,
  compareKeys,
  type RangeDigest,
  type StateRecord,
} from '../../domain/capture/hash-state-chunk.js';
import {
  businessKeyOf,
  layoutFingerprint,
  rowHash,
  type HashColumn,
  type RowHashLayout,
} from '../../domain/capture/row-hash.js';
import {
  detectSchemaDrift,
  driftedLayout,
  driftSignature,
  hasDrift,
  type SchemaDrift,
} from '../../domain/capture/schema-drift.js';
import { decodeKey, encodeKey } from '../../domain/capture/state-key.js';
import type { SourceRow } from '../../domain/datasets/source-tables.js';
import { GuardError, InfrastructureError, toError } from '../../domain/errors.js';
import type {
  ChangeSource,
  KeyRange,
  KeyValues,
  RangeChecksum,
  RowHashEntry,
} from '../ports/change-source.port.js';
import type { Clock } from '../ports/clock.port.js';
import type { EventPublisher } from '../ports/event-publisher.port.js';
import type { Logger } from '../ports/logger.port.js';
import type { ObjectStore } from '../ports/object-store.port.js';
import type { StateStore } from '../ports/state-store.port.js';
import type { Telemetry } from '../ports/telemetry.port.js';
import {
  BaseChunkWriter,
  CaptureStateRepository,
  HashStateView,
  type CaptureManifest,
  type ChunkRef,
  type StateIndex,
} from './capture-hash-state.js';

/** How a poll found its changes. */
export type CapturePath = 'snapshot' | 'full-scan' | 'change-version' | 'range-checksum' | 'rebase';

/**
 * Named points of a poll where a test may inject a crash. The state is advanced only after
 * 'after-publish'; 'mid-state-write' is after the new state objects are written but before the
 * manifest (the commit point) is.
 */
export type CaptureStep = 'before-publish' | 'after-publish' | 'mid-state-write' | 'after-state-write';

export interface CaptureChangesDeps {
  readonly source: ChangeSource;
  readonly publisher: EventPublisher;
  readonly objects: ObjectStore;
  readonly state: StateStore;
  readonly clock: Clock;
  readonly telemetry: Telemetry;
  readonly logger: Logger;
  /** Namespace of the capture state (see `CaptureStateRepository`); default none. */
  readonly stateScope?: string;
  /** Test hook: called at each step; throwing there simulates a crash of the poller. */
  readonly crashAt?: (step: CaptureStep) => void;
}

export interface CaptureChangesRequest {
  readonly table: ResolvedCaptureTable;
  /** Run this path whatever the mode says (operators, tests, benchmarks). */
  readonly forcePath?: 'full-scan' | 'range-checksum' | 'change-version';
  /** An operator accepts a mass delete the guard stopped (one poll). */
  readonly allowMassDelete?: boolean;
  /** Stop an initial snapshot after this many pages (it resumes on the next poll). */
  readonly maxSnapshotPages?: number;
}

/** What the source sent the poller during one poll (the range-checksum path's few-KB claim). */
export interface SourceTraffic {
  readonly calls: number;
  readonly rowsRead: number;
  readonly hashesRead: number;
  readonly rangesCompared: number;
  /** Approximate payload bytes (values' text length, hashes, checksums). */
  readonly bytes: number;
}

export interface CaptureChangesResult {
  readonly table: string;
  readonly path: CapturePath;
  readonly inserts: number;
  readonly updates: number;
  readonly deletes: number;
  readonly published: number;
  readonly rowCount: number;
  readonly watermark: string | null;
  readonly snapshotComplete: boolean;
  readonly drift: SchemaDrift | null;
  /** Rows re-based after a layout change whose old hash could not be recomputed (docs/capture.md). */
  readonly unverifiedRebased: number;
  /** Rows the source's hash flagged but whose recomputed hash matched the state (hash-form divergence). */
  readonly divergentCandidates: number;
  readonly traffic: SourceTraffic;
}

/** Telemetry event when the mass-delete guard stops a poll. */
export const MASS_DELETE_GUARD_EVENT = 'CaptureMassDeleteGuard';
/** Telemetry event when a table's schema drifts from its spec (once per new drift). */
export const SCHEMA_DRIFT_EVENT = 'CaptureSchemaDrift';

/** Creates the container and table the capture state lives in. */
export async function ensureCaptureStorage(
  deps: Pick<CaptureChangesDeps, 'objects' | 'state'>,
): Promise<void> {
  await new CaptureStateRepository(deps.objects, deps.state).ensure();
}

/**
 * Captures one table's changes since its last committed poll and publishes them as deltas.
 *
 * Guarantees:
 * - every path (snapshot, full scan, change version, range checksums, re-base) yields the same deltas
 *   for the same source history, with deterministic event ids, in business-key order;
 * - the state (hashes, watermark) is committed only after `publisher.publish` resolved for every
 *   delta of the poll; a crash anywhere before the commit re-publishes the same event ids on the next
 *   poll, and nothing is lost;
 * - a poll that would delete more than the configured share of the table throws
 *   `GuardError('MASS_DELETE_GUARD')`, publishes nothing and emits `CaptureMassDeleteGuard`;
 * - a heartbeat (last poll, last success, freshness, error code) is written for the table either way.
 */
export async function captureChanges(
  deps: CaptureChangesDeps,
  request: CaptureChangesRequest,
): Promise<CaptureChangesResult> {
  const started = deps.clock.now();
  const repo = new CaptureStateRepository(deps.objects, deps.state, deps.stateScope);
  const table = request.table.spec.table;
  const log = deps.logger.child({ table });
  const meter = new MeteredSource(deps.source);
  try {
    const observed = await meter.describeTable(table);
    const drift = detectSchemaDrift(
      request.table.spec.columns.map((c) => ({ name: c.name, type: c.type })),
      observed,
    );
    const layout = driftedLayout(request.table.layout, drift);
    const loaded = await repo.loadManifest(table);
    const signature = driftSignature(drift);
    if (hasDrift(drift) && signature !== (loaded?.manifest.driftSignature ?? '')) {
      deps.telemetry.event(
        SCHEMA_DRIFT_EVENT,
        { table, drift: signature },
        {
          added: drift.added.length,
          dropped: drift.dropped.length,
          retyped: drift.retyped.length,
        },
      );
      log.warn('source schema drifted from the table spec', { drift: signature });
    }
    const poll = new Poll(deps, repo, meter, request, layout, started, signature, loaded);
    const outcome = await poll.run();
    const result: CaptureChangesResult = {
      ...outcome,
      table,
      drift: hasDrift(drift) ? drift : null,
      traffic: meter.traffic(),
    };
    const finished = deps.clock.now();
    await repo.writeHeartbeat(table, {
      lastPollAt: started.toISOString(),
      lastSuccessAt: started.toISOString(),
      status: 'ok',
      lastErrorCode: '',
      lastPath: result.path,
      lastDeltas: result.published,
      rowCount: result.rowCount,
      watermark: result.watermark ?? '',
      freshnessSeconds: (finished.getTime() - started.getTime()) / 1000,
    });
    deps.telemetry.metric('capture.deltas', result.published, { table, path: result.path });
    deps.telemetry.metric('capture.sourceBytes', result.traffic.bytes, { table, path: result.path });
    deps.telemetry.metric('capture.freshnessSeconds', (finished.getTime() - started.getTime()) / 1000, {
      table,
    });
    log.info('capture poll done', {
      path: result.path,
      published: result.published,
      inserts: result.inserts,
      updates: result.updates,
      deletes: result.deletes,
      rowCount: result.rowCount,
    });
    return result;
  } catch (thrown) {
    const error = toError(thrown);
    const code = (error as { code?: unknown }).code;
    await recordFailure(repo, table, started, typeof code === 'string' ? code : 'UNEXPECTED').catch(
      () => undefined,
    );
    throw error;
  }
}

async function recordFailure(
  repo: CaptureStateRepository,
  table: string,
  at: Date,
  code: string,
): Promise<void> {
  const previous = await repo.readHeartbeat(table);
  await repo.writeHeartbeat(table, {
    lastPollAt: at.toISOString(),
    lastSuccessAt: typeof previous?.lastSuccessAt === 'string' ? previous.lastSuccessAt : '',
    status: 'failed',
    lastErrorCode: code,
    lastPath: typeof previous?.lastPath === 'string' ? previous.lastPath : '',
    lastDeltas: 0,
    rowCount: typeof previous?.rowCount === 'number' ? previous.rowCount : 0,
    watermark: typeof previous?.watermark === 'string' ? previous.watermark : '',
    freshnessSeconds: typeof previous?.freshnessSeconds === 'number' ? previous.freshnessSeconds : -1,
  });
}

/** A table's heartbeat and how old its captured data is now. */
export interface CaptureHeartbeat {
  readonly table: string;
  readonly status: 'ok' | 'failed' | 'never';
  readonly lastPollAt: string | null;
  readonly lastSuccessAt: string | null;
  readonly lastErrorCode: string | null;
  /** Seconds since the start of the last successful poll (the age of the newest captured data). */
  readonly freshnessSeconds: number | null;
}

/** Reads a table's heartbeat and computes its freshness against the clock. */
export async function readCaptureHeartbeat(
  deps: Pick<CaptureChangesDeps, 'objects' | 'state' | 'clock' | 'stateScope'>,
  table: string,
): Promise<CaptureHeartbeat> {
  const value = await new CaptureStateRepository(deps.objects, deps.state, deps.stateScope).readHeartbeat(
    table,
  );
  if (!value)
    return {
      table,
      status: 'never',
      lastPollAt: null,
      lastSuccessAt: null,
      lastErrorCode: null,
      freshnessSeconds: null,
    };
  const lastSuccessAt =
    typeof value.lastSuccessAt === 'string' && value.lastSuccessAt ? value.lastSuccessAt : null;
  return {
    table,
    status: value.status === 'ok' ? 'ok' : 'failed',
    lastPollAt: typeof value.lastPollAt === 'string' ? value.lastPollAt : null,
    lastSuccessAt,
    lastErrorCode:
      typeof value.lastErrorCode === 'string' && value.lastErrorCode ? value.lastErrorCode : null,
    freshnessSeconds: lastSuccessAt ? (deps.clock.now().getTime() - Date.parse(lastSuccessAt)) / 1000 : null,
  };
}

// ------------------------------------------------------------------------------------------------

type Outcome = Omit<CaptureChangesResult, 'table' | 'drift' | 'traffic'>;

/** One source row in a full pass: its key, its hash, and the full row when it was read. */
interface SourceItem {
  kind: 'source';
  key: Buffer;
  keyValues: string[];
  hash: string;
  row: SourceRow | null;
  prev: undefined;
}

/** A change found by a path, with its encoded key and the state record it leaves. */
interface FoundChange {
  readonly key: Buffer;
  readonly change: CapturedChange;
  readonly record: StateRecord;
  readonly previous: StateRecord | undefined;
}

const hex = (hash: Buffer | null | undefined): string | null => (hash ? hash.toString('hex') : null);

class Poll {
  private readonly cfg: ResolvedCaptureTable;
  private readonly table: string;
  private readonly keyColumns: readonly HashColumn[];
  private readonly batchSize: number;
  private manifest: CaptureManifest | undefined;
  private etag: string | undefined;
  private divergent = 0;

  constructor(
    private readonly deps: CaptureChangesDeps,
    private readonly repo: CaptureStateRepository,
    private readonly source: MeteredSource,
    private readonly request: CaptureChangesRequest,
    private readonly layout: RowHashLayout,
    private readonly capturedAt: Date,
    private readonly driftSignature: string,
    loaded: { manifest: CaptureManifest; etag: string } | undefined,
  ) {
    this.cfg = request.table;
    this.table = this.cfg.spec.table;
    this.keyColumns = layout.keyColumns;
    this.batchSize = this.cfg.config.batchSize;
    this.manifest = loaded?.manifest;
    this.etag = loaded?.etag;
  }

  async run(): Promise<Outcome> {
    const m = this.manifest;
    if (!m || m.status === 'snapshot') return this.snapshot();
    if (m.layoutFingerprint !== layoutFingerprint(this.layout)) return this.fullPass(true);
    const reconcileDue =
      m.lastReconciledAt === null ||
      this.capturedAt.getTime() - Date.parse(m.lastReconciledAt) >=
        this.cfg.config.reconciliationIntervalMinutes * 60_000;
    const path = this.request.forcePath ?? (reconcileDue ? 'full-scan' : this.cfg.config.mode);
    if (path === 'full-scan') return this.fullPass(false);
    if (path === 'range-checksum') return this.rangePoll();
    return this.changeVersionPoll();
  }

  // ---------------------------------------------------------------------------- helpers

  private keyOf(row: SourceRow): { key: Buffer; keyValues: string[] } {
    const keyValues = businessKeyOf(this.keyColumns, row);
    return { key: encodeKey(this.keyColumns, keyValues), keyValues };
  }

  private versionOf(row: SourceRow): string | null {
    const v = this.layout.versionColumn ? row[this.layout.versionColumn] : null;
    return v === null || v === undefined ? null : String(v);
  }

  private hashOf(row: SourceRow, layout: RowHashLayout = this.layout): Buffer {
    return Buffer.from(rowHash(layout.hashColumns, row), 'hex');
  }

  private keyValuesOf(key: Buffer): KeyValues {
    return decodeKey(this.keyColumns, key);
  }

  private toRange(from: Buffer | null, to: Buffer | null): KeyRange {
    return { from: from ? this.keyValuesOf(from) : null, to: to ? this.keyValuesOf(to) : null };
  }

  private change(
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

  private toDeltas(changes: readonly FoundChange[], snapshot: boolean, seq: number): Delta[] {
    const context = {
      table: this.cfg.spec.table,
      hashSpecVersion: this.layout.specVersion,
      capturedAt: this.capturedAt,
      snapshot,
      occurrence: `seq:${seq}`,
    };
    return changes.map((c) => toDelta(c.change, context));
  }

  private async publish(deltas: readonly Delta[] | DeltaSpool): Promise<number> {
    this.deps.crashAt?.('before-publish');
    let published = 0;
    if (Array.isArray(deltas)) {
      const list = deltas as readonly Delta[];
      for (let i = 0; i < list.length; i += this.batchSize) {
        const batch = list.slice(i, i + this.batchSize);
        await this.deps.publisher.publish(batch);
        published += batch.length;
      }
    } else {
      for await (const batch of (deltas as DeltaSpool).batches(this.batchSize)) {
        await this.deps.publisher.publish(batch);
        published += batch.length;
      }
    }
    this.deps.crashAt?.('after-publish');
    return published;
  }

  /** Writes the index, then the manifest (the commit point), then drops what is no longer referenced. */
  private async commit(
    seq: number,
    index: StateIndex,
    fields: Omit<
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
    },
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

  private guard(deletes: number, priorRows: number, path: CapturePath): void {
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

  private checkOrder(previous: Buffer | null, key: Buffer): void {
    if (previous && compareKeys(previous, key) >= 0)
      throw new InfrastructureError(
        'KEY_ORDER_MISMATCH',
        `capture of ${this.table}: the source returned keys out of the byte order the capture state uses (key columns ${this.keyColumns.map((c) => c.name).join(', ')}); check the source collation`,
      );
  }

  private count(changes: readonly FoundChange[]): { inserts: number; updates: number; deletes: number } {
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

  // ---------------------------------------------------------------------------- snapshot

  /** Initial snapshot: pages of full rows in key order, each page published then committed (resumable). */
  private async snapshot(): Promise<Outcome> {
    let m = this.manifest;
    let chunks: readonly ChunkRef[] = [];
    let cursor: Buffer | null = null;
    let pendingWatermark: string | null;
    let rowCount = 0;
    if (m) {
      chunks = (await this.repo.loadIndex(m.indexPath)).chunks;
      cursor = m.snapshotCursor ? Buffer.from(m.snapshotCursor, 'base64') : null;
      pendingWatermark = m.pendingWatermark;
      rowCount = m.rowCount;
    } else {
      pendingWatermark = this.layout.versionColumn
        ? await this.source.currentVersion(this.table, this.layout.versionColumn)
        : null;
    }
    const snapshotStartedAt = m?.lastReconciledAt ?? this.capturedAt.toISOString();
    const prefix = `${this.table}/snapshot-${Date.parse(snapshotStartedAt)}`;
    let published = 0;
    let pages = 0;
    let done = false;
    const rowPages = this.source.scanRows({
      table: this.table,
      keyColumns: this.keyColumns,
      after: cursor ? this.keyValuesOf(cursor) : null,
      pageSize: this.batchSize,
    });
    const stream = rowPages[Symbol.asyncIterator]();
    let next = await stream.next();
    while (!done) {
      if (this.request.maxSnapshotPages !== undefined && pages >= this.request.maxSnapshotPages) {
        await stream.return?.(undefined);
        break;
      }
      const rows = next.done ? [] : next.value;
      next = next.done ? next : await stream.next();
      pages++;
      done = next.done === true;
      const seq = (m?.seq ?? 0) + 1;
      const writer = new BaseChunkWriter(this.repo, prefix, this.batchSize, chunks);
      const changes: FoundChange[] = [];
      let last = cursor;
      for (const row of rows) {
        const { key, keyValues } = this.keyOf(row);
        this.checkOrder(last, key);
        last = key;
        const found = this.change(key, keyValues, row, this.hashOf(row), undefined);
        changes.push(found);
        writer.add(found.record);
      }
      published += await this.publish(this.toDeltas(changes, true, seq));
      await writer.flush();
      chunks = writer.written;
      rowCount += rows.length;
      cursor = last;
      await this.commit(
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
      m = this.manifest;
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

  // ---------------------------------------------------------------------------- full pass

  /**
   * Full scan: the source's (key, row hash) pages in key order merge-joined against the state
   * stream; only rows whose hash differs are fetched. With `rebase`, full rows are read and compared
   * under the layout the state was written with (docs/capture.md § Schema drift).
   */
  private async fullPass(rebase: boolean): Promise<Outcome> {
    const m = this.manifest!;
    const seq = m.seq + 1;
    const watermark = this.layout.versionColumn
      ? await this.source.currentVersion(this.table, this.layout.versionColumn)
      : null;
    const index = await this.repo.loadIndex(m.indexPath);
    const view = await HashStateView.load(this.repo, index);
    const priorRows = view.rowCount;
    const oldLayout: RowHashLayout | null = rebase
      ? { ...this.layout, ...(JSON.parse(m.layoutJson) as Pick<RowHashLayout, 'keyColumns' | 'hashColumns'>) }
      : null;
    const writer = new BaseChunkWriter(this.repo, `${this.table}/base-${seq}`, this.batchSize);
    const spool = new DeltaSpool(
      this.repo,
      `${this.table}/spool-${seq}`,
      Math.max(this.batchSize * 4, 20_000),
    );
    const deltaContext = { snapshot: false, seq };
    const totals = { inserts: 0, updates: 0, deletes: 0, unverified: 0, rows: 0 };

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
    let window: Slot[] = [];

    const emit = (found: FoundChange) => {
      totals[
        found.change.op === 'insert' ? 'inserts' : found.change.op === 'update' ? 'updates' : 'deletes'
      ]++;
      for (const d of this.toDeltas([found], deltaContext.snapshot, deltaContext.seq)) spool.add(d);
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
          const rows = await this.source.readRowsByKeys({
            table: this.table,
            keyColumns: this.keyColumns,
            keys: wanted.map((s) => s.keyValues),
          });
          for (const row of rows) fetched.set(this.keyOf(row).key.toString('latin1'), row);
        }
      }
      for (const slot of slots) {
        if (slot.kind === 'delete') {
          emit(this.change(slot.prev.key, this.keyValuesOf(slot.prev.key), null, null, slot.prev));
          continue;
        }
        const prev = slot.prev;
        if (rebase) {
          const row = slot.row!;
          const hash = Buffer.from(slot.hash, 'hex');
          if (!prev) {
            emit(this.change(slot.key, slot.keyValues, row, hash, undefined));
            writer.add({ key: slot.key, hash, version: this.versionOf(row) });
            continue;
          }
          const oldHash = hashUnderOldLayout(oldLayout!, row);
          if (oldHash === null || oldHash === prev.hash!.toString('hex')) {
            if (oldHash === null) totals.unverified++;
            writer.add({ key: slot.key, hash, version: prev.version });
          } else {
            const found = this.change(slot.key, slot.keyValues, row, hash, prev);
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
          if (prev) emit(this.change(slot.key, slot.keyValues, null, null, prev));
          continue;
        }
        const hash = this.hashOf(row);
        if (prev && hash.equals(prev.hash!)) {
          this.divergent++;
          writer.add(prev);
          continue;
        }
        const found = this.change(slot.key, slot.keyValues, row, hash, prev);
        emit(found);
        writer.add(found.record);
      }
      await writer.drain();
      await spool.spill();
    };

    let candidates = 0;
    // Two sorted runs read a page / a chunk at a time; awaits only when a buffer runs out.
    const sourcePages = this.sourcePages(rebase);
    const stateChunks = view.scanChunks();
    let src: SourceItem[] = [];
    let si = 0;
    let srcDone = false;
    let st: StateRecord[] = [];
    let ti = 0;
    let stDone = false;
    for (;;) {
      if (si >= src.length && !srcDone) {
        const next = await sourcePages.next();
        if (next.done) srcDone = true;
        else [src, si] = [next.value, 0];
        continue;
      }
      if (ti >= st.length && !stDone) {
        const next = await stateChunks.next();
        if (next.done) stDone = true;
        else [st, ti] = [next.value, 0];
        continue;
      }
      const s = si < src.length ? src[si] : undefined;
      const t = ti < st.length ? st[ti] : undefined;
      if (!s && !t) break;
      const cmp = s && t ? compareKeys(s.key, t.key) : s ? -1 : 1;
      if (cmp < 0) {
        window.push({ ...s!, prev: undefined, same: false });
        totals.rows++;
        candidates++;
        si++;
      } else if (cmp > 0) {
        window.push({ kind: 'delete', prev: t! });
        ti++;
      } else {
        const same = !rebase && t!.hash!.toString('hex') === s!.hash;
        window.push({ ...s!, prev: t!, same });
        totals.rows++;
        if (!same) candidates++;
        si++;
        ti++;
      }
      // Resolve when enough rows need fetching (one read per batch) or the window gets long.
      if (candidates >= this.batchSize || window.length >= 4 * this.batchSize) {
        candidates = 0;
        await resolveWindow();
      }
    }
    await resolveWindow();
    await writer.flush();
    try {
      this.guard(totals.deletes, priorRows, rebase ? 'rebase' : 'full-scan');
    } catch (error) {
      await this.repo.deleteObjects([...writer.written.map((c) => c.path!), ...spool.paths]);
      throw error;
    }
    const published = await this.publish(spool);
    const obsolete = [
      ...index.chunks.map((c) => c.path).filter((x): x is string => x !== null),
      ...index.overlays.map((o) => o.path),
      ...spool.paths,
    ];
    const rowCount = writer.written.reduce((n, c) => n + c.count, 0);
    await this.commit(
      seq,
      { chunks: writer.written, overlays: [] },
      {
        status: 'ready',
        watermark: watermark ?? m.watermark,
        pendingWatermark: null,
        rowCount,
        lastReconciledAt: this.capturedAt.toISOString(),
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
      divergentCandidates: this.divergent,
    };
  }

  /** Source pages for the full pass: (key, source hash) pages streamed in key order, or full rows hashed here when re-basing. */
  private async *sourcePages(rebase: boolean): AsyncGenerator<SourceItem[]> {
    let last: Buffer | null = null;
    const check = (items: SourceItem[]) => {
      for (const item of items) {
        this.checkOrder(last, item.key);
        last = item.key;
      }
      return items;
    };
    if (!rebase) {
      for await (const page of this.source.scanRowHashes({ layout: this.layout, pageSize: this.batchSize }))
        yield check(
          page.map((e) => ({
            kind: 'source' as const,
            key: encodeKey(this.keyColumns, e.key),
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
      const rows = await this.source.readRows({
        table: this.table,
        keyColumns: this.keyColumns,
        after,
        limit: this.batchSize,
      });
      const items = check(
        rows.map((row) => {
          const { key, keyValues } = this.keyOf(row);
          return {
            kind: 'source' as const,
            key,
            keyValues,
            hash: rowHash(this.layout.hashColumns, row),
            row,
            prev: undefined,
          };
        }),
      );
      if (items.length > 0) yield items;
      if (items.length < this.batchSize) return;
      after = items[items.length - 1]!.keyValues;
    }
  }

  // ---------------------------------------------------------------------------- change version

  /** Fast path: rows whose change version moved, O(changes); deletes localised by range checksums. */
  private async changeVersionPoll(): Promise<Outcome> {
    const m = this.manifest!;
    if (!this.layout.versionColumn) return this.fullPass(false);
    const changes = await this.source.readChangesSince({
      table: this.table,
      keyColumns: this.keyColumns,
      versionColumn: this.layout.versionColumn,
      sinceVersion: m.watermark,
      limit: this.cfg.config.maxFastPathChanges,
    });
    if (changes.truncated) return this.fullPass(false);
    const index = await this.repo.loadIndex(m.indexPath);
    const view = await HashStateView.load(this.repo, index);
    const priorRows = view.rowCount;
    const found: FoundChange[] = [];
    let last: Buffer | null = null;
    for (const row of changes.rows) {
      const { key, keyValues } = this.keyOf(row);
      this.checkOrder(last, key);
      last = key;
      const hash = this.hashOf(row);
      const prev = await view.lookup(key);
      if (prev && prev.hash!.equals(hash)) continue;
      const f = this.change(key, keyValues, row, hash, prev);
      view.apply(f.record, prev);
      found.push(f);
    }
    // Rows missing from the count were deleted (or written under an older version): find them by range.
    if (changes.rowCount !== view.rowCount) found.push(...(await this.rangeDiff(view, true)));
    return this.finishIncremental('change-version', m, index, view, found, priorRows, changes.upToVersion);
  }

  // ---------------------------------------------------------------------------- range checksums

  private async rangePoll(): Promise<Outcome> {
    const m = this.manifest!;
    const watermark = this.layout.versionColumn
      ? await this.source.currentVersion(this.table, this.layout.versionColumn)
      : null;
    const index = await this.repo.loadIndex(m.indexPath);
    const view = await HashStateView.load(this.repo, index);
    const priorRows = view.rowCount;
    const found = await this.rangeDiff(view);
    return this.finishIncremental(
      'range-checksum',
      m,
      index,
      view,
      found,
      priorRows,
      watermark ?? m.watermark,
    );
  }

  /**
   * Compares the state's range digests with the source's, bisecting differing ranges (fan-out
   * `fanOut`) until they hold at most `leafRows` state rows, then fetches those ranges row by row
   * (one read per batch of ranges). With `countOnly` (the change-version path, where only deletes
   * remain to be found) the source counts without hashing. Applies what it finds to the view.
   */
  private async rangeDiff(view: HashStateView, countOnly = false): Promise<FoundChange[]> {
    const { leafRows, fanOut } = this.cfg.config;
    interface Range {
      from: Buffer | null;
      to: Buffer | null;
      digest: RangeDigest;
      entries?: StateRecord[];
    }
    let level: Range[] = view.ranges();
    const leaves: Range[] = [];
    while (level.length > 0) {
      const sums: RangeChecksum[] = await this.source.rangeChecksums({
        layout: this.layout,
        ranges: level.map((r) => this.toRange(r.from, r.to)),
        countOnly,
      });
      const next: Range[] = [];
      for (let i = 0; i < level.length; i++) {
        const r = level[i]!;
        const s = sums[i]!;
        if (s.count === r.digest.count && (countOnly || s.sum === r.digest.sum.toString())) continue;
        const entries = r.entries ?? (await view.entriesInRange(r.from, r.to));
        if (entries.length <= leafRows || s.count <= leafRows) {
          leaves.push({ ...r, entries });
          continue;
        }
        const parts = Math.min(fanOut, entries.length);
        for (let j = 0; j < parts; j++) {
          const lo = Math.floor((j * entries.length) / parts);
          const hi = Math.floor(((j + 1) * entries.length) / parts);
          const slice = entries.slice(lo, hi);
          const digest: RangeDigest = { count: 0, sum: 0n };
          for (const e of slice) {
            digest.count++;
            digest.sum += e.hash!.readBigInt64BE(0);
          }
          next.push({
            from: j === 0 ? r.from : entries[lo]!.key,
            to: j === parts - 1 ? r.to : entries[hi]!.key,
            digest,
            entries: slice,
          });
        }
      }
      level = next;
    }
    // Leaves are disjoint: in key order, their state rows and their source rows are two sorted runs.
    leaves.sort((a, b) => (a.from === null ? -1 : b.from === null ? 1 : compareKeys(a.from, b.from)));
    const entries = leaves.flatMap((leaf) => leaf.entries ?? []);
    const rows =
      leaves.length === 0
        ? []
        : await this.source.readRowsInRanges({
            table: this.table,
            keyColumns: this.keyColumns,
            ranges: leaves.map((leaf) => this.toRange(leaf.from, leaf.to)),
          });
    const found: FoundChange[] = [];
    const gone = (prev: StateRecord) => {
      const f = this.change(prev.key, this.keyValuesOf(prev.key), null, null, prev);
      view.apply(f.record, prev);
      found.push(f);
    };
    let e = 0;
    let last: Buffer | null = null;
    for (const row of rows) {
      const { key, keyValues } = this.keyOf(row);
      this.checkOrder(last, key);
      last = key;
      while (e < entries.length && compareKeys(entries[e]!.key, key) < 0) gone(entries[e++]!);
      const prev = e < entries.length && compareKeys(entries[e]!.key, key) === 0 ? entries[e++] : undefined;
      const hash = this.hashOf(row);
      if (prev && prev.hash!.equals(hash)) {
        if (!countOnly) this.divergent++;
        continue;
      }
      const f = this.change(key, keyValues, row, hash, prev);
      view.apply(f.record, prev);
      found.push(f);
    }
    while (e < entries.length) gone(entries[e++]!);
    return found;
  }

  /** Publishes the changes of a change-version or range poll, then commits them as an overlay (or a compacted base). */
  private async finishIncremental(
    path: CapturePath,
    m: CaptureManifest,
    index: StateIndex,
    view: HashStateView,
    found: FoundChange[],
    priorRows: number,
    watermark: string | null,
  ): Promise<Outcome> {
    found.sort((a, b) => compareKeys(a.key, b.key));
    const counts = this.count(found);
    this.guard(counts.deletes, priorRows, path);
    const seq = m.seq + 1;
    const published = found.length > 0 ? await this.publish(this.toDeltas(found, false, seq)) : 0;
    const rowCount = view.rowCount;
    const outcome: Outcome = {
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

/** Deltas of a full pass, kept in memory up to a limit and spilled to the state container beyond it. */
class DeltaSpool {
  private memory: Delta[] = [];
  readonly paths: string[] = [];

  constructor(
    private readonly repo: CaptureStateRepository,
    private readonly prefix: string,
    private readonly spillAt: number,
  ) {}

  add(delta: Delta): void {
    this.memory.push(delta);
  }

  /** Spills the in-memory deltas when there are many. */
  async spill(): Promise<void> {
    if (this.memory.length >= this.spillAt) {
      const path = `${this.prefix}/part-${String(this.paths.length).padStart(6, '0')}.ndjson`;
      await this.repo.putObject(path, this.memory.map((d) => JSON.stringify(d)).join('\n'));
      this.paths.push(path);
      this.memory = [];
    }
  }

  async *batches(size: number): AsyncGenerator<Delta[]> {
    for (const path of this.paths) {
      const lines = (await this.repo.getObject(path)).toString('utf8').split('\n');
      const deltas = lines.map((l) => JSON.parse(l) as Delta);
      for (let i = 0; i < deltas.length; i += size) yield deltas.slice(i, i + size);
    }
    for (let i = 0; i < this.memory.length; i += size) yield this.memory.slice(i, i + size);
  }
}

/** Wraps the change source to count what it sends back (rows, hashes, checksums, approximate bytes). */
class MeteredSource {
  private calls = 0;
  private rowsRead = 0;
  private hashesRead = 0;
  private rangesCompared = 0;
  private bytes = 0;

  constructor(private readonly inner: ChangeSource) {}

  traffic(): SourceTraffic {
    return {
      calls: this.calls,
      rowsRead: this.rowsRead,
      hashesRead: this.hashesRead,
      rangesCompared: this.rangesCompared,
      bytes: this.bytes,
    };
  }

  private rows(rows: readonly SourceRow[]): void {
    this.calls++;
    this.rowsRead += rows.length;
    for (const row of rows)
      for (const value of Object.values(row)) this.bytes += value === null ? 1 : String(value).length + 1;
  }

  async describeTable(table: string) {
    this.calls++;
    return this.inner.describeTable(table);
  }

  async readRows(request: Parameters<ChangeSource['readRows']>[0]) {
    const rows = await this.inner.readRows(request);
    this.rows(rows);
    return rows;
  }

  async readRowsByKeys(request: Parameters<ChangeSource['readRowsByKeys']>[0]) {
    const rows = await this.inner.readRowsByKeys(request);
    this.rows(rows);
    return rows;
  }

  async readRowHashes(request: Parameters<ChangeSource['readRowHashes']>[0]) {
    const entries = await this.inner.readRowHashes(request);
    this.calls++;
    this.hashesRead += entries.length;
    for (const e of entries)
      this.bytes += 32 + (e.version?.length ?? 0) + e.key.reduce((n, k) => n + k.length + 1, 0);
    return entries;
  }

  async readChangesSince(request: Parameters<ChangeSource['readChangesSince']>[0]) {
    const set = await this.inner.readChangesSince(request);
    this.rows(set.rows);
    this.bytes += 24;
    return set;
  }

  async rangeChecksums(request: Parameters<ChangeSource['rangeChecksums']>[0]) {
    const sums = await this.inner.rangeChecksums(request);
    this.calls++;
    this.rangesCompared += sums.length;
    // What crosses the wire per range: a count (8 bytes) and a 64-bit sum that may carry (16 bytes).
    this.bytes += sums.length * (request.countOnly ? 8 : 24);
    return sums;
  }

  async readRowsInRanges(request: Parameters<ChangeSource['readRowsInRanges']>[0]) {
    const rows = await this.inner.readRowsInRanges(request);
    this.rows(rows);
    return rows;
  }

  async *scanRows(request: Parameters<ChangeSource['scanRows']>[0]): AsyncGenerator<readonly SourceRow[]> {
    for await (const page of this.inner.scanRows(request)) {
      this.rows(page);
      yield page;
    }
  }

  async *scanRowHashes(
    request: Parameters<ChangeSource['scanRowHashes']>[0],
  ): AsyncGenerator<readonly RowHashEntry[]> {
    this.calls++;
    for await (const page of this.inner.scanRowHashes(request)) {
      this.hashesRead += page.length;
      for (const e of page) this.bytes += 32 + e.key.reduce((n, k) => n + k.length + 1, 0);
      yield page;
    }
  }

  async currentVersion(table: string, versionColumn: string) {
    this.calls++;
    this.bytes += 8;
    return this.inner.currentVersion(table, versionColumn);
  }
}
