import { z } from 'zod';
import type { TableRules } from '../contract-engine.js';
import { codeList, knownOrganisation, notFuture, ods } from '../contract-rules.js';
import { auditColumns, wire } from '../wire-schema.js';

/** MHSDS care cluster assessment (`mhsds_cluster_assessment`, MHS801) in wire form. */
export const mhsdsClusterAssessmentSchema = z.object({
  assessment_id: wire.varchar(20),
  referral_id: wire.varchar(20),
  provider_code: wire.varchar(5),
  local_patient_id: wire.varchar(20).nullable(),
  assessment_date: wire.date(),
  care_cluster: wire.varchar(2),
  ...auditColumns,
});
export type MhsdsClusterAssessment = z.infer<typeof mhsdsClusterAssessmentSchema>;

/** Field rules for MHSDS cluster assessments: cluster 0-21 (9 unused), effective on the assessment date. */
export const mhsdsClusterAssessmentRules: TableRules = {
  table: 'mhsds_cluster_assessment',
  prefix: 'MHSDS',
  datasetName: 'MHSDS',
  fields: {
    provider_code: [ods('trust'), knownOrganisation],
    assessment_date: [notFuture],
    care_cluster: [codeList('mh_care_cluster')],
  },
  rows: [],
};
