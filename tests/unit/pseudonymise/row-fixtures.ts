import type { SourceRow } from '../../../shared/domain/datasets/source-tables.js';
import { deriveProjectKey, parseMasterKey } from '../../../shared/domain/pseudonymise/project-key.js';
import type { PostcodeToLsoa } from '../../../shared/domain/pseudonymise/silver-row.js';
import { CAREFLOW, COMMUNITY360 } from '../../support/projects.js';

/** A fixed master key (bytes 0x01..0x20) so token vectors reproduce. Synthetic, test only. */
export const TEST_MASTER_KEY_B64 = 'AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=';
export const testMasterKey = (): Buffer => parseMasterKey(TEST_MASTER_KEY_B64, 'test-master');
export const careflowKey = (version = 'v1') => deriveProjectKey(testMasterKey(), version, CAREFLOW);
export const community360Key = (version = 'v1') => deriveProjectKey(testMasterKey(), version, COMMUNITY360);

export const postcodes: PostcodeToLsoa = {
  lsoaForPostcode: (pc) => ({ 'B1 0DH': 'E01090077', 'B1 0SA': 'E01090063' })[pc] ?? null,
};

export function apcRow(overrides: Partial<SourceRow> = {}): SourceRow {
  return {
    episode_id: 'EP1',
    provider_code: 'RRK',
    site_code: 'RRK02',
    hospital_provider_spell_number: 'SP1',
    episode_number: 1,
    nhs_number: '9990000018',
    local_patient_id: 'LOC-00042',
    patient_name: 'SYNTHETIC PERSON',
    date_of_birth: '1980-02-29',
    sex: '2',
    ethnic_category: 'A',
    postcode: 'B1 0DH',
    gp_practice_code: 'M85001',
    commissioner_code: '15E',
    admission_date: '2026-03-01',
    admission_method: '21',
    admission_source: '19',
    patient_classification: '1',
    episode_start_date: '2026-03-01',
    episode_end_date: '2026-03-05',
    episode_status: '3',
    discharge_date: '2026-03-05',
    discharge_method: '1',
    discharge_destination: '19',
    main_specialty: '300',
    treatment_function: '300',
    primary_diagnosis: 'I219',
    secondary_diagnoses: null,
    primary_procedure: null,
    primary_procedure_date: null,
    secondary_procedures: null,
    episode_hrg: 'EB03E',
    modified_at: '2026-03-06T10:00:00.000Z',
    change_version: '17',
    ...overrides,
  };
}

export function prescribingRow(overrides: Partial<SourceRow> = {}): SourceRow {
  return {
    item_id: 'IT1',
    nhs_number: '9990000018',
    date_of_birth: '1980-02-29',
    sex: '2',
    postcode: 'B1 0DH',
    prescribing_practice_code: 'M85001',
    prescriber_code: 'G1234567',
    dispensing_date: '2026-03-10',
    processing_month: '202603',
    bnf_code: '0212000B0AAABAB',
    bnf_description: 'Atorvastatin 20mg tablets',
    quantity: '28.000',
    items: 1,
    nic_gbp: '1.23',
    actual_cost_gbp: '1.10',
    modified_at: '2026-03-11T10:00:00.000Z',
    change_version: '18',
    ...overrides,
  };
}

export function ecdsRow(overrides: Partial<SourceRow> = {}): SourceRow {
  return {
    attendance_id: 'AE1',
    provider_code: 'RRK',
    site_code: 'RRK02',
    department_type: '01',
    attendance_category: '1',
    nhs_number: '9990000018',
    local_patient_id: 'LOC-77',
    patient_name: 'SYNTHETIC PERSON',
    date_of_birth: '1980-02-29',
    sex: '2',
    ethnic_category: 'A',
    postcode: 'B1 0DH',
    gp_practice_code: 'M85001',
    commissioner_code: '15E',
    arrival_mode: null,
    is_arrival_planned: null,
    acuity: null,
    chief_complaint: null,
    diagnoses: null,
    diagnosis_qualifiers: null,
    injury_date: null,
    injury_time: null,
    injury_mechanism: null,
    injury_place_type: null,
    injury_intent: null,
    injury_activity_status: null,
    discharge_status: null,
    discharge_destination: null,
    discharge_follow_up: null,
    arrival_at: '2026-03-01T00:30:00.000+01:00',
    initial_assessment_at: null,
    seen_for_treatment_at: null,
    decision_to_admit_at: null,
    clinically_ready_at: null,
    conclusion_at: null,
    departure_at: null,
    duration_mins: null,
    within_4_hours: null,
    over_12_hours: null,
    modified_at: '2026-03-01T10:00:00.000Z',
    change_version: '3',
    ...overrides,
  };
}
