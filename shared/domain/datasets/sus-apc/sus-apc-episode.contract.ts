import { z } from 'zod';
import { VALID, invalid } from '../../nhs/value-check.js';
import type { TableRules } from '../contract-engine.js';
import {
  codeList,
  commissioner,
  decimalSign,
  hrgCode,
  icd10,
  icd10List,
  knownHrg,
  knownOrganisation,
  minInt,
  notAfter,
  notBefore,
  notFuture,
  ods,
  opcs4,
  pattern,
  personRules,
  siteOfProvider,
} from '../contract-rules.js';
import { auditColumns, personColumns, wire } from '../wire-schema.js';

/**
 * SUS+ APC episode (`sus_apc_episode`) in wire form: one row per consultant episode, the spell
 * fields (admission, discharge, spell HRG, tariff) repeated on every episode of the spell.
 * `secondary_diagnoses` is a comma-separated list of ICD-10 codes in storage form ('E119,I10X').
 */
export const susApcEpisodeSchema = z.object({
  episode_id: wire.varchar(20),
  provider_code: wire.varchar(5),
  site_code: wire.varchar(5).nullable(),
  hospital_provider_spell_number: wire.varchar(12),
  episode_number: wire.int(),
  ...personColumns,
  patient_name: wire.varchar(70).nullable(),
  ethnic_category: wire.varchar(2).nullable(),
  commissioner_code: wire.varchar(5).nullable(),
  admission_date: wire.date(),
  admission_method: wire.varchar(2),
  admission_source: wire.varchar(2).nullable(),
  patient_classification: wire.char(1),
  episode_start_date: wire.date(),
  episode_end_date: wire.date().nullable(),
  discharge_date: wire.date().nullable(),
  discharge_method: wire.char(1).nullable(),
  discharge_destination: wire.varchar(2).nullable(),
  main_specialty: wire.varchar(3).nullable(),
  treatment_function: wire.varchar(3),
  primary_diagnosis: wire.varchar(4).nullable(),
  secondary_diagnoses: wire.varchar(200).nullable(),
  primary_procedure: wire.varchar(4).nullable(),
  primary_procedure_date: wire.date().nullable(),
  episode_hrg: wire.varchar(5).nullable(),
  spell_hrg: wire.varchar(5).nullable(),
  tariff_gbp: wire.decimal(10, 2).nullable(),
  ...auditColumns,
});
export type SusApcEpisode = z.infer<typeof susApcEpisodeSchema>;

const person = personRules('admission_date');

const deathMismatch = invalid(
  'DEATH_MISMATCH',
  'disagrees with the discharge method: destination 79 (died) goes with method 4 (died) or 5 (stillbirth), and method 4 with destination 79',
);

/** Field and row rules for SUS+ APC episodes (see docs/datasets/sus-apc.md). */
export const susApcEpisodeRules: TableRules = {
  table: 'sus_apc_episode',
  prefix: 'SUS',
  datasetName: 'SUS+ APC',
  fields: {
    provider_code: [ods('trust'), knownOrganisation],
    site_code: [ods('site')],
    episode_number: [minInt(1)],
    ...person.fields,
    ...person.ethnicity,
    commissioner_code: [commissioner],
    admission_date: [notFuture],
    admission_method: [codeList('admission_method')],
    admission_source: [codeList('admission_source')],
    patient_classification: [codeList('patient_classification')],
    episode_start_date: [notFuture],
    episode_end_date: [notFuture],
    discharge_date: [notFuture],
    discharge_method: [codeList('discharge_method')],
    discharge_destination: [codeList('discharge_destination')],
    main_specialty: [pattern(/^[0-9]{3}$/, 'is not a 3-digit main specialty code')],
    treatment_function: [codeList('treatment_function')],
    primary_diagnosis: [icd10],
    secondary_diagnoses: [icd10List],
    primary_procedure: [opcs4],
    primary_procedure_date: [notFuture],
    episode_hrg: [hrgCode, knownHrg],
    spell_hrg: [hrgCode, knownHrg],
    tariff_gbp: [decimalSign('non_negative')],
  },
  rows: [
    ...person.rows,
    siteOfProvider('site_code', 'provider_code'),
    notBefore('discharge_date', 'admission_date', 'BEFORE_ADMISSION', 'is before the admission date'),
    notBefore(
      'episode_start_date',
      'admission_date',
      'BEFORE_ADMISSION',
      'is before the admission date (episode outside its spell)',
    ),
    notBefore(
      'episode_end_date',
      'episode_start_date',
      'BEFORE_EPISODE_START',
      'is before the episode start date',
    ),
    notAfter(
      'episode_end_date',
      'discharge_date',
      'AFTER_DISCHARGE',
      'is after the discharge date (episode outside its spell)',
    ),
    notAfter(
      'episode_start_date',
      'discharge_date',
      'AFTER_DISCHARGE',
      'is after the discharge date (episode outside its spell)',
    ),
    {
      field: 'discharge_destination',
      rule: 'DEATH_MISMATCH',
      fields: ['discharge_destination', 'discharge_method'],
      check: (row) => {
        const dest = row.discharge_destination;
        const method = row.discharge_method;
        if (dest === '79' && method !== '4' && method !== '5') return deathMismatch;
        if (method === '4' && dest !== '79') return deathMismatch;
        return VALID;
      },
    },
  ],
};
