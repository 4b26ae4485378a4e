import { codeList, knownOrganisation, notBefore, notFuture, ods, pattern } from '../contract-rules.js';
import { col, nhsName, systemColumns, type TableDeclaration } from '../declaration.js';
import { bornBeforeActivity, personColumns } from '../person-columns.js';
import { wireSchemaOf, type WireRow } from '../wire-schema.js';

/** A CSDS field name (REFERENCE.md §4.3: NHSE CSDS SQL and ICB dbt models, partially verified). */
const CSDS = (table: string, name: string) => nhsName(name, `CSDS ${table}`, 'P');

/**
 * CSDS referral (`csds_referral`, CYP101 + CYP102 team type). The CSDS team-type list is a
 * placeholder (the real list was not retrieved); source of referral is checked for format only.
 */
export const csdsReferral: TableDeclaration = {
  table: 'csds_referral',
  dataset: 'csds',
  description: 'CSDS CYP101/CYP102: community referral with the team type referred to',
  key: ['referral_id'],
  changeVersionColumn: 'change_version',
  providerColumn: 'provider_code',
  activityDateColumn: 'referral_received_date',
  columns: [
    col.varchar('referral_id', 20, 'The service request (referral) identifier', {
      nhs: CSDS('CYP101', 'ServiceRequestID'),
    }),
    col.varchar('provider_code', 5, 'ODS code of the provider (trust) receiving the referral', {
      rules: [ods('trust'), knownOrganisation],
    }),
    ...personColumns(),
    col.date('referral_received_date', 'Date the referral was received', {
      nhs: CSDS('CYP101', 'ReferralRequest_ReceivedDate'),
      rules: [notFuture],
    }),
    col.varchar('source_of_referral', 2, 'Who or what referred the patient', {
      nullable: true,
      nhs: CSDS('CYP101', 'SourceOfReferral'),
      rules: [pattern(/^[A-Z0-9]{2}$/, 'is not a 2-character source of referral code')],
      dq: { index: true },
    }),
    col.char('priority_type', 1, 'Priority of the referral', {
      nullable: true,
      rules: [codeList('csds_priority_type')],
    }),
    col.varchar('team_type', 3, 'The service or team type referred to', {
      nullable: true,
      nhs: nhsName('SERVICE OR TEAM TYPE REFERRED TO (COMMUNITY CARE)', 'NHS DD; CSDS CYP102 TeamType', 'P'),
      rules: [codeList('csds_team_type')],
      dq: { index: true },
    }),
    col.date('service_discharge_date', 'Date the referral ended (discharge from the service)', {
      nullable: true,
      nhs: CSDS('CYP101', 'Discharge_Date'),
      rules: [notFuture],
    }),
    ...systemColumns,
  ],
  rowRules: [
    bornBeforeActivity('referral_received_date'),
    notBefore(
      'service_discharge_date',
      'referral_received_date',
      'BEFORE_REFERRAL',
      'is before the referral received date',
    ),
  ],
  notes: [
    'CYP101 referral with the CYP102 team type. The CSDS team-type list in `reference/code-lists/csds_team_type.csv` is a **synthetic placeholder** (the real code list was not retrieved); `source_of_referral` is checked for format only. Within-row rules: `SERVICE_DISCHARGE_DATE.BEFORE_REFERRAL`, `DATE_OF_BIRTH.AFTER_ACTIVITY_DATE`.',
  ],
};

/** The wire-form zod schema of a `csds_referral` row, generated from the declaration. */
export const csdsReferralSchema = wireSchemaOf(csdsReferral);
export type CsdsReferral = WireRow;
