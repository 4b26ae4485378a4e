import type { SourceRow } from '../../domain/datasets/source-tables.js';
import { MH_PRIMARY_REASONS } from '../clinical-scenarios.js';
import type { ServiceReferral } from '../patient-events.js';
import type { Rng } from '../prng.js';
import { isoDate } from '../synthetic-calendar.js';
import { ageOn } from '../synthetic-patient.js';
import type { PatientRowContext } from './row-context.js';

/** The MHSDS rows of one referral: the referral, its care contacts and its cluster assessment. */
export interface MhsdsReferralRows {
  readonly referral: SourceRow;
  readonly contacts: SourceRow[];
  readonly assessments: SourceRow[];
}

/**
 * The MHSDS rows of one referral to the patient's mental health trust: 1–8 care contacts from
 * the referral day on (5–14 days apart), a care cluster assessment for 70 % of referrals
 * (clusters 18+ more often from age 70), and a service discharge 7–90 days after the last activity
 * when it falls in the period. Nothing after the period's end or the patient's death.
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
  const contacts: SourceRow[] = [];
  let contactDay = day + rng.int(0, 14);
  const contactCount = rng.int(1, 8);
  for (let k = 0; k < contactCount && contactDay <= endDay && contactDay <= deathDay; k++) {
    contacts.push({
      care_contact_id: keys.next('mhsds_care_contact'),
      referral_id: referralId,
      provider_code: provider,
      local_patient_id: localId,
      contact_date: isoDate(contactDay),
      attend_or_dna: rng.chance(0.85)
        ? rng.pick(catalogue.attendOrDna.attended)
        : rng.pick(catalogue.attendOrDna.notAttended),
      consultation_medium: rng.pick(catalogue.mhsds.consultationMedia),
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
      local_patient_id: localId,
      assessment_date: isoDate(assessmentDay),
      care_cluster: cluster,
      modified_at: ctx.modifiedAt(assessmentDay),
      change_version: keys.nextVersion('mhsds_cluster_assessment'),
    });
  }
  const lastActivity = Math.max(day, contactDay);
  const dischargeDay = lastActivity + rng.int(7, 90);
  return {
    referral: {
      referral_id: referralId,
      provider_code: provider,
      nhs_number: patient.nhsNumber,
      local_patient_id: localId,
      date_of_birth: ctx.dateOfBirth,
      sex: patient.sex,
      ethnic_category: patient.ethnicity,
      postcode: patient.address.postcode,
      gp_practice_code: patient.practice,
      referral_received_date: isoDate(day),
      source_of_referral: referral.sourceOfReferral,
      primary_reason_for_referral: rng.pick(MH_PRIMARY_REASONS),
      service_team_type: rng.pick(catalogue.mhsds.teamTypes),
      service_discharge_date:
        dischargeDay <= endDay && dischargeDay <= deathDay ? isoDate(dischargeDay) : null,
      modified_at: ctx.modifiedAt(day),
      change_version: keys.nextVersion('mhsds_referral'),
    },
    contacts,
    assessments,
  };
}
