import type { SourceTableName } from '../datasets/source-tables.js';

/**
 * How each source table becomes a `fact_activity` row: which column is the activity's code
 * (HRG, BNF code, team type, acuity, imaging code …) and which carries its cost in pounds.
 * One place, so a commissioner's "activity by trust" reads the same across datasets.
 */
export interface ActivityMapping {
  readonly codeColumn: string | null;
  readonly costColumn: string | null;
}

export const ACTIVITY_MAPPING: Readonly<Record<SourceTableName, ActivityMapping>> = {
  // The spell carries its price once; an episode has none, so fact_activity never sums a spell's tariff per episode.
  sus_apc_spell: { codeColumn: 'spell_hrg', costColumn: 'tariff_gbp' },
  sus_apc_episode: { codeColumn: 'episode_hrg', costColumn: null },
  prescribing_item: { codeColumn: 'bnf_code', costColumn: 'nic_gbp' },
  mhsds_referral: { codeColumn: 'service_team_type', costColumn: null },
  mhsds_care_contact: { codeColumn: 'consultation_medium', costColumn: null },
  mhsds_cluster_assessment: { codeColumn: 'care_cluster', costColumn: null },
  mhsds_hospital_spell: { codeColumn: 'discharge_destination', costColumn: null },
  mhsds_ward_stay: { codeColumn: null, costColumn: null },
  ecds_attendance: { codeColumn: 'acuity', costColumn: null },
  csds_referral: { codeColumn: 'team_type', costColumn: null },
  csds_care_contact: { codeColumn: 'care_activity_type', costColumn: null },
  dids_imaging_test: { codeColumn: 'nicip_code', costColumn: null },
};
