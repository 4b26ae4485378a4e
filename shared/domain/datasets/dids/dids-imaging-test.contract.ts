import { z } from 'zod';
import { VALID, invalid } from '../../nhs/value-check.js';
import type { TableRules } from '../contract-engine.js';
import {
  codeList,
  knownImagingCode,
  knownOrganisation,
  notBefore,
  notFuture,
  ods,
  pattern,
  personRules,
  siteOfProvider,
  snomedConcept,
} from '../contract-rules.js';
import { auditColumns, personColumns, wire } from '../wire-schema.js';

/** DIDS imaging test (`dids_imaging_test`) in wire form: one row per examination. */
export const didsImagingTestSchema = z.object({
  imaging_test_id: wire.varchar(20),
  provider_code: wire.varchar(5),
  site_code: wire.varchar(5).nullable(),
  ...personColumns,
  patient_source_setting: wire.varchar(2).nullable(),
  referrer_code: wire.varchar(8).nullable(),
  referring_org_code: wire.varchar(6).nullable(),
  request_date: wire.date().nullable(),
  request_received_date: wire.date().nullable(),
  test_date: wire.date(),
  report_issue_date: wire.date().nullable(),
  nicip_code: wire.varchar(10).nullable(),
  snomed_code: wire.varchar(18).nullable(),
  modality: wire.char(1).nullable(),
  ...auditColumns,
});
export type DidsImagingTest = z.infer<typeof didsImagingTestSchema>;

const person = personRules('test_date');

const noProcedureCode = invalid(
  'MISSING_PROCEDURE_CODE',
  'and snomed code are both missing (DIDS needs at least one)',
);
const modalityMismatch = invalid('NICIP_MISMATCH', 'is not the first letter of the NICIP code');

/** Field and row rules for DIDS imaging tests (see docs/datasets/dids.md). */
export const didsImagingTestRules: TableRules = {
  table: 'dids_imaging_test',
  prefix: 'DIDS',
  datasetName: 'DIDS',
  fields: {
    provider_code: [ods('trust'), knownOrganisation],
    site_code: [ods('site')],
    ...person.fields,
    patient_source_setting: [codeList('dids_patient_source_setting')],
    referrer_code: [pattern(/^[A-Z0-9]{1,8}$/, 'is not 1-8 upper-case letters or digits')],
    referring_org_code: [
      pattern(/^[A-Z0-9]{3,6}$/, 'is not an ODS code of 3-6 upper-case letters or digits'),
    ],
    request_date: [notFuture],
    request_received_date: [notFuture],
    test_date: [notFuture],
    report_issue_date: [notFuture],
    nicip_code: [
      pattern(/^[A-Z][A-Z0-9]{3,9}$/, 'is not a NICIP code (4-10 upper-case letters or digits)'),
      knownImagingCode,
    ],
    snomed_code: [snomedConcept],
    modality: [codeList('imaging_modality')],
  },
  rows: [
    ...person.rows,
    siteOfProvider('site_code', 'provider_code'),
    notBefore('request_received_date', 'request_date', 'BEFORE_REQUEST', 'is before the request date'),
    notBefore('test_date', 'request_date', 'BEFORE_REQUEST', 'is before the request date'),
    notBefore(
      'test_date',
      'request_received_date',
      'BEFORE_REQUEST_RECEIVED',
      'is before the request received date',
    ),
    notBefore('report_issue_date', 'test_date', 'BEFORE_TEST', 'is before the test date'),
    {
      field: 'nicip_code',
      rule: 'MISSING_PROCEDURE_CODE',
      fields: [],
      check: (row) => (row.nicip_code === null && row.snomed_code === null ? noProcedureCode : VALID),
    },
    {
      field: 'modality',
      rule: 'NICIP_MISMATCH',
      fields: ['modality', 'nicip_code'],
      check: (row) =>
        (row.nicip_code as string).startsWith(row.modality as string) ? VALID : modalityMismatch,
    },
  ],
};
