import type { SourceRow } from '../../domain/datasets/source-tables.js';
import { reportingPeriodOf, uniqMonthIdOfDate } from '../../domain/datasets/mhsds/uniq-month-id.js';
import { MH_PRIMARY_REASONS } from '../clinical-scenarios.js';
import type { ServiceReferral } from '../patient-events.js';
import { createRng, deriveSeed, type Rng } from '../prng.js';
import { dayOf, isoDate } from '../synthetic-calendar.js';
import { ageOn } from '../synthetic-patient.js';
import type { PatientRowContext } from './row-context.js';

/** The MHSDS rows of one referral: the referral, its care contacts and cluster assessment, and any admission. */
export interface MhsdsReferralRows {
  readonly referral: SourceRow;
  readonly contacts: SourceRow[];
  readonly assessments: SourceRow[];
  /** The hospital provider spell (MHS501) when the referral led to an admission, else none. */
  readonly spells: SourceRow[];
  /** The spell's ward stays (MHS502), tiling it from admission to discharge. */
  readonly wardStays: SourceRow[];
}

/**
 * The submission columns of a record first submitted for the month `day` falls in: the provider's
 * first submission of that month (`UniqSubmissionID` = UniqMonthID × 1000 + 1, a synthetic
 * numbering), the record applying from the first day of the month and still applying (no end).
 */
export function mhsdsSubmissionOf(day: number): Record<string, string | number | null> {
  const uniqMonthId = uniqMonthIdOfDate(isoDate(day));
  return {
    uniq_month_id: uniqMonthId,
    uniq_submission_id: String(uniqMonthId * 1000 + 1),
    record_start_date: reportingPeriodOf(uniqMonthId).start,
    record_end_date: null,
  };
}

/**
 * The MHSDS rows of one referral to the patient's mental health trust: 1–8 care contacts from
 * the referral day on (5–14 days apart; an attended contact lasts 15–90 minutes), a care cluster
 * assessment for 70 % of referrals (clusters 18+ more often from age 70), and a service discharge
 * 7–90 days after the last activity when it falls in the period, which also closes the referral.
 * 8 % of referrals are rejected by the team 0–14 days after they arrive and have no contacts or
 * assessments; 15 % of the others lead to an admission 0–21 days after the referral
 * (`mhsdsAdmissionRows`; a synthetic rate, not an NHS figure). Each record is submitted for the
 * month of its last event (a referral is reported until it ends; the pipeline keeps the latest
 * month's record). Nothing after the period's end or the patient's death.
 *
 * The draws of the pathway's `rng` are the ones this builder always made, in the same order (the
 * other datasets' rows do not move); the newer fields (rejection, contact duration, admission)
 * draw from a stream of their own, derived from the provider's local patient id and the referral.
 */
export function mhsdsReferralRows(
  rng: Rng,
  ctx: PatientRowContext,
  referral: ServiceReferral,
): MhsdsReferralRows {
  const { patient, keys, endDay, catalogue } = ctx;
  const { day, provider, deathDay } = referral;
  const referralId = keys.next('mhsds_referral');
  const age = ageOn(patient, day);
  const localId = ctx.localPatientId(provider);
  const own = createRng(deriveSeed(0, 'mhsds-referral', localId, referralId));
  const contacts: SourceRow[] = [];
  let contactDay = day + rng.int(0, 14);
  const contactCount = rng.int(1, 8);
  for (let k = 0; k < contactCount && contactDay <= endDay && contactDay <= deathDay; k++) {
    const attended = rng.chance(0.85);
    contacts.push({
      care_contact_id: keys.next('mhsds_care_contact'),
      referral_id: referralId,
      provider_code: provider,
      ...mhsdsSubmissionOf(contactDay),
      local_patient_id: localId,
      contact_date: isoDate(contactDay),
      attend_or_dna: attended
        ? rng.pick(catalogue.attendOrDna.attended)
        : rng.pick(catalogue.attendOrDna.notAttended),
      consultation_medium: rng.pick(catalogue.mhsds.consultationMedia),
      contact_duration_minutes: attended ? own.int(3, 18) * 5 : null,
      modified_at: ctx.modifiedAt(contactDay),
      change_version: keys.nextVersion('mhsds_care_contact'),
    });
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
    assessments.push({
      assessment_id: keys.next('mhsds_cluster_assessment'),
      referral_id: referralId,
      provider_code: provider,
      ...mhsdsSubmissionOf(assessmentDay),
      local_patient_id: localId,
      assessment_date: isoDate(assessmentDay),
      care_cluster: cluster,
      modified_at: ctx.modifiedAt(assessmentDay),
      change_version: keys.nextVersion('mhsds_cluster_assessment'),
    });
  }
  const lastActivity = Math.max(day, contactDay);
  const dischargeDay = lastActivity + rng.int(7, 90);
  const primaryReason = rng.pick(MH_PRIMARY_REASONS);
  const teamType = rng.pick(catalogue.mhsds.teamTypes);
  const rejectionDay = day + own.int(0, 14);
  const rejected = own.chance(0.08) && rejectionDay <= endDay && rejectionDay <= deathDay;
  const discharged = !rejected && dischargeDay <= endDay && dischargeDay <= deathDay;
  const lastEvent = rejected
    ? rejectionDay
    : discharged
      ? dischargeDay
      : Math.max(
          day,
          ...contacts.map((c) => dayOf(c.contact_date as string)),
          ...assessments.map((a) => dayOf(a.assessment_date as string)),
        );
  return {
    referral: {
      referral_id: referralId,
      provider_code: provider,
      ...mhsdsSubmissionOf(lastEvent),
      nhs_number: patient.nhsNumber,
      local_patient_id: localId,
      date_of_birth: ctx.dateOfBirth,
      sex: patient.sex,
      ethnic_category: patient.ethnicity,
      postcode: patient.address.postcode,
      gp_practice_code: patient.practice,
      referral_received_date: isoDate(day),
      source_of_referral: referral.sourceOfReferral,
      primary_reason_for_referral: primaryReason,
      service_team_type: teamType,
      service_discharge_date: discharged ? isoDate(dischargeDay) : null,
      referral_closure_date: discharged ? isoDate(dischargeDay) : null,
      // The closure and rejection reason code lists are not in the reference: left empty.
      referral_closure_reason: null,
      referral_rejection_date: rejected ? isoDate(rejectionDay) : null,
      referral_rejection_reason: null,
      modified_at: ctx.modifiedAt(day),
      change_version: keys.nextVersion('mhsds_referral'),
    },
    contacts: rejected ? [] : contacts,
    assessments: rejected ? [] : assessments,
    ...(rejected || !own.chance(0.15)
      ? { spells: [], wardStays: [] }
      : mhsdsAdmissionRows(own, ctx, { referralId, provider, localId, day: day + own.int(0, 21), deathDay })),
  };
}

/**
 * A mental health admission: the hospital provider spell (2–60 days; open when the discharge would
 * fall after the period's end or the patient's death) and one ward stay, or two for 30 % of spells,
 * tiling it (the first starts on admission, the next the day the previous ends, the last ends on
 * discharge or is open with the spell). Discharge to the usual place of residence (19) for 90 %,
 * else a temporary one (29); discharged on clinical advice (1) for 90 %, else self-discharge (6,
 * MHSDS only). The admission source and method are left empty: their MHSDS code lists are not in
 * the reference. Each row is submitted for the month of its last event (its end, or the last month
 * it is open in).
 */
export function mhsdsAdmissionRows(
  own: Rng,
  ctx: PatientRowContext,
  admission: { referralId: string; provider: string; localId: string; day: number; deathDay: number },
): { spells: SourceRow[]; wardStays: SourceRow[] } {
  const { keys, endDay } = ctx;
  const { referralId, provider, localId, day, deathDay } = admission;
  const lastDay = Math.min(endDay, deathDay);
  if (day > lastDay) return { spells: [], wardStays: [] };
  const dischargeDay = day + own.int(2, 60);
  const discharged = dischargeDay <= lastDay;
  const spellEnd = discharged ? dischargeDay : lastDay;
  const spellId = keys.next('mhsds_hospital_spell');
  const spell: SourceRow = {
    hospital_spell_id: spellId,
    referral_id: referralId,
    provider_code: provider,
    ...mhsdsSubmissionOf(spellEnd),
    local_patient_id: localId,
    spell_start_date: isoDate(day),
    source_of_admission: null,
    method_of_admission: null,
    estimated_discharge_date: isoDate(day + own.int(7, 45)),
    spell_discharge_date: discharged ? isoDate(dischargeDay) : null,
    discharge_destination: discharged ? (own.chance(0.9) ? '19' : '29') : null,
    discharge_method: discharged ? (own.chance(0.9) ? '1' : '6') : null,
    modified_at: ctx.modifiedAt(spellEnd),
    change_version: keys.nextVersion('mhsds_hospital_spell'),
  };
  const split = own.chance(0.3) && spellEnd - day >= 2 ? day + own.int(1, spellEnd - day - 1) : null;
  const stays: [number, number | null][] =
    split === null
      ? [[day, discharged ? dischargeDay : null]]
      : [
          [day, split],
          [split, discharged ? dischargeDay : null],
        ];
  const wardStays = stays.map(([from, to]): SourceRow => ({
    ward_stay_id: keys.next('mhsds_ward_stay'),
    hospital_spell_id: spellId,
    provider_code: provider,
    ...mhsdsSubmissionOf(to ?? spellEnd),
    local_patient_id: localId,
    ward_stay_start_date: isoDate(from),
    ward_stay_end_date: to === null ? null : isoDate(to),
    modified_at: ctx.modifiedAt(to ?? spellEnd),
    change_version: keys.nextVersion('mhsds_ward_stay'),
  }));
  return { spells: [spell], wardStays };
}
