import type { DimensionSpec } from './dimension.js';

/**
 * The reference-data SCD2 dimensions, keyed by ODS code; attribute names are the snake_case columns
 * of reference/organisations.csv. (The patient dimension is per project and lives with the pipeline:
 * shared/application/use-cases/pipeline/patient-dimension.ts.)
 * Changing a tracked list, the untracked mode or the delete mode needs a rebuild (docs/scd2.md).
 */

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
