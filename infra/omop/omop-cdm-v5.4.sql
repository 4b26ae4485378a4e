-- OMOP CDM v5.4: the tables nhs-flows omop writes (generated from shared/domain/omop/omop-cdm-tables.ts;
-- do not edit by hand: a unit test compares this file with the declaration).
-- Replace @cdmDatabaseSchema with your schema. Vocabulary tables come from your Athena download.

-- ODS organisations (provider sites and trusts) the activity took place at
CREATE TABLE @cdmDatabaseSchema.care_site (
  care_site_id INTEGER NOT NULL,
  care_site_name VARCHAR(255) NULL,
  place_of_service_concept_id INTEGER NULL,
  location_id INTEGER NULL,
  care_site_source_value VARCHAR(50) NULL,
  place_of_service_source_value VARCHAR(50) NULL
);

-- Clinicians: gold holds none (no consultant or prescriber code), so it is declared and empty
CREATE TABLE @cdmDatabaseSchema.provider (
  provider_id INTEGER NOT NULL,
  provider_name VARCHAR(255) NULL,
  npi VARCHAR(20) NULL,
  dea VARCHAR(20) NULL,
  specialty_concept_id INTEGER NULL,
  care_site_id INTEGER NULL,
  year_of_birth INTEGER NULL,
  gender_concept_id INTEGER NULL,
  provider_source_value VARCHAR(50) NULL,
  specialty_source_value VARCHAR(50) NULL,
  specialty_source_concept_id INTEGER NULL,
  gender_source_value VARCHAR(50) NULL,
  gender_source_concept_id INTEGER NULL
);

-- One row per pseudonymised patient (dim_patient member) with an estimated year of birth
CREATE TABLE @cdmDatabaseSchema.person (
  person_id INTEGER NOT NULL,
  gender_concept_id INTEGER NOT NULL,
  year_of_birth INTEGER NOT NULL,
  month_of_birth INTEGER NULL,
  day_of_birth INTEGER NULL,
  birth_datetime TIMESTAMP NULL,
  race_concept_id INTEGER NOT NULL,
  ethnicity_concept_id INTEGER NOT NULL,
  location_id INTEGER NULL,
  provider_id INTEGER NULL,
  care_site_id INTEGER NULL,
  person_source_value VARCHAR(50) NULL,
  gender_source_value VARCHAR(50) NULL,
  gender_source_concept_id INTEGER NULL,
  race_source_value VARCHAR(50) NULL,
  race_source_concept_id INTEGER NULL,
  ethnicity_source_value VARCHAR(50) NULL,
  ethnicity_source_concept_id INTEGER NULL
);

-- Per person: first to last day of activity seen in gold
CREATE TABLE @cdmDatabaseSchema.observation_period (
  observation_period_id INTEGER NOT NULL,
  person_id INTEGER NOT NULL,
  observation_period_start_date DATE NOT NULL,
  observation_period_end_date DATE NOT NULL,
  period_type_concept_id INTEGER NOT NULL
);

-- Hospital spells (inpatient), A&E attendances (emergency room) and community contacts (outpatient)
CREATE TABLE @cdmDatabaseSchema.visit_occurrence (
  visit_occurrence_id INTEGER NOT NULL,
  person_id INTEGER NOT NULL,
  visit_concept_id INTEGER NOT NULL,
  visit_start_date DATE NOT NULL,
  visit_start_datetime TIMESTAMP NULL,
  visit_end_date DATE NOT NULL,
  visit_end_datetime TIMESTAMP NULL,
  visit_type_concept_id INTEGER NOT NULL,
  provider_id INTEGER NULL,
  care_site_id INTEGER NULL,
  visit_source_value VARCHAR(50) NULL,
  visit_source_concept_id INTEGER NULL,
  admitted_from_concept_id INTEGER NULL,
  admitted_from_source_value VARCHAR(50) NULL,
  discharged_to_concept_id INTEGER NULL,
  discharged_to_source_value VARCHAR(50) NULL,
  preceding_visit_occurrence_id INTEGER NULL
);

-- Consultant episodes, each within its hospital spell
CREATE TABLE @cdmDatabaseSchema.visit_detail (
  visit_detail_id INTEGER NOT NULL,
  person_id INTEGER NOT NULL,
  visit_detail_concept_id INTEGER NOT NULL,
  visit_detail_start_date DATE NOT NULL,
  visit_detail_start_datetime TIMESTAMP NULL,
  visit_detail_end_date DATE NOT NULL,
  visit_detail_end_datetime TIMESTAMP NULL,
  visit_detail_type_concept_id INTEGER NOT NULL,
  provider_id INTEGER NULL,
  care_site_id INTEGER NULL,
  visit_detail_source_value VARCHAR(50) NULL,
  visit_detail_source_concept_id INTEGER NULL,
  admitted_from_concept_id INTEGER NULL,
  admitted_from_source_value VARCHAR(50) NULL,
  discharged_to_source_value VARCHAR(50) NULL,
  discharged_to_concept_id INTEGER NULL,
  preceding_visit_detail_id INTEGER NULL,
  parent_visit_detail_id INTEGER NULL,
  visit_occurrence_id INTEGER NOT NULL
);

-- ICD-10 primary diagnoses of episodes; SNOMED CT chief complaints of A&E attendances
CREATE TABLE @cdmDatabaseSchema.condition_occurrence (
  condition_occurrence_id INTEGER NOT NULL,
  person_id INTEGER NOT NULL,
  condition_concept_id INTEGER NOT NULL,
  condition_start_date DATE NOT NULL,
  condition_start_datetime TIMESTAMP NULL,
  condition_end_date DATE NULL,
  condition_end_datetime TIMESTAMP NULL,
  condition_type_concept_id INTEGER NOT NULL,
  condition_status_concept_id INTEGER NULL,
  stop_reason VARCHAR(20) NULL,
  provider_id INTEGER NULL,
  visit_occurrence_id INTEGER NULL,
  visit_detail_id INTEGER NULL,
  condition_source_value VARCHAR(50) NULL,
  condition_source_concept_id INTEGER NULL,
  condition_status_source_value VARCHAR(50) NULL
);

-- OPCS-4 primary procedures of episodes
CREATE TABLE @cdmDatabaseSchema.procedure_occurrence (
  procedure_occurrence_id INTEGER NOT NULL,
  person_id INTEGER NOT NULL,
  procedure_concept_id INTEGER NOT NULL,
  procedure_date DATE NOT NULL,
  procedure_datetime TIMESTAMP NULL,
  procedure_end_date DATE NULL,
  procedure_end_datetime TIMESTAMP NULL,
  procedure_type_concept_id INTEGER NOT NULL,
  modifier_concept_id INTEGER NULL,
  quantity INTEGER NULL,
  provider_id INTEGER NULL,
  visit_occurrence_id INTEGER NULL,
  visit_detail_id INTEGER NULL,
  procedure_source_value VARCHAR(50) NULL,
  procedure_source_concept_id INTEGER NULL,
  modifier_source_value VARCHAR(50) NULL
);

-- Dispensed prescription items (BNF presentation code as the source value)
CREATE TABLE @cdmDatabaseSchema.drug_exposure (
  drug_exposure_id INTEGER NOT NULL,
  person_id INTEGER NOT NULL,
  drug_concept_id INTEGER NOT NULL,
  drug_exposure_start_date DATE NOT NULL,
  drug_exposure_start_datetime TIMESTAMP NULL,
  drug_exposure_end_date DATE NOT NULL,
  drug_exposure_end_datetime TIMESTAMP NULL,
  verbatim_end_date DATE NULL,
  drug_type_concept_id INTEGER NOT NULL,
  stop_reason VARCHAR(20) NULL,
  refills INTEGER NULL,
  quantity FLOAT NULL,
  days_supply INTEGER NULL,
  sig TEXT NULL,
  route_concept_id INTEGER NULL,
  lot_number VARCHAR(50) NULL,
  provider_id INTEGER NULL,
  visit_occurrence_id INTEGER NULL,
  visit_detail_id INTEGER NULL,
  drug_source_value VARCHAR(50) NULL,
  drug_source_concept_id INTEGER NULL,
  route_source_value VARCHAR(50) NULL,
  dose_unit_source_value VARCHAR(50) NULL
);

ALTER TABLE @cdmDatabaseSchema.care_site ADD CONSTRAINT xpk_care_site PRIMARY KEY (care_site_id);
ALTER TABLE @cdmDatabaseSchema.provider ADD CONSTRAINT xpk_provider PRIMARY KEY (provider_id);
ALTER TABLE @cdmDatabaseSchema.person ADD CONSTRAINT xpk_person PRIMARY KEY (person_id);
ALTER TABLE @cdmDatabaseSchema.observation_period ADD CONSTRAINT xpk_observation_period PRIMARY KEY (observation_period_id);
ALTER TABLE @cdmDatabaseSchema.visit_occurrence ADD CONSTRAINT xpk_visit_occurrence PRIMARY KEY (visit_occurrence_id);
ALTER TABLE @cdmDatabaseSchema.visit_detail ADD CONSTRAINT xpk_visit_detail PRIMARY KEY (visit_detail_id);
ALTER TABLE @cdmDatabaseSchema.condition_occurrence ADD CONSTRAINT xpk_condition_occurrence PRIMARY KEY (condition_occurrence_id);
ALTER TABLE @cdmDatabaseSchema.procedure_occurrence ADD CONSTRAINT xpk_procedure_occurrence PRIMARY KEY (procedure_occurrence_id);
ALTER TABLE @cdmDatabaseSchema.drug_exposure ADD CONSTRAINT xpk_drug_exposure PRIMARY KEY (drug_exposure_id);

ALTER TABLE @cdmDatabaseSchema.provider ADD CONSTRAINT fpk_provider_care_site_id FOREIGN KEY (care_site_id) REFERENCES @cdmDatabaseSchema.care_site (care_site_id);
ALTER TABLE @cdmDatabaseSchema.person ADD CONSTRAINT fpk_person_care_site_id FOREIGN KEY (care_site_id) REFERENCES @cdmDatabaseSchema.care_site (care_site_id);
ALTER TABLE @cdmDatabaseSchema.person ADD CONSTRAINT fpk_person_provider_id FOREIGN KEY (provider_id) REFERENCES @cdmDatabaseSchema.provider (provider_id);
ALTER TABLE @cdmDatabaseSchema.observation_period ADD CONSTRAINT fpk_observation_period_person_id FOREIGN KEY (person_id) REFERENCES @cdmDatabaseSchema.person (person_id);
ALTER TABLE @cdmDatabaseSchema.visit_occurrence ADD CONSTRAINT fpk_visit_occurrence_person_id FOREIGN KEY (person_id) REFERENCES @cdmDatabaseSchema.person (person_id);
ALTER TABLE @cdmDatabaseSchema.visit_occurrence ADD CONSTRAINT fpk_visit_occurrence_care_site_id FOREIGN KEY (care_site_id) REFERENCES @cdmDatabaseSchema.care_site (care_site_id);
ALTER TABLE @cdmDatabaseSchema.visit_occurrence ADD CONSTRAINT fpk_visit_occurrence_provider_id FOREIGN KEY (provider_id) REFERENCES @cdmDatabaseSchema.provider (provider_id);
ALTER TABLE @cdmDatabaseSchema.visit_detail ADD CONSTRAINT fpk_visit_detail_person_id FOREIGN KEY (person_id) REFERENCES @cdmDatabaseSchema.person (person_id);
ALTER TABLE @cdmDatabaseSchema.visit_detail ADD CONSTRAINT fpk_visit_detail_visit_occurrence_id FOREIGN KEY (visit_occurrence_id) REFERENCES @cdmDatabaseSchema.visit_occurrence (visit_occurrence_id);
ALTER TABLE @cdmDatabaseSchema.visit_detail ADD CONSTRAINT fpk_visit_detail_care_site_id FOREIGN KEY (care_site_id) REFERENCES @cdmDatabaseSchema.care_site (care_site_id);
ALTER TABLE @cdmDatabaseSchema.visit_detail ADD CONSTRAINT fpk_visit_detail_provider_id FOREIGN KEY (provider_id) REFERENCES @cdmDatabaseSchema.provider (provider_id);
ALTER TABLE @cdmDatabaseSchema.condition_occurrence ADD CONSTRAINT fpk_condition_occurrence_person_id FOREIGN KEY (person_id) REFERENCES @cdmDatabaseSchema.person (person_id);
ALTER TABLE @cdmDatabaseSchema.condition_occurrence ADD CONSTRAINT fpk_condition_occurrence_visit_occurrence_id FOREIGN KEY (visit_occurrence_id) REFERENCES @cdmDatabaseSchema.visit_occurrence (visit_occurrence_id);
ALTER TABLE @cdmDatabaseSchema.condition_occurrence ADD CONSTRAINT fpk_condition_occurrence_visit_detail_id FOREIGN KEY (visit_detail_id) REFERENCES @cdmDatabaseSchema.visit_detail (visit_detail_id);
ALTER TABLE @cdmDatabaseSchema.condition_occurrence ADD CONSTRAINT fpk_condition_occurrence_provider_id FOREIGN KEY (provider_id) REFERENCES @cdmDatabaseSchema.provider (provider_id);
ALTER TABLE @cdmDatabaseSchema.procedure_occurrence ADD CONSTRAINT fpk_procedure_occurrence_person_id FOREIGN KEY (person_id) REFERENCES @cdmDatabaseSchema.person (person_id);
ALTER TABLE @cdmDatabaseSchema.procedure_occurrence ADD CONSTRAINT fpk_procedure_occurrence_visit_occurrence_id FOREIGN KEY (visit_occurrence_id) REFERENCES @cdmDatabaseSchema.visit_occurrence (visit_occurrence_id);
ALTER TABLE @cdmDatabaseSchema.procedure_occurrence ADD CONSTRAINT fpk_procedure_occurrence_visit_detail_id FOREIGN KEY (visit_detail_id) REFERENCES @cdmDatabaseSchema.visit_detail (visit_detail_id);
ALTER TABLE @cdmDatabaseSchema.procedure_occurrence ADD CONSTRAINT fpk_procedure_occurrence_provider_id FOREIGN KEY (provider_id) REFERENCES @cdmDatabaseSchema.provider (provider_id);
ALTER TABLE @cdmDatabaseSchema.drug_exposure ADD CONSTRAINT fpk_drug_exposure_person_id FOREIGN KEY (person_id) REFERENCES @cdmDatabaseSchema.person (person_id);
ALTER TABLE @cdmDatabaseSchema.drug_exposure ADD CONSTRAINT fpk_drug_exposure_visit_occurrence_id FOREIGN KEY (visit_occurrence_id) REFERENCES @cdmDatabaseSchema.visit_occurrence (visit_occurrence_id);
ALTER TABLE @cdmDatabaseSchema.drug_exposure ADD CONSTRAINT fpk_drug_exposure_visit_detail_id FOREIGN KEY (visit_detail_id) REFERENCES @cdmDatabaseSchema.visit_detail (visit_detail_id);
ALTER TABLE @cdmDatabaseSchema.drug_exposure ADD CONSTRAINT fpk_drug_exposure_provider_id FOREIGN KEY (provider_id) REFERENCES @cdmDatabaseSchema.provider (provider_id);
