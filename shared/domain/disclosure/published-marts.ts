import { parsePublishedTable, type PublishedColumn, type PublishedTable } from './published-table.js';

/**
 * The published marts: the one list of what commissioners may be given (`nhs-flows export` by
 * default, the dashboard, the data API). Each is an aggregate of a restricted row-level mart, one
 * per question of a project (docs/marts.md has each exact definition), declared here for disclosure
 * control (docs/disclosure-control.md). The warehouse table of each is derived from its declaration
 * (`PUBLISHED_MART_TABLES` in shared/domain/gold/mart-tables.ts: every column text) and the marts
 * refresh writes it already disclosure-controlled, so no published interface can read an exact
 * small count.
 *
 * Names start with `pub_`; the rows are by reporting organisation (a provider rolled up through
 * its successors: a merged trust under the trust that took it over) × calendar month.
 */

const PROVIDER = { role: 'dimension', name: 'provider_code', type: 'code' } as const;
const PERIOD = { role: 'dimension', name: 'period', type: 'month' } as const;
const count = (name: string, distinct = false): PublishedColumn =>
  distinct ? { role: 'count', name, distinct } : { role: 'count', name };
const percentage = (name: string, numerator: string, denominator: string): PublishedColumn => ({
  role: 'percentage',
  name,
  numerator,
  denominator,
});
const statistic = (name: string, contributors: string): PublishedColumn => ({
  role: 'statistic',
  name,
  contributors,
});

const published = (
  name: string,
  project: 'careflow' | 'community360',
  description: string,
  columns: readonly PublishedColumn[],
): PublishedTable => parsePublishedTable({ name, project, description, columns }, name);

/** CareFlow: activity and cost trends by trust and month (aggregate of `fact_activity_trust_month`). */
export const PUBLISHED_ACTIVITY_TRUST_MONTH = published(
  'pub_activity_trust_month',
  'careflow',
  'CareFlow: activity and spell cost by trust (merged trusts under their successor) and month',
  [
    PROVIDER,
    PERIOD,
    count('spells_admitted'),
    count('emergency_spells_admitted'),
    count('episodes_started'),
    count('mh_referrals_received'),
    count('persons', true),
    count('spells_discharged'),
    statistic('spell_cost_gbp', 'spells_discharged'),
  ],
);

/** CareFlow: high-cost inpatients and their 90-day prescribing burden (of `fact_high_cost_spell`). */
export const PUBLISHED_HIGH_COST_SPELL_TRUST_MONTH = published(
  'pub_high_cost_spell_trust_month',
  'careflow',
  'CareFlow: high-cost inpatient spells (above the threshold or top decile) per trust and discharge month, with their 90-day prescribing',
  [
    PROVIDER,
    PERIOD,
    count('spells_discharged'),
    count('high_cost_spells'),
    count('above_threshold_spells'),
    count('high_cost_spells_prescribed_90d'),
    percentage('pct_high_cost_prescribed_90d', 'high_cost_spells_prescribed_90d', 'high_cost_spells'),
    count('high_cost_items_90d'),
    statistic('high_cost_nic_90d_gbp', 'high_cost_spells'),
  ],
);

/** CareFlow: prescribing burden after discharge (of `fact_spell_prescribing`). */
export const PUBLISHED_DISCHARGE_PRESCRIBING_TRUST_MONTH = published(
  'pub_discharge_prescribing_trust_month',
  'careflow',
  'CareFlow: discharged spells with prescriptions dispensed within 90 days, items and NIC, per trust and discharge month',
  [
    PROVIDER,
    PERIOD,
    count('spells_discharged'),
    count('spells_prescribed_90d'),
    percentage('pct_prescribed_90d', 'spells_prescribed_90d', 'spells_discharged'),
    count('items_90d'),
    statistic('nic_90d_gbp', 'spells_prescribed_90d'),
  ],
);

/** CareFlow: MH referral within 30 days of an emergency discharge (of `fact_discharge_mh_referral`). */
export const PUBLISHED_DISCHARGE_MH_REFERRAL_TRUST_MONTH = published(
  'pub_discharge_mh_referral_trust_month',
  'careflow',
  'CareFlow: emergency discharges referred to mental health services within 30 days, per trust and discharge month',
  [
    PROVIDER,
    PERIOD,
    count('emergency_discharges'),
    count('referred_mh_30d'),
    percentage('pct_referred_mh_30d', 'referred_mh_30d', 'emergency_discharges'),
  ],
);

/** Decision-support flag: 30-day emergency readmissions (of `fact_emergency_readmission`). */
export const PUBLISHED_EMERGENCY_READMISSION_TRUST_MONTH = published(
  'pub_emergency_readmission_trust_month',
  'careflow',
  'CareFlow: spells discharged alive and those followed by an emergency readmission within 30 days, per trust and discharge month',
  [
    PROVIDER,
    PERIOD,
    count('discharges'),
    count('readmitted_30d'),
    percentage('pct_readmitted_30d', 'readmitted_30d', 'discharges'),
  ],
);

/** Community 360: % of A&E attendances referred to community services within 30 days. */
export const PUBLISHED_AE_COMMUNITY_REFERRAL_TRUST_MONTH = published(
  'pub_ae_community_referral_trust_month',
  'community360',
  'Community 360: A&E attendances referred to community services within 30 days, as a rate, per trust and month',
  [
    PROVIDER,
    PERIOD,
    count('attendances'),
    count('referred_community_30d'),
    percentage('pct_referred_community_30d', 'referred_community_30d', 'attendances'),
  ],
);

/** Community 360: imaging after A&E within 7 days. */
export const PUBLISHED_AE_IMAGING_TRUST_MONTH = published(
  'pub_ae_imaging_trust_month',
  'community360',
  'Community 360: A&E attendances with a diagnostic imaging test within 7 days, per trust and month',
  [
    PROVIDER,
    PERIOD,
    count('attendances'),
    count('imaged_7d'),
    percentage('pct_imaged_7d', 'imaged_7d', 'attendances'),
  ],
);

/** Community 360: the A&E → imaging → community funnel, steps in time order. */
export const PUBLISHED_AE_FUNNEL_TRUST_MONTH = published(
  'pub_ae_funnel_trust_month',
  'community360',
  'Community 360: the A&E → imaging (7 days) → community referral (after the imaging, within 30 days) funnel per trust and month',
  [
    PROVIDER,
    PERIOD,
    count('attendances'),
    count('imaged_7d'),
    count('imaged_then_referred_30d'),
    percentage('pct_imaged_7d', 'imaged_7d', 'attendances'),
    percentage('pct_imaged_then_referred', 'imaged_then_referred_30d', 'imaged_7d'),
  ],
);

/** Community 360: community caseload trends (of `fact_community_caseload`, without its day column). */
export const PUBLISHED_COMMUNITY_CASELOAD_MONTH = published(
  'pub_community_caseload_month',
  'community360',
  'Community 360: open community referrals and people at each month end, referrals received and discharged, per provider and team type',
  [
    PROVIDER,
    { role: 'dimension', name: 'team_type', type: 'code' },
    PERIOD,
    count('open_referrals'),
    count('people', true),
    count('referrals_received'),
    count('referrals_discharged'),
  ],
);

/** Decision-support flag: frequent A&E attenders (of `fact_frequent_ae_attender`, `fact_ae_pathway`). */
export const PUBLISHED_FREQUENT_AE_ATTENDER_TRUST_MONTH = published(
  'pub_frequent_ae_attender_trust_month',
  'community360',
  'Community 360: A&E attendances by frequent attenders (N or more in 12 months) and those attenders, per trust and month',
  [
    PROVIDER,
    PERIOD,
    count('attendances'),
    count('frequent_attender_attendances'),
    count('frequent_attenders', true),
    percentage('pct_frequent_attender_attendances', 'frequent_attender_attendances', 'attendances'),
  ],
);

/** Every published mart, in order (CareFlow's, then Community 360's). */
export const PUBLISHED_MART_LIST: readonly PublishedTable[] = [
  PUBLISHED_ACTIVITY_TRUST_MONTH,
  PUBLISHED_HIGH_COST_SPELL_TRUST_MONTH,
  PUBLISHED_DISCHARGE_PRESCRIBING_TRUST_MONTH,
  PUBLISHED_DISCHARGE_MH_REFERRAL_TRUST_MONTH,
  PUBLISHED_EMERGENCY_READMISSION_TRUST_MONTH,
  PUBLISHED_AE_COMMUNITY_REFERRAL_TRUST_MONTH,
  PUBLISHED_AE_IMAGING_TRUST_MONTH,
  PUBLISHED_AE_FUNNEL_TRUST_MONTH,
  PUBLISHED_COMMUNITY_CASELOAD_MONTH,
  PUBLISHED_FREQUENT_AE_ATTENDER_TRUST_MONTH,
];

/** The published declarations, by mart name: what the published interfaces may read. */
export const PUBLISHED_MARTS: Readonly<Record<string, PublishedTable>> = Object.freeze(
  Object.fromEntries(PUBLISHED_MART_LIST.map((t) => [t.name, t])),
);

/** The published marts of one project (the dashboard's pages, the data API's routes). */
export function publishedMartsOf(project: string): readonly PublishedTable[] {
  return PUBLISHED_MART_LIST.filter((t) => t.project === project);
}
