import { knownOrganisation, notBefore, notFuture, ods } from '../contract-rules.js';
import { col, systemColumns, type TableDeclaration } from '../declaration.js';
import { localPatientIdColumn } from '../person-columns.js';
import { wireSchemaOf, type WireRow } from '../wire-schema.js';
import { ORG_ID_PROV, UNIQ_HOSP_PROV_SPELL_ID } from './mhsds-names.js';
import { submissionColumns, submissionRowRules } from './mhsds-submission-columns.js';

/**
 * MHSDS ward stay (`mhsds_ward_stay`, MHS502): one ward within a hospital provider spell. REFERENCE.md
 * names the table (§5.1) but none of its fields: every column but the spell, provider and
 * submission columns is unverified.
 */
export const mhsdsWardStay: TableDeclaration = {
  table: 'mhsds_ward_stay',
  dataset: 'mhsds',
  description: 'MHSDS MHS502: ward stay within a hospital provider spell',
  key: ['ward_stay_id'],
  changeVersionColumn: 'change_version',
  providerColumn: 'provider_code',
  activityDateColumn: 'ward_stay_start_date',
  columns: [
    col.varchar('ward_stay_id', 20, 'The ward stay identifier'),
    col.varchar('hospital_spell_id', 20, 'The hospital provider spell the ward stay is part of', {
      nhs: UNIQ_HOSP_PROV_SPELL_ID,
    }),
    col.varchar('provider_code', 5, 'ODS code of the provider (trust)', {
      nhs: ORG_ID_PROV,
      rules: [ods('trust'), knownOrganisation],
    }),
    ...submissionColumns(),
    localPatientIdColumn(),
    col.date('ward_stay_start_date', 'Date the patient started on the ward', { rules: [notFuture] }),
    col.date('ward_stay_end_date', 'Date the patient left the ward (none while on it)', {
      nullable: true,
      rules: [notFuture],
    }),
    ...systemColumns,
  ],
  rowRules: [
    notBefore(
      'ward_stay_end_date',
      'ward_stay_start_date',
      'BEFORE_WARD_STAY_START',
      'is before the ward stay start date',
    ),
    ...submissionRowRules('ward_stay_start_date'),
  ],
  notes: [
    'MHS502 ward stay. REFERENCE.md names the table but not its fields: `ward_stay_id`, `ward_stay_start_date` and `ward_stay_end_date` are unverified names. Within-row: `WARD_STAY_END_DATE.BEFORE_WARD_STAY_START`, `RECORD_END_DATE.BEFORE_RECORD_START`, `UNIQ_MONTH_ID.BEFORE_ACTIVITY`. The synthetic generator tiles each spell with its ward stays (the first starts on admission, each next one the day the previous ends, the last ends on discharge).',
  ],
};

/** The wire-form zod schema of an `mhsds_ward_stay` row, generated from the declaration. */
export const mhsdsWardStaySchema = wireSchemaOf(mhsdsWardStay);
export type MhsdsWardStay = WireRow;
