import { VALID, invalid } from '../../nhs/value-check.js';
import { bnfCode, decimalSign, minInt, notFuture, ods, pattern, snomedConcept } from '../contract-rules.js';
import { col, nhsName, systemColumns, type TableDeclaration } from '../declaration.js';
import {
  bornBeforeActivity,
  dateOfBirthColumn,
  nhsNumberColumn,
  postcodeColumn,
  sexColumn,
} from '../person-columns.js';
import { wireSchemaOf, type WireRow } from '../wire-schema.js';
import type { RowRule } from '../contract-engine.js';
import { bnfCodeValidInMonth, thousandths } from './bnf-lookup.js';

/** A column of the English Prescribing Dataset file (REFERENCE.md §7.1, codes/epd_columns.csv). */
const EPD = (name: string) => nhsName(name, 'EPD');
/** A column of the current layout, "EPD with SNOMED Code" (YEAR_MONTH 202503 on, REFERENCE.md §7.1). */
const EPD_SNOMED = (name: string) => nhsName(name, 'EPD with SNOMED Code (from 202503)');

const processingBeforeDispensing = invalid(
  'BEFORE_DISPENSING',
  'is earlier than the month of the dispensing date',
);

const notTotal = invalid('NOT_QUANTITY_TIMES_ITEMS', 'is not quantity times items');
/** `TOTAL_QUANTITY.NOT_QUANTITY_TIMES_ITEMS`: TOTAL_QUANTITY = QUANTITY × ITEMS (REFERENCE.md §7.1, §10.2). */
const totalQuantityIsQuantityTimesItems: RowRule = {
  field: 'total_quantity',
  rule: 'NOT_QUANTITY_TIMES_ITEMS',
  fields: ['total_quantity', 'quantity', 'items'],
  check: (row) =>
    thousandths(row.total_quantity as string) === thousandths(row.quantity as string) * (row.items as number)
      ? VALID
      : notTotal,
};

const notPrefix = invalid('NOT_BNF_PREFIX', 'is not characters 1-9 of the BNF code');
/** `BNF_CHEMICAL_SUBSTANCE_CODE.NOT_BNF_PREFIX`: the chemical code is characters 1-9 of the BNF code (§7.2). */
const chemicalCodeIsBnfPrefix: RowRule = {
  field: 'bnf_chemical_substance_code',
  rule: 'NOT_BNF_PREFIX',
  fields: ['bnf_chemical_substance_code', 'bnf_code'],
  check: (row) =>
    (row.bnf_code as string).startsWith(row.bnf_chemical_substance_code as string) ? VALID : notPrefix,
};

const notInMonth = invalid(
  'NOT_IN_PRESCRIBING_MONTH',
  'is a BNF code of the reference that is not valid in the processing month',
);
/**
 * `BNF_CODE.NOT_IN_PRESCRIBING_MONTH`: a BNF code the reference knows must be valid in the
 * processing month (effective-dated lookup, {@link bnfCodeValidInMonth}); a code the reference
 * does not hold is not judged (the shipped BNF file is a sample).
 */
const bnfCodeInPrescribingMonth: RowRule = {
  field: 'bnf_code',
  rule: 'NOT_IN_PRESCRIBING_MONTH',
  fields: ['bnf_code', 'processing_month'],
  check: (row, ctx) =>
    bnfCodeValidInMonth(ctx.reference, row.bnf_code as string, row.processing_month as string) === false
      ? notInMonth
      : VALID,
};

/**
 * Patient-level prescribing (`prescribing_item`): one row per dispensed item (NHSBSA).
 * `processing_month` is 'YYYYMM'; quantity, NIC and actual cost are decimal strings.
 */
export const prescribingItem: TableDeclaration = {
  table: 'prescribing_item',
  dataset: 'prescribing',
  description: 'Patient-level prescribing: one row per dispensed item (NHSBSA)',
  key: ['item_id'],
  changeVersionColumn: 'change_version',
  providerColumn: 'prescribing_practice_code',
  activityDateColumn: 'dispensing_date',
  columns: [
    col.varchar('item_id', 20, 'The dispensed item record identifier'),
    nhsNumberColumn(),
    dateOfBirthColumn(),
    sexColumn(),
    postcodeColumn(),
    col.varchar('prescribing_practice_code', 6, 'ODS code of the prescribing cost centre (GP practice)', {
      nhs: EPD('PRACTICE_CODE'),
      rules: [ods('gp_practice')],
      dq: { index: true },
    }),
    col.varchar('prescriber_code', 8, 'Code of the prescriber', {
      nullable: true,
      rules: [pattern(/^[A-Z0-9]{1,8}$/, 'is not 1-8 upper-case letters or digits')],
    }),
    col.date('dispensing_date', 'Date the item was dispensed', { rules: [notFuture] }),
    col.char('processing_month', 6, "Month of the dispensing claim, 'YYYYMM'", {
      nhs: EPD('YEAR_MONTH'),
      rules: [pattern(/^[0-9]{4}(0[1-9]|1[0-2])$/, "is not a month 'YYYYMM'")],
    }),
    col.varchar('bnf_code', 15, '15-character BNF presentation code (legacy layout: BNF_CODE)', {
      nhs: EPD_SNOMED('BNF_PRESENTATION_CODE'),
      rules: [bnfCode],
      dq: { index: true },
    }),
    col.varchar('bnf_description', 200, 'BNF presentation name (legacy layout: BNF_DESCRIPTION)', {
      nullable: true,
      nhs: EPD_SNOMED('BNF_PRESENTATION_NAME'),
    }),
    col.char(
      'bnf_chemical_substance_code',
      9,
      'BNF chemical substance code, characters 1-9 of the BNF code (legacy layout: BNF_CHEMICAL_SUBSTANCE)',
      {
        nullable: true,
        nhs: EPD_SNOMED('BNF_CHEMICAL_SUBSTANCE_CODE'),
        rules: [pattern(/^[0-9]{7}[0-9A-Z]{2}$/, 'is not a 9-character BNF chemical substance code')],
      },
    ),
    col.varchar(
      'bnf_chemical_substance',
      200,
      'BNF chemical substance name (legacy layout: CHEMICAL_SUBSTANCE_BNF_DESCR)',
      { nullable: true, nhs: EPD_SNOMED('BNF_CHEMICAL_SUBSTANCE') },
    ),
    col.varchar(
      'snomed_code',
      18,
      'The dm+d product (VMP or AMP) as its SNOMED CT id; not in the legacy layout',
      {
        nullable: true,
        nhs: EPD_SNOMED('SNOMED_CODE'),
        rules: [snomedConcept],
        dq: { index: true },
      },
    ),
    col.decimal('quantity', 12, 3, 'Quantity per item (tablets, millilitres, …)', {
      nhs: EPD('QUANTITY'),
      rules: [decimalSign('positive')],
    }),
    col.int('items', 'Number of prescription items (times the product appears on forms)', {
      nhs: EPD('ITEMS'),
      rules: [minInt(1)],
    }),
    col.decimal('total_quantity', 14, 3, 'Quantity times items', {
      nullable: true,
      nhs: EPD('TOTAL_QUANTITY'),
      rules: [decimalSign('positive')],
    }),
    col.decimal('adq_usage', 14, 3, 'Usage expressed in Average Daily Quantities', {
      nullable: true,
      nhs: EPD('ADQUSAGE'),
      rules: [decimalSign('non_negative')],
    }),
    col.decimal('nic_gbp', 12, 2, 'Net ingredient cost in GBP', {
      nhs: EPD('NIC'),
      rules: [decimalSign('non_negative')],
    }),
    col.decimal('actual_cost_gbp', 12, 2, 'Actual cost in GBP (NIC less discount plus fees, approximately)', {
      nullable: true,
      nhs: EPD('ACTUAL_COST'),
      rules: [decimalSign('non_negative')],
    }),
    ...systemColumns,
  ],
  rowRules: [
    {
      field: 'processing_month',
      rule: 'BEFORE_DISPENSING',
      fields: ['processing_month', 'dispensing_date'],
      check: (row) => {
        const month = row.processing_month as string;
        const dispensed = (row.dispensing_date as string).slice(0, 7).replace('-', '');
        return month < dispensed ? processingBeforeDispensing : VALID;
      },
    },
    bornBeforeActivity('dispensing_date'),
    totalQuantityIsQuantityTimesItems,
    chemicalCodeIsBnfPrefix,
    bnfCodeInPrescribingMonth,
  ],
  notes: [
    "One row per dispensed item. `processing_month` is `'YYYYMM'`; quantity, NIC and actual cost are decimal strings. The EPD names are the columns of the published (practice-level) file; the patient-level columns have no EPD name.",
    'Within-row rules: `PROCESSING_MONTH.BEFORE_DISPENSING` (processed before the month it was dispensed); `DATE_OF_BIRTH.AFTER_ACTIVITY_DATE`; `TOTAL_QUANTITY.NOT_QUANTITY_TIMES_ITEMS` (TOTAL_QUANTITY = QUANTITY × ITEMS, compared to the thousandth); `BNF_CHEMICAL_SUBSTANCE_CODE.NOT_BNF_PREFIX` (characters 1-9 of the BNF code). The BNF code is checked for structure (15 characters, chapter 01-15 or 18-23), not for membership of the reference (the shipped BNF files are samples).',
    '**Effective-dated BNF.** `BNF_CODE.NOT_IN_PRESCRIBING_MONTH` rejects a BNF code the reference holds (an imported NHSBSA BNF code file, else `reference/bnf-presentations.csv`) when none of its versions is in force in any day of the processing month (`bnfCodeValidInMonth`, `shared/domain/datasets/prescribing/bnf-lookup.ts`); a code the reference does not hold is not judged.',
    '**Layouts.** The columns follow the current layout, "EPD with SNOMED Code" (YEAR_MONTH 202503 on: `BNF_PRESENTATION_CODE`, `BNF_PRESENTATION_NAME`, `BNF_CHEMICAL_SUBSTANCE_CODE`, `BNF_CHEMICAL_SUBSTANCE` as the **name**, `SNOMED_CODE`, `TOTAL_QUANTITY`, `ADQUSAGE`, `ACTUAL_COST`). A landing CSV may name these columns by their EPD names in either layout: `epdLayoutColumns` (`shared/domain/datasets/prescribing/epd-layouts.ts`) reads the header, tells the layouts apart (a SNOMED-era column present, else `BNF_CODE`) and maps each EPD name to its column; in the legacy layout (≤ 202502) `BNF_CHEMICAL_SUBSTANCE` is the 9-character **code** and goes to `bnf_chemical_substance_code`, `CHEMICAL_SUBSTANCE_BNF_DESCR` to the name, `BNF_CODE`/`BNF_DESCRIPTION` to `bnf_code`/`bnf_description`; legacy files have no `snomed_code`. The patient-level columns (item, patient, prescriber, dispensing date) have no EPD name and keep theirs. `adq_usage` is left empty by the generator (the reference holds no ADQ values).',
  ],
};

/** The wire-form zod schema of a `prescribing_item` row, generated from the declaration. */
export const prescribingItemSchema = wireSchemaOf(prescribingItem);
export type PrescribingItem = WireRow;
