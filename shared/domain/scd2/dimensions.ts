import type { DimensionSpec } from './dimension.js';

/**
 * The product's SCD2 dimensions. Attribute names are the snake_case columns the producers emit
 * (silver patient attributes from pseudonymisation; organisations and practices from reference data).
 * Changing a tracked list, the untracked mode or the delete mode needs a rebuild (docs/scd2.md).
 */

/** Patients, keyed by project pseudonym; attributes are pseudonymised only (never identifiers). */
export const patientDimension: DimensionSpec = {
  name: 'patient',
  table: 'scd2patient',
  trackedAttributes: ['sex', 'ethnic_category', 'age_band', 'lsoa', 'gp_practice'],
  untracked: 'type1',
  deleteMode: 'new-record',
};

/** Organisations (regions, ICBs, sub-ICBs, trusts, sites), keyed by ODS code. */
export const organisationDimension: DimensionSpec = {
  name: 'organisation',
  table: 'scd2organisation',
  trackedAttributes: ['name', 'kind', 'org_type', 'parent_code', 'sub_icb_code', 'icb_code'],
  untracked: 'type1',
  deleteMode: 'invalidate',
};

/** GP practices, keyed by ODS practice code. */
export const gpPracticeDimension: DimensionSpec = {
  name: 'gp_practice',
  table: 'scd2gppractice',
  trackedAttributes: ['name', 'parent_code', 'sub_icb_code', 'icb_code'],
  untracked: 'type1',
  deleteMode: 'invalidate',
};
