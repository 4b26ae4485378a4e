import type { ReferralIndex, ReferralTableName } from '../../../domain/validate/referral-index.js';
import type { StateStore } from '../../ports/state-store.port.js';

/** State table holding every accepted referral id (partition = referral table, row = referral id). */
export const REFERRAL_INDEX_TABLE = 'nhsflowsreferrals';

/**
 * Referrals known from earlier batches, kept in the state store: contacts arriving in a later batch
 * than their referral are not orphans. Referral ids are service identifiers, not patient identifiers.
 */
export class StateReferralIndex implements ReferralIndex {
  private ensured = false;
  constructor(private readonly state: StateStore) {}

  private async ensure(): Promise<void> {
    if (this.ensured) return;
    await this.state.ensureTables([REFERRAL_INDEX_TABLE]);
    this.ensured = true;
  }

  async has(table: ReferralTableName, referralId: string): Promise<boolean> {
    await this.ensure();
    return (await this.state.get(REFERRAL_INDEX_TABLE, table, referralId)) !== undefined;
  }

  async receivedDate(table: ReferralTableName, referralId: string): Promise<string | undefined> {
    await this.ensure();
    const entity = await this.state.get<{ receivedDate: string }>(REFERRAL_INDEX_TABLE, table, referralId);
    return entity?.value.receivedDate;
  }

  /** Records accepted referrals (idempotent upserts, 100 per transaction). */
  async record(
    table: ReferralTableName,
    referrals: readonly { id: string; receivedDate: string | null }[],
  ): Promise<void> {
    await this.ensure();
    const unique = [...new Map(referrals.map((r) => [r.id, r])).values()];
    for (let i = 0; i < unique.length; i += 100) {
      await this.state.transact(
        REFERRAL_INDEX_TABLE,
        table,
        unique
          .slice(i, i + 100)
          .map((r) => ({ kind: 'upsert' as const, rowKey: r.id, value: { receivedDate: r.receivedDate } })),
      );
    }
  }
}
