import type { AggregateRow } from '../disclosure/apply-disclosure-control.js';
import type { CareflowPathwayFacts, FactRow } from './careflow-pathways.js';
import type { Community360PathwayFacts } from './community360-pathways.js';
import { pence, poundsText } from './pathway-time.js';

/**
 * The exact aggregate rows of every published mart (shared/domain/disclosure/published-marts.ts),
 * from the row-level pathway facts: counts by reporting organisation (the provider rolled up
 * through its successors) × calendar month, before disclosure control. The marts refresh runs each
 * through `materialisePublishedMart`; nothing here is published as it is. docs/marts.md defines
 * every column.
 */
export interface PublishedAggregateInput {
  readonly careflow: Pick<
    CareflowPathwayFacts,
    | 'activityByTrustMonth'
    | 'highCostSpells'
    | 'spellPrescribing'
    | 'dischargeMhReferral'
    | 'emergencyReadmissions'
  >;
  readonly community360: Pick<Community360PathwayFacts, 'aePathway' | 'communityCaseload'>;
  /** The organisation a provider reports under (default: itself). */
  readonly organisationRollUp?: (providerCode: string) => string;
}

/** Counts per (provider, period) group, in key order. */
class Groups {
  private readonly groups = new Map<string, Record<string, number>>();
  private readonly people = new Map<string, Map<string, Set<string>>>();
  private readonly money = new Map<string, Map<string, number>>();

  constructor(private readonly columns: readonly string[]) {}

  at(provider: string, period: string): Record<string, number> {
    const key = `${provider}|${period}`;
    let g = this.groups.get(key);
    if (!g) {
      g = Object.fromEntries(this.columns.map((c) => [c, 0]));
      this.groups.set(key, g);
    }
    return g;
  }

  person(provider: string, period: string, column: string, person: string): void {
    this.at(provider, period);
    const key = `${provider}|${period}`;
    let byColumn = this.people.get(key);
    if (!byColumn) this.people.set(key, (byColumn = new Map<string, Set<string>>()));
    let set = byColumn.get(column);
    if (!set) byColumn.set(column, (set = new Set()));
    set.add(person);
  }

  addPence(provider: string, period: string, column: string, p: number): void {
    this.at(provider, period);
    const key = `${provider}|${period}`;
    let byColumn = this.money.get(key);
    if (!byColumn) this.money.set(key, (byColumn = new Map<string, number>()));
    byColumn.set(column, (byColumn.get(column) ?? 0) + p);
  }

  rows(moneyColumns: readonly string[] = []): AggregateRow[] {
    return [...this.groups.keys()].sort().map((key) => {
      const [provider_code, period] = key.split('|') as [string, string];
      const row: Record<string, string | number> = { provider_code, period, ...this.groups.get(key) };
      for (const [column, set] of this.people.get(key) ?? []) row[column] = set.size;
      for (const column of moneyColumns) row[column] = poundsText(this.money.get(key)?.get(column) ?? 0);
      return row;
    });
  }
}

const str = (row: FactRow, name: string): string => {
  const v = row[name];
  return typeof v === 'string' && v !== '' ? v : 'unknown';
};
const num = (row: FactRow, name: string): number => {
  const v = row[name];
  return typeof v === 'number' ? v : Number(v ?? 0) || 0;
};

/** The exact rows of each published mart, by mart name. */
export function publishedAggregates(input: PublishedAggregateInput): ReadonlyMap<string, AggregateRow[]> {
  const rollUp = input.organisationRollUp ?? ((code: string) => code);
  const provider = (row: FactRow, column = 'provider_code') => {
    const code = str(row, column);
    return code === 'unknown' ? code : rollUp(code);
  };
  const month = (row: FactRow, column: string) => str(row, column).slice(0, 7);
  const cf = input.careflow;
  const c360 = input.community360;
  const out = new Map<string, AggregateRow[]>();

  // Already by reporting organisation and month (distinct persons need the rows, not the sums).
  out.set(
    'pub_activity_trust_month',
    cf.activityByTrustMonth.map((r) => ({
      provider_code: str(r, 'provider_code'),
      period: str(r, 'period'),
      spells_admitted: num(r, 'spells_admitted'),
      emergency_spells_admitted: num(r, 'emergency_spells_admitted'),
      episodes_started: num(r, 'episodes_started'),
      mh_referrals_received: num(r, 'mh_referrals_received'),
      persons: num(r, 'persons'),
      spells_discharged: num(r, 'spells_discharged'),
      spell_cost_gbp: poundsText(pence(r.spell_cost_gbp)),
    })),
  );

  const highCost = new Groups([
    'spells_discharged',
    'high_cost_spells',
    'above_threshold_spells',
    'high_cost_spells_prescribed_90d',
    'high_cost_items_90d',
  ]);
  for (const r of cf.activityByTrustMonth)
    if (num(r, 'spells_discharged') > 0)
      highCost.at(str(r, 'provider_code'), str(r, 'period')).spells_discharged = num(r, 'spells_discharged');
  for (const r of cf.highCostSpells) {
    const [p, m] = [str(r, 'reporting_provider_code'), str(r, 'discharge_period')];
    const g = highCost.at(p, m);
    g.high_cost_spells! += 1;
    if (r.above_threshold === true) g.above_threshold_spells! += 1;
    if (num(r, 'prescriptions_90d') > 0) g.high_cost_spells_prescribed_90d! += 1;
    g.high_cost_items_90d! += num(r, 'items_90d');
    highCost.addPence(p, m, 'high_cost_nic_90d_gbp', pence(r.nic_90d_gbp));
  }
  out.set('pub_high_cost_spell_trust_month', highCost.rows(['high_cost_nic_90d_gbp']));

  const prescribing = new Groups(['spells_discharged', 'spells_prescribed_90d', 'items_90d']);
  for (const r of cf.spellPrescribing) {
    const [p, m] = [provider(r), month(r, 'discharge_date')];
    const g = prescribing.at(p, m);
    g.spells_discharged! += 1;
    if (num(r, 'prescriptions_90d') > 0) g.spells_prescribed_90d! += 1;
    g.items_90d! += num(r, 'items_90d');
    prescribing.addPence(p, m, 'nic_90d_gbp', pence(r.nic_90d_gbp));
  }
  out.set('pub_discharge_prescribing_trust_month', prescribing.rows(['nic_90d_gbp']));

  const mh = new Groups(['emergency_discharges', 'referred_mh_30d']);
  for (const r of cf.dischargeMhReferral) {
    const g = mh.at(provider(r), str(r, 'discharge_period'));
    g.emergency_discharges! += 1;
    if (r.referred_within_30d === true) g.referred_mh_30d! += 1;
  }
  out.set('pub_discharge_mh_referral_trust_month', mh.rows());

  const readmission = new Groups(['discharges', 'readmitted_30d']);
  for (const r of cf.emergencyReadmissions) {
    const g = readmission.at(provider(r), str(r, 'discharge_period'));
    g.discharges! += 1;
    if (r.readmitted_within_30d === true) g.readmitted_30d! += 1;
  }
  out.set('pub_emergency_readmission_trust_month', readmission.rows());

  const referral = new Groups(['attendances', 'referred_community_30d']);
  const imaging = new Groups(['attendances', 'imaged_7d']);
  const funnel = new Groups(['attendances', 'imaged_7d', 'imaged_then_referred_30d']);
  const frequent = new Groups(['attendances', 'frequent_attender_attendances', 'frequent_attenders']);
  for (const r of c360.aePathway) {
    const [p, m] = [provider(r), str(r, 'period')];
    const ref = referral.at(p, m);
    const img = imaging.at(p, m);
    const fun = funnel.at(p, m);
    const fr = frequent.at(p, m);
    ref.attendances! += 1;
    img.attendances! += 1;
    fun.attendances! += 1;
    fr.attendances! += 1;
    if (r.referred_within_30d === true) ref.referred_community_30d! += 1;
    if (r.imaged_within_7d === true) {
      img.imaged_7d! += 1;
      fun.imaged_7d! += 1;
    }
    if (r.imaged_then_referred === true) fun.imaged_then_referred_30d! += 1;
    if (r.frequent_attender === true) {
      fr.frequent_attender_attendances! += 1;
      if (typeof r.person_id === 'string') frequent.person(p, m, 'frequent_attenders', r.person_id);
    }
  }
  out.set('pub_ae_community_referral_trust_month', referral.rows());
  out.set('pub_ae_imaging_trust_month', imaging.rows());
  out.set('pub_ae_funnel_trust_month', funnel.rows());
  out.set('pub_frequent_ae_attender_trust_month', frequent.rows());

  // Already by reporting organisation, team type and month; the month's last day is left out.
  out.set(
    'pub_community_caseload_month',
    c360.communityCaseload.map((r) => ({
      provider_code: str(r, 'provider_code'),
      team_type: str(r, 'team_type'),
      period: str(r, 'period'),
      open_referrals: num(r, 'open_referrals'),
      people: num(r, 'people'),
      referrals_received: num(r, 'referrals_received'),
      referrals_discharged: num(r, 'referrals_discharged'),
    })),
  );
  return out;
}
