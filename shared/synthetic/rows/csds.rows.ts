import { csdsCareContact } from '../../domain/datasets/csds/csds-care-contact.table.js';
import { csdsReferral } from '../../domain/datasets/csds/csds-referral.table.js';
import type { SourceRow } from '../../domain/datasets/source-tables.js';
import type { CommunityReferral } from '../patient-events.js';
import { createRng, deriveSeed, type Rng } from '../prng.js';
import { isoDate } from '../synthetic-calendar.js';
import type { PatientRowContext } from './row-context.js';

/** The CSDS rows of one referral, and its discharge day (null while open at the period end or death). */
export interface CsdsReferralRows {
  readonly referral: SourceRow;
  readonly contacts: SourceRow[];
  readonly dischargeDay: number | null;
}

/** SYNTHETIC primary reasons for referral: 2-digit codes standing in for the CSDS list, which the reference does not give. */
const PRIMARY_REASONS = ['01', '02', '03', '04', '05', '06'];

/** A row in its table's declared column order. */
const inOrder = (columns: readonly { readonly name: string }[], row: SourceRow): SourceRow =>
  Object.fromEntries(columns.map((c) => [c.name, row[c.name] ?? null]));

/**
 * The CSDS rows of one referral to the patient's community trust: a stay on the caseload of 14–90
 * days (long-term: 120–540), care contacts every 3–14 days (long-term: 7–21, at most 10 or 40)
 * until discharge, the period end or death; a discharge date only when it falls before both.
 * The primary reason for referral, the closure date (the discharge date) and each contact's
 * duration and consultation medium draw from the referral's own stream (seeded by its key), so
 * the patient stream's draws, and every other table's rows, are as before they were added.
 */
export function csdsReferralRows(
  rng: Rng,
  ctx: PatientRowContext,
  referral: CommunityReferral,
): CsdsReferralRows {
  const { patient, keys, endDay, catalogue } = ctx;
  const { day, provider, deathDay, longTerm } = referral;
  const referralId = keys.next('csds_referral');
  const own = createRng(deriveSeed(0, 'csds_referral', 'detail', referralId, patient.nhsNumber));
  const localId = ctx.localPatientId(provider);
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
    const contact: SourceRow = {
      care_contact_id: keys.next('csds_care_contact'),
      referral_id: referralId,
      provider_code: provider,
      local_patient_id: localId,
      contact_date: isoDate(d),
      activity_location_type: rng.pick(catalogue.csds.activityLocationTypes),
      attend_or_dna: rng.chance(0.9)
        ? rng.pick(catalogue.attendOrDna.attended)
        : rng.pick(catalogue.attendOrDna.notAttended),
      care_activity_type: rng.pick(catalogue.csds.careActivityTypes),
      modified_at: ctx.modifiedAt(d),
      change_version: keys.nextVersion('csds_care_contact'),
    };
    const attended = catalogue.attendOrDna.attended.includes(contact.attend_or_dna as string);
    contacts.push(
      inOrder(csdsCareContact.columns, {
        ...contact,
        contact_duration_minutes: attended ? own.int(2, 12) * 5 : null,
        consultation_medium: attended
          ? own.chance(0.8)
            ? '01'
            : own.pick(catalogue.mhsds.consultationMedia)
          : null,
      }),
    );
  }
  return {
    referral: inOrder(csdsReferral.columns, {
      referral_id: referralId,
      provider_code: provider,
      nhs_number: patient.nhsNumber,
      local_patient_id: localId,
      date_of_birth: ctx.dateOfBirth,
      sex: patient.sex,
      postcode: patient.address.postcode,
      gp_practice_code: patient.practice,
      referral_received_date: isoDate(day),
      source_of_referral: referral.sourceOfReferral,
      priority_type: rng.pick(catalogue.csds.priorityTypes),
      team_type: rng.pick(catalogue.csds.teamTypes),
      service_discharge_date: open ? null : isoDate(dischargeDay),
      modified_at: ctx.modifiedAt(day),
      change_version: keys.nextVersion('csds_referral'),
      primary_reason_for_referral: own.pick(PRIMARY_REASONS),
      referral_closure_date: open ? null : isoDate(dischargeDay),
      // The closure reason code list is not in the reference: left empty.
      referral_closure_reason: null,
    }),
    contacts,
    dischargeDay: open ? null : dischargeDay,
  };
}
