import type { SourceTableName } from '../datasets/source-tables.js';

/** One row's content digest (128-bit, hex) and the business key that carries it. */
export interface ContentClaim {
  readonly digest: string;
  readonly recordKey: string;
}

/**
 * Which business key first delivered each row content, across chunks and batches (the duplicate
 * rule's memory beyond one batch).
 *
 * Guarantees asked of an implementation: `claim` records `recordKey` as the holder of each digest
 * that has none yet, atomically per digest, and returns the holder of every digest given (the caller's
 * own key when its claim won or it already held the digest). Claims are idempotent: a replayed
 * chunk gets the same holders. Digests carry no row value (a hash of the whole content).
 */
export interface ContentIndex {
  claim(table: SourceTableName, claims: readonly ContentClaim[]): Promise<ReadonlyMap<string, string>>;
}

/** In-memory content index (tests, single-process runs). */
export class MemoryContentIndex implements ContentIndex {
  private readonly holders = new Map<string, string>();

  async claim(table: SourceTableName, claims: readonly ContentClaim[]): Promise<ReadonlyMap<string, string>> {
    const out = new Map<string, string>();
    for (const { digest, recordKey } of claims) {
      const key = `${table}\u0000${digest}`;
      let holder = this.holders.get(key);
      if (holder === undefined) {
        holder = recordKey;
        this.holders.set(key, holder);
      }
      out.set(digest, holder);
    }
    return out;
  }
}
