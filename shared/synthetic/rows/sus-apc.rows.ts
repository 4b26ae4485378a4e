import { lengthOfStayDays, ageOnAdmission } from '../../domain/datasets/sus-apc/spell-derivations.js';
import { spellTariff } from '../../domain/datasets/sus-apc/spell-tariff.js';
import type { SourceRow } from '../../domain/datasets/source-tables.js';
import { COMORBIDITIES, LATER_EPISODE_TREATMENT_FUNCTIONS } from '../clinical-scenarios.js';
import type { HospitalSpell } from '../patient-events.js';
import type { Rng } from '../prng.js';
import { isoDate } from '../synthetic-calendar.js';
import type { PatientRowContext } from './row-context.js';

/** The rows of one hospital provider spell: its `sus_apc_spell` row and its episodes, episode 1 first. */
export interface SusApcSpellRows {
  readonly spell: SourceRow;
  readonly episodes: SourceRow[];
}

/**
 * The rows of one hospital provider spell: the `sus_apc_spell` row (admission, discharge, length of
 * stay, age on admission, spell HRG and the spell's price, once) and 1–4 contiguous consultant
 * episodes inside it (`sus_apc_episode`, referencing it by provider + spell number): admission
 * fields on every episode, the discharge fields on the last only (earlier ones 8 / 98, "not
 * applicable"); treatment function, diagnoses and procedure from the spell's clinical scenario. The
 * price is `spellTariff` of the spell HRG's reference row for the discharge's financial year, with
 * the provider's market forces factor; an open spell has none yet. Draws from `rng`.
 */
export function susApcSpellRows(rng: Rng, ctx: PatientRowContext, spell: HospitalSpell): SusApcSpellRows {
  const { patient, keys, endDay, catalogue } = ctx;
  const { scenario, provider, elective, dischargeDay, died, ageOnAdmission: age } = spell;
  const admission = spell.admissionDay;
  const admissionMethod =
    spell.kind === 'ae'
      ? '21'
      : elective
        ? rng.weighted(['11', '12', '13'], (m) => (m === '11' ? 6 : m === '12' ? 3 : 1))
        : rng.weighted(['22', '23', '24', '2A', '2B', '2D'], (m) =>
            m === '22' ? 9 : m === '24' ? 3 : m === '2D' ? 3 : 1.5,
          );
  const admissionSource =
    admissionMethod === '2B' ? '51' : age >= 80 && rng.chance(0.12) ? rng.pick(['54', '65', '85']) : '19';
  const dischargeMethod = dischargeDay === null ? null : died ? '4' : rng.chance(0.012) ? '2' : '1';
  const dischargeDestination =
    dischargeDay === null
      ? null
      : died
        ? '79'
        : age >= 80 && rng.chance(0.1)
          ? rng.pick(['54', '65', '85'])
          : rng.chance(0.02)
            ? '51'
            : '19';
  const stay = spell.stayDays;
  const episodeCount =
    stay === 0
      ? 1
      : Math.min(
          stay + 1,
          rng.weighted([1, 2, 3, 4], (n) => (n === 1 ? 72 : n === 2 ? 20 : n === 3 ? 6 : 2)),
        );
  const lastDay = dischargeDay ?? endDay;
  const bounds: number[] = [];
  for (let k = 1; k < episodeCount; k++) bounds.push(rng.int(admission, Math.max(admission, lastDay)));
  bounds.sort((x, y) => x - y);
  const spellNumber = keys.nextSpellNumber();
  const admissionDate = isoDate(admission);
  const dischargeDate = dischargeDay === null ? null : isoDate(dischargeDay);
  const stayDays = lengthOfStayDays(admissionDate, dischargeDate);
  const price = dischargeDay === null ? undefined : catalogue.hrgPrice(scenario.hrg, dischargeDay);
  const tariff =
    price === undefined || stayDays === null || dischargeDay === null
      ? null
      : (spellTariff({
          admissionMethod,
          lengthOfStayDays: stayDays,
          price,
          marketForcesFactor: catalogue.marketForcesFactor(provider.code, dischargeDay),
        })?.tariffGbp ?? null);
  const secondaryCount = Math.min(COMORBIDITIES.length, rng.poisson(age >= 65 ? 2.2 : 0.6));
  const secondary = new Set<string>();
  for (let k = 0; k < secondaryCount; k++) secondary.add(rng.pick(COMORBIDITIES));
  const secondaryText = secondary.size > 0 ? [...secondary].join(',') : null;
  const spellRow: SourceRow = {
    spell_id: keys.next('sus_apc_spell'),
    provider_code: provider.code,
    site_code: spell.site,
    hospital_provider_spell_number: spellNumber,
    nhs_number: patient.nhsNumber,
    date_of_birth: ctx.dateOfBirth,
    admission_date: admissionDate,
    admission_method: admissionMethod,
    admission_source: admissionSource,
    patient_classification: spell.dayCase ? '2' : '1',
    discharge_date: dischargeDate,
    discharge_method: dischargeMethod,
    discharge_destination: dischargeDestination,
    length_of_stay_days: stayDays,
    age_on_admission: ageOnAdmission(ctx.dateOfBirth, admissionDate),
    spell_hrg: scenario.hrg,
    tariff_gbp: tariff,
    modified_at: ctx.modifiedAt(dischargeDay ?? admission),
    change_version: keys.nextVersion('sus_apc_spell'),
  };
  const rows: SourceRow[] = [];
  for (let e = 1; e <= episodeCount; e++) {
    const epStart = e === 1 ? admission : (bounds[e - 2] ?? admission);
    const epEnd = e === episodeCount ? dischargeDay : (bounds[e - 1] ?? admission);
    const last = e === episodeCount;
    const tf =
      e === 1 ? scenario.treatmentFunction : age >= 75 ? '430' : rng.pick(LATER_EPISODE_TREATMENT_FUNCTIONS);
    const procedure = e === 1 && scenario.procedure ? scenario.procedure : null;
    rows.push({
      episode_id: keys.next('sus_apc_episode'),
      provider_code: provider.code,
      site_code: spell.site,
      hospital_provider_spell_number: spellNumber,
      episode_number: e,
      nhs_number: patient.nhsNumber,
      local_patient_id: ctx.localPatientId(provider.code),
      patient_name: patient.name,
      date_of_birth: ctx.dateOfBirth,
      sex: patient.sex,
      ethnic_category: patient.ethnicity,
      postcode: patient.address.postcode,
      gp_practice_code: patient.practice,
      commissioner_code: patient.area.commissionerCode,
      admission_date: admissionDate,
      admission_method: admissionMethod,
      admission_source: admissionSource,
      patient_classification: spell.dayCase ? '2' : '1',
      episode_start_date: isoDate(epStart),
      episode_end_date: epEnd === null ? null : isoDate(epEnd),
      episode_status: epEnd === null ? null : '3',
      discharge_date: last ? dischargeDate : null,
      discharge_method: last ? dischargeMethod : '8',
      discharge_destination: last ? dischargeDestination : '98',
      main_specialty: tf,
      treatment_function: tf,
      primary_diagnosis:
        e === 1
          ? rng.pick(scenario.diagnoses)
          : rng.chance(0.7)
            ? rng.pick(scenario.diagnoses)
            : rng.pick(COMORBIDITIES),
      secondary_diagnoses: secondaryText,
      primary_procedure: procedure,
      primary_procedure_date: procedure ? isoDate(epStart) : null,
      secondary_procedures: null,
      episode_hrg: scenario.hrg,
      modified_at: ctx.modifiedAt(epEnd ?? epStart),
      change_version: keys.nextVersion('sus_apc_episode'),
    });
  }
  return { spell: spellRow, episodes: rows };
}
