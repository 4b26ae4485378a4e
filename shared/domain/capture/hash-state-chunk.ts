import { InputError } from '../errors.js';

/**
 * The capture state of a table is a key-sorted run of (encoded key, row hash, change version),
 * stored as immutable chunks (base) plus small sorted runs of later changes (overlays). This module
 * is the binary chunk format and the additive range digest.
 *
 * Contract (stored objects, read back by later polls):
 * ```
 * chunk   = "NHC1" count:u32be offset:u32be[count] record[count]     (records sorted by key)
 * record  = keyLength:u16be key flags:u8 hash:32 bytes versionLength:u8 version:ASCII
 * flags   = 0 present | 1 tombstone (overlays only; hash bytes are zero)
 * ```
 * Offsets make a lookup a binary search over the raw bytes (no decoding of the chunk).
 */
export interface StateRecord {
  /** Encoded business key (state-key.ts). */
  readonly key: Buffer;
  /** SHA-256 row hash (32 bytes), or null for a tombstone. */
  readonly hash: Buffer | null;
  /** Change version of the row when its hash was recorded (decimal text), or null. */
  readonly version: string | null;
}

const MAGIC = 0x4e484331; // "NHC1"

/** Builds one chunk from records appended in key order (one growing buffer, no per-record allocation). */
export class ChunkBuilder {
  private body: Buffer;
  private readonly offsets: number[] = [];
  private size = 0;

  /** @param expectedBytes initial room for records (grows as needed) */
  constructor(expectedBytes = 64 * 1024) {
    this.body = Buffer.allocUnsafe(Math.max(1024, expectedBytes));
  }

  get count(): number {
    return this.offsets.length;
  }

  add(record: StateRecord): void {
    const version = record.version ?? '';
    const need = 2 + record.key.length + 34 + version.length;
    if (this.size + need > this.body.length) {
      const grown = Buffer.allocUnsafe(Math.max(this.body.length * 2, this.size + need));
      this.body.copy(grown, 0, 0, this.size);
      this.body = grown;
    }
    const b = this.body;
    let at = this.size;
    this.offsets.push(at);
    b.writeUInt16BE(record.key.length, at);
    at += 2;
    at += record.key.copy(b, at);
    b[at++] = record.hash ? 0 : 1;
    if (record.hash) record.hash.copy(b, at);
    else b.fill(0, at, at + 32);
    at += 32;
    b[at++] = version.length;
    at += b.write(version, at, 'latin1');
    this.size = at;
  }

  /**
   * Appends records `from` ≤ i < `to` of a chunk as they are (one copy of their bytes): the full scan
   * carries unchanged records over to the new base this way.
   */
  addRecords(reader: ChunkReader, from: number, to: number): void {
    if (to <= from) return;
    const start = reader.offsetOf(from);
    const end = reader.recordEnd(to - 1);
    const need = end - start;
    if (this.size + need > this.body.length) {
      const grown = Buffer.allocUnsafe(Math.max(this.body.length * 2, this.size + need));
      this.body.copy(grown, 0, 0, this.size);
      this.body = grown;
    }
    const shift = this.size - start;
    for (let i = from; i < to; i++) this.offsets.push(reader.offsetOf(i) + shift);
    this.size += reader.bytes.copy(this.body, this.size, start, end);
  }

  build(): Buffer {
    const header = Buffer.allocUnsafe(8 + 4 * this.offsets.length);
    header.writeUInt32BE(MAGIC, 0);
    header.writeUInt32BE(this.offsets.length, 4);
    const base = header.length;
    this.offsets.forEach((offset, i) => header.writeUInt32BE(base + offset, 8 + 4 * i));
    return Buffer.concat([header, this.body.subarray(0, this.size)], base + this.size);
  }
}

/** Reads a chunk's records without copying (keys and hashes are views into the buffer). */
export class ChunkReader {
  readonly count: number;
  constructor(private readonly buf: Buffer) {
    if (buf.length < 8 || buf.readUInt32BE(0) !== MAGIC)
      throw new InputError('capture state: chunk has no NHC1 header (not a capture state chunk)');
    this.count = buf.readUInt32BE(4);
  }

  /** The record count (a chunk is a sorted page for `mergeSortedRuns`). */
  get length(): number {
    return this.count;
  }

  /** The chunk's bytes (read-only). */
  get bytes(): Buffer {
    return this.buf;
  }

  /** Byte offset of record i in the chunk. */
  offsetOf(i: number): number {
    return this.buf.readUInt32BE(8 + 4 * i);
  }

  /** Byte offset just past record i. */
  recordEnd(i: number): number {
    return i + 1 < this.count ? this.offsetOf(i + 1) : this.buf.length;
  }

  /** Byte offset of record i's 32-byte hash. */
  hashOffset(i: number): number {
    const at = this.offsetOf(i);
    return at + 3 + this.buf.readUInt16BE(at);
  }

  /** Sign of (key of record i − `other[start, end)`), in byte order, without copying. */
  compareKey(i: number, other: Uint8Array, start: number, end: number): number {
    const at = this.offsetOf(i);
    return compareBytes(this.buf, at + 2, at + 2 + this.buf.readUInt16BE(at), other, start, end);
  }

  /** Whether record i's hash equals the 32 bytes of `other` at `at` (record i must not be a tombstone). */
  hashEquals(i: number, other: Uint8Array, at: number): boolean {
    const h = this.hashOffset(i);
    const buf = this.buf;
    // Last bytes first: equal hashes are the common case, and the loop is short either way.
    for (let k = 31; k >= 0; k--) if (buf[h + k] !== other[at + k]) return false;
    return true;
  }

  private offset(i: number): number {
    return this.offsetOf(i);
  }

  keyAt(i: number): Buffer {
    const at = this.offset(i);
    return this.buf.subarray(at + 2, at + 2 + this.buf.readUInt16BE(at));
  }

  recordAt(i: number): StateRecord {
    const at = this.offset(i);
    const keyEnd = at + 2 + this.buf.readUInt16BE(at);
    const tombstone = this.buf[keyEnd] === 1;
    const versionLength = this.buf[keyEnd + 33]!;
    return {
      key: this.buf.subarray(at + 2, keyEnd),
      hash: tombstone ? null : this.buf.subarray(keyEnd + 1, keyEnd + 33),
      version:
        versionLength === 0 ? null : this.buf.toString('latin1', keyEnd + 34, keyEnd + 34 + versionLength),
    };
  }

  /** Index of the record with this key, or -1. */
  find(key: Buffer): number {
    let lo = 0;
    let hi = this.count - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const cmp = Buffer.compare(this.keyAt(mid), key);
      if (cmp === 0) return mid;
      if (cmp < 0) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }

  /** Index of the first record whose key is ≥ key (count when none). */
  lowerBound(key: Buffer): number {
    let lo = 0;
    let hi = this.count;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (Buffer.compare(this.keyAt(mid), key) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  *records(from = 0): Generator<StateRecord> {
    for (let i = from; i < this.count; i++) yield this.recordAt(i);
  }
}

/** Count and exact sum of signed 64-bit hash prefixes of a set of rows (docs/row-hash-spec.md § 6). */
export interface RangeDigest {
  count: number;
  sum: bigint;
}

export function emptyDigest(): RangeDigest {
  return { count: 0, sum: 0n };
}

export function hashPrefix(hash: Buffer): bigint {
  return hash.readBigInt64BE(0);
}

export function addToDigest(digest: RangeDigest, hash: Buffer): void {
  digest.count += 1;
  digest.sum += hashPrefix(hash);
}

export function removeFromDigest(digest: RangeDigest, hash: Buffer): void {
  digest.count -= 1;
  digest.sum -= hashPrefix(hash);
}

export function compareKeys(a: Buffer, b: Buffer): number {
  return Buffer.compare(a, b);
}

/**
 * Sign of (`a[aStart, aEnd)` − `b[bStart, bEnd)`) in byte order, as `Buffer.compare` on the two
 * ranges, without allocating: for the short keys of a full scan a loop is cheaper than a native call.
 */
export function compareBytes(
  a: Uint8Array,
  aStart: number,
  aEnd: number,
  b: Uint8Array,
  bStart: number,
  bEnd: number,
): number {
  const n = Math.min(aEnd - aStart, bEnd - bStart);
  for (let k = 0; k < n; k++) {
    const x = a[aStart + k]!;
    const y = b[bStart + k]!;
    if (x !== y) return x < y ? -1 : 1;
  }
  const d = aEnd - aStart - (bEnd - bStart);
  return d === 0 ? 0 : d < 0 ? -1 : 1;
}
