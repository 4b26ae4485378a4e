import type { SourceRow, SourceTableName } from '../domain/datasets/source-tables.js';
import { SOURCE_TABLE_NAMES } from '../domain/datasets/source-tables.js';
import {
  CSDS_SOURCES_AFTER_AE,
  CSDS_SOURCES_OTHER,
  ELECTIVE_SCENARIOS,
  EMERGENCY_SCENARIOS,
  HIGH_COST_SCENARIOS,
  type SpellScenario,
} from './clinical-scenarios.js';
import { KeyAllocator } from './key-allocator.js';
import type { PatientActivity } from './patient-activity.js';
import type {
  AdmissionKind,
  AeAttendance,
  CommunityReferral,
  Dispensing,
  HospitalSpell,
  ImagingTest,
  ServiceReferral,
} from './patient-events.js';
import { createRng, deriveSeed, type Rng } from './prng.js';
import { csdsReferralRows } from './rows/csds.rows.js';
import { didsImagingTestRow } from './rows/dids.rows.js';
import { ecdsAttendanceRow } from './rows/ecds.rows.js';
import { mhsdsReferralRows } from './rows/mhsds.rows.js';
import { prescribingItemRow } from './rows/prescribing.rows.js';
import { patientRowContext, type PatientRowContext } from './rows/row-context.js';
import { susApcSpellRows } from './rows/sus-apc.rows.js';
import { dayOf, londonDay, londonMinutes } from './synthetic-calendar.js';
import type { CatalogueBnfPresentation, SyntheticCatalogue } from './synthetic-catalogue.js';
import type { PopulationConfig } from './synthetic-config.js';
import { ageOn, createPatient, type SyntheticPatient } from './synthetic-patient.js';

/** Generation context shared across patients. */
export interface PathwayContext {
  readonly config: PopulationConfig;
  readonly catalogue: SyntheticCatalogue;
  readonly keys: KeyAllocator;
  readonly startDay: number;
  readonly endDay: number;
  readonly years: number;
  readonly emergency: readonly SpellScenario[];
  readonly highCost: readonly SpellScenario[];
  readonly elective: readonly SpellScenario[];
  /** Tables emitted (all unless the configuration names some). */
  readonly tables: readonly SourceTableName[];
  readonly emitted: ReadonlySet<SourceTableName>;
  /** Only SUS tables are emitted: later pathway steps are skipped (SUS rows are the same either way). */
  readonly susOnly: boolean;
}

/** The context of one generation run; refuses a catalogue that prices no scenario or has no areas. */
export function createPathwayContext(
  config: PopulationConfig,
  catalogue: SyntheticCatalogue,
): PathwayContext {
  const startDay = dayOf(config.startDate);
  const endDay = dayOf(config.endDate);
  const priced = (list: readonly SpellScenario[], type: 'elective' | 'non_elective'): SpellScenario[] => {
    const kept = list.filter(
      (s) => catalogue.isKnownHrg(s.hrg) && catalogue.tariffFor(s.hrg, type, startDay) !== null,
    );
    if (kept.length === 0)
      throw new RangeError(`the catalogue '${catalogue.source}' prices none of the ${type} scenario HRGs`);
    return kept;
  };
  const tables = SOURCE_TABLE_NAMES.filter((t) => config.tables === undefined || config.tables.includes(t));
  if (catalogue.areas.length === 0) throw new RangeError(`the catalogue '${catalogue.source}' has no areas`);
  return {
    config,
    catalogue,
    keys: new KeyAllocator(config.idNamespace, config.keyBlock),
    startDay,
    endDay,
    years: (endDay - startDay + 1) / 365.25,
    emergency: priced(EMERGENCY_SCENARIOS, 'non_elective'),
    highCost: priced(HIGH_COST_SCENARIOS, 'non_elective'),
    elective: priced(ELECTIVE_SCENARIOS, 'elective'),
    tables,
    emitted: new Set(tables),
    susOnly: tables.length > 0 && tables.every((t) => t === 'sus_apc_spell' || t === 'sus_apc_episode'),
  };
}

interface AdmissionRequest {
  day: number;
  kind: AdmissionKind;
  attendance?: AeAttendance;
}

// Relative A&E arrivals by local hour (quiet overnight, peak late morning to evening).
const HOUR_WEIGHTS = [
  2, 1.5, 1.2, 1, 1, 1.2, 2, 3, 5, 6.5, 7, 7, 6.8, 6.5, 6.3, 6.2, 6.2, 6.2, 6, 5.5, 5, 4.2, 3.5, 2.5,
];
const HOURS = HOUR_WEIGHTS.map((_, h) => h);

function emergencyAgeFactor(age: number): number {
  return age < 5 ? 1.2 : age < 18 ? 0.4 : age < 45 ? 0.6 : age < 65 ? 1 : age < 80 ? 2.2 : 4.5;
}
function aeAgeFactor(age: number): number {
  return age < 5 ? 1.6 : age < 18 ? 0.8 : age < 65 ? 0.9 : age < 80 ? 1.3 : 2.2;
}
function electiveAgeFactor(age: number): number {
  return age < 18 ? 0.2 : age < 45 ? 0.5 : age < 65 ? 1.2 : age < 80 ? 2.2 : 1.8;
}
/** IMD decile 1 (most deprived) → 1.27, decile 10 → 0.73. */
function deprivationFactor(imdDecile: number): number {
  return 1 + (5.5 - imdDecile) * 0.06;
}

/**
 * The rows of one patient per table, in the order the defect planter walks them (the spell table
 * last: it was added after the others, and a table walked earlier would change their draws).
 */
function emptyRows(): Record<SourceTableName, SourceRow[]> {
  return {
    sus_apc_episode: [],
    prescribing_item: [],
    mhsds_referral: [],
    mhsds_care_contact: [],
    mhsds_cluster_assessment: [],
    ecds_attendance: [],
    csds_referral: [],
    csds_care_contact: [],
    dids_imaging_test: [],
    sus_apc_spell: [],
    mhsds_hospital_spell: [],
    mhsds_ward_stay: [],
  };
}

/**
 * Records each event's rows: the dataset's row builder makes them from the event, and the
 * pathway structure the defect planter and the pathway counts read keeps the same row objects.
 */
function recorder(ctx: PatientRowContext, activity: PatientActivity) {
  const rows = activity.rows;
  return {
    spell(rng: Rng, spell: HospitalSpell): void {
      const built = susApcSpellRows(rng, ctx, spell);
      rows.sus_apc_spell.push(built.spell);
      rows.sus_apc_episode.push(...built.episodes);
      activity.spells.push({
        spellRow: built.spell,
        rows: built.episodes,
        emergency: !spell.elective,
        died: spell.died,
        dischargeDay: spell.dischargeDay,
        admissionDay: spell.admissionDay,
        highCost: spell.kind === 'high_cost',
      });
    },
    attendance(rng: Rng, attendance: AeAttendance): void {
      const row = ecdsAttendanceRow(rng, ctx, attendance);
      rows.ecds_attendance.push(row);
      activity.attendances.push({
        row,
        arrivalDay: attendance.arrivalDay,
        minutes: attendance.departure - attendance.arrival,
      });
    },
    imaging(rng: Rng, test: ImagingTest): void {
      const row = didsImagingTestRow(rng, ctx, test);
      rows.dids_imaging_test.push(row);
      activity.imaging.push({ row, day: test.testDay });
    },
    prescription(rng: Rng, item: Dispensing): void {
      const row = prescribingItemRow(rng, ctx, item);
      rows.prescribing_item.push(row);
      activity.prescriptions.push({ row, day: item.day, nicPence: item.nicPence });
    },
    mhReferral(rng: Rng, referral: ServiceReferral): void {
      const built = mhsdsReferralRows(rng, ctx, referral);
      rows.mhsds_care_contact.push(...built.contacts);
      rows.mhsds_cluster_assessment.push(...built.assessments);
      rows.mhsds_hospital_spell.push(...built.spells);
      rows.mhsds_ward_stay.push(...built.wardStays);
      rows.mhsds_referral.push(built.referral);
      activity.mhReferrals.push({
        row: built.referral,
        day: referral.day,
        contacts: built.contacts,
        assessments: built.assessments,
      });
    },
    csdsReferral(rng: Rng, referral: CommunityReferral): void {
      const built = csdsReferralRows(rng, ctx, referral);
      rows.csds_care_contact.push(...built.contacts);
      rows.csds_referral.push(built.referral);
      activity.csdsReferrals.push({
        row: built.referral,
        day: referral.day,
        dischargeDay: built.dischargeDay,
        contacts: built.contacts,
      });
    },
  };
}

/**
 * All activity of one patient, before defects: the pathway draws the clinical events in time
 * order (attendances, spells, what follows them, background activity) from the patient's own
 * stream, and each event's dataset row builder turns it into rows.
 */
export function generatePatientActivity(
  ctx: PathwayContext,
  index: number,
  nhsNumber: string,
): PatientActivity {
  const { config, catalogue, startDay, endDay, years } = ctx;
  const rates = config.rates;
  const rng = createRng(deriveSeed(config.seed, 'patient', index));
  const patient = createPatient(index, nhsNumber, rng, catalogue, startDay, rates.highCostPatientShare);
  const age = ageOn(patient, startDay);
  const dep = deprivationFactor(patient.address.imdDecile);
  const activity: PatientActivity = {
    patient,
    rows: emptyRows(),
    spells: [],
    attendances: [],
    mhReferrals: [],
    csdsReferrals: [],
    prescriptions: [],
    imaging: [],
  };
  const record = recorder(patientRowContext(patient, catalogue, ctx.keys, config.seed, endDay), activity);
  const area = patient.area;

  // 1. A&E attendances (timing first: an admitted attendance starts a spell on its departure day).
  const attendances: AeAttendance[] = [];
  const aeCount = rng.poisson(rates.aeAttendancesPerPersonYear * years * aeAgeFactor(age) * dep);
  for (let k = 0; k < aeCount; k++) attendances.push(drawAttendance(rng, ctx, patient, age));
  attendances.sort((x, y) => x.arrival - y.arrival);

  // 2. Admissions, non-overlapping, in day order.
  const requests: AdmissionRequest[] = [];
  for (const a of attendances)
    if (a.admitted) requests.push({ day: a.departureDay, kind: 'ae', attendance: a });
  const emergencyCount = rng.poisson(
    rates.emergencyAdmissionsPerPersonYear * years * emergencyAgeFactor(age) * dep,
  );
  for (let k = 0; k < emergencyCount; k++)
    requests.push({ day: rng.int(startDay, endDay), kind: 'emergency' });
  if (patient.highCost) {
    const n = rng.poisson(rates.highCostAdmissionsPerPersonYear * years);
    for (let k = 0; k < n; k++) requests.push({ day: rng.int(startDay, endDay), kind: 'high_cost' });
  }
  const electiveCount = rng.poisson(rates.electiveAdmissionsPerPersonYear * years * electiveAgeFactor(age));
  for (let k = 0; k < electiveCount; k++) requests.push({ day: rng.int(startDay, endDay), kind: 'elective' });
  requests.sort((x, y) => x.day - y.day || kindOrder(x.kind) - kindOrder(y.kind));
  let busyUntil = -Infinity;
  let deathDay = Infinity;
  for (const request of requests) {
    if (request.day <= busyUntil || request.day > deathDay) {
      if (request.attendance) request.attendance.admitted = false;
      continue;
    }
    const spell = drawSpell(rng, ctx, patient, request);
    record.spell(rng, spell);
    busyUntil = spell.dischargeDay ?? Infinity;
    if (spell.died && spell.dischargeDay !== null) deathDay = spell.dischargeDay;
  }
  const alive = (day: number): boolean => day <= deathDay && day <= endDay;
  // Everything after this point only adds rows to other tables; SUS rows are already final.
  if (ctx.susOnly) return activity;

  // 3. ECDS rows, then what follows an attendance: imaging within 7 days, community referral within 30.
  for (const a of attendances) {
    if (a.arrivalDay > deathDay) continue;
    record.attendance(rng, a);
    if (rng.chance(rates.imagingAfterAe7d)) {
      const testDay = a.arrivalDay + (rng.chance(0.5) ? 0 : rng.int(1, 7));
      if (alive(testDay))
        record.imaging(rng, {
          testDay,
          requestDay: a.arrivalDay,
          provider: a.provider,
          patientSourceSetting: a.admitted ? '01' : testDay === a.arrivalDay ? '05' : '03',
        });
    }
    if (rng.chance(rates.communityReferralAfterAe30d)) {
      const day = a.arrivalDay + rng.int(1, 30);
      if (alive(day))
        record.csdsReferral(rng, {
          day,
          provider: area.communityProvider,
          sourceOfReferral: rng.pick(CSDS_SOURCES_AFTER_AE),
          longTerm: false,
          deathDay,
        });
    }
  }

  // 4. What follows an emergency discharge: prescriptions within 90 days, MH referral within 30.
  for (const spell of activity.spells) {
    if (!spell.emergency || spell.died || spell.dischargeDay === null) continue;
    const discharge = spell.dischargeDay;
    if (rng.chance(rates.prescriptionsAfterEmergencyDischarge90d)) {
      const items = rng.int(1, 3);
      for (let k = 0; k < items; k++) {
        const presentation = rng.pick(catalogue.bnf.afterDischarge);
        for (let day = discharge + rng.int(0, 14); day <= discharge + 90; day += 28) {
          if (!alive(day)) break;
          record.prescription(rng, drawDispensing(rng, day, presentation));
          if (rng.chance(0.4)) break;
        }
      }
    }
    if (rng.chance(rates.mhReferralAfterEmergencyDischarge30d)) {
      const day = discharge + rng.int(1, 30);
      if (alive(day))
        record.mhReferral(rng, {
          day,
          provider: area.mentalHealthProvider,
          sourceOfReferral: rng.pick(catalogue.mhsds.sourceOfReferralAfterAdmission),
          deathDay,
        });
    }
  }

  // 5. Background activity: MH referrals, community caseload, repeat prescribing, GP direct imaging.
  const mhCount = rng.poisson(rates.mhReferralsPerPersonYear * years * (age >= 18 && age < 65 ? 1.3 : 0.6));
  for (let k = 0; k < mhCount; k++) {
    const day = rng.int(startDay, endDay);
    if (alive(day))
      record.mhReferral(rng, {
        day,
        provider: area.mentalHealthProvider,
        sourceOfReferral: rng.pick(catalogue.mhsds.sourceOfReferralOther),
        deathDay,
      });
  }
  const communityCount = rng.poisson(
    rates.communityReferralsPerPersonYear * years * (age < 5 ? 1.5 : age >= 75 ? 3 : age >= 65 ? 1.5 : 0.6),
  );
  for (let k = 0; k < communityCount; k++) {
    const day = seasonalDay(rng, startDay, endDay);
    if (alive(day))
      record.csdsReferral(rng, {
        day,
        provider: area.communityProvider,
        sourceOfReferral: rng.pick(CSDS_SOURCES_OTHER),
        longTerm: age >= 65 && rng.chance(0.5),
        deathDay,
      });
  }
  if (age >= 30 && rng.chance(rates.repeatPrescribingPatientShare * (age >= 65 ? 2.5 : 0.7))) {
    const meds = rng.int(1, 2);
    for (let k = 0; k < meds; k++) {
      const presentation = rng.pick(catalogue.bnf.repeat);
      const interval = rng.pick([56, 84]);
      for (let day = startDay + rng.int(0, interval - 1); alive(day); day += interval)
        record.prescription(rng, drawDispensing(rng, day, presentation));
    }
  }
  const gpImaging = rng.poisson(rates.gpDirectImagingPerPersonYear * years * (age >= 45 ? 1.5 : 0.6));
  for (let k = 0; k < gpImaging; k++) {
    const requestDay = rng.int(startDay, endDay);
    const testDay = requestDay + rng.int(3, 28);
    const provider = area.acuteProviders[patient.homeAcute] ?? area.acuteProviders[0];
    if (provider && alive(testDay))
      record.imaging(rng, { testDay, requestDay, provider, patientSourceSetting: '04' });
  }
  return activity;
}

function kindOrder(kind: AdmissionKind): number {
  return kind === 'ae' ? 0 : kind === 'emergency' ? 1 : kind === 'high_cost' ? 2 : 3;
}

/** A day in the period, weighted by a winter peak and a 15 % growth trend (community demand). */
function seasonalDay(rng: Rng, startDay: number, endDay: number): number {
  const span = Math.max(1, endDay - startDay);
  for (;;) {
    const day = rng.int(startDay, endDay);
    const dayOfYear = (day - 15) % 365.25;
    const intensity =
      (1 + 0.3 * Math.cos((2 * Math.PI * dayOfYear) / 365.25)) * (1 + 0.15 * ((day - startDay) / span));
    if (rng.next() * 1.5 < intensity) return day;
  }
}

function drawAttendance(rng: Rng, ctx: PathwayContext, patient: SyntheticPatient, age: number): AeAttendance {
  const area = patient.area;
  const provider = rng.chance(0.75)
    ? (area.acuteProviders[patient.homeAcute] ?? area.acuteProviders[0]!)
    : rng.pick(area.acuteProviders);
  const day = rng.int(ctx.startDay, ctx.endDay);
  const hour = rng.weighted(HOURS, (h) => HOUR_WEIGHTS[h] ?? 1);
  const arrival = londonMinutes(day, hour * 60 + rng.int(0, 59));
  const departmentType = rng.chance(0.8) ? '01' : '03';
  const admitShare =
    ctx.config.rates.aeAdmittedShare * (age >= 80 ? 2 : age >= 65 ? 1.5 : age < 18 ? 0.45 : 0.7);
  const admitted = departmentType === '01' && rng.chance(Math.min(0.95, admitShare));
  const acuityLevel = admitted ? rng.int(1, 3) : rng.int(2, 5);
  const seenAt = arrival + rng.int(10, 150);
  let departure: number;
  let decisionToAdmitAt: number | null = null;
  if (departmentType === '03') departure = arrival + rng.int(30, 200);
  else if (admitted) {
    decisionToAdmitAt = seenAt + rng.int(30, 240);
    // Long trolley waits: about one admitted patient in five waits more than 12 h in the department.
    departure = decisionToAdmitAt + (rng.chance(0.2) ? rng.int(480, 1200) : rng.int(20, 300));
  } else {
    const u = rng.next();
    departure = arrival + (u < 0.72 ? rng.int(40, 235) : u < 0.97 ? rng.int(241, 700) : rng.int(721, 1100));
    if (departure < seenAt) departure = seenAt + rng.int(10, 60);
  }
  return {
    arrival,
    departure,
    arrivalDay: londonDay(arrival),
    departureDay: londonDay(departure),
    provider,
    departmentType,
    admitted,
    acuityLevel,
    seenAt,
    decisionToAdmitAt,
  };
}

/**
 * A hospital provider spell for an admission request: the clinical scenario (by age), the trust
 * (the A&E's, else the patient's usual acute trust) and site, day case or length of stay, and death
 * in hospital (emergencies only, rising with age).
 */
function drawSpell(
  rng: Rng,
  ctx: PathwayContext,
  patient: SyntheticPatient,
  request: AdmissionRequest,
): HospitalSpell {
  const area = patient.area;
  const age = ageOn(patient, request.day);
  const elective = request.kind === 'elective';
  const scenario = pickScenario(
    rng,
    elective ? ctx.elective : request.kind === 'high_cost' ? ctx.highCost : ctx.emergency,
    age,
  );
  const provider =
    request.attendance?.provider ?? area.acuteProviders[patient.homeAcute] ?? area.acuteProviders[0]!;
  const site = provider.sites.length > 0 ? rng.pick(provider.sites) : null;
  const dayCase = scenario.meanStayDays === 0 && rng.chance(0.9);
  const meanStay = scenario.meanStayDays * (age >= 75 ? 1.4 : 1);
  const stay = dayCase
    ? 0
    : !elective && rng.chance(0.18)
      ? 0
      : Math.max(elective ? 1 : 0, Math.round(-Math.log(1 - rng.next()) * meanStay));
  const admissionDay = request.day;
  const plannedDischarge = admissionDay + stay;
  const finished = plannedDischarge <= ctx.endDay;
  const deathRisk = age >= 80 ? 0.06 : age >= 65 ? 0.03 : 0.004;
  const died = !elective && finished && rng.chance(deathRisk * (request.kind === 'high_cost' ? 2 : 1));
  return {
    kind: request.kind,
    elective,
    scenario,
    provider,
    site,
    dayCase,
    ageOnAdmission: age,
    admissionDay,
    stayDays: stay,
    dischargeDay: finished ? plannedDischarge : null,
    died,
  };
}

/** One or two packs of a presentation dispensed on `day`, with its net ingredient cost. */
function drawDispensing(rng: Rng, day: number, presentation: CatalogueBnfPresentation): Dispensing {
  const packs = rng.chance(0.8) ? 1 : 2;
  const quantity = presentation.packQuantity * packs;
  const nicPence = Math.max(1, Math.round(presentation.unitNicPence * quantity));
  return { day, presentation, quantity, nicPence };
}

function pickScenario(rng: Rng, list: readonly SpellScenario[], age: number): SpellScenario {
  const fits = list.filter((s) => s.minAge <= age);
  return rng.weighted(fits.length > 0 ? fits : list, (s) => s.weight);
}
