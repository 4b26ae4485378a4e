import { VALID, invalid } from '../../nhs/value-check.js';
import type { RowRule } from '../contract-engine.js';
import {
  codeList,
  decimalSign,
  hrgCode,
  knownHrg,
  minInt,
  notBefore,
  notFuture,
  siteOfProvider,
} from '../contract-rules.js';
import { col, nhsName, systemColumns, type TableDeclaration } from '../declaration.js';
import { bornBeforeActivity, dateOfBirthColumn, nhsNumberColumn } from '../person-columns.js';
import { wireSchemaOf, type WireRow } from '../wire-schema.js';
import { admissionColumns, providerColumns } from './spell-columns.js';
import { ageOnAdmission, lengthOfStayDays } from './spell-derivations.js';
import { deathMismatchRule, HES, SUS, SUS_MODEL } from './sus-apc-names.js';

const losMismatch = invalid('MISMATCH', 'is not the discharge date minus the admission date in days');
const ageMismatch = invalid(
  'MISMATCH',
  'is not the whole years from the date of birth to the admission date',
);

/** `LENGTH_OF_STAY_DAYS.MISMATCH`: the length of stay is discharge − admission in days. */
const lengthOfStayRule: RowRule = {
  field: 'length_of_stay_days',
  rule: 'MISMATCH',
  fields: ['admission_date', 'discharge_date', 'length_of_stay_days'],
  check: (row) =>
    lengthOfStayDays(row.admission_date as string, row.discharge_date as string) === row.length_of_stay_days
      ? VALID
      : losMismatch,
};

/** `AGE_ON_ADMISSION.MISMATCH`: the age is floor(years from date of birth to admission). */
const ageOnAdmissionRule: RowRule = {
  field: 'age_on_admission',
  rule: 'MISMATCH',
  fields: ['date_of_birth', 'admission_date', 'age_on_admission'],
  check: (row) =>
    ageOnAdmission(row.date_of_birth as string, row.admission_date as string) === row.age_on_admission
      ? VALID
      : ageMismatch,
};

/**
 * SUS+ APC hospital provider spell (`sus_apc_spell`): one row per spell, the spell's fields held
 * once (admission, discharge, length of stay, age on admission, spell HRG and the spell's price).
 * Its episodes (`sus_apc_episode`) reference it by provider + hospital provider spell number.
 */
export const susApcSpell: TableDeclaration = {
  table: 'sus_apc_spell',
  dataset: 'sus_apc',
  description:
    'SUS+ admitted patient care: one row per hospital provider spell; the spell fields and its price held once',
  key: ['spell_id'],
  changeVersionColumn: 'change_version',
  providerColumn: 'provider_code',
  activityDateColumn: 'admission_date',
  columns: [
    col.varchar('spell_id', 20, 'The spell record identifier', { nhs: SUS('APCS_Ident') }),
    ...providerColumns(),
    col.varchar(
      'hospital_provider_spell_number',
      12,
      "The provider's local number of the spell: with the provider, what the spell's episodes reference",
      { nhs: nhsName('Hospital Provider Spell Number', 'NHS DD') },
    ),
    nhsNumberColumn(nhsName('NHS number', 'NHS DD')),
    dateOfBirthColumn(),
    ...admissionColumns(),
    col.date('discharge_date', 'End date of the spell (null while the patient is in hospital)', {
      nullable: true,
      nhs: SUS('Discharge_Date'),
      rules: [notFuture],
    }),
    col.char('discharge_method', 1, 'How the patient left hospital (null until discharge)', {
      nullable: true,
      nhs: HES('dismeth'),
      rules: [codeList('discharge_method')],
      dq: { defaults: ['9'], threshold: 0.02 },
    }),
    col.varchar(
      'discharge_destination',
      2,
      'Where the patient went on discharge (79 = died; null until discharge)',
      {
        nullable: true,
        nhs: SUS('Discharge_Destination'),
        rules: [codeList('discharge_destination')],
        dq: { defaults: ['99'], threshold: 0.02, index: true },
      },
    ),
    col.int(
      'length_of_stay_days',
      'Length of stay in days: discharge date − admission date (0 for a same-day discharge; null while open). Derived in SUS; checked against the dates',
      { nullable: true, nhs: SUS('Der_Spell_LoS'), rules: [minInt(0)] },
    ),
    col.int(
      'age_on_admission',
      'Age in whole years on the admission date. Derived in SUS from the date of birth; checked against it',
      { nullable: true, nhs: SUS('Age_on_Admission'), rules: [minInt(0)] },
    ),
    col.varchar('spell_hrg', 5, 'HRG4+ code the spell groups to (the core HRG, which drives the price)', {
      nullable: true,
      nhs: SUS_MODEL('spell_commissioning_grouping_core_hrg'),
      rules: [hrgCode, knownHrg],
      dq: { index: true },
    }),
    col.decimal(
      'tariff_gbp',
      10,
      2,
      "The spell's price in GBP, carried once: base tariff, long stay payment and MFF (null until discharge)",
      {
        nullable: true,
        nhs: SUS_MODEL('spell_commissioning_tariff_calculation_final_price'),
        rules: [decimalSign('non_negative')],
      },
    ),
    ...systemColumns,
  ],
  rowRules: [
    bornBeforeActivity('admission_date'),
    siteOfProvider('site_code', 'provider_code'),
    notBefore('discharge_date', 'admission_date', 'BEFORE_ADMISSION', 'is before the admission date'),
    deathMismatchRule,
    lengthOfStayRule,
    ageOnAdmissionRule,
  ],
  notes: [
    'One row per hospital provider spell (`APCS_Ident`); the spell fields live here once. Its episodes (`sus_apc_episode`) name it by `provider_code` + `hospital_provider_spell_number` (the spell number is provider-local, so the pair is unique).',
    '**Source and derived fields.** Every column comes from the extract. `length_of_stay_days` (`Der_Spell_LoS`) and `age_on_admission` (`Age_on_Admission`) are SUS derivations: the contract recomputes them (`lengthOfStayDays`, `ageOnAdmission` in `shared/domain/datasets/sus-apc/spell-derivations.ts`) and rejects a value that disagrees. `date_of_birth` is a patient identifier: it never leaves bronze; silver carries `age_at_activity` (at the admission date, so the age on admission) and `age_band` instead. `tariff_gbp` is the price the source sent; `SUS.TARIFF_MISMATCH` compares it with the price `spellTariff` computes from the reference (`shared/domain/datasets/sus-apc/spell-tariff.ts`).',
    "**Price.** `spellTariff`: the base tariff by admission type (elective = admission methods 11–13 and 81: the combined day case / ordinary elective spell tariff; otherwise the non-elective tariff), the reduced short stay emergency tariff instead for an emergency (2x) stay of 0 or 1 days where the HRG is flagged, plus (length of stay − trim point) × the per-day long stay payment beyond the trim point of the type, × the provider's market forces factor (`reference/market-forces-factors.csv`; REFERENCE.md names `mff_factor` but gives no values, so the shipped factors are placeholders, unverified). The shipped trim points and short stay values are placeholders too: load the NHS Payment Scheme workbook (`nhs-flows reference import`) for real prices. An open spell (no discharge) is not priced yet.",
    'Within-row rules: `DISCHARGE_DATE.BEFORE_ADMISSION`; `LENGTH_OF_STAY_DAYS.MISMATCH`; `AGE_ON_ADMISSION.MISMATCH`; `DATE_OF_BIRTH.AFTER_ACTIVITY_DATE` (after the admission date); `SITE_CODE.NOT_PROVIDER_SITE`; `DISCHARGE_DESTINATION.DEATH_MISMATCH`. `SPELL_HRG.UNKNOWN_HRG` checks the HRG is in `reference/hrg-tariffs.csv`.',
    'The spell does not feed the patient dimension: it carries no registration fields (sex, postcode, GP practice); its episodes do. It carries the NHS number for the patient token and the date of birth for the age on admission.',
  ],
};

/** The wire-form zod schema of a `sus_apc_spell` row, generated from the declaration. */
export const susApcSpellSchema = wireSchemaOf(susApcSpell);
export type SusApcSpell = WireRow;
