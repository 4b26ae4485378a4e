import type { SourceRow } from '../../domain/datasets/source-tables.js';
import { COMORBIDITIES, LATER_EPISODE_TREATMENT_FUNCTIONS } from '../clinical-scenarios.js';
import type { HospitalSpell } from '../patient-events.js';
import type { Rng } from '../prng.js';
import { isoDate } from '../synthetic-calendar.js';
import type { PatientRowContext } from './row-context.js';

/**
 * The `sus_apc_episode` rows of one hospital provider spell, episode 1 first: 1–4 contiguous
 * consultant episodes inside the spell; admission method and source, discharge method and
 * destination (on the last episode only); treatment function, diagnoses and procedure from the
 * spell's clinical scenario; spell fields and the spell tariff (the reference tariff of the spell
 * HRG for the admission's financial year and type) repeated on every episode. Draws from `rng`.
 */
export function susApcEpisodeRows(rng: Rng, ctx: PatientRowContext, spell: HospitalSpell): SourceRow[] {
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
  const tariff = catalogue.tariffFor(scenario.hrg, elective ? 'elective' : 'non_elective', admission);
  const secondaryCount = Math.min(COMORBIDITIES.length, rng.poisson(age >= 65 ? 2.2 : 0.6));
  const secondary = new Set<string>();
  for (let k = 0; k < secondaryCount; k++) secondary.add(rng.pick(COMORBIDITIES));
  const secondaryText = secondary.size > 0 ? [...secondary].join(',') : null;
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
      admission_date: isoDate(admission),
      admission_method: admissionMethod,
      admission_source: admissionSource,
      patient_classification: spell.dayCase ? '2' : '1',
      episode_start_date: isoDate(epStart),
      episode_end_date: epEnd === null ? null : isoDate(epEnd),
      discharge_date: dischargeDay === null ? null : isoDate(dischargeDay),
      discharge_method: last ? dischargeMethod : null,
      discharge_destination: last ? dischargeDestination : null,
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
      episode_hrg: scenario.hrg,
      spell_hrg: scenario.hrg,
      tariff_gbp: tariff,
      modified_at: ctx.modifiedAt(epEnd ?? epStart),
      change_version: keys.nextVersion('sus_apc_episode'),
    });
  }
  return rows;
}
