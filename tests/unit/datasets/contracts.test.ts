import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { z } from 'zod';
import { loadReferenceData } from '../../../shared/adapters/local/reference-data.loader.js';
import { contractFor, type ContractFailure } from '../../../shared/domain/datasets/contracts.js';
import {
  SOURCE_TABLE_NAMES,
  SOURCE_TABLES,
  type SourceRow,
  type SourceTableName,
} from '../../../shared/domain/datasets/source-tables.js';
import { susApcEpisodeSchema } from '../../../shared/domain/datasets/sus-apc/sus-apc-episode.table.js';
import { susApcSpellSchema } from '../../../shared/domain/datasets/sus-apc/sus-apc-spell.table.js';
import { prescribingItemSchema } from '../../../shared/domain/datasets/prescribing/prescribing-item.table.js';
import { mhsdsReferralSchema } from '../../../shared/domain/datasets/mhsds/mhsds-referral.table.js';
import { mhsdsCareContactSchema } from '../../../shared/domain/datasets/mhsds/mhsds-care-contact.table.js';
import { mhsdsClusterAssessmentSchema } from '../../../shared/domain/datasets/mhsds/mhsds-cluster-assessment.table.js';
import { mhsdsHospitalSpellSchema } from '../../../shared/domain/datasets/mhsds/mhsds-hospital-spell.table.js';
import { mhsdsWardStaySchema } from '../../../shared/domain/datasets/mhsds/mhsds-ward-stay.table.js';
import { ecdsAttendanceSchema } from '../../../shared/domain/datasets/ecds/ecds-attendance.table.js';
import { csdsReferralSchema } from '../../../shared/domain/datasets/csds/csds-referral.table.js';
import { csdsCareContactSchema } from '../../../shared/domain/datasets/csds/csds-care-contact.table.js';
import { didsImagingTestSchema } from '../../../shared/domain/datasets/dids/dids-imaging-test.table.js';
import { CLEAN_ROWS, EXTRACT_DATE } from './clean-rows.js';

const reference = loadReferenceData();
const SCHEMAS: Record<SourceTableName, z.ZodObject> = {
  sus_apc_spell: susApcSpellSchema,
  sus_apc_episode: susApcEpisodeSchema,
  prescribing_item: prescribingItemSchema,
  mhsds_referral: mhsdsReferralSchema,
  mhsds_care_contact: mhsdsCareContactSchema,
  mhsds_cluster_assessment: mhsdsClusterAssessmentSchema,
  mhsds_hospital_spell: mhsdsHospitalSpellSchema,
  mhsds_ward_stay: mhsdsWardStaySchema,
  ecds_attendance: ecdsAttendanceSchema,
  csds_referral: csdsReferralSchema,
  csds_care_contact: csdsCareContactSchema,
  dids_imaging_test: didsImagingTestSchema,
};
const DATASET_WORDS: Record<string, string> = {
  sus_apc: 'SUS+ APC',
  prescribing: 'Patient-level prescribing',
  mhsds: 'MHSDS',
  ecds: 'ECDS',
  csds: 'CSDS',
  dids: 'DIDS',
};

function failuresOf(table: SourceTableName, row: unknown): ContractFailure[] {
  const result = contractFor(table, reference, { asOf: EXTRACT_DATE }).check(row);
  return result.ok ? [] : result.failures;
}
const withRow = (table: SourceTableName, patch: SourceRow): SourceRow => ({ ...CLEAN_ROWS[table], ...patch });

for (const table of SOURCE_TABLE_NAMES) {
  test(`a clean ${table} row is accepted by its contract and its zod schema`, () => {
    const result = contractFor(table, reference, { asOf: EXTRACT_DATE }).check(CLEAN_ROWS[table]);
    assert.deepEqual(result.ok ? [] : result.failures, []);
    assert.equal(SCHEMAS[table].safeParse(CLEAN_ROWS[table]).success, true);
  });

  test(`the ${table} zod schema has exactly the columns of the source table spec, with the same nullability`, () => {
    const spec = SOURCE_TABLES[table];
    assert.deepEqual(Object.keys(SCHEMAS[table].shape).sort(), spec.columns.map((c) => c.name).sort());
    for (const col of spec.columns) {
      const parsed = SCHEMAS[table].safeParse({ ...CLEAN_ROWS[table], [col.name]: null });
      assert.equal(parsed.success, col.nullable, `${col.name} nullable=${col.nullable}`);
    }
  });

  test(`a ${table} row with a missing NHS number or other nullable value is still accepted`, () => {
    const spec = SOURCE_TABLES[table];
    const nulls: SourceRow = {};
    for (const col of spec.columns) if (col.nullable && col.name !== 'nicip_code') nulls[col.name] = null;
    assert.deepEqual(failuresOf(table, withRow(table, nulls)), []);
  });
}

interface DefectCase {
  readonly defect: string;
  readonly table: SourceTableName;
  readonly patch: SourceRow;
  readonly field: string;
  readonly rule: string;
}

const DEFECTS: readonly DefectCase[] = [
  // identifiers
  {
    defect: 'invalid NHS number check digit',
    table: 'sus_apc_episode',
    patch: { nhs_number: '9990000019' },
    field: 'nhs_number',
    rule: 'SUS.NHS_NUMBER.CHECK_DIGIT',
  },
  {
    defect: 'invalid NHS number check digit',
    table: 'prescribing_item',
    patch: { nhs_number: '9990000019' },
    field: 'nhs_number',
    rule: 'PRESCRIBING.NHS_NUMBER.CHECK_DIGIT',
  },
  {
    defect: 'invalid NHS number check digit',
    table: 'mhsds_referral',
    patch: { nhs_number: '9990000019' },
    field: 'nhs_number',
    rule: 'MHSDS.NHS_NUMBER.CHECK_DIGIT',
  },
  {
    defect: 'invalid NHS number check digit',
    table: 'ecds_attendance',
    patch: { nhs_number: '9990000019' },
    field: 'nhs_number',
    rule: 'ECDS.NHS_NUMBER.CHECK_DIGIT',
  },
  {
    defect: 'invalid NHS number check digit',
    table: 'csds_referral',
    patch: { nhs_number: '9990000019' },
    field: 'nhs_number',
    rule: 'CSDS.NHS_NUMBER.CHECK_DIGIT',
  },
  {
    defect: 'invalid NHS number check digit',
    table: 'dids_imaging_test',
    patch: { nhs_number: '9990000019' },
    field: 'nhs_number',
    rule: 'DIDS.NHS_NUMBER.CHECK_DIGIT',
  },
  {
    defect: 'dummy NHS number',
    table: 'sus_apc_episode',
    patch: { nhs_number: '1111111111' },
    field: 'nhs_number',
    rule: 'SUS.NHS_NUMBER.ALL_SAME_DIGIT',
  },
  {
    defect: 'malformed postcode',
    table: 'sus_apc_episode',
    patch: { postcode: 'B1 XXX' },
    field: 'postcode',
    rule: 'SUS.POSTCODE.FORMAT',
  },
  // SUS dates
  {
    defect: 'discharge before admission',
    table: 'sus_apc_episode',
    patch: { discharge_date: '2026-08-30', episode_end_date: null },
    field: 'discharge_date',
    rule: 'SUS.DISCHARGE_DATE.BEFORE_ADMISSION',
  },
  {
    defect: 'episode starting before its spell',
    table: 'sus_apc_episode',
    patch: { episode_start_date: '2026-08-25' },
    field: 'episode_start_date',
    rule: 'SUS.EPISODE_START_DATE.BEFORE_ADMISSION',
  },
  {
    defect: 'episode ending after its spell',
    table: 'sus_apc_episode',
    patch: { episode_end_date: '2026-09-09' },
    field: 'episode_end_date',
    rule: 'SUS.EPISODE_END_DATE.AFTER_DISCHARGE',
  },
  {
    defect: 'episode ending before it starts',
    table: 'sus_apc_episode',
    patch: { episode_end_date: '2026-08-31', admission_date: '2026-08-30' },
    field: 'episode_end_date',
    rule: 'SUS.EPISODE_END_DATE.BEFORE_EPISODE_START',
  },
  {
    defect: 'future discharge date',
    table: 'sus_apc_episode',
    patch: { discharge_date: '2026-12-05', episode_end_date: '2026-12-05' },
    field: 'discharge_date',
    rule: 'SUS.DISCHARGE_DATE.FUTURE_DATE',
  },
  {
    defect: 'date of birth after admission',
    table: 'sus_apc_episode',
    patch: { date_of_birth: '2026-09-02' },
    field: 'date_of_birth',
    rule: 'SUS.DATE_OF_BIRTH.AFTER_ACTIVITY_DATE',
  },
  {
    defect: 'died without destination 79',
    table: 'sus_apc_episode',
    patch: { discharge_method: '4' },
    field: 'discharge_destination',
    rule: 'SUS.DISCHARGE_DESTINATION.DEATH_MISMATCH',
  },
  // SUS codes
  {
    defect: 'malformed ICD-10 (dotted)',
    table: 'sus_apc_episode',
    patch: { primary_diagnosis: 'I50.' },
    field: 'primary_diagnosis',
    rule: 'SUS.PRIMARY_DIAGNOSIS.DOTTED',
  },
  {
    defect: 'malformed ICD-10',
    table: 'sus_apc_episode',
    patch: { primary_diagnosis: '150X' },
    field: 'primary_diagnosis',
    rule: 'SUS.PRIMARY_DIAGNOSIS.FORMAT',
  },
  {
    defect: 'malformed secondary ICD-10',
    table: 'sus_apc_episode',
    patch: { secondary_diagnoses: 'E119,I10' },
    field: 'secondary_diagnoses',
    rule: 'SUS.SECONDARY_DIAGNOSES.LENGTH',
  },
  {
    defect: 'malformed OPCS-4',
    table: 'sus_apc_episode',
    patch: { primary_procedure: 'W3X1', primary_procedure_date: '2026-09-02' },
    field: 'primary_procedure',
    rule: 'SUS.PRIMARY_PROCEDURE.FORMAT',
  },
  {
    defect: 'malformed HRG',
    table: 'sus_apc_spell',
    patch: { spell_hrg: 'EB3E' },
    field: 'spell_hrg',
    rule: 'SUS.SPELL_HRG.LENGTH',
  },
  {
    defect: 'unknown HRG',
    table: 'sus_apc_spell',
    patch: { spell_hrg: 'ZZ99Z' },
    field: 'spell_hrg',
    rule: 'SUS.SPELL_HRG.UNKNOWN_HRG',
  },
  {
    defect: 'length of stay one day more than discharge − admission',
    table: 'sus_apc_spell',
    patch: { length_of_stay_days: 5 },
    field: 'length_of_stay_days',
    rule: 'SUS.LENGTH_OF_STAY_DAYS.MISMATCH',
  },
  {
    defect: 'length of stay one day less than discharge − admission',
    table: 'sus_apc_spell',
    patch: { length_of_stay_days: 3 },
    field: 'length_of_stay_days',
    rule: 'SUS.LENGTH_OF_STAY_DAYS.MISMATCH',
  },
  {
    defect:
      'age on admission counted before the birthday (admitted the day before the 71st birthday, age 71)',
    table: 'sus_apc_spell',
    patch: { date_of_birth: '1955-09-02', age_on_admission: 71 },
    field: 'age_on_admission',
    rule: 'SUS.AGE_ON_ADMISSION.MISMATCH',
  },
  {
    defect: 'spell discharged before admission',
    table: 'sus_apc_spell',
    patch: { discharge_date: '2026-08-30', length_of_stay_days: null },
    field: 'discharge_date',
    rule: 'SUS.DISCHARGE_DATE.BEFORE_ADMISSION',
  },
  {
    defect: 'finished episode without an end date',
    table: 'sus_apc_episode',
    patch: {
      episode_end_date: null,
      discharge_date: null,
      discharge_method: '8',
      discharge_destination: '98',
    },
    field: 'episode_status',
    rule: 'SUS.EPISODE_STATUS.FINISHED_WITHOUT_END',
  },
  {
    defect: 'secondary procedure list with a dotted code',
    table: 'sus_apc_episode',
    patch: { secondary_procedures: 'W37.1' },
    field: 'secondary_procedures',
    rule: 'SUS.SECONDARY_PROCEDURES.DOTTED',
  },
  {
    defect: 'malformed ODS trust code',
    table: 'sus_apc_episode',
    patch: { provider_code: 'R1', site_code: null },
    field: 'provider_code',
    rule: 'SUS.PROVIDER_CODE.LENGTH',
  },
  {
    defect: 'unknown provider',
    table: 'sus_apc_episode',
    patch: { provider_code: 'RZZ', site_code: null },
    field: 'provider_code',
    rule: 'SUS.PROVIDER_CODE.UNKNOWN_ORGANISATION',
  },
  {
    defect: 'malformed GP practice code',
    table: 'sus_apc_episode',
    patch: { gp_practice_code: 'M8500X' },
    field: 'gp_practice_code',
    rule: 'SUS.GP_PRACTICE_CODE.FORMAT',
  },
  {
    defect: 'site of another provider',
    table: 'sus_apc_episode',
    patch: { site_code: 'RM102' },
    field: 'site_code',
    rule: 'SUS.SITE_CODE.NOT_PROVIDER_SITE',
  },
  {
    defect: 'admission method not in the code list',
    table: 'sus_apc_episode',
    patch: { admission_method: '27' },
    field: 'admission_method',
    rule: 'SUS.ADMISSION_METHOD.CODE_LIST',
  },
  {
    defect: 'retired admission method used after retirement',
    table: 'sus_apc_episode',
    patch: { admission_method: '28' },
    field: 'admission_method',
    rule: 'SUS.ADMISSION_METHOD.CODE_LIST',
  },
  {
    defect: 'negative tariff',
    table: 'sus_apc_spell',
    patch: { tariff_gbp: '-1.00' },
    field: 'tariff_gbp',
    rule: 'SUS.TARIFF_GBP.NEGATIVE',
  },
  // wire-form types
  {
    defect: 'int sent as text',
    table: 'sus_apc_episode',
    patch: { episode_number: '1' },
    field: 'episode_number',
    rule: 'SUS.EPISODE_NUMBER.TYPE',
  },
  {
    defect: 'impossible date',
    table: 'sus_apc_episode',
    patch: { admission_date: '2026-02-30' },
    field: 'admission_date',
    rule: 'SUS.ADMISSION_DATE.DATE_FORMAT',
  },
  {
    defect: 'required value null',
    table: 'sus_apc_episode',
    patch: { treatment_function: null },
    field: 'treatment_function',
    rule: 'SUS.TREATMENT_FUNCTION.REQUIRED',
  },
  {
    defect: 'decimal sent as a number',
    table: 'sus_apc_spell',
    patch: { tariff_gbp: 2500 },
    field: 'tariff_gbp',
    rule: 'SUS.TARIFF_GBP.DECIMAL_FORMAT',
  },
  {
    defect: 'text too long',
    table: 'sus_apc_episode',
    patch: { episode_id: 'E'.repeat(21) },
    field: 'episode_id',
    rule: 'SUS.EPISODE_ID.LENGTH',
  },
  // prescribing
  {
    defect: 'malformed BNF code',
    table: 'prescribing_item',
    patch: { bnf_code: '0212000B0AAAB' },
    field: 'bnf_code',
    rule: 'PRESCRIBING.BNF_CODE.LENGTH',
  },
  {
    defect: 'BNF code with an unknown chapter',
    table: 'prescribing_item',
    patch: { bnf_code: '1612000B0AAABAB' },
    field: 'bnf_code',
    rule: 'PRESCRIBING.BNF_CODE.CHAPTER',
  },
  {
    defect: 'future dispensing date',
    table: 'prescribing_item',
    patch: { dispensing_date: '2026-11-02', processing_month: '202611' },
    field: 'dispensing_date',
    rule: 'PRESCRIBING.DISPENSING_DATE.FUTURE_DATE',
  },
  {
    defect: 'zero quantity',
    table: 'prescribing_item',
    patch: { quantity: '0.000' },
    field: 'quantity',
    rule: 'PRESCRIBING.QUANTITY.NOT_POSITIVE',
  },
  {
    defect: 'processed before dispensing',
    table: 'prescribing_item',
    patch: { processing_month: '202608' },
    field: 'processing_month',
    rule: 'PRESCRIBING.PROCESSING_MONTH.BEFORE_DISPENSING',
  },
  // MHSDS
  {
    defect: 'referral date after discharge',
    table: 'mhsds_referral',
    patch: { referral_received_date: '2026-10-25' },
    field: 'service_discharge_date',
    rule: 'MHSDS.SERVICE_DISCHARGE_DATE.BEFORE_REFERRAL',
  },
  {
    defect: 'unknown team type',
    table: 'mhsds_referral',
    patch: { service_team_type: 'Z99' },
    field: 'service_team_type',
    rule: 'MHSDS.SERVICE_TEAM_TYPE.CODE_LIST',
  },
  {
    defect: 'unknown source of referral',
    table: 'mhsds_referral',
    patch: { source_of_referral: 'ZZ' },
    field: 'source_of_referral',
    rule: 'MHSDS.SOURCE_OF_REFERRAL.CODE_LIST',
  },
  {
    defect: 'future contact date',
    table: 'mhsds_care_contact',
    patch: { contact_date: '2027-01-01' },
    field: 'contact_date',
    rule: 'MHSDS.CONTACT_DATE.FUTURE_DATE',
  },
  {
    defect: 'care cluster out of range',
    table: 'mhsds_cluster_assessment',
    patch: { care_cluster: '22' },
    field: 'care_cluster',
    rule: 'MHSDS.CARE_CLUSTER.CODE_LIST',
  },
  {
    defect: 'unused care cluster 9',
    table: 'mhsds_cluster_assessment',
    patch: { care_cluster: '9' },
    field: 'care_cluster',
    rule: 'MHSDS.CARE_CLUSTER.CODE_LIST',
  },
  // ECDS
  {
    defect: 'missing discharge destination on a concluded attendance',
    table: 'ecds_attendance',
    patch: { discharge_destination: null },
    field: 'discharge_destination',
    rule: 'ECDS.DISCHARGE_DESTINATION.MISSING',
  },
  {
    defect: 'discharge destination not in the ECDS list',
    table: 'ecds_attendance',
    patch: { discharge_destination: '22298006' },
    field: 'discharge_destination',
    rule: 'ECDS.DISCHARGE_DESTINATION.CODE_LIST',
  },
  {
    defect: 'malformed SNOMED CT code (check digit)',
    table: 'ecds_attendance',
    patch: { chief_complaint: '22298007' },
    field: 'chief_complaint',
    rule: 'ECDS.CHIEF_COMPLAINT.CHECK_DIGIT',
  },
  {
    defect: 'SNOMED CT code that is not a number',
    table: 'ecds_attendance',
    patch: { acuity: 'URGENT' },
    field: 'acuity',
    rule: 'ECDS.ACUITY.NON_DIGIT',
  },
  {
    defect: 'departure before arrival',
    table: 'ecds_attendance',
    patch: { departure_at: '2026-09-01T07:59:00.000+01:00' },
    field: 'departure_at',
    rule: 'ECDS.DEPARTURE_AT.BEFORE_ARRIVAL',
  },
  {
    defect: 'departure before arrival across offsets',
    table: 'ecds_attendance',
    patch: { departure_at: '2026-09-01T06:30:00.000Z' },
    field: 'departure_at',
    rule: 'ECDS.DEPARTURE_AT.BEFORE_ARRIVAL',
  },
  {
    defect: 'timestamp without an offset',
    table: 'ecds_attendance',
    patch: { arrival_at: '2026-09-01T08:00:00.000' },
    field: 'arrival_at',
    rule: 'ECDS.ARRIVAL_AT.TIMESTAMP_FORMAT',
  },
  {
    defect: 'future arrival',
    table: 'ecds_attendance',
    patch: {
      arrival_at: '2026-11-02T08:00:00.000Z',
      initial_assessment_at: null,
      seen_for_treatment_at: null,
      decision_to_admit_at: null,
      clinically_ready_at: null,
      conclusion_at: null,
      departure_at: null,
    },
    field: 'arrival_at',
    rule: 'ECDS.ARRIVAL_AT.FUTURE_DATE',
  },
  {
    defect: 'unknown department type',
    table: 'ecds_attendance',
    patch: { department_type: '09' },
    field: 'department_type',
    rule: 'ECDS.DEPARTMENT_TYPE.CODE_LIST',
  },
  // CSDS
  {
    defect: 'referral date after discharge',
    table: 'csds_referral',
    patch: { service_discharge_date: '2026-09-01' },
    field: 'service_discharge_date',
    rule: 'CSDS.SERVICE_DISCHARGE_DATE.BEFORE_REFERRAL',
  },
  {
    defect: 'unknown activity location',
    table: 'csds_care_contact',
    patch: { activity_location_type: 'Z99' },
    field: 'activity_location_type',
    rule: 'CSDS.ACTIVITY_LOCATION_TYPE.CODE_LIST',
  },
  {
    defect: 'malformed ODS provider',
    table: 'csds_care_contact',
    patch: { provider_code: 'ryw' },
    field: 'provider_code',
    rule: 'CSDS.PROVIDER_CODE.FORMAT',
  },
  // DIDS
  {
    defect: 'imaging test before its request',
    table: 'dids_imaging_test',
    patch: { request_date: '2026-09-05', request_received_date: '2026-09-05' },
    field: 'test_date',
    rule: 'DIDS.TEST_DATE.BEFORE_REQUEST',
  },
  {
    defect: 'report before the test',
    table: 'dids_imaging_test',
    patch: { report_issue_date: '2026-09-01' },
    field: 'report_issue_date',
    rule: 'DIDS.REPORT_ISSUE_DATE.BEFORE_TEST',
  },
  {
    defect: 'request received before requested',
    table: 'dids_imaging_test',
    patch: { request_received_date: '2026-08-31' },
    field: 'request_received_date',
    rule: 'DIDS.REQUEST_RECEIVED_DATE.BEFORE_REQUEST',
  },
  {
    defect: 'unknown NICIP code',
    table: 'dids_imaging_test',
    patch: { nicip_code: 'XNOPE' },
    field: 'nicip_code',
    rule: 'DIDS.NICIP_CODE.CODE_LIST',
  },
  {
    defect: 'no procedure code at all',
    table: 'dids_imaging_test',
    patch: { nicip_code: null, snomed_code: null },
    field: 'nicip_code',
    rule: 'DIDS.NICIP_CODE.MISSING_PROCEDURE_CODE',
  },
  {
    defect: 'modality disagreeing with NICIP',
    table: 'dids_imaging_test',
    patch: { modality: 'C' },
    field: 'modality',
    rule: 'DIDS.MODALITY.NICIP_MISMATCH',
  },
  {
    defect: 'malformed SNOMED CT code',
    table: 'dids_imaging_test',
    patch: { snomed_code: '399208009' },
    field: 'snomed_code',
    rule: 'DIDS.SNOMED_CODE.CHECK_DIGIT',
  },
  {
    defect: 'malformed site code',
    table: 'dids_imaging_test',
    patch: { site_code: 'RRK2' },
    field: 'site_code',
    rule: 'DIDS.SITE_CODE.LENGTH',
  },
];

for (const c of DEFECTS) {
  test(`${c.table}: a row with ${c.defect} is rejected with ${c.rule}, named by dataset and field`, () => {
    const failures = failuresOf(c.table, withRow(c.table, c.patch));
    const hit = failures.find((f) => f.rule === c.rule);
    assert.ok(hit, `expected ${c.rule}, got ${failures.map((f) => f.rule).join(', ') || 'no failures'}`);
    assert.equal(hit.field, c.field);
    assert.equal(hit.table, c.table);
    assert.equal(hit.dataset, SOURCE_TABLES[c.table].dataset);
    assert.ok(hit.message.includes(DATASET_WORDS[hit.dataset]!), hit.message);
    assert.ok(hit.message.includes(`'${c.field}'`), hit.message);
    assert.ok(hit.message.includes(c.rule), hit.message);
  });
}

test('a row that is not an object, has a missing column or an unknown column is rejected', () => {
  assert.deepEqual(
    failuresOf('sus_apc_episode', 'not a row').map((f) => f.rule),
    ['SUS.(ROW).NOT_AN_OBJECT'],
  );
  const missing: Record<string, unknown> = { ...CLEAN_ROWS.sus_apc_episode };
  delete missing.episode_hrg;
  assert.deepEqual(
    failuresOf('sus_apc_episode', missing).map((f) => f.rule),
    ['SUS.EPISODE_HRG.COLUMN_MISSING'],
  );
  assert.deepEqual(
    failuresOf('sus_apc_episode', { ...CLEAN_ROWS.sus_apc_episode, surprise: 'x' }).map((f) => f.rule),
    ['SUS.SURPRISE.UNKNOWN_COLUMN'],
  );
});

test('without an extract date the future-date rules are not applied', () => {
  // submitted for January 2099 (UniqMonthID 2386), so only the future-date rule can fail it
  const row = withRow('mhsds_care_contact', { contact_date: '2099-01-01', uniq_month_id: 2386 });
  assert.equal(contractFor('mhsds_care_contact', reference).check(row).ok, true);
  assert.equal(contractFor('mhsds_care_contact', reference, { asOf: EXTRACT_DATE }).check(row).ok, false);
});

test('code lists are checked on the activity date: a GP practice closed later is still valid earlier', () => {
  // admission method 28 was retired (placeholder date 2021-03-31): valid for a 2020 admission
  const row = withRow('sus_apc_episode', {
    admission_method: '28',
    admission_date: '2020-06-01',
    episode_start_date: '2020-06-01',
    episode_end_date: '2020-06-03',
    discharge_date: '2020-06-03',
  });
  assert.deepEqual(failuresOf('sus_apc_episode', row), []);
});

test('the type checks agree with the zod schema on every wire-form defect', () => {
  for (const c of DEFECTS.filter((d) =>
    /\.(TYPE|DATE_FORMAT|TIMESTAMP_FORMAT|DECIMAL_FORMAT|REQUIRED|LENGTH)$/.test(d.rule),
  )) {
    if (c.rule.endsWith('.LENGTH') && !['SUS.EPISODE_ID.LENGTH'].includes(c.rule)) continue; // value-rule LENGTHs
    assert.equal(SCHEMAS[c.table].safeParse(withRow(c.table, c.patch)).success, false, c.rule);
  }
});

test('no failure message contains the row NHS number, date of birth or postcode', () => {
  const identifiers = ['9990000019', '1956-03-14', 'B1 0DH', 'B1 XXX', '9990000018', 'LP0000001'];
  const seen: string[] = [];
  for (const c of DEFECTS) {
    const row = withRow(c.table, c.patch);
    for (const f of failuresOf(c.table, row)) seen.push(f.message);
  }
  // a row where every identifier is itself invalid
  const bad = withRow('sus_apc_episode', {
    nhs_number: '9990000019',
    date_of_birth: '2027-01-01',
    postcode: 'B1 XXX',
  });
  for (const f of failuresOf('sus_apc_episode', bad)) seen.push(f.message);
  assert.ok(seen.length > DEFECTS.length);
  for (const message of seen)
    for (const id of identifiers) assert.ok(!message.includes(id), `message leaks a value: ${message}`);
});
