import {
  SOURCE_TABLE_NAMES,
  type SourceRow,
  type SourceTableName,
} from '../domain/datasets/source-tables.js';
import {
  COMORBIDITIES,
  CSDS_SOURCES_AFTER_AE,
  CSDS_SOURCES_OTHER,
  ECDS_CHIEF_COMPLAINTS,
  ECDS_DIAGNOSES,
  ELECTIVE_SCENARIOS,
  EMERGENCY_SCENARIOS,
  HIGH_COST_SCENARIOS,
  LATER_EPISODE_TREATMENT_FUNCTIONS,
  MH_PRIMARY_REASONS,
  type SpellScenario,
} from './clinical-scenarios.js';
import { plantDefects } from './defect-planter.js';
import type { PatientActivity } from './patient-activity.js';
import {
  emptyDefectTallies,
  emptyPathwayCounts,
  emptyTableCounts,
  penceToGbp,
  type GenerationReport,
} from './generation-report.js';
import { measurePathways } from './pathway-measures.js';
import { createRng, deriveSeed, type Rng } from './prng.js';
import {
  dayOf,
  isoDate,
  londonDateTimeOffset,
  londonDay,
  londonMinutes,
  yearMonth,
} from './synthetic-calendar.js';
import type {
  CatalogueBnfPresentation,
  CatalogueProvider,
  SyntheticCatalogue,
} from './synthetic-catalogue.js';
import type { PopulationConfig } from './synthetic-config.js';
import {
  NhsNumberAllocator,
  ageOn,
  createPatient,
  localPatientId,
  type SyntheticPatient,
} from './synthetic-patient.js';

/** One batch of generated rows for one table (rows in `SourceRow` wire form, spec column order). */
export interface GeneratedBatch {
  readonly table: SourceTableName;
  readonly rows: SourceRow[];
}

/** Key prefix letter per table (after the namespace letter); `D` marks rows added by a defect. */
export const TABLE_KEY_LETTER: Readonly<Record<SourceTableName, string>> = {
  sus_apc_episode: 'E',
  prescribing_item: 'P',
  mhsds_referral: 'R',
  mhsds_care_contact: 'C',
  mhsds_cluster_assessment: 'A',
  ecds_attendance: 'T',
  csds_referral: 'Q',
  csds_care_contact: 'K',
  dids_imaging_test: 'I',
};

/** Allocates primary keys: `<namespace><table letter><11 digits>`, or `<namespace>D<letter><10 digits>` for defect rows. */
export class KeyAllocator {
  private readonly clean = emptyCounters();
  private readonly defect = emptyCounters();
  private readonly versions = emptyCounters();
  private spell: number;
  /** `keyBlock` b starts row keys at b·10⁹ and spell/defect keys at b·10⁸, so later runs never reuse a key. */
  constructor(
    private readonly namespace: string,
    keyBlock = 0,
  ) {
    for (const table of SOURCE_TABLE_NAMES) {
      this.clean[table] = keyBlock * 1_000_000_000;
      this.defect[table] = keyBlock * 100_000_000;
    }
    this.spell = keyBlock * 100_000_000;
  }
  next(table: SourceTableName): string {
    const n = ++this.clean[table];
    return `${this.namespace}${TABLE_KEY_LETTER[table]}${String(n).padStart(11, '0')}`;
  }
  nextDefect(table: SourceTableName): string {
    const n = ++this.defect[table];
    return `${this.namespace}D${TABLE_KEY_LETTER[table]}${String(n).padStart(10, '0')}`;
  }
  nextSpellNumber(): string {
    return `${this.namespace}S${String(++this.spell).padStart(10, '0')}`;
  }
  /** The next change version for a table, as SQL Server `rowversion` would give (files only; the embedded source overwrites it). */
  nextVersion(table: SourceTableName): string {
    return String(++this.versions[table]);
  }
}

function emptyCounters(): Record<SourceTableName, number> {
  return emptyTableCounts();
}

interface Attendance {
  arrival: number; // UTC minutes
  departure: number;
  arrivalDay: number; // local day
  departureDay: number;
  provider: CatalogueProvider;
  departmentType: string;
  admitted: boolean;
  acuityLevel: number;
  seenAt: number;
  decisionToAdmitAt: number | null;
}

interface AdmissionRequest {
  day: number;
  kind: 'ae' | 'emergency' | 'high_cost' | 'elective';
  attendance?: Attendance;
}

/** Generation context shared across patients. */
interface Context {
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
  /** Only SUS episodes are emitted: later pathway steps are skipped (SUS rows are the same either way). */
  readonly susOnly: boolean;
}

// Relative A&E arrivals by local hour (quiet overnight, peak late morning to evening).
const HOUR_WEIGHTS = [
  2, 1.5, 1.2, 1, 1, 1.2, 2, 3, 5, 6.5, 7, 7, 6.8, 6.5, 6.3, 6.2, 6.2, 6.2, 6, 5.5, 5, 4.2, 3.5, 2.5,
];
const HOURS = HOUR_WEIGHTS.map((_, h) => h);

/**
 * Generates a synthetic population as a stream of row batches, one patient at a time, so memory
 * stays flat whatever the row count. The generator's return value is the generation report.
 *
 * Guarantees:
 * - Deterministic: the same configuration and catalogue give the same batches in the same order.
 * - A patient's clean rows depend only on the seed and the patient index; switching defect classes
 *   on or off changes only the rows that carry a defect (defect streams and keys are separate).
 * - No clean date is after `endDate`; rows in `SourceRow` wire form in spec column order.
 */
export function* generatePopulationRows(
  config: PopulationConfig,
  catalogue: SyntheticCatalogue,
): Generator<GeneratedBatch, GenerationReport, void> {
  const ctx = createContext(config, catalogue);
  const report: GenerationReport = {
    seed: config.seed,
    patients: 0,
    startDate: config.startDate,
    endDate: config.endDate,
    catalogueSource: catalogue.source,
    rows: emptyTableCounts(),
    defects: emptyDefectTallies(),
    defectiveRows: emptyTableCounts(),
    pathways: emptyPathwayCounts(),
  };
  let nicPence = 0;
  const caseload = new Map<string, number>();
  const buffers = new Map<SourceTableName, SourceRow[]>(SOURCE_TABLE_NAMES.map((t) => [t, []]));
  const allocator = new NhsNumberAllocator(config.seed);
  allocator.skip(config.patientOffset);
  let episodes = 0;
  for (let i = 0; i < config.patients; i++) {
    if (config.maxEpisodes !== undefined && episodes >= config.maxEpisodes) break;
    const index = config.patientOffset + i;
    const activity = generatePatient(ctx, index, allocator.next());
    const defective = plantDefects(
      activity,
      config,
      ctx.keys,
      catalogue,
      ctx.endDay,
      report.defects,
      ctx.emitted,
    );
    const measured = measurePathways(activity, defective, ctx.startDay, ctx.endDay);
    addPathways(report, measured);
    nicPence += measured.nicPence;
    for (const [month, n] of measured.caseload) caseload.set(month, (caseload.get(month) ?? 0) + n);
    report.patients++;
    for (const table of ctx.tables) {
      const rows = activity.rows[table];
      if (rows.length === 0) continue;
      report.rows[table] += rows.length;
      if (table === 'sus_apc_episode') episodes += rows.length;
      const buffer = buffers.get(table) ?? [];
      for (const row of rows) {
        if (defective.has(row)) report.defectiveRows[table]++;
        buffer.push(row);
      }
      if (buffer.length >= config.batchSize) {
        buffers.set(table, []);
        yield { table, rows: buffer };
      }
    }
  }
  for (const table of ctx.tables) {
    const rows = buffers.get(table) ?? [];
    if (rows.length > 0) yield { table, rows };
  }
  report.pathways.prescriptionNicGbp90dAfterEmergencyDischarge = penceToGbp(nicPence);
  report.pathways.communityCaseloadByMonthEnd = Object.fromEntries([...caseload.entries()].sort());
  return report;
}

function addPathways(report: GenerationReport, m: ReturnType<typeof measurePathways>): void {
  const p = report.pathways;
  p.spells += m.spells;
  p.episodes += m.episodes;
  p.emergencyDischarges += m.emergencyDischarges;
  p.emergencyDischargesWithMhReferral30d += m.emergencyDischargesWithMhReferral30d;
  p.emergencyDischargesWithPrescription90d += m.emergencyDischargesWithPrescription90d;
  p.aeAttendances += m.aeAttendances;
  p.aeAttendancesWithImaging7d += m.aeAttendancesWithImaging7d;
  p.aeAttendancesWithImaging7dAndCommunityReferral30d += m.aeAttendancesWithImaging7dAndCommunityReferral30d;
  p.aeAttendancesWithCommunityReferral30d += m.aeAttendancesWithCommunityReferral30d;
  p.aeDepartedWithin4h += m.aeDepartedWithin4h;
  p.aeOver12hInDepartment += m.aeOver12hInDepartment;
  p.highCostPatients += m.highCostPatient ? 1 : 0;
  p.highCostPatientEmergencySpells += m.highCostPatient ? m.emergencySpells : 0;
}

function createContext(config: PopulationConfig, catalogue: SyntheticCatalogue): Context {
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
    susOnly: tables.length === 1 && tables[0] === 'sus_apc_episode',
  };
}

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
  };
}

/** All activity of one patient, before defects. */
function generatePatient(ctx: Context, index: number, nhsNumber: string): PatientActivity {
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
  const b = rowBuilders(ctx, patient, activity);

  // 1. A&E attendances (timing first: an admitted attendance starts a spell on its departure day).
  const attendances: Attendance[] = [];
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
    const spell = b.spell(rng, request);
    busyUntil = spell.dischargeDay ?? Infinity;
    if (spell.died && spell.dischargeDay !== null) deathDay = spell.dischargeDay;
  }
  const alive = (day: number): boolean => day <= deathDay && day <= endDay;
  // Everything after this point only adds rows to other tables; SUS rows are already final.
  if (ctx.susOnly) return activity;

  // 3. ECDS rows, then what follows an attendance: imaging within 7 days, community referral within 30.
  for (const a of attendances) {
    if (a.arrivalDay > deathDay) continue;
    b.attendance(rng, a);
    if (rng.chance(rates.imagingAfterAe7d)) {
      const testDay = a.arrivalDay + (rng.chance(0.5) ? 0 : rng.int(1, 7));
      if (alive(testDay))
        b.imaging(
          rng,
          testDay,
          a.arrivalDay,
          a.provider,
          a.admitted ? '01' : testDay === a.arrivalDay ? '05' : '03',
        );
    }
    if (rng.chance(rates.communityReferralAfterAe30d)) {
      const day = a.arrivalDay + rng.int(1, 30);
      if (alive(day)) b.csdsReferral(rng, day, rng.pick(CSDS_SOURCES_AFTER_AE), false, deathDay);
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
          b.prescription(rng, day, presentation);
          if (rng.chance(0.4)) break;
        }
      }
    }
    if (rng.chance(rates.mhReferralAfterEmergencyDischarge30d)) {
      const day = discharge + rng.int(1, 30);
      if (alive(day))
        b.mhReferral(rng, day, rng.pick(catalogue.mhsds.sourceOfReferralAfterAdmission), deathDay);
    }
  }

  // 5. Background activity: MH referrals, community caseload, repeat prescribing, GP direct imaging.
  const mhCount = rng.poisson(rates.mhReferralsPerPersonYear * years * (age >= 18 && age < 65 ? 1.3 : 0.6));
  for (let k = 0; k < mhCount; k++) {
    const day = rng.int(startDay, endDay);
    if (alive(day)) b.mhReferral(rng, day, rng.pick(catalogue.mhsds.sourceOfReferralOther), deathDay);
  }
  const communityCount = rng.poisson(
    rates.communityReferralsPerPersonYear * years * (age < 5 ? 1.5 : age >= 75 ? 3 : age >= 65 ? 1.5 : 0.6),
  );
  for (let k = 0; k < communityCount; k++) {
    const day = seasonalDay(rng, startDay, endDay);
    if (alive(day))
      b.csdsReferral(rng, day, rng.pick(CSDS_SOURCES_OTHER), age >= 65 && rng.chance(0.5), deathDay);
  }
  if (age >= 30 && rng.chance(rates.repeatPrescribingPatientShare * (age >= 65 ? 2.5 : 0.7))) {
    const meds = rng.int(1, 2);
    for (let k = 0; k < meds; k++) {
      const presentation = rng.pick(catalogue.bnf.repeat);
      const interval = rng.pick([56, 84]);
      for (let day = startDay + rng.int(0, interval - 1); alive(day); day += interval)
        b.prescription(rng, day, presentation);
    }
  }
  const gpImaging = rng.poisson(rates.gpDirectImagingPerPersonYear * years * (age >= 45 ? 1.5 : 0.6));
  for (let k = 0; k < gpImaging; k++) {
    const requestDay = rng.int(startDay, endDay);
    const testDay = requestDay + rng.int(3, 28);
    const provider = patient.area.acuteProviders[patient.homeAcute] ?? patient.area.acuteProviders[0];
    if (provider && alive(testDay)) b.imaging(rng, testDay, requestDay, provider, '04');
  }
  return activity;
}

function kindOrder(kind: AdmissionRequest['kind']): number {
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

function drawAttendance(rng: Rng, ctx: Context, patient: SyntheticPatient, age: number): Attendance {
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

function pickScenario(rng: Rng, list: readonly SpellScenario[], age: number): SpellScenario {
  const fits = list.filter((s) => s.minAge <= age);
  return rng.weighted(fits.length > 0 ? fits : list, (s) => s.weight);
}

/** Row builders for one patient; each appends to `activity` and returns the row. */
function rowBuilders(ctx: Context, patient: SyntheticPatient, activity: PatientActivity) {
  const { catalogue, keys, endDay, config } = ctx;
  const seed = config.seed;
  const area = patient.area;
  const dob = isoDate(patient.birthDay);
  const modifiedAt = (day: number): string => `${isoDate(Math.min(day + 2, endDay))}T02:00:00.000Z`;
  const localIds = new Map<string, string>();
  const localId = (provider: string): string => {
    let id = localIds.get(provider);
    if (id === undefined) {
      id = localPatientId(seed, provider, patient.index);
      localIds.set(provider, id);
    }
    return id;
  };
  const push = (table: SourceTableName, row: SourceRow): SourceRow => {
    activity.rows[table].push(row);
    return row;
  };
  const consultant = (rng: Rng): string => `C${String(rng.int(1_000_000, 9_999_999))}`;

  return {
    spell(rng: Rng, request: AdmissionRequest) {
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
      const admission = request.day;
      const plannedDischarge = admission + stay;
      const finished = plannedDischarge <= endDay;
      const dischargeDay = finished ? plannedDischarge : null;
      const deathRisk = age >= 80 ? 0.06 : age >= 65 ? 0.03 : 0.004;
      const died = !elective && finished && rng.chance(deathRisk * (request.kind === 'high_cost' ? 2 : 1));
      const admissionMethod =
        request.kind === 'ae'
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
          e === 1
            ? scenario.treatmentFunction
            : age >= 75
              ? '430'
              : rng.pick(LATER_EPISODE_TREATMENT_FUNCTIONS);
        const procedure = e === 1 && scenario.procedure ? scenario.procedure : null;
        rows.push(
          push('sus_apc_episode', {
            episode_id: keys.next('sus_apc_episode'),
            provider_code: provider.code,
            site_code: site,
            hospital_provider_spell_number: spellNumber,
            episode_number: e,
            nhs_number: patient.nhsNumber,
            local_patient_id: localId(provider.code),
            patient_name: patient.name,
            date_of_birth: dob,
            sex: patient.sex,
            ethnic_category: patient.ethnicity,
            postcode: patient.address.postcode,
            gp_practice_code: patient.practice,
            commissioner_code: area.commissionerCode,
            admission_date: isoDate(admission),
            admission_method: admissionMethod,
            admission_source: admissionSource,
            patient_classification: dayCase ? '2' : '1',
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
            modified_at: modifiedAt(epEnd ?? epStart),
            change_version: keys.nextVersion('sus_apc_episode'),
          }),
        );
      }
      const spell = {
        rows,
        emergency: !elective,
        died,
        dischargeDay,
        admissionDay: admission,
        highCost: request.kind === 'high_cost',
      };
      activity.spells.push(spell);
      return spell;
    },

    attendance(rng: Rng, a: Attendance): SourceRow {
      const ecds = catalogue.ecds;
      const ambulance = rng.chance(a.admitted ? 0.6 : a.departmentType === '03' ? 0.02 : 0.2);
      const streamed = !a.admitted && rng.chance(0.06);
      const destination = a.admitted
        ? ecds.destinationAdmitted
        : rng.chance(0.93)
          ? ecds.destinationHome
          : rng.pick(ecds.destinationOther);
      const row = push('ecds_attendance', {
        attendance_id: keys.next('ecds_attendance'),
        provider_code: a.provider.code,
        site_code: a.provider.sites.length > 0 ? rng.pick(a.provider.sites) : null,
        department_type: a.departmentType,
        attendance_category: rng.chance(0.93) ? '1' : rng.pick(['2', '3']),
        nhs_number: patient.nhsNumber,
        local_patient_id: localId(a.provider.code),
        patient_name: patient.name,
        date_of_birth: dob,
        sex: patient.sex,
        ethnic_category: patient.ethnicity,
        postcode: patient.address.postcode,
        gp_practice_code: patient.practice,
        commissioner_code: area.commissionerCode,
        arrival_mode: rng.pick(ambulance ? ecds.arrivalModeAmbulance : ecds.arrivalModeOther),
        acuity: ecds.acuity[a.acuityLevel - 1] ?? ecds.acuity[ecds.acuity.length - 1] ?? null,
        chief_complaint: rng.pick(ECDS_CHIEF_COMPLAINTS),
        primary_diagnosis: rng.pick(ECDS_DIAGNOSES),
        discharge_status: streamed ? rng.pick(ecds.dischargeStatusOther) : ecds.dischargeStatusCompleted,
        discharge_destination: destination,
        discharge_follow_up: !a.admitted && rng.chance(0.3) ? ecds.followUpGp : null,
        arrival_at: londonDateTimeOffset(a.arrival),
        initial_assessment_at: londonDateTimeOffset(a.arrival + rng.int(2, 25)),
        seen_for_treatment_at: londonDateTimeOffset(a.seenAt),
        decision_to_admit_at: a.decisionToAdmitAt === null ? null : londonDateTimeOffset(a.decisionToAdmitAt),
        clinically_ready_at: a.admitted
          ? null
          : londonDateTimeOffset(Math.max(a.seenAt, a.departure - rng.int(5, 30))),
        conclusion_at: londonDateTimeOffset(Math.max(a.seenAt, a.departure - rng.int(0, 10))),
        departure_at: londonDateTimeOffset(a.departure),
        modified_at: modifiedAt(a.departureDay),
        change_version: keys.nextVersion('ecds_attendance'),
      });
      activity.attendances.push({ row, arrivalDay: a.arrivalDay, minutes: a.departure - a.arrival });
      return row;
    },

    imaging(
      rng: Rng,
      testDay: number,
      requestDay: number,
      provider: CatalogueProvider,
      setting: string,
    ): SourceRow {
      const exam = rng.weighted(catalogue.imaging, (x) => x.weight);
      const reportDay = testDay + rng.int(0, 3);
      const fromGp = setting === '04';
      const row = push('dids_imaging_test', {
        imaging_test_id: keys.next('dids_imaging_test'),
        provider_code: provider.code,
        site_code: provider.sites.length > 0 ? rng.pick(provider.sites) : null,
        nhs_number: patient.nhsNumber,
        local_patient_id: localId(provider.code),
        date_of_birth: dob,
        sex: patient.sex,
        postcode: patient.address.postcode,
        gp_practice_code: patient.practice,
        patient_source_setting: setting,
        referrer_code: fromGp ? `G${String(rng.int(1_000_000, 9_999_999))}` : consultant(rng),
        referring_org_code: fromGp ? patient.practice : provider.code,
        request_date: isoDate(requestDay),
        request_received_date: isoDate(requestDay + (fromGp ? rng.int(0, 2) : 0)),
        test_date: isoDate(testDay),
        report_issue_date: reportDay <= endDay ? isoDate(reportDay) : null,
        nicip_code: exam.nicip,
        snomed_code: exam.snomed,
        modality: exam.modality,
        modified_at: modifiedAt(testDay),
        change_version: keys.nextVersion('dids_imaging_test'),
      });
      activity.imaging.push({ row, day: testDay });
      return row;
    },

    prescription(rng: Rng, day: number, presentation: CatalogueBnfPresentation): SourceRow {
      const packs = rng.chance(0.8) ? 1 : 2;
      const quantity = presentation.packQuantity * packs;
      const nicPence = Math.max(1, Math.round(presentation.unitNicPence * quantity));
      const row = push('prescribing_item', {
        item_id: keys.next('prescribing_item'),
        nhs_number: patient.nhsNumber,
        date_of_birth: dob,
        sex: patient.sex,
        postcode: patient.address.postcode,
        prescribing_practice_code: patient.practice,
        prescriber_code: `G${String(rng.int(1_000_000, 9_999_999))}`,
        dispensing_date: isoDate(day),
        processing_month: yearMonth(day),
        bnf_code: presentation.code,
        bnf_description: presentation.description,
        quantity: `${quantity}.000`,
        items: 1,
        nic_gbp: penceToGbp(nicPence),
        actual_cost_gbp: penceToGbp(Math.round(nicPence * 0.93) + 10),
        modified_at: modifiedAt(day),
        change_version: keys.nextVersion('prescribing_item'),
      });
      activity.prescriptions.push({ row, day, nicPence });
      return row;
    },

    mhReferral(rng: Rng, day: number, source: string, deathDay: number): SourceRow {
      const provider = area.mentalHealthProvider;
      const referralId = keys.next('mhsds_referral');
      const age = ageOn(patient, day);
      const contacts: SourceRow[] = [];
      let contactDay = day + rng.int(0, 14);
      const contactCount = rng.int(1, 8);
      for (let k = 0; k < contactCount && contactDay <= endDay && contactDay <= deathDay; k++) {
        contacts.push(
          push('mhsds_care_contact', {
            care_contact_id: keys.next('mhsds_care_contact'),
            referral_id: referralId,
            provider_code: provider,
            local_patient_id: localId(provider),
            contact_date: isoDate(contactDay),
            attend_or_dna: rng.chance(0.85)
              ? rng.pick(catalogue.attendOrDna.attended)
              : rng.pick(catalogue.attendOrDna.notAttended),
            consultation_medium: rng.pick(catalogue.mhsds.consultationMedia),
            modified_at: modifiedAt(contactDay),
            change_version: keys.nextVersion('mhsds_care_contact'),
          }),
        );
        contactDay += rng.int(5, 14);
      }
      const assessments: SourceRow[] = [];
      const assessmentDay = day + rng.int(0, 14);
      if (rng.chance(0.7) && assessmentDay <= endDay && assessmentDay <= deathDay) {
        const clusters = catalogue.mhsds.careClusters;
        const cluster =
          age >= 70 && rng.chance(0.6)
            ? rng.pick(clusters.filter((c) => Number(c) >= 18).concat(clusters.slice(0, 1)))
            : rng.pick(clusters.filter((c) => Number(c) < 18));
        assessments.push(
          push('mhsds_cluster_assessment', {
            assessment_id: keys.next('mhsds_cluster_assessment'),
            referral_id: referralId,
            provider_code: provider,
            local_patient_id: localId(provider),
            assessment_date: isoDate(assessmentDay),
            care_cluster: cluster,
            modified_at: modifiedAt(assessmentDay),
            change_version: keys.nextVersion('mhsds_cluster_assessment'),
          }),
        );
      }
      const lastActivity = Math.max(day, contactDay);
      const dischargeDay = lastActivity + rng.int(7, 90);
      const teamTypes = catalogue.mhsds.teamTypes;
      const row: SourceRow = {
        referral_id: referralId,
        provider_code: provider,
        nhs_number: patient.nhsNumber,
        local_patient_id: localId(provider),
        date_of_birth: dob,
        sex: patient.sex,
        ethnic_category: patient.ethnicity,
        postcode: patient.address.postcode,
        gp_practice_code: patient.practice,
        referral_received_date: isoDate(day),
        source_of_referral: source,
        primary_reason_for_referral: rng.pick(MH_PRIMARY_REASONS),
        service_team_type: rng.pick(teamTypes),
        service_discharge_date:
          dischargeDay <= endDay && dischargeDay <= deathDay ? isoDate(dischargeDay) : null,
        modified_at: modifiedAt(day),
        change_version: keys.nextVersion('mhsds_referral'),
      };
      activity.rows.mhsds_referral.push(row);
      activity.mhReferrals.push({ row, day, contacts, assessments });
      return row;
    },

    csdsReferral(rng: Rng, day: number, source: string, longTerm: boolean, deathDay: number): SourceRow {
      const provider = area.communityProvider;
      const referralId = keys.next('csds_referral');
      const duration = longTerm ? rng.int(120, 540) : rng.int(14, 90);
      const dischargeDay = day + duration;
      const open = dischargeDay > endDay || dischargeDay > deathDay;
      const contacts: SourceRow[] = [];
      const lastContactDay = Math.min(dischargeDay, endDay, deathDay);
      const maxContacts = longTerm ? 40 : 10;
      for (
        let d = day + rng.int(0, 10), k = 0;
        d <= lastContactDay && k < maxContacts;
        d += rng.int(longTerm ? 7 : 3, longTerm ? 21 : 14), k++
      ) {
        contacts.push(
          push('csds_care_contact', {
            care_contact_id: keys.next('csds_care_contact'),
            referral_id: referralId,
            provider_code: provider,
            local_patient_id: localId(provider),
            contact_date: isoDate(d),
            activity_location_type: rng.pick(catalogue.csds.activityLocationTypes),
            attend_or_dna: rng.chance(0.9)
              ? rng.pick(catalogue.attendOrDna.attended)
              : rng.pick(catalogue.attendOrDna.notAttended),
            care_activity_type: rng.pick(catalogue.csds.careActivityTypes),
            modified_at: modifiedAt(d),
            change_version: keys.nextVersion('csds_care_contact'),
          }),
        );
      }
      const row: SourceRow = {
        referral_id: referralId,
        provider_code: provider,
        nhs_number: patient.nhsNumber,
        local_patient_id: localId(provider),
        date_of_birth: dob,
        sex: patient.sex,
        postcode: patient.address.postcode,
        gp_practice_code: patient.practice,
        referral_received_date: isoDate(day),
        source_of_referral: source,
        priority_type: rng.pick(catalogue.csds.priorityTypes),
        team_type: rng.pick(catalogue.csds.teamTypes),
        service_discharge_date: open ? null : isoDate(dischargeDay),
        modified_at: modifiedAt(day),
        change_version: keys.nextVersion('csds_referral'),
      };
      activity.rows.csds_referral.push(row);
      activity.csdsReferrals.push({ row, day, dischargeDay: open ? null : dischargeDay, contacts });
      return row;
    },
  };
}
