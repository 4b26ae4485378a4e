import { z } from 'zod';
import type { TableRules } from '../contract-engine.js';
import { codeList, knownOrganisation, notFuture, ods } from '../contract-rules.js';
import { auditColumns, wire } from '../wire-schema.js';

/** CSDS care contact (`csds_care_contact`, CYP201 + main CYP202 activity) in wire form. */
export const csdsCareContactSchema = z.object({
  care_contact_id: wire.varchar(20),
  referral_id: wire.varchar(20),
  provider_code: wire.varchar(5),
  local_patient_id: wire.varchar(20).nullable(),
  contact_date: wire.date(),
  activity_location_type: wire.varchar(3).nullable(),
  attend_or_dna: wire.char(1).nullable(),
  care_activity_type: wire.varchar(2).nullable(),
  ...auditColumns,
});
export type CsdsCareContact = z.infer<typeof csdsCareContactSchema>;

/**
 * Field rules for CSDS care contacts. Orphan contacts and contacts before their referral are
 * cross-row rules (shared/domain/validate).
 */
export const csdsCareContactRules: TableRules = {
  table: 'csds_care_contact',
  prefix: 'CSDS',
  datasetName: 'CSDS',
  fields: {
    provider_code: [ods('trust'), knownOrganisation],
    contact_date: [notFuture],
    activity_location_type: [codeList('activity_location_type')],
    attend_or_dna: [codeList('attend_or_dna')],
    care_activity_type: [codeList('csds_care_activity_type')],
  },
  rows: [],
};
