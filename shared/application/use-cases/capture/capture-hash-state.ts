import {
  addToDigest,
  ChunkBuilder,
  ChunkReader,
  compareKeys,
  removeFromDigest,
  type RangeDigest,
  type StateRecord,
} from '../../../domain/capture/hash-state-chunk.js';
import { mergeSortedArrays } from '../../../domain/capture/merge-join.js';
import { InfrastructureError } from '../../../domain/errors.js';
import type { ObjectStore } from '../../ports/object-store.port.js';
import type { StateStore } from '../../ports/state-store.port.js';

/** Object-store container holding capture state chunks, overlays and indexes. */
export const CAPTURE_STATE_CONTAINER = 'cdc-state';
/** State-store table holding one manifest and one heartbeat per captured table. */
export const CAPTURE_STATE_TABLE = 'cdcstate';

/**
 * The commit point of a table's capture state. It is written last, with an etag condition, after
 * the deltas it accounts for were published; everything it points to is written before it and is
 * never modified afterwards.
 */
export interface CaptureManifest {
  readonly status: 'snapshot' | 'ready';
  /** Commit sequence: every commit writes its objects under this number + 1 first. */
  readonly seq: number;
  readonly indexPath: string;
  readonly specVersion: number;
  readonly layoutFingerprint: string;
  /** The hashed layout (JSON) the stored hashes were computed with (re-basing after drift uses it). */
  readonly layoutJson: string;
  /** Moves by one every time the table's layout moves (drift, configuration). */
  readonly layoutVersion: number;
  /** The change version every stored hash is at least as new as (next fast-path poll reads after it). */
  readonly watermark: string | null;
  /** Snapshot in progress: the version read before it started. */
  readonly pendingWatermark: string | null;
  readonly rowCount: number;
  readonly lastReconciledAt: string | null;
  /** Snapshot in progress: last key captured (base64 of the encoded key). */
  readonly snapshotCursor: string | null;
  readonly driftSignature: string;
}

/** One base chunk: its object, the first key of its range and the digest of its rows. */
export interface ChunkRef {
  readonly path: string | null;
  /** base64 of the encoded first key of the chunk's range; null for the first chunk. */
  readonly firstKey: string | null;
  readonly count: number;
  readonly sum: string;
}

/** The object a manifest points to: base chunks (with effective digests) and overlays, oldest first. */
export interface StateIndex {
  readonly chunks: readonly ChunkRef[];
  readonly overlays: readonly { readonly path: string; readonly count: number }[];
}

function keyId(key: Buffer): string {
  return key.toString('latin1');
}

/** Reads and commits capture manifests and the objects they point to. */
export class CaptureStateRepository {
  /**
   * @param scope optional namespace: object paths go under `<scope>/` and state partitions are
   * `<scope>.<table>`, so several capture deployments (or tests) can share one account.
   */
  constructor(
    private readonly objects: ObjectStore,
    private readonly state: StateStore,
    private readonly scope = '',
  ) {}

  private path(path: string): string {
    return this.scope ? `${this.scope}/${path}` : path;
  }

  private partition(table: string): string {
    return this.scope ? `${this.scope}.${table}` : table;
  }

  async ensure(): Promise<void> {
    await this.objects.ensureContainers([CAPTURE_STATE_CONTAINER]);
    await this.state.ensureTables([CAPTURE_STATE_TABLE]);
  }

  async loadManifest(table: string): Promise<{ manifest: CaptureManifest; etag: string } | undefined> {
    const entity = await this.state.get<{ json: string }>(
      CAPTURE_STATE_TABLE,
      this.partition(table),
      'manifest',
    );
    if (!entity) return undefined;
    return { manifest: JSON.parse(entity.value.json) as CaptureManifest, etag: entity.etag };
  }

  async loadIndex(path: string): Promise<StateIndex> {
    const body = await this.objects.get(CAPTURE_STATE_CONTAINER, this.path(path));
    if (!body)
      throw new InfrastructureError(
        'CAPTURE_STATE_MISSING',
        `capture state index '${path}' is missing from ${CAPTURE_STATE_CONTAINER}`,
      );
    return JSON.parse(body.toString('utf8')) as StateIndex;
  }

  async putObject(path: string, body: Buffer | string): Promise<void> {
    await this.objects.put(CAPTURE_STATE_CONTAINER, this.path(path), body);
  }

  async getObject(path: string): Promise<Buffer> {
    const body = await this.objects.get(CAPTURE_STATE_CONTAINER, this.path(path));
    if (!body)
      throw new InfrastructureError(
        'CAPTURE_STATE_MISSING',
        `capture state object '${path}' is missing from ${CAPTURE_STATE_CONTAINER}`,
      );
    return body;
  }

  async writeIndex(table: string, seq: number, index: StateIndex): Promise<string> {
    const path = `${table}/index-${String(seq).padStart(10, '0')}.json`;
    await this.putObject(path, JSON.stringify(index));
    return path;
  }

  /** Writes the manifest: creates it, or replaces it only while `etag` still matches. */
  async commit(table: string, manifest: CaptureManifest, etag: string | undefined): Promise<string> {
    const value = { json: JSON.stringify(manifest), seq: manifest.seq };
    // Both fail with ConcurrencyError when another poller committed first.
    if (etag === undefined)
      return this.state.insert(CAPTURE_STATE_TABLE, this.partition(table), 'manifest', value);
    return this.state.upsert(CAPTURE_STATE_TABLE, this.partition(table), 'manifest', value, etag);
  }

  /** Deletes objects no committed manifest points to any more (best effort: orphans cost only space). */
  async deleteObjects(paths: readonly string[]): Promise<void> {
    for (let i = 0; i < paths.length; i += 8)
      await Promise.all(
        paths
          .slice(i, i + 8)
          .map((path) =>
            this.objects.delete(CAPTURE_STATE_CONTAINER, this.path(path)).catch(() => undefined),
          ),
      );
  }

  async writeHeartbeat(table: string, value: Record<string, string | number | boolean>): Promise<void> {
    await this.state.upsert(CAPTURE_STATE_TABLE, this.partition(table), 'heartbeat', value);
  }

  async readHeartbeat(table: string): Promise<Record<string, string | number | boolean | null> | undefined> {
    return (await this.state.get(CAPTURE_STATE_TABLE, this.partition(table), 'heartbeat'))?.value;
  }
}

/** Chunk writes a writer lets run alongside its caller. */
const PUTS_IN_FLIGHT = 2;

/** Writes sorted records as base chunks of `chunkRows` records each. */
export class BaseChunkWriter {
  private builder: ChunkBuilder;
  private firstKey: Buffer | null = null;
  // The open chunk's digest: the sum of signed 64-bit prefixes kept as two exact doubles (high
  // signed 32 bits, low unsigned 32 bits), folded into a bigint when the chunk is sealed. With at
  // most 2^20 records per fold neither sum leaves the 53-bit range.
  private digestCount = 0;
  private sumHigh = 0;
  private sumLow = 0;
  private sumFolded = 0n;
  private readonly refs: ChunkRef[];
  private readonly sealed: { ref: ChunkRef; body: Buffer }[] = [];
  private readonly puts: Promise<void>[] = [];
  private next: number;

  constructor(
    private readonly repo: CaptureStateRepository,
    private readonly prefix: string,
    private readonly chunkRows: number,
    existing: readonly ChunkRef[] = [],
  ) {
    this.refs = [...existing];
    this.next = existing.length;
    this.builder = this.newBuilder();
  }

  /** Room for a chunk of typical records (short keys, a version), so it rarely grows. */
  private newBuilder(): ChunkBuilder {
    return new ChunkBuilder(Math.min(this.chunkRows, 100_000) * 64);
  }

  get written(): readonly ChunkRef[] {
    return this.refs;
  }

  /** Appends a record (synchronously; full chunks wait in memory until `drain`). */
  add(record: StateRecord): void {
    if (!record.hash) return;
    if (this.builder.count === 0) this.firstKey = Buffer.from(record.key);
    this.builder.add(record);
    this.addPrefix(record.hash, 0);
    if (this.builder.count >= this.chunkRows) this.seal();
  }

  /** Appends records `from` ≤ i < `to` of a chunk without tombstones, copying their bytes as they are. */
  addRecords(reader: ChunkReader, from: number, to: number): void {
    const bytes = reader.bytes;
    while (from < to) {
      if (this.builder.count === 0) this.firstKey = Buffer.from(reader.keyAt(from));
      const n = Math.min(to - from, this.chunkRows - this.builder.count);
      this.builder.addRecords(reader, from, from + n);
      for (let i = from; i < from + n; i++) this.addPrefix(bytes, reader.hashOffset(i));
      from += n;
      if (this.builder.count >= this.chunkRows) this.seal();
    }
  }

  private addPrefix(hash: Buffer, at: number): void {
    this.sumHigh += hash.readInt32BE(at);
    this.sumLow += hash.readUInt32BE(at + 4);
    if ((++this.digestCount & 0xfffff) === 0) this.fold();
  }

  private fold(): void {
    this.sumFolded += BigInt(this.sumHigh) * 4294967296n + BigInt(this.sumLow);
    this.sumHigh = 0;
    this.sumLow = 0;
  }

  private seal(): void {
    if (this.builder.count === 0) return;
    this.fold();
    const n = this.next++;
    this.sealed.push({
      body: this.builder.build(),
      ref: {
        path: `${this.prefix}/chunk-${String(n).padStart(6, '0')}.bin`,
        firstKey: n === 0 ? null : this.firstKey!.toString('base64'),
        count: this.digestCount,
        sum: this.sumFolded.toString(),
      },
    });
    this.builder = this.newBuilder();
    this.digestCount = 0;
    this.sumFolded = 0n;
    this.firstKey = null;
  }

  /**
   * Starts writing the sealed chunks; returns once at most `PUTS_IN_FLIGHT` writes are still going
   * (they overlap with the caller's work; `flush` waits for all of them).
   */
  async drain(): Promise<void> {
    while (this.sealed.length > 0) {
      const { ref, body } = this.sealed.shift()!;
      const put = this.repo.putObject(ref.path!, body);
      put.catch(() => undefined);
      this.puts.push(put);
      this.refs.push(ref);
      while (this.puts.length > PUTS_IN_FLIGHT) await this.puts.shift();
    }
  }

  /** Waits for the writes already started, ignoring their outcome (a failed poll's cleanup). */
  async settle(): Promise<void> {
    await Promise.allSettled(this.puts.splice(0));
  }

  /** Seals the open chunk, if any, writes everything and waits until every write is done. */
  async flush(): Promise<void> {
    this.seal();
    await this.drain();
    while (this.puts.length > 0) await this.puts.shift();
  }
}

/** One range of the state view: a base chunk's key range and the effective digest of its rows. */
export interface StateRange {
  readonly chunk: number;
  readonly from: Buffer | null;
  readonly to: Buffer | null;
  readonly digest: RangeDigest;
}

/**
 * The effective hash state of a table: base chunks overlaid by later change runs, plus the changes of
 * the poll in progress. Lookups go in key order through a small chunk cache, so a change-version poll
 * touches only the chunks its keys fall in; scans stream chunk by chunk (memory flat in table size).
 */
export class HashStateView {
  private readonly firstKeys: (Buffer | null)[];
  private readonly digests: RangeDigest[];
  private readonly overlay = new Map<string, StateRecord>();
  private readonly pending = new Map<string, StateRecord>();
  private sortedOverlay: StateRecord[] | null = null;
  private readonly cache = new Map<number, ChunkReader>();

  private constructor(
    private readonly repo: CaptureStateRepository,
    private readonly chunks: readonly ChunkRef[],
  ) {
    this.firstKeys = chunks.map((c) => (c.firstKey === null ? null : Buffer.from(c.firstKey, 'base64')));
    this.digests = chunks.map((c) => ({ count: c.count, sum: BigInt(c.sum) }));
  }

  static async load(repo: CaptureStateRepository, index: StateIndex | null): Promise<HashStateView> {
    const chunks =
      index && index.chunks.length > 0 ? index.chunks : [{ path: null, firstKey: null, count: 0, sum: '0' }];
    const view = new HashStateView(repo, chunks);
    for (const overlay of index?.overlays ?? []) {
      const reader = new ChunkReader(await repo.getObject(overlay.path));
      for (const record of reader.records()) view.overlay.set(keyId(record.key), copyRecord(record));
    }
    return view;
  }

  get rowCount(): number {
    return this.digests.reduce((n, d) => n + d.count, 0);
  }

  /** Number of records in overlays (persisted and pending). */
  get overlaySize(): number {
    return this.overlay.size + [...this.pending.keys()].filter((k) => !this.overlay.has(k)).length;
  }

  get persistedOverlays(): number {
    return this.overlay.size;
  }

  /** The base chunk whose range holds a key. */
  chunkFor(key: Buffer): number {
    let lo = 1;
    let hi = this.firstKeys.length - 1;
    let found = 0;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (compareKeys(this.firstKeys[mid]!, key) <= 0) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  }

  private async reader(i: number): Promise<ChunkReader | null> {
    const ref = this.chunks[i]!;
    if (ref.path === null) return null;
    const cached = this.cache.get(i);
    if (cached) return cached;
    const reader = new ChunkReader(await this.repo.getObject(ref.path));
    if (this.cache.size >= 4) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(i, reader);
    return reader;
  }

  /** The current record for a key (undefined when absent or deleted). */
  async lookup(key: Buffer): Promise<StateRecord | undefined> {
    const id = keyId(key);
    const hit = this.pending.get(id) ?? this.overlay.get(id);
    if (hit) return hit.hash ? hit : undefined;
    const reader = await this.reader(this.chunkFor(key));
    if (!reader) return undefined;
    const at = reader.find(key);
    return at < 0 ? undefined : reader.recordAt(at);
  }

  /** Records a change of this poll (`record.hash === null` deletes) and moves the chunk digest. */
  apply(record: StateRecord, previous: StateRecord | undefined): void {
    const digest = this.digests[this.chunkFor(record.key)]!;
    if (previous?.hash) removeFromDigest(digest, previous.hash);
    if (record.hash) addToDigest(digest, record.hash);
    this.pending.set(keyId(record.key), copyRecord(record));
    this.sortedOverlay = null;
  }

  /** The changes applied in this poll, sorted by key (tombstones included). */
  pendingRecords(): StateRecord[] {
    return [...this.pending.values()].sort((a, b) => compareKeys(a.key, b.key));
  }

  get pendingCount(): number {
    return this.pending.size;
  }

  /** Ranges of the base chunks with their effective digests. */
  ranges(): StateRange[] {
    return this.digests.map((digest, i) => ({
      chunk: i,
      from: i === 0 ? null : this.firstKeys[i]!,
      to: i + 1 < this.firstKeys.length ? this.firstKeys[i + 1]! : null,
      digest: { ...digest },
    }));
  }

  /** Chunk refs for an index that keeps the same base (digests moved by the overlays). */
  chunkRefs(): ChunkRef[] {
    return this.chunks.map((c, i) => ({
      ...c,
      count: this.digests[i]!.count,
      sum: this.digests[i]!.sum.toString(),
    }));
  }

  private overlayRecords(): StateRecord[] {
    if (!this.sortedOverlay) {
      const merged = new Map(this.overlay);
      for (const [k, v] of this.pending) merged.set(k, v);
      this.sortedOverlay = [...merged.values()].sort((a, b) => compareKeys(a.key, b.key));
    }
    return this.sortedOverlay;
  }

  /** Every live record in key order, one array per base chunk (tombstones removed). */
  async *scanChunks(): AsyncGenerator<StateRecord[]> {
    const overlay = this.overlayRecords();
    let o = 0;
    for (let i = 0; i < this.chunks.length; i++) {
      const ref = this.chunks[i]!;
      if (ref.path === null) continue;
      const reader = new ChunkReader(await this.repo.getObject(ref.path));
      const out: StateRecord[] = [];
      for (let r = 0; r < reader.count; r++) {
        const record = reader.recordAt(r);
        while (o < overlay.length && compareKeys(overlay[o]!.key, record.key) < 0) {
          const extra = overlay[o++]!;
          if (extra.hash) out.push(extra);
        }
        if (o < overlay.length && compareKeys(overlay[o]!.key, record.key) === 0) {
          const replaced = overlay[o++]!;
          if (replaced.hash) out.push(replaced);
          continue;
        }
        out.push(record);
      }
      if (out.length > 0) yield out;
    }
    const rest = overlay.slice(o).filter((r) => r.hash);
    if (rest.length > 0) yield rest;
  }

  /**
   * Every live record in key order, as one chunk reader per base chunk: the stored chunk itself when
   * no overlay record falls in its range (no decoding, no copy), otherwise the chunk rebuilt with its
   * overlay records merged in. Tombstones are removed; empty chunks are skipped.
   */
  async *scanChunkReaders(): AsyncGenerator<ChunkReader> {
    const overlay = this.overlayRecords();
    let o = 0;
    // The next chunk is read while the current one is merged.
    const read = (i: number): Promise<Buffer | null> | null => {
      const path = i < this.chunks.length ? this.chunks[i]!.path : null;
      if (path === null) return i < this.chunks.length ? Promise.resolve(null) : null;
      const body = this.repo.getObject(path);
      body.catch(() => undefined);
      return body;
    };
    let ahead = read(0);
    for (let i = 0; i < this.chunks.length; i++) {
      const upper = i + 1 < this.firstKeys.length ? this.firstKeys[i + 1]! : null;
      let end = o;
      while (end < overlay.length && (upper === null || compareKeys(overlay[end]!.key, upper) < 0)) end++;
      const body = await ahead!;
      ahead = read(i + 1);
      const base = body === null ? null : new ChunkReader(body);
      if (end === o) {
        if (base && base.count > 0) yield base;
        continue;
      }
      const builder = new ChunkBuilder();
      const rows = base?.count ?? 0;
      let r = 0;
      while (r < rows || o < end) {
        const extra = o < end ? overlay[o]! : undefined;
        const cmp =
          r < rows && extra ? base!.compareKey(r, extra.key, 0, extra.key.length) : r < rows ? -1 : 1;
        if (cmp < 0) {
          builder.addRecords(base!, r, r + 1);
          r++;
          continue;
        }
        if (cmp === 0) r++;
        if (extra!.hash) builder.add(extra!);
        o++;
      }
      if (builder.count > 0) yield new ChunkReader(builder.build());
    }
  }

  /** Every live record in key order, streamed chunk by chunk (tombstones removed). */
  async *scan(): AsyncGenerator<StateRecord> {
    const overlay = this.overlayRecords();
    let o = 0;
    for (let i = 0; i < this.chunks.length; i++) {
      const ref = this.chunks[i]!;
      if (ref.path === null) continue;
      const reader = new ChunkReader(await this.repo.getObject(ref.path));
      for (let r = 0; r < reader.count; r++) {
        const key = reader.keyAt(r);
        while (o < overlay.length && compareKeys(overlay[o]!.key, key) < 0) {
          const extra = overlay[o++]!;
          if (extra.hash) yield extra;
        }
        if (o < overlay.length && compareKeys(overlay[o]!.key, key) === 0) {
          const replaced = overlay[o++]!;
          if (replaced.hash) yield replaced;
          continue;
        }
        yield reader.recordAt(r);
      }
    }
    while (o < overlay.length) {
      const extra = overlay[o++]!;
      if (extra.hash) yield extra;
    }
  }

  /**
   * Live records with from ≤ key < to, in key order: the base chunks' records merged with the
   * overlay's in the range (found by binary search in the sorted overlay; an overlay record replaces
   * the base record with its key, and a tombstone removes it). Linear in the range, not the overlay:
   * the bisection of a change-version poll calls this once per differing range, with every change of
   * the poll in the overlay.
   */
  async entriesInRange(from: Buffer | null, to: Buffer | null): Promise<StateRecord[]> {
    return this.liveInRange(
      from,
      to,
      (reader, r) => reader.recordAt(r),
      (record) => record,
      (record) => record.key,
    );
  }

  /**
   * The keys of `entriesInRange`, without each record's hash and version: all that count-only
   * bisection needs to cut a range (a record costs three allocations, a key one).
   */
  async keysInRange(from: Buffer | null, to: Buffer | null): Promise<Buffer[]> {
    return this.liveInRange(
      from,
      to,
      (reader, r) => reader.keyAt(r),
      (record) => record.key,
      (key) => key,
    );
  }

  private async liveInRange<T>(
    from: Buffer | null,
    to: Buffer | null,
    ofBase: (reader: ChunkReader, r: number) => T,
    ofOverlay: (record: StateRecord) => T,
    keyOf: (item: T) => Buffer,
  ): Promise<T[]> {
    const base: T[] = [];
    const first = from === null ? 0 : this.chunkFor(from);
    for (let i = first; i < this.chunks.length; i++) {
      const start = this.firstKeys[i];
      if (i > first && to !== null && start && compareKeys(start, to) >= 0) break;
      const reader = await this.reader(i);
      if (!reader) continue;
      const end = to === null ? reader.count : reader.lowerBound(to);
      for (let r = from === null ? 0 : reader.lowerBound(from); r < end; r++) base.push(ofBase(reader, r));
    }
    const sorted = this.overlayRecords();
    const lo = from === null ? 0 : firstAtOrAfter(sorted, from);
    const hi = to === null ? sorted.length : firstAtOrAfter(sorted, to);
    if (lo >= hi) return base;
    const out: T[] = [];
    const overlaid = (record: StateRecord) => {
      if (record.hash) out.push(ofOverlay(record));
    };
    mergeSortedArrays(base, sorted.slice(lo, hi), (item, record) => compareKeys(keyOf(item), record.key), {
      sourceOnly: (item) => out.push(item),
      stateOnly: overlaid,
      both: (_replaced, record) => overlaid(record),
    });
    return out;
  }
}

/** The index of the first record whose key is ≥ `key` in records sorted by key (their length if none). */
function firstAtOrAfter(records: readonly StateRecord[], key: Buffer): number {
  let lo = 0;
  let hi = records.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareKeys(records[mid]!.key, key) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function copyRecord(record: StateRecord): StateRecord {
  return {
    key: Buffer.from(record.key),
    hash: record.hash ? Buffer.from(record.hash) : null,
    version: record.version,
  };
}
