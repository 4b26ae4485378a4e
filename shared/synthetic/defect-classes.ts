import type { SourceTableName } from '../domain/datasets/source-tables.js';

/**
 * The deliberate defect classes the generator can plant. Each is switchable; planted rows are
 * counted per class and per table, with their primary keys, in the generation report.
 *
 * Row-level classes (a contract sees them in the row alone, given reference data and a clock):
 * `nhs_number_check_digit`, `nhs_number_missing`, `discharge_before_admission`,
 * `episode_outside_spell`, `hrg_unknown_or_tariff_mismatch`, `ecds_missing_discharge_destination`,
 * `imaging_before_request`, `future_date`, `malformed_code`.
 * Cross-row classes (need other rows): `orphan_community_contact`, `referral_after_contact`,
 * `duplicate_row`.
 */
export const DEFECT_CLASSES = [
  'nhs_number_check_digit',
  'nhs_number_missing',
  'discharge_before_admission',
  'episode_outside_spell',
  'hrg_unknown_or_tariff_mismatch',
  'ecds_missing_discharge_destination',
  'imaging_before_request',
  'orphan_community_contact',
  'referral_after_contact',
  'future_date',
  'duplicate_row',
  'malformed_code',
] as const;
export type DefectClass = (typeof DEFECT_CLASSES)[number];

/** Defect classes a contract can detect from one row (with reference data and a clock). */
export const ROW_LEVEL_DEFECT_CLASSES: readonly DefectClass[] = [
  'nhs_number_check_digit',
  'nhs_number_missing',
  'discharge_before_admission',
  'episode_outside_spell',
  'hrg_unknown_or_tariff_mismatch',
  'ecds_missing_discharge_destination',
  'imaging_before_request',
  'future_date',
  'malformed_code',
];

/** Tables each class is planted in. */
export const DEFECT_TABLES: Readonly<Record<DefectClass, readonly SourceTableName[]>> = {
  nhs_number_check_digit: [
    'sus_apc_episode',
    'prescribing_item',
    'mhsds_referral',
    'ecds_attendance',
    'csds_referral',
    'dids_imaging_test',
  ],
  nhs_number_missing: [
    'sus_apc_episode',
    'prescribing_item',
    'mhsds_referral',
    'ecds_attendance',
    'csds_referral',
    'dids_imaging_test',
  ],
  discharge_before_admission: ['sus_apc_spell', 'sus_apc_episode'],
  episode_outside_spell: ['sus_apc_episode'],
  hrg_unknown_or_tariff_mismatch: ['sus_apc_spell'],
  ecds_missing_discharge_destination: ['ecds_attendance'],
  imaging_before_request: ['dids_imaging_test'],
  orphan_community_contact: ['csds_care_contact'],
  referral_after_contact: ['csds_referral', 'mhsds_referral'],
  future_date: [
    'sus_apc_spell',
    'sus_apc_episode',
    'prescribing_item',
    'mhsds_care_contact',
    'mhsds_cluster_assessment',
    'ecds_attendance',
    'csds_care_contact',
    'dids_imaging_test',
  ],
  duplicate_row: [
    'sus_apc_spell',
    'sus_apc_episode',
    'prescribing_item',
    'mhsds_referral',
    'mhsds_care_contact',
    'mhsds_cluster_assessment',
    'ecds_attendance',
    'csds_referral',
    'csds_care_contact',
    'dids_imaging_test',
  ],
  malformed_code: [
    'sus_apc_episode',
    'prescribing_item',
    'mhsds_cluster_assessment',
    'ecds_attendance',
    'dids_imaging_test',
  ],
};
