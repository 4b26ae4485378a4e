import { InputError } from '../errors.js';

/**
 * A page of (key, row hash) pairs as the full scan receives them from a source: columnar over one
 * buffer, in key order, so a scan of millions of rows allocates per page and not per row.
 *
 * Contract:
 * - row i's key is `data[keyStarts[i], hashStarts[i])`, in the byte-comparable encoding of
 *   `state-key.ts` (`Buffer.compare` orders keys as the source does);
 * - row i's SHA-256 row hash (docs/row-hash-spec.md) is `data[hashStarts[i], hashStarts[i] + 32)`;
 * - a page is never modified after it is handed over (views into it stay valid).
 */
export interface RowHashPage {
  readonly length: number;
  readonly data: Buffer;
  readonly keyStarts: Uint32Array;
  readonly hashStarts: Uint32Array;
}

export const ROW_HASH_BYTES = 32;

/** Row i's encoded key (a view into the page). */
export function keyAt(page: RowHashPage, i: number): Buffer {
  return page.data.subarray(page.keyStarts[i], page.hashStarts[i]);
}

/** Row i's hash as lowercase hex. */
export function hashHexAt(page: RowHashPage, i: number): string {
  const at = page.hashStarts[i]!;
  return page.data.toString('hex', at, at + ROW_HASH_BYTES);
}

/**
 * A page from the packed form a source can build in SQL, one row after another:
 * `keyLength:u16be key hash:32 bytes` (the embedded source aggregates a page into one hex text of
 * this form, so a page crosses into JavaScript as one value).
 */
export function rowHashPageFromPacked(data: Buffer): RowHashPage {
  let rows = 0;
  let end = 0;
  while (end + 2 <= data.length) {
    end += 2 + data.readUInt16BE(end) + ROW_HASH_BYTES;
    rows++;
  }
  if (end !== data.length)
    throw new InputError(`row hash page: packed rows end at byte ${end}, the page has ${data.length}`);
  const keyStarts = new Uint32Array(rows);
  const hashStarts = new Uint32Array(rows);
  let at = 0;
  for (let i = 0; i < rows; i++) {
    keyStarts[i] = at + 2;
    hashStarts[i] = at + 2 + data.readUInt16BE(at);
    at = hashStarts[i]! + ROW_HASH_BYTES;
  }
  return { length: rows, data, keyStarts, hashStarts };
}

/** Builds one page row by row from encoded keys and hashes (32 bytes, or 64 hex digits). */
export class RowHashPageBuilder {
  private data: Buffer;
  private size = 0;
  private readonly keyStarts: number[] = [];
  private readonly hashStarts: number[] = [];

  constructor(expectedRows = 1024) {
    this.data = Buffer.alloc(Math.max(64, expectedRows * 48));
  }

  get length(): number {
    return this.keyStarts.length;
  }

  push(key: Uint8Array, hash: Uint8Array | string): void {
    const need = key.length + ROW_HASH_BYTES;
    if (this.size + need > this.data.length) {
      const grown = Buffer.alloc(Math.max(this.data.length * 2, this.size + need));
      this.data.copy(grown, 0, 0, this.size);
      this.data = grown;
    }
    this.keyStarts.push(this.size);
    this.data.set(key, this.size);
    this.size += key.length;
    this.hashStarts.push(this.size);
    const written =
      typeof hash === 'string'
        ? this.data.write(hash, this.size, ROW_HASH_BYTES, 'hex')
        : (this.data.set(hash.subarray(0, ROW_HASH_BYTES), this.size), Math.min(hash.length, ROW_HASH_BYTES));
    if (written !== ROW_HASH_BYTES)
      throw new InputError(`row hash page: a row hash is ${ROW_HASH_BYTES} bytes, received ${written}`);
    this.size += ROW_HASH_BYTES;
  }

  build(): RowHashPage {
    return {
      length: this.keyStarts.length,
      data: this.data.subarray(0, this.size),
      keyStarts: Uint32Array.from(this.keyStarts),
      hashStarts: Uint32Array.from(this.hashStarts),
    };
  }
}
