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

/** CSDS referral (`csds_referral`, CYP101 + CYP102 team type) in wire form. */
export const csdsReferralSchema = z.object({
  referral_id: wire.varchar(20),
  provider_code: wire.varchar(5),
  ...personColumns,
  referral_received_date: wire.date(),
  source_of_referral: wire.varchar(2).nullable(),
  priority_type: wire.char(1).nullable(),
  team_type: wire.varchar(3).nullable(),
  service_discharge_date: wire.date().nullable(),
  ...auditColumns,
});
export type CsdsReferral = z.infer<typeof csdsReferralSchema>;

const person = personRules('referral_received_date');

/**
 * Field and row rules for CSDS referrals (see docs/datasets/csds.md). The CSDS team-type list is
 * a placeholder (the real list was not retrieved); source of referral is checked for format only.
 */
export const csdsReferralRules: TableRules = {
  table: 'csds_referral',
  prefix: 'CSDS',
  datasetName: 'CSDS',
  fields: {
    provider_code: [ods('trust'), knownOrganisation],
    ...person.fields,
    referral_received_date: [notFuture],
    source_of_referral: [pattern(/^[A-Z0-9]{2}$/, 'is not a 2-character source of referral code')],
    priority_type: [codeList('csds_priority_type')],
    team_type: [codeList('csds_team_type')],
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
