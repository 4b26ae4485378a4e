import { codeList, knownOrganisation, notBefore, notFuture, ods, pattern } from '../contract-rules.js';
import { col, systemColumns, type TableDeclaration } from '../declaration.js';
import { bornBeforeActivity, personColumns } from '../person-columns.js';
import { wireSchemaOf, type WireRow } from '../wire-schema.js';
import { mhsdsName, ORG_ID_PROV, UNIQ_SERV_REQ_ID } from './mhsds-names.js';

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
    'MHS101 referral with the MHS102 team type. Within-row rules: `SERVICE_DISCHARGE_DATE.BEFORE_REFERRAL` (the referral date is after the discharge), `DATE_OF_BIRTH.AFTER_ACTIVITY_DATE`. `primary_reason_for_referral` is checked for format only (the code list was not at hand).',
  ],
};

/** The wire-form zod schema of an `mhsds_referral` row, generated from the declaration. */
export const mhsdsReferralSchema = wireSchemaOf(mhsdsReferral);
export type MhsdsReferral = WireRow;
