import { codeList, knownOrganisation, minInt, notFuture, ods, pattern } from '../contract-rules.js';
import { col, nhsName, systemColumns, type TableDeclaration } from '../declaration.js';
import { localPatientIdColumn } from '../person-columns.js';
import { wireSchemaOf, type WireRow } from '../wire-schema.js';

const CSDS = (table: string, name: string) => nhsName(name, `CSDS ${table}`, 'P');

/**
 * CSDS care contact (`csds_care_contact`, CYP201 + main CYP202 activity). Orphan contacts and
 * contacts before their referral are cross-row rules (shared/domain/validate).
 */
export const csdsCareContact: TableDeclaration = {
  table: 'csds_care_contact',
  dataset: 'csds',
  description: 'CSDS CYP201/CYP202: community care contact and its main care activity',
  key: ['care_contact_id'],
  changeVersionColumn: 'change_version',
  providerColumn: 'provider_code',
  activityDateColumn: 'contact_date',
  columns: [
    col.varchar('care_contact_id', 20, 'The care contact identifier', {
      nhs: CSDS('CYP201', 'CareContactID'),
    }),
    col.varchar('referral_id', 20, 'The referral (service request) the contact is under', {
      nhs: CSDS('CYP101', 'ServiceRequestID'),
    }),
    col.varchar('provider_code', 5, 'ODS code of the provider (trust)', {
      rules: [ods('trust'), knownOrganisation],
    }),
    localPatientIdColumn(),
    col.date('contact_date', 'Date of the care contact', {
      nhs: CSDS('CYP201', 'Contact_Date'),
      rules: [notFuture],
    }),
    col.varchar('activity_location_type', 3, 'Where the contact took place (A01 home, …)', {
      nullable: true,
      nhs: CSDS('CYP201', 'ActivityLocationType'),
      rules: [codeList('activity_location_type')],
      dq: { index: true },
    }),
    col.char('attend_or_dna', 1, 'Whether the patient attended (2-7 attended / did not attend codes)', {
      nullable: true,
      nhs: CSDS('CYP201', 'AttendanceStatus'),
      rules: [codeList('attend_or_dna')],
      dq: { defaults: ['9'], threshold: 0.02, index: true },
    }),
    col.int('contact_duration_minutes', 'Duration of the care contact, in minutes', {
      nullable: true,
      nhs: CSDS('CYP201', 'CareContact_Duration'),
      rules: [minInt(0)],
    }),
    // REFERENCE.md §4.3 lists "consultation type/medium" on CYP201 without a field name or codes.
    col.varchar('consultation_medium', 2, 'How the contact was made (face to face, telephone, video, …)', {
      nullable: true,
      rules: [pattern(/^[0-9]{2}$/, 'is not a 2-digit consultation medium code')],
      dq: { index: true },
    }),
    col.varchar('care_activity_type', 2, 'The main community care activity of the contact', {
      nullable: true,
      nhs: CSDS('CYP202', 'CommunityCareActivityType'),
      rules: [codeList('csds_care_activity_type')],
      dq: { index: true },
    }),
    ...systemColumns,
  ],
  rowRules: [],
  notes: [
    'CYP201 contact with its main CYP202 care activity. Activity types 08-12 are partial (meanings not retrieved). Not here (cross-row): orphan contacts (no referral), contact before its referral.',
    '`contact_duration_minutes` is `CareContact_Duration` (minutes, REFERENCE.md §4.3, P; NHS England uses 15 or more as a proxy for a clinical contact, which is an analysis choice, not a rule here). `consultation_medium` is the consultation type/medium the reference lists on CYP201 without its field name or code list (unverified): checked as two digits; the generator draws it from the consultation medium list shipped for MHSDS (`reference/code-lists/mhsds_consultation_medium.csv`, itself unverified).',
  ],
};

/** The wire-form zod schema of a `csds_care_contact` row, generated from the declaration. */
export const csdsCareContactSchema = wireSchemaOf(csdsCareContact);
export type CsdsCareContact = WireRow;
