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
  private body = Buffer.allocUnsafe(64 * 1024);
  private readonly offsets: number[] = [];
  private size = 0;

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

  private offset(i: number): number {
    return this.buf.readUInt32BE(8 + 4 * i);
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
