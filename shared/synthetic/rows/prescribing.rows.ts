import type { SourceRow } from '../../domain/datasets/source-tables.js';
import { penceToGbp } from '../generation-report.js';
import type { Dispensing } from '../patient-events.js';
import type { Rng } from '../prng.js';
import { isoDate, yearMonth } from '../synthetic-calendar.js';
import type { PatientRowContext } from './row-context.js';

/**
 * The `prescribing_item` row of one dispensed item: BNF code and description from the catalogue,
 * quantity and NIC from the dispensing event, actual cost (a synthetic 0.93 × NIC + 10p) in pounds,
 * and the processing month of the dispensing day.
 */
export function prescribingItemRow(rng: Rng, ctx: PatientRowContext, item: Dispensing): SourceRow {
  const { patient, keys } = ctx;
  const { day, presentation, nicPence } = item;
  return {
    item_id: keys.next('prescribing_item'),
    nhs_number: patient.nhsNumber,
    date_of_birth: ctx.dateOfBirth,
    sex: patient.sex,
    postcode: patient.address.postcode,
    prescribing_practice_code: patient.practice,
    prescriber_code: `G${String(rng.int(1_000_000, 9_999_999))}`,
    dispensing_date: isoDate(day),
    processing_month: yearMonth(day),
    bnf_code: presentation.code,
    bnf_description: presentation.description,
    quantity: `${item.quantity}.000`,
    items: 1,
    nic_gbp: penceToGbp(nicPence),
    actual_cost_gbp: penceToGbp(Math.round(nicPence * 0.93) + 10),
    modified_at: ctx.modifiedAt(day),
    change_version: keys.nextVersion('prescribing_item'),
  };
}
