import { DIAGNOSIS_CONFIRMED, DIAGNOSIS_SUSPECTED } from '../../domain/datasets/ecds/ecds-diagnoses.js';
import { ecdsAttendance } from '../../domain/datasets/ecds/ecds-attendance.table.js';
import { ecdsWaitMeasures } from '../../domain/datasets/ecds/ecds-wait-measures.js';
import type { SourceRow } from '../../domain/datasets/source-tables.js';
import { ECDS_CHIEF_COMPLAINTS, ECDS_DIAGNOSES } from '../clinical-scenarios.js';
import type { AeAttendance } from '../patient-events.js';
import { createRng, deriveSeed, type Rng } from '../prng.js';
import { isoDate, londonDateTimeOffset } from '../synthetic-calendar.js';
import type { PatientRowContext } from './row-context.js';

/** Chief complaint and diagnosis (SNOMED CT, from the scenario lists) that mean the attendance is an injury. */
const INJURY_COMPLAINT = '1912002'; // fall
const INJURY_DIAGNOSIS = '125605004'; // fracture of bone
/** Injury intent: self-inflicted (REFERENCE.md §3.2, V). */
const INTENT_SELF_INFLICTED = '276853009';
/**
 * SYNTHETIC SNOMED CT ids (namespace 9999999, Verhoeff-valid, no real meaning) for the injury
 * items whose code lists the reference does not give: intent other than self-inflicted,
 * mechanism, place type and activity status. Never real codes.
 */
const INTENT_OTHER = ['3009999999105', '3019999999107'];
const INJURY_MECHANISMS = ['3029999999100', '3039999999103', '3049999999108', '3059999999106'];
const INJURY_PLACE_TYPES = ['3069999999109', '3079999999101', '3089999999104'];
const INJURY_ACTIVITY_STATUSES = ['3099999999102', '3109999999106', '3119999999108'];

/**
 * The diagnosis list, qualifiers, injury fields and planned-arrival flag of an attendance, drawn
 * from the attendance's own stream (seeded by its key), so the patient stream's draws and every
 * other table's rows are unchanged by these columns.
 */
function attendanceDetail(rng: Rng, primary: string, complaint: string, arrivalDay: number): SourceRow {
  const diagnoses = [primary];
  const extra = rng.int(0, 2);
  for (let i = 0; i < extra; i++) {
    const d = rng.pick(ECDS_DIAGNOSES);
    if (!diagnoses.includes(d)) diagnoses.push(d);
  }
  const qualifiers = diagnoses.map(() => (rng.chance(0.85) ? DIAGNOSIS_CONFIRMED : DIAGNOSIS_SUSPECTED));
  const injury = complaint === INJURY_COMPLAINT || diagnoses.includes(INJURY_DIAGNOSIS);
  const injuryDay = arrivalDay - (rng.chance(0.8) ? 0 : rng.int(1, 3));
  const hour = rng.int(0, 23);
  const minute = rng.int(0, 59);
  return {
    is_arrival_planned: rng.chance(0.03),
    diagnoses: diagnoses.join(','),
    diagnosis_qualifiers: qualifiers.join(','),
    injury_date: injury ? isoDate(injuryDay) : null,
    injury_time: injury && rng.chance(0.7) ? `${pad(hour)}:${pad(minute)}` : null,
    injury_mechanism: injury ? rng.pick(INJURY_MECHANISMS) : null,
    injury_place_type: injury ? rng.pick(INJURY_PLACE_TYPES) : null,
    injury_intent: injury ? (rng.chance(0.05) ? INTENT_SELF_INFLICTED : rng.pick(INTENT_OTHER)) : null,
    injury_activity_status: injury ? rng.pick(INJURY_ACTIVITY_STATUSES) : null,
  };
}

const pad = (n: number) => String(n).padStart(2, '0');

/**
 * The `ecds_attendance` row of one A&E attendance: arrival mode, acuity, chief complaint,
 * diagnoses with their qualifiers, injury fields (attendances for a fall or a fracture),
 * discharge, the attendance's timestamps (Europe/London, with their offset) and the derived
 * waiting-time measures (`ecdsWaitMeasures`). Draws from `rng` in column order as before the
 * diagnosis list and injury fields were added; those come from the attendance's own stream.
 */
export function ecdsAttendanceRow(rng: Rng, ctx: PatientRowContext, a: AeAttendance): SourceRow {
  const { patient, keys } = ctx;
  const ecds = ctx.catalogue.ecds;
  const ambulance = rng.chance(a.admitted ? 0.6 : a.departmentType === '03' ? 0.02 : 0.2);
  const streamed = !a.admitted && rng.chance(0.06);
  const destination = a.admitted
    ? ecds.destinationAdmitted
    : rng.chance(0.93)
      ? ecds.destinationHome
      : rng.pick(ecds.destinationOther);
  const attendanceId = keys.next('ecds_attendance');
  const row: SourceRow = {
    attendance_id: attendanceId,
    provider_code: a.provider.code,
    site_code: a.provider.sites.length > 0 ? rng.pick(a.provider.sites) : null,
    department_type: a.departmentType,
    attendance_category: rng.chance(0.93) ? '1' : rng.pick(['2', '3']),
    nhs_number: patient.nhsNumber,
    local_patient_id: ctx.localPatientId(a.provider.code),
    patient_name: patient.name,
    date_of_birth: ctx.dateOfBirth,
    sex: patient.sex,
    ethnic_category: patient.ethnicity,
    postcode: patient.address.postcode,
    gp_practice_code: patient.practice,
    commissioner_code: patient.area.commissionerCode,
    arrival_mode: rng.pick(ambulance ? ecds.arrivalModeAmbulance : ecds.arrivalModeOther),
    acuity: ecds.acuity[a.acuityLevel - 1] ?? ecds.acuity[ecds.acuity.length - 1] ?? null,
    chief_complaint: rng.pick(ECDS_CHIEF_COMPLAINTS),
    diagnoses: rng.pick(ECDS_DIAGNOSES),
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
    modified_at: ctx.modifiedAt(a.departureDay),
    change_version: keys.nextVersion('ecds_attendance'),
  };
  const detail = attendanceDetail(
    createRng(deriveSeed(0, 'ecds_attendance', 'detail', attendanceId, patient.nhsNumber)),
    row.diagnoses as string,
    row.chief_complaint as string,
    a.arrivalDay,
  );
  const measures = ecdsWaitMeasures(row.arrival_at as string, row.departure_at as string);
  const derived: SourceRow = {
    duration_mins: measures.durationMins,
    within_4_hours: measures.within4Hours,
    over_12_hours: measures.over12Hours,
  };
  // In the declaration's column order (the detail and derived columns sit among the source ones);
  // a derived value wins over a detail one, a detail one over the row's. Read from the three
  // objects, not merged into one by spreads first: V8 adds each property after a spread slowly.
  const out: SourceRow = {};
  for (const { name } of ecdsAttendance.columns)
    out[name] =
      (Object.hasOwn(derived, name)
        ? derived[name]
        : Object.hasOwn(detail, name)
          ? detail[name]
          : row[name]) ?? null;
  return out;
}
