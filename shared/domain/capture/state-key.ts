import { InputError } from '../errors.js';
import type { HashColumn } from './row-hash.js';

/**
 * Byte-comparable encoding of business keys: `Buffer.compare` of two encoded keys orders them exactly
 * as the source orders the key columns (integers numerically, everything else by UTF-8 bytes,
 * composite keys column by column). The capture state is sorted by it, and the merge-join compares
 * with it.
 *
 * Contract (stored in capture state chunks):
 * - int/bigint: 8 bytes, big-endian two's complement with the sign bit flipped;
 * - any other type: the canonical text's UTF-8 bytes; in a column that is not the last, each 0x00
 *   byte becomes 0x00 0xFF and the column ends with 0x00 0x01.
 */
export function encodeKey(keyColumns: readonly HashColumn[], key: readonly string[]): Buffer {
  if (keyColumns.length === 1) {
    const only = keyColumns[0]!;
    return isInteger(only) ? encodeInteger(key[0] ?? '', only.name) : Buffer.from(key[0] ?? '', 'utf8');
  }
  const parts: Buffer[] = [];
  keyColumns.forEach((col, i) => {
    const value = key[i] ?? '';
    if (isInteger(col)) parts.push(encodeInteger(value, col.name));
    else if (i === keyColumns.length - 1) parts.push(Buffer.from(value, 'utf8'));
    else parts.push(escapeZero(Buffer.from(value, 'utf8')), TERMINATOR);
  });
  return Buffer.concat(parts);
}

/** The canonical key text per column back from an encoded key. */
export function decodeKey(keyColumns: readonly HashColumn[], encoded: Buffer): string[] {
  const out: string[] = [];
  let at = 0;
  keyColumns.forEach((col, i) => {
    if (isInteger(col)) {
      out.push((encoded.readBigUInt64BE(at) - SIGN).toString());
      at += 8;
    } else if (i === keyColumns.length - 1) {
      out.push(encoded.toString('utf8', at));
      at = encoded.length;
    } else {
      const bytes: number[] = [];
      for (;;) {
        const b = encoded[at]!;
        if (b === 0) {
          const next = encoded[at + 1];
          at += 2;
          if (next === 1) break;
          bytes.push(0);
        } else {
          bytes.push(b);
          at++;
        }
      }
      out.push(Buffer.from(bytes).toString('utf8'));
    }
  });
  return out;
}

const SIGN = 1n << 63n;
const TERMINATOR = Buffer.from([0, 1]);

function isInteger(col: HashColumn): boolean {
  return col.type === 'int' || col.type === 'bigint';
}

function encodeInteger(text: string, column: string): Buffer {
  if (!/^-?\d+$/.test(text)) throw new InputError(`capture: key column '${column}' expected an integer`);
  const buf = Buffer.allocUnsafe(8);
  buf.writeBigUInt64BE(BigInt(text) + SIGN);
  return buf;
}

function escapeZero(bytes: Buffer): Buffer {
  if (!bytes.includes(0)) return bytes;
  const out: number[] = [];
  for (const b of bytes) {
    out.push(b);
    if (b === 0) out.push(0xff);
  }
  return Buffer.from(out);
}
