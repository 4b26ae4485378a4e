import { codeList, knownOrganisation, notBefore, notFuture, ods, pattern } from '../contract-rules.js';
import { VALID, invalid } from '../../nhs/value-check.js';
import { col, nhsName, systemColumns, type TableDeclaration } from '../declaration.js';
import { bornBeforeActivity, personColumns } from '../person-columns.js';
import { wireSchemaOf, type WireRow } from '../wire-schema.js';

/** A CSDS field name (REFERENCE.md §4.3: NHSE CSDS SQL and ICB dbt models, partially verified). */
const CSDS = (table: string, name: string) => nhsName(name, `CSDS ${table}`, 'P');

const reasonWithoutDate = invalid('WITHOUT_CLOSURE_DATE', 'is given but the referral has no closure date');

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
    col.varchar('primary_reason_for_referral', 2, 'The primary reason for the referral', {
      nullable: true,
      nhs: CSDS('CYP101', 'PrimaryReferralReason'),
      rules: [pattern(/^[0-9]{2}$/, 'is not a 2-digit primary reason for referral code')],
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
    col.date('referral_closure_date', 'Date the referral to the team was closed', {
      nullable: true,
      nhs: CSDS('CYP102', 'Referral_ClosureDate'),
      rules: [notFuture],
    }),
    col.varchar(
      'referral_closure_reason',
      2,
      'Why the referral was closed (code list not in the reference: carried as supplied)',
      {
        nullable: true,
        nhs: CSDS('CYP102', 'Referral_ClosureReason'),
        rules: [pattern(/^[A-Z0-9]{2}$/, 'is not a 2-character closure reason code')],
      },
    ),
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
    notBefore(
      'referral_closure_date',
      'referral_received_date',
      'BEFORE_REFERRAL',
      'is before the referral received date',
    ),
    {
      field: 'referral_closure_reason',
      rule: 'WITHOUT_CLOSURE_DATE',
      fields: ['referral_closure_reason'],
      check: (row) => (row.referral_closure_date == null ? reasonWithoutDate : VALID),
    },
  ],
  notes: [
    'CYP101 referral with the CYP102 team type. The CSDS team-type list in `reference/code-lists/csds_team_type.csv` is a **synthetic placeholder** (the real code list was not retrieved); `source_of_referral` is checked for format only. Within-row rules: `SERVICE_DISCHARGE_DATE.BEFORE_REFERRAL`, `DATE_OF_BIRTH.AFTER_ACTIVITY_DATE`.',
    '**Referral reason and closure.** `primary_reason_for_referral` (`PrimaryReferralReason`) and the CYP102 closure (`Referral_ClosureDate`, `Referral_ClosureReason`) are named by the reference (P); their code lists are not, so both codes are checked for format only and the generator emits synthetic reason codes and no closure reason. `REFERRAL_CLOSURE_DATE.BEFORE_REFERRAL` rejects a closure before the referral was received (REFERENCE.md §10.2, R); `REFERRAL_CLOSURE_REASON.WITHOUT_CLOSURE_DATE` rejects a reason on a referral that is not closed.',
  ],
};

/** The wire-form zod schema of a `csds_referral` row, generated from the declaration. */
export const csdsReferralSchema = wireSchemaOf(csdsReferral);
export type CsdsReferral = WireRow;
