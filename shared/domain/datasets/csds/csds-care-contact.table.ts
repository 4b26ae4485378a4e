import { codeList, knownOrganisation, notFuture, ods } from '../contract-rules.js';
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
  ],
};

/** The wire-form zod schema of a `csds_care_contact` row, generated from the declaration. */
export const csdsCareContactSchema = wireSchemaOf(csdsCareContact);
export type CsdsCareContact = WireRow;
