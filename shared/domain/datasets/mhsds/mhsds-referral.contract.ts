import { z } from 'zod';
import type { TableRules } from '../contract-engine.js';
import {
  codeList,
  knownOrganisation,
  notBefore,
  notFuture,
  ods,
  pattern,
  personRules,
} from '../contract-rules.js';
import { auditColumns, personColumns, wire } from '../wire-schema.js';

/** MHSDS referral (`mhsds_referral`, MHS101 + MHS102 team type) in wire form. */
export const mhsdsReferralSchema = z.object({
  referral_id: wire.varchar(20),
  provider_code: wire.varchar(5),
  ...personColumns,
  ethnic_category: wire.varchar(2).nullable(),
  referral_received_date: wire.date(),
  source_of_referral: wire.varchar(2).nullable(),
  primary_reason_for_referral: wire.varchar(2).nullable(),
  service_team_type: wire.varchar(3).nullable(),
  service_discharge_date: wire.date().nullable(),
  ...auditColumns,
});
export type MhsdsReferral = z.infer<typeof mhsdsReferralSchema>;

const person = personRules('referral_received_date');

/** Field and row rules for MHSDS referrals (see docs/datasets/mhsds.md). */
export const mhsdsReferralRules: TableRules = {
  table: 'mhsds_referral',
  prefix: 'MHSDS',
  datasetName: 'MHSDS',
  fields: {
    provider_code: [ods('trust'), knownOrganisation],
    ...person.fields,
    ...person.ethnicity,
    referral_received_date: [notFuture],
    source_of_referral: [codeList('mhsds_source_of_referral')],
    primary_reason_for_referral: [pattern(/^[0-9]{2}$/, 'is not a 2-digit primary reason for referral code')],
    service_team_type: [codeList('mhsds_service_team_type')],
    service_discharge_date: [notFuture],
  },
  rows: [
    ...person.rows,
    notBefore(
      'service_discharge_date',
      'referral_received_date',
      'BEFORE_REFERRAL',
      'is before the referral received date',
    ),
  ],
};
