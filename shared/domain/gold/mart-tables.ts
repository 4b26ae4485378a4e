import type { SourceTableName } from '../datasets/source-tables.js';
import { DQ_SCORECARD_COLUMNS } from '../dq/dq-scorecard.js';
import {
  FACT_ACTIVITY_TRUST_MONTH_COLUMNS,
  FACT_DISCHARGE_MH_REFERRAL_COLUMNS,
  FACT_EMERGENCY_READMISSION_COLUMNS,
  FACT_HIGH_COST_SPELL_COLUMNS,
  FACT_SPELL_PRESCRIBING_COLUMNS,
} from '../pathways/careflow-pathways.js';
import {
  FACT_AE_PATHWAY_COLUMNS,
  FACT_COMMUNITY_CASELOAD_COLUMNS,
  FACT_FREQUENT_AE_ATTENDER_COLUMNS,
} from '../pathways/community360-pathways.js';
import { PUBLISHED_MART_LIST } from '../disclosure/published-marts.js';
import type { PublishedTable } from '../disclosure/published-table.js';
import type { GoldTable } from './gold-tables.js';
import type { PortableColumn } from './portable-types.js';
import type { TableAccess } from './table-access.js';

/**
 * Commissioner marts: rebuilt whole from silver on each refresh (project-wide linkage and pathway
 * windows need every record), so the warehouse replaces them rather than merging.
 */
const mart = (
  name: string,
  access: TableAccess,
  description: string,
  columns: readonly PortableColumn[],
): GoldTable => ({
  name,
  kind: 'mart',
  key: [],
  access,
  description,
  columns,
});

export const MART_SPELL_PRESCRIBING = mart(
  'fact_spell_prescribing',
  'restricted',
  'CareFlow: each inpatient spell with the prescriptions dispensed in the following 90 days and their NIC',
  FACT_SPELL_PRESCRIBING_COLUMNS,
);
export const MART_DISCHARGE_MH_REFERRAL = mart(
  'fact_discharge_mh_referral',
  'restricted',
  'CareFlow: each discharge with the first MH referral received within 30 days',
  FACT_DISCHARGE_MH_REFERRAL_COLUMNS,
);
export const MART_ACTIVITY_TRUST_MONTH = mart(
  'fact_activity_trust_month',
  // Exact counts (small ones included): its published form is pub_activity_trust_month.
  'restricted',
  'CareFlow: activity and spell cost by trust (merged trusts under their successor) and month, exact counts',
  FACT_ACTIVITY_TRUST_MONTH_COLUMNS,
);
export const MART_HIGH_COST_SPELL = mart(
  'fact_high_cost_spell',
  'restricted',
  'CareFlow: each high-cost inpatient spell (above the threshold or top decile of its trust-month) with its 90-day prescribing burden',
  FACT_HIGH_COST_SPELL_COLUMNS,
);
export const MART_EMERGENCY_READMISSION = mart(
  'fact_emergency_readmission',
  'restricted',
  'CareFlow: each spell discharged alive with the first emergency readmission within 30 days (decision-support flag)',
  FACT_EMERGENCY_READMISSION_COLUMNS,
);
export const MART_AE_PATHWAY = mart(
  'fact_ae_pathway',
  'restricted',
  'Community 360: each A&E attendance with imaging within 7 days and community referral within 30 days',
  FACT_AE_PATHWAY_COLUMNS,
);
export const MART_COMMUNITY_CASELOAD = mart(
  'fact_community_caseload',
  // An aggregate, but period_end_date is a day: restricted until its published form drops it.
  'restricted',
  'Community 360: open community referrals (caseload) per provider and month',
  FACT_COMMUNITY_CASELOAD_COLUMNS,
);
export const MART_FREQUENT_AE_ATTENDER = mart(
  'fact_frequent_ae_attender',
  'restricted',
  'Community 360: each frequent A&E attender (N or more attendances in 12 months) with the day first flagged (decision-support flag)',
  FACT_FREQUENT_AE_ATTENDER_COLUMNS,
);
// Restricted until its disclosure-control declaration is decided: its record and failure counts per
// provider-month can be small (docs/disclosure-control.md); `nhs-flows dq` reads it for the data team.
export const MART_DQ_SCORECARD = mart(
  'dq_scorecard',
  'restricted',
  'DQMI-style data-quality scorecard per provider × dataset × month (small record counts, not yet disclosure-controlled)',
  DQ_SCORECARD_COLUMNS,
);

/**
 * A published mart's warehouse table, derived from its disclosure-control declaration: the same
 * columns in the same order, every one text, because the refresh stores the disclosure-controlled
 * values (`'*'` for a suppressed cell; shared/domain/disclosure/published-storage.ts).
 */
export function publishedMartTable(declaration: PublishedTable): GoldTable {
  return mart(
    declaration.name,
    'published',
    declaration.description ?? declaration.name,
    declaration.columns.map((c) => ({
      name: c.name,
      type: 'string',
      nullable: c.role === 'percentage' || c.role === 'statistic',
    })),
  );
}

/** The published marts' tables, in `PUBLISHED_MART_LIST` order. */
export const PUBLISHED_MART_TABLES: readonly GoldTable[] = PUBLISHED_MART_LIST.map(publishedMartTable);

/** The restricted (row-level or exact) marts. */
export const RESTRICTED_MART_TABLES: readonly GoldTable[] = [
  MART_SPELL_PRESCRIBING,
  MART_HIGH_COST_SPELL,
  MART_DISCHARGE_MH_REFERRAL,
  MART_EMERGENCY_READMISSION,
  MART_ACTIVITY_TRUST_MONTH,
  MART_AE_PATHWAY,
  MART_FREQUENT_AE_ATTENDER,
  MART_COMMUNITY_CASELOAD,
  MART_DQ_SCORECARD,
];

export const MART_TABLES: readonly GoldTable[] = [...RESTRICTED_MART_TABLES, ...PUBLISHED_MART_TABLES];

/**
 * The source tables whose records each mart is built from (what the National Data Opt-out
 * withholds from it; docs/opt-out.md). `dq_scorecard` holds counts about submissions, not records
 * about patients, and is built from validation's DQ counts: no source records, nothing withheld.
 */
const SOURCES_OF_RESTRICTED: Readonly<Record<string, readonly SourceTableName[]>> = {
  [MART_SPELL_PRESCRIBING.name]: ['sus_apc_episode', 'prescribing_item'],
  [MART_HIGH_COST_SPELL.name]: ['sus_apc_episode', 'sus_apc_spell', 'prescribing_item'],
  [MART_DISCHARGE_MH_REFERRAL.name]: ['sus_apc_episode', 'mhsds_referral'],
  [MART_EMERGENCY_READMISSION.name]: ['sus_apc_episode'],
  [MART_ACTIVITY_TRUST_MONTH.name]: ['sus_apc_episode', 'sus_apc_spell', 'mhsds_referral'],
  [MART_AE_PATHWAY.name]: ['ecds_attendance', 'dids_imaging_test', 'csds_referral'],
  [MART_FREQUENT_AE_ATTENDER.name]: ['ecds_attendance'],
  [MART_COMMUNITY_CASELOAD.name]: ['csds_referral'],
  [MART_DQ_SCORECARD.name]: [],
};

/**
 * The restricted mart each published mart aggregates (docs/marts.md): its source tables are the
 * published mart's.
 */
export const PUBLISHED_MART_SOURCE: Readonly<Record<string, string>> = {
  pub_activity_trust_month: MART_ACTIVITY_TRUST_MONTH.name,
  pub_high_cost_spell_trust_month: MART_HIGH_COST_SPELL.name,
  pub_discharge_prescribing_trust_month: MART_SPELL_PRESCRIBING.name,
  pub_discharge_mh_referral_trust_month: MART_DISCHARGE_MH_REFERRAL.name,
  pub_emergency_readmission_trust_month: MART_EMERGENCY_READMISSION.name,
  pub_ae_community_referral_trust_month: MART_AE_PATHWAY.name,
  pub_ae_imaging_trust_month: MART_AE_PATHWAY.name,
  pub_ae_funnel_trust_month: MART_AE_PATHWAY.name,
  pub_community_caseload_month: MART_COMMUNITY_CASELOAD.name,
  pub_frequent_ae_attender_trust_month: MART_AE_PATHWAY.name,
};

export const MART_SOURCE_TABLES: Readonly<Record<string, readonly SourceTableName[]>> = {
  ...SOURCES_OF_RESTRICTED,
  ...Object.fromEntries(
    Object.entries(PUBLISHED_MART_SOURCE).map(([name, source]) => [
      name,
      SOURCES_OF_RESTRICTED[source] ?? [],
    ]),
  ),
};
