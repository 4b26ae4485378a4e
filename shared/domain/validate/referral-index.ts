import type { SourceRow, SourceTableName } from '../datasets/source-tables.js';

/**
 * The parent tables child records point at: the referral tables contacts and assessments name by
 * `referral_id`, and the SUS+ APC spell table episodes name by provider + hospital provider spell
 * number (its index id is {@link spellIndexId}).
 */
export type ReferralTableName = 'mhsds_referral' | 'csds_referral' | 'sus_apc_spell';

/** Which parent table a record points into, or undefined for tables without a parent. */
export function referralTableOf(table: SourceTableName): ReferralTableName | undefined {
  switch (table) {
    case 'mhsds_care_contact':
    case 'mhsds_cluster_assessment':
      return 'mhsds_referral';
    case 'csds_care_contact':
      return 'csds_referral';
    case 'sus_apc_episode':
      return 'sus_apc_spell';
    default:
      return undefined;
  }
}

/**
 * The id a SUS+ APC spell has in the parent index: provider + hospital provider spell number (the
 * spell number is provider-local), or undefined when either is missing. Service identifiers, not
 * patient identifiers.
 */
export function spellIndexId(row: SourceRow): string | undefined {
  const provider = row['provider_code'];
  const spell = row['hospital_provider_spell_number'];
  return typeof provider === 'string' && provider !== '' && typeof spell === 'string' && spell !== ''
    ? `${provider}|${spell}`
    : undefined;
}

/**
 * Referrals known to the caller: in the same delivery, in earlier batches, in the warehouse.
 *
 * Guarantees asked of an implementation: `has` is true exactly when a referral with that id exists
 * in `table`; `receivedDate` (optional) gives its referral received date ('YYYY-MM-DD') when held;
 * `firstContactDate` (optional) the date of its earliest known care contact.
 * The engine asks once per distinct referral id per batch (all ids of a chunk concurrently) and
 * caches the answers, so a remote implementation sees one round of lookups per chunk.
 */
export interface ReferralIndex {
  has(table: ReferralTableName, referralId: string): Promise<boolean>;
  receivedDate?(table: ReferralTableName, referralId: string): Promise<string | undefined>;
  /** Date ('YYYY-MM-DD') of the earliest care contact known under the referral, when held. */
  firstContactDate?(table: ReferralTableName, referralId: string): Promise<string | undefined>;
}

/** An index that knows no referral (for tables that have none, and for tests). */
export const NO_REFERRALS: ReferralIndex = {
  has: async () => false,
};

/** In-memory index, e.g. built from the accepted referral rows of the same delivery. */
export class MemoryReferralIndex implements ReferralIndex {
  private readonly dates = new Map<string, string | undefined>();
  private readonly firstContacts = new Map<string, string>();

  private static key(table: ReferralTableName, id: string): string {
    return `${table}\u0000${id}`;
  }

  add(table: ReferralTableName, referralId: string, receivedDate?: string): this {
    this.dates.set(MemoryReferralIndex.key(table, referralId), receivedDate);
    return this;
  }

  /** Adds SUS+ APC spell rows (wire form) by {@link spellIndexId}. */
  addSpellRows(rows: Iterable<SourceRow>): this {
    for (const row of rows) {
      const id = spellIndexId(row);
      if (id !== undefined) this.add('sus_apc_spell', id);
    }
    return this;
  }

  /** Adds referral rows (wire form) of `table`: `referral_id` and `referral_received_date`. */
  addRows(table: ReferralTableName, rows: Iterable<SourceRow>): this {
    for (const row of rows) {
      const id = row['referral_id'];
      const date = row['referral_received_date'];
      if (typeof id === 'string') this.add(table, id, typeof date === 'string' ? date : undefined);
    }
    return this;
  }

  /** Adds care contact rows (wire form) under referrals of `table`: `referral_id` and `contact_date`. */
  addContactRows(table: ReferralTableName, rows: Iterable<SourceRow>): this {
    for (const row of rows) {
      const id = row['referral_id'];
      const date = row['contact_date'];
      if (typeof id !== 'string' || typeof date !== 'string') continue;
      const key = MemoryReferralIndex.key(table, id);
      const known = this.firstContacts.get(key);
      if (known === undefined || date < known) this.firstContacts.set(key, date);
    }
    return this;
  }

  get size(): number {
    return this.dates.size;
  }

  async has(table: ReferralTableName, referralId: string): Promise<boolean> {
    return this.dates.has(MemoryReferralIndex.key(table, referralId));
  }

  async receivedDate(table: ReferralTableName, referralId: string): Promise<string | undefined> {
    return this.dates.get(MemoryReferralIndex.key(table, referralId));
  }

  async firstContactDate(table: ReferralTableName, referralId: string): Promise<string | undefined> {
    return this.firstContacts.get(MemoryReferralIndex.key(table, referralId));
  }
}

/** Looks in each index in turn (e.g. this delivery's referrals, then the warehouse). */
export function layeredReferralIndex(...indexes: readonly ReferralIndex[]): ReferralIndex {
  return {
    async has(table, referralId) {
      for (const index of indexes) if (await index.has(table, referralId)) return true;
      return false;
    },
    async receivedDate(table, referralId) {
      for (const index of indexes) {
        if (!index.receivedDate) continue;
        const date = await index.receivedDate(table, referralId);
        if (date !== undefined) return date;
      }
      return undefined;
    },
    async firstContactDate(table, referralId) {
      let first: string | undefined;
      for (const index of indexes) {
        if (!index.firstContactDate) continue;
        const date = await index.firstContactDate(table, referralId);
        if (date !== undefined && (first === undefined || date < first)) first = date;
      }
      return first;
    },
  };
}
