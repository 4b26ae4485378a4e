import type { SourceTableName } from '../../../domain/datasets/source-tables.js';
import { SOURCE_TABLES } from '../../../domain/datasets/source-tables.js';
import type { ProjectId } from '../../../domain/pseudonymise/projects.js';
import type { DimensionSpec } from '../../../domain/scd2/dimension.js';

/**
 * The patient dimension, one per project (tokens differ between projects by design).
 * Tracked (a change opens a new version): sex, LSOA of residence and registered GP practice.
 * Ethnic category is carried but frozen per version (not every dataset records it).
 */
export const PATIENT_TRACKED = ['sex', 'lsoa', 'gp_practice_code'] as const;
export const PATIENT_ATTRIBUTES = [...PATIENT_TRACKED, 'ethnic_category', 'token_key_version'] as const;

export function patientDimension(project: ProjectId): DimensionSpec {
  return {
    name: `patient_${project}`,
    table: `dimpatient${project}`,
    trackedAttributes: PATIENT_TRACKED,
    untracked: 'frozen',
    deleteMode: 'ignore',
  };
}

/** Tables whose rows describe the patient's registration (and so feed the patient dimension). */
export function feedsPatientDimension(table: SourceTableName): boolean {
  const names = new Set(SOURCE_TABLES[table].columns.map((c) => c.name));
  return PATIENT_TRACKED.every((a) => (a === 'lsoa' ? names.has('postcode') : names.has(a)));
}
