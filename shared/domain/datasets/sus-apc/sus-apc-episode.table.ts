import { validateOpcs4 } from '../../nhs/opcs4.js';
import { VALID, invalid } from '../../nhs/value-check.js';
import { fieldRule, type FieldRule, type RowRule } from '../contract-engine.js';
import {
  codeList,
  commissioner,
  hrgCode,
  icd10,
  icd10List,
  knownHrg,
  minInt,
  notAfter,
  notBefore,
  notFuture,
  opcs4,
  pattern,
  siteOfProvider,
} from '../contract-rules.js';
import { col, nhsName, systemColumns, type TableDeclaration } from '../declaration.js';
import { bornBeforeActivity, personColumns } from '../person-columns.js';
import { admissionColumns, providerColumns } from './spell-columns.js';
import { wireSchemaOf, type WireRow } from '../wire-schema.js';
import { deathMismatchRule, HES, SUS } from './sus-apc-names.js';

/** Comma-separated list of OPCS-4 codes without dots (secondary procedures), no spaces. */
const opcs4List: FieldRule = (() => {
  const emptyItem = invalid('FORMAT', 'holds an empty item (codes are separated by single commas)');
  return fieldRule(['FORMAT', 'EMPTY', 'DOTTED', 'LENGTH', 'CHAPTER'], (v) => {
    if (typeof v !== 'string') return VALID;
    for (const item of v.split(',')) {
      if (item.length === 0) return emptyItem;
      const r = validateOpcs4(item);
      if (!r.ok) return r;
    }
    return VALID;
  });
})();

const finishedWithoutEnd = invalid('FINISHED_WITHOUT_END', 'is 3 (finished) but the episode has no end date');

/** `EPISODE_STATUS.FINISHED_WITHOUT_END`: a finished episode (status 3) has an end date. */
const finishedHasEnd: RowRule = {
  field: 'episode_status',
  rule: 'FINISHED_WITHOUT_END',
  fields: ['episode_status'],
  check: (row) => (row.episode_status === '3' && row.episode_end_date == null ? finishedWithoutEnd : VALID),
};

/**
 * SUS+ APC episode (`sus_apc_episode`): one row per consultant episode, nested in its hospital
 * provider spell (`sus_apc_spell`, referenced by provider + hospital provider spell number). The
 * admission fields repeat on every episode as in the episode record; the discharge fields are on
 * the spell's last episode only; the spell HRG and the price are the spell's.
 */
export const susApcEpisode: TableDeclaration = {
  table: 'sus_apc_episode',
  dataset: 'sus_apc',
  description:
    'SUS+ admitted patient care: one row per consultant episode, nested in its spell; discharge fields on the last episode only',
  key: ['episode_id'],
  changeVersionColumn: 'change_version',
  providerColumn: 'provider_code',
  activityDateColumn: 'episode_start_date',
  columns: [
    col.varchar('episode_id', 20, 'The episode record identifier', { nhs: SUS('APCE_Ident') }),
    ...providerColumns(),
    col.varchar(
      'hospital_provider_spell_number',
      12,
      "The provider's local number of the hospital provider spell the episode belongs to (with the provider, the spell's reference)",
      { nhs: nhsName('Hospital Provider Spell Number', 'NHS DD') },
    ),
    col.int('episode_number', 'Order of the episode within its spell (1 = first)', {
      nhs: SUS('Episode_Number'),
      rules: [minInt(1)],
    }),
    ...personColumns({
      name: true,
      ethnicity: true,
      names: {
        nhs_number: nhsName('NHS number', 'NHS DD'),
        sex: SUS('Sex'),
        ethnic_category: SUS('Ethnic_Group'),
        gp_practice_code: SUS('GP_Practice_Code', 'K'),
      },
    }),
    col.varchar('commissioner_code', 5, 'The commissioner: a sub-ICB location or ICB code', {
      nullable: true,
      nhs: SUS('Commissioner_Code'),
      rules: [commissioner],
      dq: { index: true },
    }),
    ...admissionColumns(),
    col.date('episode_start_date', 'Start date of the consultant episode', {
      nhs: HES('epistart'),
      rules: [notFuture],
    }),
    col.date('episode_end_date', 'End date of the consultant episode (null while it is open)', {
      nullable: true,
      nhs: HES('epiend'),
      rules: [notFuture],
    }),
    col.char(
      'episode_status',
      1,
      'Episode status: 3 = finished (other codes unverified); null while the episode is open',
      {
        nullable: true,
        nhs: HES('epistat'),
        rules: [pattern(/^[0-9]$/, 'is not a 1-digit episode status')],
      },
    ),
    col.date(
      'discharge_date',
      'End date of the spell: on the spell’s last episode only (null on earlier episodes and until discharge)',
      { nullable: true, nhs: SUS('Discharge_Date'), rules: [notFuture] },
    ),
    col.char(
      'discharge_method',
      1,
      'How the patient left hospital, on the last episode; 8 (not applicable: spell not finished at episode end) on earlier ones',
      {
        nullable: true,
        nhs: HES('dismeth'),
        rules: [codeList('discharge_method')],
        // 8 / 98 (spell not finished at episode end) are legitimate on non-final episodes: only "not known" counts.
        dq: { defaults: ['9'], threshold: 0.02 },
      },
    ),
    col.varchar(
      'discharge_destination',
      2,
      'Where the patient went on discharge (79 = died), on the last episode; 98 (not applicable) on earlier ones',
      {
        nullable: true,
        nhs: SUS('Discharge_Destination'),
        rules: [codeList('discharge_destination')],
        dq: { defaults: ['99'], threshold: 0.02, index: true },
      },
    ),
    col.varchar('main_specialty', 3, 'Main specialty of the consultant responsible for the episode', {
      nullable: true,
      nhs: HES('mainspef'),
      rules: [pattern(/^[0-9]{3}$/, 'is not a 3-digit main specialty code')],
    }),
    col.varchar('treatment_function', 3, 'Treatment function under which the patient was treated', {
      nhs: HES('tretspef'),
      rules: [codeList('treatment_function')],
      dq: { index: true },
    }),
    col.varchar(
      'primary_diagnosis',
      4,
      'Primary diagnosis, ICD-10 in the 4-character storage form without a dot',
      {
        nullable: true,
        nhs: SUS('Der_Primary_Diagnosis_Code'),
        rules: [icd10],
        dq: { index: true },
      },
    ),
    col.varchar(
      'secondary_diagnoses',
      200,
      'Secondary diagnoses: ICD-10 codes in storage form separated by single commas (`E119,I10X`); the NCDR field also lists the primary first',
      { nullable: true, nhs: SUS('Der_Diagnosis_All'), rules: [icd10List] },
    ),
    col.varchar('primary_procedure', 4, 'Primary procedure, OPCS-4 in the 4-character form without a dot', {
      nullable: true,
      nhs: HES('opertn_4_01', 'K'),
      rules: [opcs4],
    }),
    col.date('primary_procedure_date', 'Date of the primary procedure', {
      nullable: true,
      rules: [notFuture],
    }),
    col.varchar(
      'secondary_procedures',
      120,
      'Secondary procedures: OPCS-4 codes without dots separated by single commas (`Z941,Y531`); the NCDR field also lists the primary first',
      { nullable: true, nhs: SUS('Der_Procedure_All', 'K'), rules: [opcs4List] },
    ),
    col.varchar(
      'episode_hrg',
      5,
      'HRG4+ code the episode groups to (the spell HRG and price are the spell’s)',
      {
        nullable: true,
        rules: [hrgCode, knownHrg],
      },
    ),
    ...systemColumns,
  ],
  rowRules: [
    bornBeforeActivity('admission_date'),
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
    deathMismatchRule,
    finishedHasEnd,
  ],
  notes: [
    'One row per consultant episode, nested in its hospital provider spell: the spell is the `sus_apc_spell` row with the same `provider_code` + `hospital_provider_spell_number`, which holds the spell HRG and the price once (an episode carries no tariff, so summing episodes never counts a spell twice). The admission fields (`admission_date`, `admission_method`, `admission_source`, `patient_classification`) repeat on every episode, as the episode record has them (HES `admidate`, `admimeth`, `admisorc`, `classpat`). Only the last episode of a spell carries the discharge fields (REFERENCE.md §2.6): earlier episodes have no `discharge_date`, `discharge_method` 8 and `discharge_destination` 98 ("not applicable: spell not finished at episode end").',
    '`secondary_diagnoses` is a comma-separated list of ICD-10 codes in the 4-character SUS storage form (`E119,I10X`), `secondary_procedures` one of OPCS-4 codes without dots, no spaces. `episode_status` 3 means finished (REFERENCE.md §2.1); the other codes are not in the reference, so only the form (one digit) is checked.',
    'Within-row rules: `DISCHARGE_DATE.BEFORE_ADMISSION`; the episode inside its spell (`EPISODE_START_DATE.BEFORE_ADMISSION`, `EPISODE_START_DATE.AFTER_DISCHARGE`, `EPISODE_END_DATE.AFTER_DISCHARGE`, `EPISODE_END_DATE.BEFORE_EPISODE_START`); `EPISODE_STATUS.FINISHED_WITHOUT_END`; `DATE_OF_BIRTH.AFTER_ACTIVITY_DATE` (after the admission date); `SITE_CODE.NOT_PROVIDER_SITE` (a site code starts with its trust code); `DISCHARGE_DESTINATION.DEATH_MISMATCH` (method 4 died ⇔ destination 79, method 5 stillbirth may also have 79). `EPISODE_HRG.UNKNOWN_HRG` checks the HRG is in `reference/hrg-tariffs.csv`.',
    'Not here (cross-row, `shared/domain/datasets/sus-apc/sus-apc.batch-rules.ts`): episodes of one spell against each other (dates inside the spell, discharge fields on the last episode only), duplicates.',
  ],
};

/** The wire-form zod schema of a `sus_apc_episode` row, generated from the declaration. */
export const susApcEpisodeSchema = wireSchemaOf(susApcEpisode);
export type SusApcEpisode = WireRow;
