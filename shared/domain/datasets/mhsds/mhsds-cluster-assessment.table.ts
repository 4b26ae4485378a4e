import { codeList, knownOrganisation, notFuture, ods } from '../contract-rules.js';
import { col, systemColumns, type TableDeclaration } from '../declaration.js';
import { localPatientIdColumn } from '../person-columns.js';
import { wireSchemaOf, type WireRow } from '../wire-schema.js';
import { mhsdsName, ORG_ID_PROV } from './mhsds-names.js';
import { submissionColumns, submissionRowRules } from './mhsds-submission-columns.js';

/** MHSDS care cluster assessment (`mhsds_cluster_assessment`, MHS801): cluster 0-21 (9 unused), effective on the assessment date. */
export const mhsdsClusterAssessment: TableDeclaration = {
  table: 'mhsds_cluster_assessment',
  dataset: 'mhsds',
  description: 'MHSDS MHS801: care cluster assessment (clusters 0-21)',
  key: ['assessment_id'],
  changeVersionColumn: 'change_version',
  providerColumn: 'provider_code',
  activityDateColumn: 'assessment_date',
  columns: [
    col.varchar('assessment_id', 20, 'The cluster tool record identifier', {
      nhs: mhsdsName('MHS801', 'UniqClustID'),
    }),
    col.varchar('referral_id', 20, 'The referral (service request) the assessment is under'),
    col.varchar('provider_code', 5, 'ODS code of the provider (trust)', {
      nhs: ORG_ID_PROV,
      rules: [ods('trust'), knownOrganisation],
    }),
    ...submissionColumns(),
    localPatientIdColumn(),
    col.date('assessment_date', 'Date the clustering tool was completed', {
      nhs: mhsdsName('MHS801', 'AssToolCompDate'),
      rules: [notFuture],
    }),
    col.varchar('care_cluster', 2, 'The PbR mental health care cluster assigned (0-21)', {
      nhs: mhsdsName('MHS801', 'AMHCareClustCodeInit'),
      rules: [codeList('mh_care_cluster')],
      dq: { index: true },
    }),
    ...systemColumns,
  ],
  rowRules: [...submissionRowRules('assessment_date')],
  notes: [
    'MHS801 care cluster assessment: cluster 0-21; cluster 9 (blank/unused) is closed in the code list, so it fails `CARE_CLUSTER.CODE_LIST`. Within-row: `RECORD_END_DATE.BEFORE_RECORD_START`, `UNIQ_MONTH_ID.BEFORE_ACTIVITY`.',
    "The specification splits the cluster data into MHS801ClusterTool (one row per completed clustering tool, with the initial cluster `AMHCareClustCodeInit`: this table), MHS802ClusterAssess (the tool's item scores, `CodedAssToolType` and `PersScore`) and MHS803CareCluster (the cluster assigned over time). MHS802 and MHS803 are not declared: REFERENCE.md names MHS802's two fields but gives only one of the 18 SNOMED CT item codes of the Mental Health Clustering Tool, so neither its code list nor synthetic rows could be built without inventing codes, and it names no MHS803 field.",
  ],
};

/** The wire-form zod schema of an `mhsds_cluster_assessment` row, generated from the declaration. */
export const mhsdsClusterAssessmentSchema = wireSchemaOf(mhsdsClusterAssessment);
export type MhsdsClusterAssessment = WireRow;
