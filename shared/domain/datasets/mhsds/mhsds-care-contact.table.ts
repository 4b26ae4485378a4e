import { codeList, knownOrganisation, minInt, notFuture, ods } from '../contract-rules.js';
import { col, systemColumns, type TableDeclaration } from '../declaration.js';
import { localPatientIdColumn } from '../person-columns.js';
import { wireSchemaOf, type WireRow } from '../wire-schema.js';
import { mhsdsName, ORG_ID_PROV, UNIQ_SERV_REQ_ID } from './mhsds-names.js';
import { submissionColumns, submissionRowRules } from './mhsds-submission-columns.js';

/**
 * MHSDS care contact (`mhsds_care_contact`, MHS201). Contact-before-referral and orphan contacts
 * are cross-row rules (shared/domain/validate), not part of this row contract.
 */
export const mhsdsCareContact: TableDeclaration = {
  table: 'mhsds_care_contact',
  dataset: 'mhsds',
  description: 'MHSDS MHS201: care contact under a referral',
  key: ['care_contact_id'],
  changeVersionColumn: 'change_version',
  providerColumn: 'provider_code',
  activityDateColumn: 'contact_date',
  columns: [
    col.varchar('care_contact_id', 20, 'The care contact identifier', {
      nhs: mhsdsName('MHS201', 'UniqCareContID'),
    }),
    col.varchar('referral_id', 20, 'The referral (service request) the contact is under', {
      nhs: UNIQ_SERV_REQ_ID,
    }),
    col.varchar('provider_code', 5, 'ODS code of the provider (trust)', {
      nhs: ORG_ID_PROV,
      rules: [ods('trust'), knownOrganisation],
    }),
    ...submissionColumns(),
    localPatientIdColumn(),
    col.date('contact_date', 'Date of the care contact', {
      nhs: mhsdsName('MHS201', 'CareContDate'),
      rules: [notFuture],
    }),
    col.char('attend_or_dna', 1, 'Whether the patient attended (2-7 attended / did not attend codes)', {
      nullable: true,
      nhs: mhsdsName('MHS201', 'AttendOrDNACode'),
      rules: [codeList('attend_or_dna')],
      dq: { defaults: ['9'], threshold: 0.02, index: true },
    }),
    col.varchar('consultation_medium', 2, 'How the contact was made (face to face, telephone, video, …)', {
      nullable: true,
      nhs: mhsdsName('MHS201', 'ConsMechanismMH'),
      rules: [codeList('mhsds_consultation_medium')],
      dq: { index: true },
    }),
    // REFERENCE.md §5.2 names "clinical contact duration" only as K, without its field name.
    col.int('contact_duration_minutes', 'Clinical contact duration of the care contact, in minutes', {
      nullable: true,
      rules: [minInt(0)],
    }),
    ...systemColumns,
  ],
  rowRules: [...submissionRowRules('contact_date')],
  notes: [
    "MHS201 care contact. Not here (cross-row): the contact's referral exists (orphans), referral date ≤ first contact date. Within-row: `RECORD_END_DATE.BEFORE_RECORD_START`, `UNIQ_MONTH_ID.BEFORE_ACTIVITY`. `contact_duration_minutes` has no verified NHS name (the reference lists the clinical contact duration as K).",
  ],
};

/** The wire-form zod schema of an `mhsds_care_contact` row, generated from the declaration. */
export const mhsdsCareContactSchema = wireSchemaOf(mhsdsCareContact);
export type MhsdsCareContact = WireRow;
