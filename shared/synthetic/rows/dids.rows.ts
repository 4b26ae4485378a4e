import { didsImagingTest } from '../../domain/datasets/dids/dids-imaging-test.table.js';
import type { SourceRow } from '../../domain/datasets/source-tables.js';
import type { ImagingTest } from '../patient-events.js';
import { createRng, deriveSeed, type Rng } from '../prng.js';
import { isoDate } from '../synthetic-calendar.js';
import type { PatientRowContext } from './row-context.js';

/** NHS Number Status Indicator: mostly 01 (present and verified), sometimes 02/03 (meanings unverified). */
const NHS_NUMBER_STATUS_OTHER = ['02', '03'];

/**
 * The `dids_imaging_test` row of one imaging test: the examination (NICIP, SNOMED CT, modality)
 * drawn from the catalogue's weights, the referrer, and request, test and report dates (no report
 * date after the period). Draws from `rng` in column order as before the NHS Number Status,
 * accession number and derived modality were added; the first two come from the test's own stream
 * (seeded by its key), and the derived modality is the catalogue's reference mapping of the code.
 */
export function didsImagingTestRow(rng: Rng, ctx: PatientRowContext, test: ImagingTest): SourceRow {
  const { patient, keys, endDay } = ctx;
  const { provider, testDay, requestDay } = test;
  const exam = rng.weighted(ctx.catalogue.imaging, (x) => x.weight);
  const reportDay = testDay + rng.int(0, 3);
  const fromGp = test.patientSourceSetting === '04';
  const imagingTestId = keys.next('dids_imaging_test');
  const row: SourceRow = {
    imaging_test_id: imagingTestId,
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
  const own = createRng(deriveSeed(0, 'dids_imaging_test', 'detail', imagingTestId, patient.nhsNumber));
  const built: SourceRow = {
    ...row,
    nhs_number_status: own.chance(0.97) ? '01' : own.pick(NHS_NUMBER_STATUS_OTHER),
    accession_number: `RA${String(own.int(100_000_000, 999_999_999))}`,
    derived_modality: exam.modality,
  };
  // In the declaration's column order.
  return Object.fromEntries(didsImagingTest.columns.map((c) => [c.name, built[c.name] ?? null]));
}

/** A synthetic consultant code: `C` and 7 digits. */
function consultantCode(rng: Rng): string {
  return `C${String(rng.int(1_000_000, 9_999_999))}`;
}
