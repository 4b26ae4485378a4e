import { z } from 'zod';
import { VALID, invalid } from '../../nhs/value-check.js';
import type { TableRules } from '../contract-engine.js';
import {
  bnfCode,
  codeList,
  decimalSign,
  minInt,
  notFuture,
  nhsNumber,
  ods,
  pattern,
  postcode,
} from '../contract-rules.js';
import { auditColumns, wire } from '../wire-schema.js';

/**
 * Patient-level prescribing (`prescribing_item`) in wire form: one row per dispensed item
 * (NHSBSA). `processing_month` is 'YYYYMM'; quantity, NIC and actual cost are decimal strings.
 */
export const prescribingItemSchema = z.object({
  item_id: wire.varchar(20),
  nhs_number: wire.varchar(10).nullable(),
  date_of_birth: wire.date().nullable(),
  sex: wire.char(1).nullable(),
  postcode: wire.varchar(8).nullable(),
  prescribing_practice_code: wire.varchar(6),
  prescriber_code: wire.varchar(8).nullable(),
  dispensing_date: wire.date(),
  processing_month: wire.char(6),
  bnf_code: wire.varchar(15),
  bnf_description: wire.varchar(200).nullable(),
  quantity: wire.decimal(12, 3),
  items: wire.int(),
  nic_gbp: wire.decimal(12, 2),
  actual_cost_gbp: wire.decimal(12, 2).nullable(),
  ...auditColumns,
});
export type PrescribingItem = z.infer<typeof prescribingItemSchema>;

const processingBeforeDispensing = invalid(
  'BEFORE_DISPENSING',
  'is earlier than the month of the dispensing date',
);
const dobAfterDispensing = invalid('AFTER_ACTIVITY_DATE', 'is after the dispensing date');

/** Field and row rules for prescribing items (see docs/datasets/prescribing.md). */
export const prescribingItemRules: TableRules = {
  table: 'prescribing_item',
  prefix: 'PRESCRIBING',
  datasetName: 'Patient-level prescribing',
  fields: {
    nhs_number: [nhsNumber],
    date_of_birth: [notFuture],
    sex: [codeList('sex')],
    postcode: [postcode],
    prescribing_practice_code: [ods('gp_practice')],
    prescriber_code: [pattern(/^[A-Z0-9]{1,8}$/, 'is not 1-8 upper-case letters or digits')],
    dispensing_date: [notFuture],
    processing_month: [pattern(/^[0-9]{4}(0[1-9]|1[0-2])$/, "is not a month 'YYYYMM'")],
    bnf_code: [bnfCode],
    quantity: [decimalSign('positive')],
    items: [minInt(1)],
    nic_gbp: [decimalSign('non_negative')],
    actual_cost_gbp: [decimalSign('non_negative')],
  },
  rows: [
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
    {
      field: 'date_of_birth',
      rule: 'AFTER_ACTIVITY_DATE',
      fields: ['date_of_birth', 'dispensing_date'],
      check: (row) =>
        (row.date_of_birth as string) > (row.dispensing_date as string) ? dobAfterDispensing : VALID,
    },
  ],
};
