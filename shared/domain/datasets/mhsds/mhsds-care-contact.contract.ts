import { z } from 'zod';
import type { TableRules } from '../contract-engine.js';
import { codeList, knownOrganisation, notFuture, ods } from '../contract-rules.js';
import { auditColumns, wire } from '../wire-schema.js';

/** MHSDS care contact (`mhsds_care_contact`, MHS201) in wire form. */
export const mhsdsCareContactSchema = z.object({
  care_contact_id: wire.varchar(20),
  referral_id: wire.varchar(20),
  provider_code: wire.varchar(5),
  local_patient_id: wire.varchar(20).nullable(),
  contact_date: wire.date(),
  attend_or_dna: wire.char(1).nullable(),
  consultation_medium: wire.varchar(2).nullable(),
  ...auditColumns,
});
export type MhsdsCareContact = z.infer<typeof mhsdsCareContactSchema>;

/**
 * Field rules for MHSDS care contacts. Contact-before-referral and orphan contacts are cross-row
 * rules (shared/domain/validate), not part of this row contract.
 */
export const mhsdsCareContactRules: TableRules = {
  table: 'mhsds_care_contact',
  prefix: 'MHSDS',
  datasetName: 'MHSDS',
  fields: {
    provider_code: [ods('trust'), knownOrganisation],
    contact_date: [notFuture],
    attend_or_dna: [codeList('attend_or_dna')],
    consultation_medium: [codeList('mhsds_consultation_medium')],
  },
  rows: [],
};
