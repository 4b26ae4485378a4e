import type { SourceRow } from '../../domain/datasets/source-tables.js';
import type { ImagingTest } from '../patient-events.js';
import type { Rng } from '../prng.js';
import { isoDate } from '../synthetic-calendar.js';
import type { PatientRowContext } from './row-context.js';

/**
 * The `dids_imaging_test` row of one imaging test: the examination (NICIP, SNOMED CT, modality)
 * drawn from the catalogue's weights, the referrer, and request, test and report dates (no report
 * date after the period). Draws from `rng` in column order.
 */
export function didsImagingTestRow(rng: Rng, ctx: PatientRowContext, test: ImagingTest): SourceRow {
  const { patient, keys, endDay } = ctx;
  const { provider, testDay, requestDay } = test;
  const exam = rng.weighted(ctx.catalogue.imaging, (x) => x.weight);
  const reportDay = testDay + rng.int(0, 3);
  const fromGp = test.patientSourceSetting === '04';
  return {
    imaging_test_id: keys.next('dids_imaging_test'),
    provider_code: provider.code,
    site_code: provider.sites.length > 0 ? rng.pick(provider.sites) : null,
    nhs_number: patient.nhsNumber,
    local_patient_id: ctx.localPatientId(provider.code),
    date_of_birth: ctx.dateOfBirth,
    sex: patient.sex,
    postcode: patient.address.postcode,
    gp_practice_code: patient.practice,
    patient_source_setting: test.patientSourceSetting,
    referrer_code: fromGp ? `G${String(rng.int(1_000_000, 9_999_999))}` : consultantCode(rng),
    referring_org_code: fromGp ? patient.practice : provider.code,
    request_date: isoDate(requestDay),
    request_received_date: isoDate(requestDay + (fromGp ? rng.int(0, 2) : 0)),
    test_date: isoDate(testDay),
    report_issue_date: reportDay <= endDay ? isoDate(reportDay) : null,
    nicip_code: exam.nicip,
    snomed_code: exam.snomed,
    modality: exam.modality,
    modified_at: ctx.modifiedAt(testDay),
    change_version: keys.nextVersion('dids_imaging_test'),
  };
}

/** A synthetic consultant code: `C` and 7 digits. */
function consultantCode(rng: Rng): string {
  return `C${String(rng.int(1_000_000, 9_999_999))}`;
}
