import { VALID, invalid } from '../../nhs/value-check.js';
import { bnfCode, decimalSign, minInt, notFuture, ods, pattern } from '../contract-rules.js';
import { col, nhsName, systemColumns, type TableDeclaration } from '../declaration.js';
import {
  bornBeforeActivity,
  dateOfBirthColumn,
  nhsNumberColumn,
  postcodeColumn,
  sexColumn,
} from '../person-columns.js';
import { wireSchemaOf, type WireRow } from '../wire-schema.js';

/** A column of the English Prescribing Dataset file (REFERENCE.md §7.1, codes/epd_columns.csv). */
const EPD = (name: string) => nhsName(name, 'EPD');

const processingBeforeDispensing = invalid(
  'BEFORE_DISPENSING',
  'is earlier than the month of the dispensing date',
);

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
    col.varchar('bnf_code', 15, '15-character BNF presentation code', {
      nhs: EPD('BNF_CODE'),
      rules: [bnfCode],
      dq: { index: true },
    }),
    col.varchar('bnf_description', 200, 'BNF presentation name', {
      nullable: true,
      nhs: EPD('BNF_DESCRIPTION'),
    }),
    col.decimal('quantity', 12, 3, 'Quantity per item (tablets, millilitres, …)', {
      nhs: EPD('QUANTITY'),
      rules: [decimalSign('positive')],
    }),
    col.int('items', 'Number of prescription items (times the product appears on forms)', {
      nhs: EPD('ITEMS'),
      rules: [minInt(1)],
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
  ],
  notes: [
    "One row per dispensed item. `processing_month` is `'YYYYMM'`; quantity, NIC and actual cost are decimal strings. The EPD names are the columns of the published (practice-level) file; the patient-level columns have no EPD name.",
    "Within-row rules: `PROCESSING_MONTH.BEFORE_DISPENSING` (processed before the month it was dispensed); `DATE_OF_BIRTH.AFTER_ACTIVITY_DATE`. The BNF code is checked for structure (15 characters, chapter 01-15 or 18-23), not for membership of `reference/bnf-presentations.csv`, which is only the generator's formulary.",
  ],
};

/** The wire-form zod schema of a `prescribing_item` row, generated from the declaration. */
export const prescribingItemSchema = wireSchemaOf(prescribingItem);
export type PrescribingItem = WireRow;
