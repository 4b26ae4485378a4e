import { VALID, invalid } from '../../nhs/value-check.js';
import {
  codeList,
  knownOrganisation,
  notBefore,
  notFuture,
  ods,
  pattern,
  siteOfProvider,
  snomedConcept,
} from '../contract-rules.js';
import { col, nhsName, systemColumns, type TableDeclaration } from '../declaration.js';
import { bornBeforeActivity, personColumns } from '../person-columns.js';
import { wireSchemaOf, type WireRow } from '../wire-schema.js';
import {
  derivedModality,
  nicipValidOnTestDate,
  snomedImagingValidOnTestDate,
} from './imaging-code-validity.js';

/** A DIDS v1 XML schema field name (REFERENCE.md §6, V). */
const DIDS = (name: string) => nhsName(name, 'DIDS v1 schema');

const noProcedureCode = invalid(
  'MISSING_PROCEDURE_CODE',
  'and snomed code are both missing (DIDS needs at least one)',
);
const modalityMismatch = invalid(
  'NICIP_MISMATCH',
  'is not the modality the reference maps the examination code to',
);
const notDerived = invalid(
  'NOT_DERIVED',
  'is not the modality derived from the examination code through the reference mapping',
);

const optionalDate = (name: string, description: string, nhs: ReturnType<typeof nhsName>) =>
  col.date(name, description, { nullable: true, nhs, rules: [notFuture] });

/** DIDS imaging test (`dids_imaging_test`): one row per examination. */
export const didsImagingTest: TableDeclaration = {
  table: 'dids_imaging_test',
  dataset: 'dids',
  description: 'DIDS: one row per diagnostic imaging test',
  key: ['imaging_test_id'],
  changeVersionColumn: 'change_version',
  providerColumn: 'provider_code',
  activityDateColumn: 'test_date',
  columns: [
    col.varchar('imaging_test_id', 20, 'The imaging test (examination) record identifier'),
    col.varchar('provider_code', 5, 'ODS code of the provider (trust)', {
      rules: [ods('trust'), knownOrganisation],
    }),
    col.varchar('site_code', 5, 'ODS code of the imaging site', {
      nullable: true,
      nhs: DIDS('ImagingSiteCode'),
      rules: [ods('site')],
      dq: { index: true },
    }),
    ...personColumns({
      names: {
        nhs_number: DIDS('NHSNumber'),
        date_of_birth: DIDS('PersonBirthDate'),
        sex: DIDS('PersonGenderCode'),
        gp_practice_code: DIDS('GPCodeRegistration'),
      },
    }),
    col.char(
      'nhs_number_status',
      2,
      'NHS Number Status Indicator (01 present and verified; DIDS allows 01-05)',
      {
        nullable: true,
        nhs: DIDS('NHSNumberStatus'),
        rules: [
          pattern(/^0[1-5]$/, 'is not an NHS Number Status Indicator DIDS allows (01-05)', 'CODE_LIST'),
        ],
      },
    ),
    col.varchar('patient_source_setting', 2, 'Setting the patient was referred from (01-07)', {
      nullable: true,
      nhs: DIDS('PatientSourceSetting'),
      rules: [codeList('dids_patient_source_setting')],
      dq: { index: true },
    }),
    col.varchar('referrer_code', 8, 'Code of the referring care professional', {
      nullable: true,
      nhs: DIDS('ReferrerCode'),
      rules: [pattern(/^[A-Z0-9]{1,8}$/, 'is not 1-8 upper-case letters or digits')],
      dq: { index: true },
    }),
    col.varchar('referring_org_code', 6, 'ODS code of the referring organisation', {
      nullable: true,
      nhs: DIDS('ReferringOrgCode'),
      rules: [pattern(/^[A-Z0-9]{3,6}$/, 'is not an ODS code of 3-6 upper-case letters or digits')],
    }),
    optionalDate('request_date', 'Date the test was requested', DIDS('DiagnosticTestReqDate')),
    optionalDate('request_received_date', 'Date the request was received', DIDS('DiagnosticTestReqRecDate')),
    col.date('test_date', 'Date of the test', { nhs: DIDS('DiagnosticTestDate'), rules: [notFuture] }),
    optionalDate('report_issue_date', 'Date the report was issued', DIDS('ServiceReportIssueDate')),
    col.varchar('nicip_code', 10, 'The examination as a NICIP code', {
      nullable: true,
      nhs: DIDS('ImagingCodeNICIP'),
      rules: [
        pattern(/^[A-Z][A-Z0-9]{3,9}$/, 'is not a NICIP code (4-10 upper-case letters or digits)'),
        nicipValidOnTestDate,
      ],
      dq: { index: true },
    }),
    col.varchar('snomed_code', 18, 'The examination as a SNOMED CT procedure', {
      nullable: true,
      nhs: DIDS('ImagingCodeSNOMEDCT'),
      rules: [snomedConcept, snomedImagingValidOnTestDate],
      dq: { index: true },
    }),
    col.varchar(
      'accession_number',
      20,
      "The RIS accession number of the examination (a provider's local key)",
      {
        nullable: true,
        identifier: 'local_id',
        nhs: DIDS('RadiologicalAccessionNumber'),
      },
    ),
    col.char('modality', 1, 'Imaging modality as supplied (not used: see derived_modality)', {
      nullable: true,
      rules: [codeList('imaging_modality')],
    }),
    col.char(
      'derived_modality',
      1,
      'Derived: the modality the reference maps the NICIP (else SNOMED CT) code to',
      {
        nullable: true,
        rules: [codeList('imaging_modality')],
        dq: { index: true },
      },
    ),
    ...systemColumns,
  ],
  rowRules: [
    bornBeforeActivity('test_date'),
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
      fields: ['modality'],
      check: (row, ctx) => {
        const derived = derivedModality(
          ctx.reference,
          row.nicip_code as string | null,
          row.snomed_code as string | null,
        );
        return derived === null || derived === row.modality ? VALID : modalityMismatch;
      },
    },
    {
      field: 'derived_modality',
      rule: 'NOT_DERIVED',
      fields: ['derived_modality'],
      check: (row, ctx) =>
        (row.derived_modality ?? null) ===
        derivedModality(ctx.reference, row.nicip_code as string | null, row.snomed_code as string | null)
          ? VALID
          : notDerived,
    },
  ],
  notes: [
    'One row per examination. Within-row rules: request ≤ request received ≤ test ≤ report (`REQUEST_RECEIVED_DATE.BEFORE_REQUEST`, `TEST_DATE.BEFORE_REQUEST`, `TEST_DATE.BEFORE_REQUEST_RECEIVED`, `REPORT_ISSUE_DATE.BEFORE_TEST`); `NICIP_CODE.MISSING_PROCEDURE_CODE` when neither NICIP nor SNOMED code is given; `DATE_OF_BIRTH.AFTER_ACTIVITY_DATE` (after the test date); `SITE_CODE.NOT_PROVIDER_SITE`. NICIP codes must be in `reference/imaging-codes.csv` (NICIP-style, synthetic).',
    "**Code validity (183 days).** A NICIP code is valid if it is active in the reference on the test date or was inactivated no more than 183 days before it (REFERENCE.md §6, DIDS v2.0); a SNOMED CT procedure mapped in the reference follows the same window. The reference file's `effective_to` is read as the inactivation date: a test 182 or 183 days after it passes, 184 days after fails `NICIP_CODE.RETIRED` / `SNOMED_CODE.RETIRED`; a test before the code's first release fails `NOT_YET_ACTIVE`. `imagingCodeValidity` (`shared/domain/datasets/dids/imaging-code-validity.ts`) holds the rule. Whether the national rule counts from the last active or the first inactive day is not in the reference (unverified).",
    "**Source and derived columns.** Every column comes from the DIDS submission except `derived_modality`, which is **derived** from the NICIP code (else the SNOMED CT code) through the reference mapping by `derivedModality` (REFERENCE.md §6: modality is derived after collection, V). The supplied `modality` is not used: one that disagrees with the mapping is a data-quality warning (`MODALITY.NICIP_MISMATCH`), and a supplied `derived_modality` that is not the mapping's warns `DERIVED_MODALITY.NOT_DERIVED` (null means not supplied: a DIDS submission does not carry it).",
    "**Identifiers.** `accession_number` (`RadiologicalAccessionNumber`) is the RIS's key of one patient's examination: anyone with the provider's RIS or PACS can look the patient up by it, so it is flagged `local_id` and never reaches silver. `nhs_number_status` (`NHSNumberStatus`, 01-05 in the DIDS schema; the meanings beyond 01 = verified are unverified) feeds the NHS Number Status data-quality item (`DIDS.NHS_NUMBER_STATUS.NOT_VERIFIED`, never a rejection).",
  ],
};

/** The wire-form zod schema of a `dids_imaging_test` row, generated from the declaration. */
export const didsImagingTestSchema = wireSchemaOf(didsImagingTest);
export type DidsImagingTest = WireRow;
