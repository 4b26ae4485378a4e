import { prescribingItem } from '../../domain/datasets/prescribing/prescribing-item.table.js';
import type { SourceRow } from '../../domain/datasets/source-tables.js';
import { validateSnomedId } from '../../domain/nhs/snomed.js';
import { penceToGbp } from '../generation-report.js';
import type { Dispensing } from '../patient-events.js';
import type { Rng } from '../prng.js';
import { isoDate, yearMonth } from '../synthetic-calendar.js';
import type { PatientRowContext } from './row-context.js';

const syntheticDmdIds = new Map<string, string>();
/**
 * A SYNTHETIC dm+d id for a BNF presentation: a Verhoeff-valid SNOMED CT concept id in the
 * invented namespace 9999999, the same for every item of the presentation. The shipped reference
 * holds no dm+d products, so no real id is used.
 */
export function syntheticDmdId(bnfCode: string): string {
  let id = syntheticDmdIds.get(bnfCode);
  if (id !== undefined) return id;
  let h = 0;
  for (let i = 0; i < bnfCode.length; i++) h = (Math.imul(h, 31) + bnfCode.charCodeAt(i)) >>> 0;
  const item = 500_000 + (h % 400_000);
  for (let check = 0; check < 10 && id === undefined; check++) {
    const candidate = `${item}999999910${check}`;
    if (validateSnomedId(candidate, 'concept').ok) id = candidate;
  }
  id ??= '';
  syntheticDmdIds.set(bnfCode, id);
  return id;
}

/**
 * The `prescribing_item` row of one dispensed item: BNF code and description from the catalogue,
 * quantity and NIC from the dispensing event, actual cost (a synthetic 0.93 × NIC + 10p) in pounds,
 * and the processing month of the dispensing day, in the current (SNOMED-era) layout: the chemical
 * substance code (characters 1-9 of the BNF code), a synthetic dm+d id ({@link syntheticDmdId}) and
 * TOTAL_QUANTITY = QUANTITY × ITEMS. The chemical substance name and ADQ usage are left empty (the
 * catalogue and reference hold neither). No draws are added.
 */
export function prescribingItemRow(rng: Rng, ctx: PatientRowContext, item: Dispensing): SourceRow {
  const { patient, keys } = ctx;
  const { day, presentation, nicPence } = item;
  const row: SourceRow = {
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
    bnf_chemical_substance_code: presentation.code.slice(0, 9),
    bnf_chemical_substance: null,
    snomed_code: syntheticDmdId(presentation.code),
    total_quantity: `${item.quantity}.000`,
    adq_usage: null,
  };
  // In the declaration's column order.
  return Object.fromEntries(prescribingItem.columns.map((c) => [c.name, row[c.name] ?? null]));
}
