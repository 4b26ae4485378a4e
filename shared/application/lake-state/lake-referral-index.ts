import type { ReferralIndex, ReferralTableName } from '../../domain/validate/referral-index.js';
import { keyedStatesBy, type KeyedLakeState, type KeyedStateDeps } from './keyed-lake-state.js';

interface Pending {
  readonly ids: Set<string>;
  readonly done: Promise<Map<string, string | null>>;
}

/**
 * Every accepted referral id (with its received date) as keyed state in the lake
 * (`state/referrals-<table>/`). Lookups made in the same tick are answered by one read per
 * touched bucket (the validation engine asks for a chunk's referral ids concurrently), never one
 * request per id. Referral ids are service identifiers, not patient identifiers.
 */
export class LakeReferralIndex implements ReferralIndex {
  private readonly pending = new Map<ReferralTableName, Pending>();
  private readonly answers = new Map<string, string | null>();

  private readonly state: (table: ReferralTableName) => KeyedLakeState;

  constructor(deps: KeyedStateDeps) {
    this.state = keyedStatesBy(
      (table: ReferralTableName) => ({
        name: `referrals-${table}`,
        buckets: 8,
        keyColumn: 'referral_id',
        columns: [
          { name: 'referral_id', type: 'string', nullable: false },
          { name: 'received_date', type: 'string', nullable: true },
        ],
      }),
      deps,
    );
  }

  async has(table: ReferralTableName, referralId: string): Promise<boolean> {
    return (await this.lookup(table, referralId)) !== undefined;
  }

  async receivedDate(table: ReferralTableName, referralId: string): Promise<string | undefined> {
    return (await this.lookup(table, referralId)) ?? undefined;
  }

  /** Records accepted referrals (idempotent: a referral's latest received date replaces the old). */
  async record(
    table: ReferralTableName,
    referrals: readonly { id: string; receivedDate: string | null }[],
  ): Promise<void> {
    const latest = new Map(referrals.map((r) => [r.id, r.receivedDate]));
    await this.state(table).update([...latest.keys()], (existing, ids) => {
      const held = new Map(existing.map((r) => [String(r.referral_id), r.received_date ?? null]));
      const rows = ids
        .filter((id) => !held.has(id) || held.get(id) !== (latest.get(id) ?? null))
        .map((id) => ({ referral_id: id, received_date: latest.get(id) ?? null }));
      return { rows, result: null };
    });
    for (const [id, date] of latest) this.answers.set(`${table}\u0000${id}`, date);
  }

  /** undefined = unknown referral; null = known without a received date. */
  private async lookup(table: ReferralTableName, referralId: string): Promise<string | null | undefined> {
    const cacheKey = `${table}\u0000${referralId}`;
    if (this.answers.has(cacheKey)) return this.answers.get(cacheKey);
    let batch = this.pending.get(table);
    if (!batch) {
      const ids = new Set<string>();
      const done = new Promise<Map<string, string | null>>((resolve, reject) => {
        // Gather every id asked for in this tick, then read them as one set.
        setImmediate(() => {
          this.pending.delete(table);
          this.state(table)
            .read([...ids])
            .then((rows) => {
              const found = new Map<string, string | null>();
              for (const r of rows)
                found.set(
                  String(r.referral_id),
                  typeof r.received_date === 'string' ? r.received_date : null,
                );
              resolve(found);
            }, reject);
        });
      });
      batch = { ids, done };
      this.pending.set(table, batch);
    }
    batch.ids.add(referralId);
    const found = await batch.done;
    const answer = found.get(referralId);
    if (answer !== undefined) this.answers.set(cacheKey, answer);
    return answer;
  }
}
