import type { SourceTableName } from '../datasets/source-tables.js';
import { DQ_SCORECARD_COLUMNS } from '../dq/dq-scorecard.js';
import {
  FACT_ACTIVITY_TRUST_MONTH_COLUMNS,
  FACT_DISCHARGE_MH_REFERRAL_COLUMNS,
  FACT_SPELL_PRESCRIBING_COLUMNS,
} from '../pathways/careflow-pathways.js';
import {
  FACT_AE_PATHWAY_COLUMNS,
  FACT_COMMUNITY_CASELOAD_COLUMNS,
} from '../pathways/community360-pathways.js';
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
  'published',
  'CareFlow: activity trends by trust and month',
  FACT_ACTIVITY_TRUST_MONTH_COLUMNS,
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
// Restricted until its disclosure-control declaration is decided: its record and failure counts per
// provider-month can be small (docs/disclosure-control.md); `nhs-flows dq` reads it for the data team.
export const MART_DQ_SCORECARD = mart(
  'dq_scorecard',
  'restricted',
  'DQMI-style data-quality scorecard per provider × dataset × month (small record counts, not yet disclosure-controlled)',
  DQ_SCORECARD_COLUMNS,
);

export const MART_TABLES: readonly GoldTable[] = [
  MART_SPELL_PRESCRIBING,
  MART_DISCHARGE_MH_REFERRAL,
  MART_ACTIVITY_TRUST_MONTH,
  MART_AE_PATHWAY,
  MART_COMMUNITY_CASELOAD,
  MART_DQ_SCORECARD,
];

/**
 * The source tables whose records each mart is built from (what the National Data Opt-out
 * withholds from it; docs/opt-out.md). `dq_scorecard` holds counts about submissions, not records
 * about patients, and is built from validation's DQ counts: no source records, nothing withheld.
 */
export const MART_SOURCE_TABLES: Readonly<Record<string, readonly SourceTableName[]>> = {
  [MART_SPELL_PRESCRIBING.name]: ['sus_apc_episode', 'prescribing_item'],
  [MART_DISCHARGE_MH_REFERRAL.name]: ['sus_apc_episode', 'mhsds_referral'],
  [MART_ACTIVITY_TRUST_MONTH.name]: ['sus_apc_episode', 'mhsds_referral'],
  [MART_AE_PATHWAY.name]: ['ecds_attendance', 'dids_imaging_test', 'csds_referral'],
  [MART_COMMUNITY_CASELOAD.name]: ['csds_referral'],
  [MART_DQ_SCORECARD.name]: [],
};
