import type { SourceTableName } from '../datasets/source-tables.js';

/** Whether a landing file of a table must come with a supplier manifest. */
export type ManifestPolicy = 'required' | 'optional';

/**
 * Which source tables require a supplier manifest (`<file>.manifest.json`) beside every landing
 * file: data, declared here and nowhere else (docs/landing.md, ADR 0015). A file of a `required`
 * table waits for its manifest for NHSFLOWS_LANDING_MANIFEST_WAIT_MINUTES and is rejected whole
 * (FILE.MANIFEST_MISSING) when none arrives. For an `optional` table a manifest is checked when one
 * is sent, and the file loads at once when none is.
 *
 * A deployment's choice, not an NHS rule: the MHSDS tables are required here because their files
 * are a provider's whole monthly submission, where a truncated upload would pass for a small month;
 * the rest stay optional until their suppliers send manifests.
 */
export const LANDING_MANIFEST_POLICY: Readonly<Record<SourceTableName, ManifestPolicy>> = Object.freeze({
  sus_apc_spell: 'optional',
  sus_apc_episode: 'optional',
  prescribing_item: 'optional',
  mhsds_referral: 'required',
  mhsds_care_contact: 'required',
  mhsds_cluster_assessment: 'required',
  mhsds_hospital_spell: 'required',
  mhsds_ward_stay: 'required',
  ecds_attendance: 'optional',
  csds_referral: 'optional',
  csds_care_contact: 'optional',
  dids_imaging_test: 'optional',
});
