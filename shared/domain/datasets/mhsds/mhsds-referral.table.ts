import { codeList, knownOrganisation, notBefore, notFuture, ods, pattern } from '../contract-rules.js';
import { col, systemColumns, type TableDeclaration } from '../declaration.js';
import { bornBeforeActivity, personColumns } from '../person-columns.js';
import { wireSchemaOf, type WireRow } from '../wire-schema.js';
import { mhsdsName, ORG_ID_PROV, UNIQ_SERV_REQ_ID } from './mhsds-names.js';
import { submissionColumns, submissionRowRules } from './mhsds-submission-columns.js';

/** MHSDS referral (`mhsds_referral`, MHS101 + MHS102 team type). */
export const mhsdsReferral: TableDeclaration = {
  table: 'mhsds_referral',
  dataset: 'mhsds',
  description: 'MHSDS MHS101/MHS102: service or team referral with the team type referred to',
  key: ['referral_id'],
  changeVersionColumn: 'change_version',
  providerColumn: 'provider_code',
  activityDateColumn: 'referral_received_date',
  columns: [
    col.varchar('referral_id', 20, 'The service request (referral) identifier', { nhs: UNIQ_SERV_REQ_ID }),
    col.varchar('provider_code', 5, 'ODS code of the provider (trust)', {
      nhs: ORG_ID_PROV,
      rules: [ods('trust'), knownOrganisation],
    }),
    ...submissionColumns(),
    ...personColumns({
      ethnicity: true,
      names: {
        sex: mhsdsName('MHS001MPI', 'Gender'),
        ethnic_category: mhsdsName('MHS001MPI', 'EthnicCategory'),
      },
    }),
    col.date('referral_received_date', 'Date the referral was received', {
      nhs: mhsdsName('MHS101', 'ReferralRequestReceivedDate'),
      rules: [notFuture],
    }),
    col.varchar('source_of_referral', 2, 'Who or what referred the patient', {
      nullable: true,
      nhs: mhsdsName('MHS101', 'SourceOfReferralMH'),
      rules: [codeList('mhsds_source_of_referral')],
      dq: { index: true },
    }),
    col.varchar('primary_reason_for_referral', 2, 'The primary reason for the referral', {
      nullable: true,
      nhs: mhsdsName('MHS101', 'PrimReasonReferralMH'),
      rules: [pattern(/^[0-9]{2}$/, 'is not a 2-digit primary reason for referral code')],
      dq: { index: true },
    }),
    col.varchar('service_team_type', 3, 'The service or team type referred to', {
      nullable: true,
      nhs: mhsdsName('MHS102', 'ServTeamTypeRefToMH'),
      rules: [codeList('mhsds_service_team_type')],
      dq: { index: true },
    }),
    col.date('service_discharge_date', 'Date the patient was discharged from the service', {
      nullable: true,
      nhs: mhsdsName('MHS101', 'ServDischDate'),
      rules: [notFuture],
    }),
    col.date('referral_closure_date', 'Date the referral to the team was closed', {
      nullable: true,
      nhs: mhsdsName('MHS102', 'ReferClosureDate'),
      rules: [notFuture],
    }),
    col.varchar(
      'referral_closure_reason',
      2,
      'Why the referral was closed (code list not in the reference: carried as supplied)',
      {
        nullable: true,
        nhs: mhsdsName('MHS102', 'ReferClosReason'),
      },
    ),
    col.date('referral_rejection_date', 'Date the team rejected the referral', {
      nullable: true,
      nhs: mhsdsName('MHS102', 'ReferRejectionDate'),
      rules: [notFuture],
    }),
    col.varchar(
      'referral_rejection_reason',
      2,
      'Why the referral was rejected (code list not in the reference: carried as supplied)',
      {
        nullable: true,
        nhs: mhsdsName('MHS102', 'ReferRejectReason'),
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
    notBefore(
      'referral_rejection_date',
      'referral_received_date',
      'BEFORE_REFERRAL',
      'is before the referral received date',
    ),
    ...submissionRowRules('referral_received_date'),
  ],
  notes: [
    'Every MHSDS table carries the submission columns (`uniq_month_id`, `uniq_submission_id`, `record_start_date`, `record_end_date`): a provider submits each reporting month whole, and a later submission of the same month replaces that provider-month (records changed, dropped and added; other months and providers untouched), as [ADR 0012](../adr/0012-mhsds-resubmission.md) describes. `uniqMonthIdOf` / `monthOfUniqMonthId` (`uniq-month-id.ts`) map UniqMonthID to its calendar month (1429 = April 2019).',
    'MHS101 referral with the MHS102 team type. Within-row rules: `SERVICE_DISCHARGE_DATE.BEFORE_REFERRAL` (the referral date is after the discharge), `DATE_OF_BIRTH.AFTER_ACTIVITY_DATE`, `REFERRAL_CLOSURE_DATE.BEFORE_REFERRAL` and `REFERRAL_REJECTION_DATE.BEFORE_REFERRAL` (closure and rejection on or after the referral date, REFERENCE.md §10.2 R), `RECORD_END_DATE.BEFORE_RECORD_START`, `UNIQ_MONTH_ID.BEFORE_ACTIVITY` (a record cannot report an activity after the last day of the month it was submitted for). The closure and rejection reasons are carried as supplied: their code lists are not in the reference. `primary_reason_for_referral` is checked for format only (the code list was not at hand).',
  ],
};

/** The wire-form zod schema of an `mhsds_referral` row, generated from the declaration. */
export const mhsdsReferralSchema = wireSchemaOf(mhsdsReferral);
export type MhsdsReferral = WireRow;
