import * as zlib from 'node:zlib';

/**
 * The on-disk record of the local event log (a contract: segment files written by one version are
 * read by the next).
 *
 * ```
 * magic      4 bytes  "NFL1"
 * length     u32 BE   payload length in bytes
 * crc32      u32 BE   CRC-32 (IEEE) of the payload
 * payload:
 *   sequence   u64 BE  per-partition sequence number
 *   enqueued   f64 BE  ms since the Unix epoch
 *   keyLength  u16 BE, partition key (UTF-8; length 0xFFFF = no key)
 *   typeLength u16 BE, content type (UTF-8; length 0xFFFF = none)
 *   body       the rest
 * ```
 * A record is valid only when the magic matches, the whole payload is present and its CRC agrees;
 * anything else at the end of a segment is a torn append.
 */
export const RECORD_MAGIC = Buffer.from('NFL1', 'latin1');
export const RECORD_HEADER_BYTES = 12;
const NONE = 0xffff;

export interface LogRecord {
  readonly sequenceNumber: number;
  readonly enqueuedMs: number;
  readonly partitionKey: string | null;
  readonly contentType: string | null;
  readonly body: Buffer;
}

export function encodeRecord(record: LogRecord): Buffer {
  const key = record.partitionKey === null ? null : Buffer.from(record.partitionKey, 'utf8');
  const type = record.contentType === null ? null : Buffer.from(record.contentType, 'utf8');
  if ((key?.length ?? 0) >= NONE || (type?.length ?? 0) >= NONE)
    throw new RangeError('partition key and content type must be shorter than 65535 bytes');
  const payloadLength = 8 + 8 + 2 + (key?.length ?? 0) + 2 + (type?.length ?? 0) + record.body.length;
  const out = Buffer.allocUnsafe(RECORD_HEADER_BYTES + payloadLength);
  RECORD_MAGIC.copy(out, 0);
  out.writeUInt32BE(payloadLength, 4);
  let at = RECORD_HEADER_BYTES;
  out.writeBigUInt64BE(BigInt(record.sequenceNumber), at);
  at += 8;
  out.writeDoubleBE(record.enqueuedMs, at);
  at += 8;
  out.writeUInt16BE(key ? key.length : NONE, at);
  at += 2;
  if (key) at += key.copy(out, at);
  out.writeUInt16BE(type ? type.length : NONE, at);
  at += 2;
  if (type) at += type.copy(out, at);
  record.body.copy(out, at);
  out.writeUInt32BE(crc32(out.subarray(RECORD_HEADER_BYTES)), 8);
  return out;
}

export type DecodeResult =
  | { readonly kind: 'record'; readonly record: LogRecord; readonly bytes: number }
  /** Not enough bytes yet (a reader should wait; at recovery it is a torn tail). */
  | { readonly kind: 'incomplete'; readonly needBytes: number }
  /** Bytes that can never become a valid record (bad magic or CRC). */
  | { readonly kind: 'invalid'; readonly reason: string };

/** Decodes the record starting at `at` in `buffer`. */
export function decodeRecord(buffer: Buffer, at: number): DecodeResult {
  const available = buffer.length - at;
  if (available < RECORD_HEADER_BYTES) {
    if (
      !RECORD_MAGIC.subarray(0, Math.min(4, available)).equals(
        buffer.subarray(at, at + Math.min(4, available)),
      )
    )
      return { kind: 'invalid', reason: 'bad magic' };
    return { kind: 'incomplete', needBytes: RECORD_HEADER_BYTES };
  }
  if (!buffer.subarray(at, at + 4).equals(RECORD_MAGIC)) return { kind: 'invalid', reason: 'bad magic' };
  const length = buffer.readUInt32BE(at + 4);
  if (length < 20) return { kind: 'invalid', reason: 'payload too short' };
  if (available < RECORD_HEADER_BYTES + length)
    return { kind: 'incomplete', needBytes: RECORD_HEADER_BYTES + length };
  const payload = buffer.subarray(at + RECORD_HEADER_BYTES, at + RECORD_HEADER_BYTES + length);
  if (crc32(payload) !== buffer.readUInt32BE(at + 8)) return { kind: 'invalid', reason: 'checksum mismatch' };
  let p = 0;
  const sequenceNumber = Number(payload.readBigUInt64BE(p));
  p += 8;
  const enqueuedMs = payload.readDoubleBE(p);
  p += 8;
  const keyLength = payload.readUInt16BE(p);
  p += 2;
  let partitionKey: string | null = null;
  if (keyLength !== NONE) {
    partitionKey = payload.toString('utf8', p, p + keyLength);
    p += keyLength;
  }
  const typeLength = payload.readUInt16BE(p);
  p += 2;
  let contentType: string | null = null;
  if (typeLength !== NONE) {
    contentType = payload.toString('utf8', p, p + typeLength);
    p += typeLength;
  }
  if (p > payload.length) return { kind: 'invalid', reason: 'field lengths exceed the payload' };
  return {
    kind: 'record',
    record: { sequenceNumber, enqueuedMs, partitionKey, contentType, body: Buffer.from(payload.subarray(p)) },
    bytes: RECORD_HEADER_BYTES + length,
  };
}

const table = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 (IEEE 802.3): native `zlib.crc32` where Node has it (20.15+), a table otherwise. */
export function crc32(data: Uint8Array): number {
  const native = (zlib as { crc32?: (data: Uint8Array) => number }).crc32;
  if (native) return native(data) >>> 0;
  let c = 0xffffffff;
  for (const byte of data) c = table[(c ^ byte) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
