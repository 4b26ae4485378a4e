import { codeList, knownOrganisation, notBefore, notFuture, ods, pattern } from '../contract-rules.js';
import { col, systemColumns, type TableDeclaration } from '../declaration.js';
import { localPatientIdColumn } from '../person-columns.js';
import { wireSchemaOf, type WireRow } from '../wire-schema.js';
import { mhsdsName, ORG_ID_PROV, UNIQ_HOSP_PROV_SPELL_ID } from './mhsds-names.js';
import { submissionColumns, submissionRowRules } from './mhsds-submission-columns.js';

/**
 * MHSDS hospital provider spell (`mhsds_hospital_spell`, MHS501): a mental health inpatient stay
 * from admission to discharge at one provider. Its ward stays (MHS502) are `mhsds_ward_stay`.
 */
export const mhsdsHospitalSpell: TableDeclaration = {
  table: 'mhsds_hospital_spell',
  dataset: 'mhsds',
  description: 'MHSDS MHS501: hospital provider spell (mental health inpatient stay)',
  key: ['hospital_spell_id'],
  changeVersionColumn: 'change_version',
  providerColumn: 'provider_code',
  activityDateColumn: 'spell_start_date',
  columns: [
    col.varchar('hospital_spell_id', 20, 'The hospital provider spell identifier', {
      nhs: UNIQ_HOSP_PROV_SPELL_ID,
    }),
    // REFERENCE.md §5.2 does not list the referral among the MHS501 fields: no NHS name here.
    col.varchar('referral_id', 20, 'The referral (service request) the admission came under', {
      nullable: true,
    }),
    col.varchar('provider_code', 5, 'ODS code of the provider (trust)', {
      nhs: ORG_ID_PROV,
      rules: [ods('trust'), knownOrganisation],
    }),
    ...submissionColumns(),
    localPatientIdColumn(),
    col.date('spell_start_date', 'Date the hospital provider spell started (admission)', {
      nhs: mhsdsName('MHS501', 'StartDateHospProvSpell'),
      rules: [notFuture],
    }),
    col.varchar(
      'source_of_admission',
      2,
      'Where the patient was admitted from (code list not in the reference)',
      {
        nullable: true,
        nhs: mhsdsName('MHS501', 'SourceAdmMHHospProvSpell'),
      },
    ),
    col.varchar('method_of_admission', 2, 'How the patient was admitted (code list not in the reference)', {
      nullable: true,
      nhs: mhsdsName('MHS501', 'MethAdmMHHospProvSpell'),
    }),
    col.date('estimated_discharge_date', 'The discharge date estimated for the spell', {
      nullable: true,
      nhs: mhsdsName('MHS501', 'EstimatedDischDateHospProvSpell'),
    }),
    col.date('spell_discharge_date', 'Date the patient was discharged (none while the spell is open)', {
      nullable: true,
      nhs: mhsdsName('MHS501', 'DischDateHospProvSpell'),
      rules: [notFuture],
    }),
    col.varchar('discharge_destination', 2, 'Where the patient went on discharge (APC destination codes)', {
      nullable: true,
      nhs: mhsdsName('MHS501', 'DestOfDischHospProvSpell'),
      rules: [codeList('discharge_destination')],
    }),
    col.char('discharge_method', 1, 'How the patient was discharged (1-7; 6 and 7 only in MHSDS)', {
      nullable: true,
      nhs: mhsdsName('MHS501', 'MethOfDischMHHospProvSpell'),
      rules: [pattern(/^[1-7]$/, 'is not a discharge method 1-7', 'CODE_LIST')],
    }),
    ...systemColumns,
  ],
  rowRules: [
    notBefore(
      'spell_discharge_date',
      'spell_start_date',
      'BEFORE_SPELL_START',
      'is before the spell start date',
    ),
    notBefore(
      'estimated_discharge_date',
      'spell_start_date',
      'BEFORE_SPELL_START',
      'is before the spell start date',
    ),
    ...submissionRowRules('spell_start_date'),
  ],
  notes: [
    'MHS501 hospital provider spell. Within-row: `SPELL_DISCHARGE_DATE.BEFORE_SPELL_START`, `ESTIMATED_DISCHARGE_DATE.BEFORE_SPELL_START`, `RECORD_END_DATE.BEFORE_RECORD_START`, `UNIQ_MONTH_ID.BEFORE_ACTIVITY`. `discharge_destination` uses the APC destination code list (REFERENCE.md §5.2); `discharge_method` is 1-7 (6 and 7 MHSDS only, §5.2); the admission source and method are carried as supplied, their MHSDS code lists are not in the reference. `referral_id` has no verified NHS name (the reference does not list it among the MHS501 fields). Cross-row (not in this contract): every ward stay lies within its spell (`mhsds_ward_stay`).',
  ],
};

/** The wire-form zod schema of an `mhsds_hospital_spell` row, generated from the declaration. */
export const mhsdsHospitalSpellSchema = wireSchemaOf(mhsdsHospitalSpell);
export type MhsdsHospitalSpell = WireRow;
