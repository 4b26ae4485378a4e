import type { SourceTableName } from '../../domain/datasets/source-tables.js';
import type { ContentClaim, ContentIndex } from '../../domain/validate/content-index.js';
import { keyedStatesBy, type KeyedLakeState, type KeyedStateDeps } from './keyed-lake-state.js';

/**
 * The duplicate rule's memory across chunks and batches, as keyed state in the lake
 * (`state/content-<table>/`, 16 buckets by digest). A chunk's claims cost one read and at most one
 * run per touched bucket; the first holder of a digest wins atomically because a bucket's run is
 * committed only if no other claim committed since it was read (the loser re-reads and sees the
 * winner's holder).
 */
export class LakeContentIndex implements ContentIndex {
  private readonly state: (table: SourceTableName) => KeyedLakeState;

  constructor(deps: KeyedStateDeps) {
    this.state = keyedStatesBy(
      (table: SourceTableName) => ({
        name: `content-${table}`,
        buckets: 16,
        keyColumn: 'digest',
        columns: [
          { name: 'digest', type: 'string', nullable: false },
          { name: 'record_key', type: 'string', nullable: false },
        ],
      }),
      deps,
    );
  }

  async claim(table: SourceTableName, claims: readonly ContentClaim[]): Promise<ReadonlyMap<string, string>> {
    const wanted = new Map<string, string>();
    for (const c of claims) if (!wanted.has(c.digest)) wanted.set(c.digest, c.recordKey);
    const holders = new Map<string, string>();
    const planned = await this.state(table).update([...wanted.keys()], (existing, digests) => {
      const held = new Map(existing.map((r) => [String(r.digest), String(r.record_key)]));
      const rows = [];
      const out = new Map<string, string>();
      for (const digest of digests) {
        const holder = held.get(digest);
        if (holder !== undefined) out.set(digest, holder);
        else {
          const recordKey = wanted.get(digest)!;
          rows.push({ digest, record_key: recordKey });
          out.set(digest, recordKey);
        }
      }
      return { rows, result: out };
    });
    for (const part of planned) for (const [d, h] of part) holders.set(d, h);
    return holders;
  }
}
