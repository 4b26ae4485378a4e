import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadReferenceData } from '../../../../shared/adapters/local/reference-data.loader.js';
import { compileContract } from '../../../../shared/domain/datasets/contract-engine.js';
import { contractFor } from '../../../../shared/domain/datasets/contracts.js';
import { dids } from '../../../../shared/domain/datasets/dids/dids.dataset.js';
import { didsImagingTest } from '../../../../shared/domain/datasets/dids/dids-imaging-test.table.js';
import {
  daysBetween,
  derivedModality,
  imagingCodeValidity,
  isImagingCodeValidOn,
  RETIRED_CODE_GRACE_DAYS,
} from '../../../../shared/domain/datasets/dids/imaging-code-validity.js';
import type { SourceRow } from '../../../../shared/domain/datasets/source-tables.js';
import { silverColumns } from '../../../../shared/domain/pseudonymise/silver-row.js';
import { parseReferenceData, type Effective } from '../../../../shared/domain/reference/reference-data.js';
import { validateBatch } from '../../../../shared/domain/validate/validate-batch.js';
import { generated } from '../../synthetic/synthetic-fixture.js';
import { CLEAN_ROWS, EXTRACT_DATE } from '../clean-rows.js';

const reference = loadReferenceData();
const clean = CLEAN_ROWS.dids_imaging_test;

/** The shipped reference plus one NICIP code inactivated on 2026-01-01 (with its mapped SNOMED CT code). */
const RETIRED_NICIP = 'XRETD';
const RETIRED_SNOMED = '3129999999101';
const withRetiredCode = (() => {
  const dir = join(process.cwd(), 'reference');
  const read = (path: string): string => {
    const text = readFileSync(join(dir, path), 'utf8');
    if (path !== 'imaging-codes.csv') return text;
    return `${text.trimEnd()}\n${RETIRED_NICIP},X-ray retired test code,X,${RETIRED_SNOMED},test fixture,2020-01-01,2026-01-01,test fixture,synthetic\n`;
  };
  return parseReferenceData(read('MANIFEST.json'), read);
})();

const code = (effectiveFrom: string, effectiveTo: string | null): Effective => ({
  effectiveFrom,
  effectiveTo,
  source: 'test',
  verified: 'synthetic',
  synthetic: true,
});

test('the validity window is 183 days: a test 182 or 183 days after inactivation is valid, 184 is not', () => {
  const retired = code('2020-01-01', '2026-01-01');
  assert.equal(RETIRED_CODE_GRACE_DAYS, 183);
  const cases: readonly [string, number, string][] = [
    ['2026-01-01', 0, 'active'],
    ['2026-01-02', 1, 'retired_within_grace'],
    ['2026-07-02', 182, 'retired_within_grace'],
    ['2026-07-03', 183, 'retired_within_grace'],
    ['2026-07-04', 184, 'retired'],
    ['2027-01-01', 365, 'retired'],
  ];
  for (const [testDate, days, expected] of cases) {
    assert.equal(daysBetween('2026-01-01', testDate), days, testDate);
    assert.equal(imagingCodeValidity(retired, testDate), expected, `${days} days after`);
    assert.equal(isImagingCodeValidOn(retired, testDate), expected !== 'retired', `${days} days after`);
  }
});

test('the window counts calendar days across a leap February and takes the date part of a timestamp', () => {
  const retired = code('2020-01-01', '2027-12-31');
  // 2028 is a leap year: 2027-12-31 + 183 days = 2028-07-01.
  assert.equal(imagingCodeValidity(retired, '2028-07-01'), 'retired_within_grace');
  assert.equal(imagingCodeValidity(retired, '2028-07-02T09:00:00+01:00'), 'retired');
});

test('an open code is active from its first release; before it, and for an unknown code, it is not valid', () => {
  const open = code('2025-04-01', null);
  assert.equal(imagingCodeValidity(open, '2025-04-01'), 'active');
  assert.equal(imagingCodeValidity(open, '2099-01-01'), 'active');
  assert.equal(imagingCodeValidity(open, '2025-03-31'), 'not_yet_active');
  assert.equal(imagingCodeValidity(undefined, '2025-04-01'), 'unknown');
  assert.equal(isImagingCodeValidOn(undefined, '2025-04-01'), false);
});

const rulesWithRetired = (patch: SourceRow): string[] => {
  const contract = compileContract(dids, didsImagingTest, withRetiredCode, { asOf: EXTRACT_DATE });
  const result = contract.check({ ...clean, ...patch });
  return result.ok ? [] : result.failures.map((f) => f.rule);
};
const onTestDate = (testDate: string): SourceRow => ({
  request_date: '2026-01-01',
  request_received_date: '2026-01-01',
  test_date: testDate,
  report_issue_date: null,
});

for (const [testDate, days, rules] of [
  ['2026-07-02', 182, []],
  ['2026-07-03', 183, []],
  ['2026-07-04', 184, ['DIDS.NICIP_CODE.RETIRED']],
] as const)
  test(`the DIDS contract ${rules.length === 0 ? 'accepts' : 'rejects'} a NICIP code inactivated ${days} days before the test`, () => {
    assert.deepEqual(
      rulesWithRetired({ ...onTestDate(testDate), nicip_code: RETIRED_NICIP, snomed_code: null }),
      rules,
    );
  });

test('a SNOMED CT procedure mapped to a retired code follows the same window; an unmapped one is not judged', () => {
  const row = (testDate: string, snomed: string): SourceRow => ({
    ...onTestDate(testDate),
    nicip_code: null,
    snomed_code: snomed,
    modality: 'X',
    derived_modality: 'X',
  });
  assert.deepEqual(rulesWithRetired(row('2026-07-03', RETIRED_SNOMED)), []);
  assert.deepEqual(rulesWithRetired(row('2026-07-04', RETIRED_SNOMED)), ['DIDS.SNOMED_CODE.RETIRED']);
  assert.deepEqual(
    rulesWithRetired({ ...row('2026-07-04', '22298006'), modality: null, derived_modality: null }),
    [],
  );
});

test('a NICIP code used before its first release fails NOT_YET_ACTIVE', () => {
  assert.deepEqual(
    rulesWithRetired({
      ...onTestDate('2019-12-31'),
      request_date: '2019-12-01',
      request_received_date: '2019-12-01',
      nicip_code: RETIRED_NICIP,
      snomed_code: null,
    }),
    ['DIDS.NICIP_CODE.NOT_YET_ACTIVE'],
  );
});

test('modality is derived from the NICIP code through the reference mapping, else from the SNOMED CT code', () => {
  for (const exam of reference.imagingCodes()) {
    assert.equal(derivedModality(reference, exam.nicip, null), exam.modality, exam.nicip);
    assert.equal(derivedModality(reference, null, exam.snomedCode), exam.modality, exam.snomedCode);
    assert.equal(derivedModality(reference, 'ZZZZZ', exam.snomedCode), exam.modality);
  }
  assert.equal(derivedModality(reference, 'ZZZZZ', null), null);
});

test('a supplied modality that disagrees with the mapping, or a wrong derived modality, is a warning: the test is accepted and both reported', async () => {
  const result = await validateBatch(
    'dids_imaging_test',
    [
      { ...clean, modality: 'U' },
      { ...clean, imaging_test_id: 'DI000000002', derived_modality: 'M' },
    ],
    { batchId: 'b', extractDate: EXTRACT_DATE, reference },
  );
  assert.equal(result.counts.accepted, 2);
  assert.equal(result.counts.quarantined, 0);
  assert.deepEqual(
    result.records.map((r) => [r.row, r.rule, r.severity]),
    [
      [1, 'DIDS.MODALITY.NICIP_MISMATCH', 'warn'],
      [2, 'DIDS.DERIVED_MODALITY.NOT_DERIVED', 'warn'],
    ],
  );
});

test('NHS Number Status is 01-05 as the DIDS schema restricts it; another status is a data-quality item, not a rejection', () => {
  const check = (status: string) => {
    const result = contractFor('dids_imaging_test', reference, { asOf: EXTRACT_DATE }).check({
      ...clean,
      nhs_number_status: status,
    });
    return result.ok ? [] : result.failures.map((f) => f.rule);
  };
  for (const status of ['01', '02', '03', '04', '05']) assert.deepEqual(check(status), [], status);
  for (const status of ['00', '06', '08', '1 '])
    assert.deepEqual(check(status), ['DIDS.NHS_NUMBER_STATUS.CODE_LIST'], status);
});

test('the accession number is a local identifier: it never reaches silver', () => {
  const column = didsImagingTest.columns.find((c) => c.name === 'accession_number');
  assert.equal(column?.identifier, 'local_id');
  assert.ok(!silverColumns('dids_imaging_test').some((c) => c.name === 'accession_number'));
  assert.ok(silverColumns('dids_imaging_test').some((c) => c.name === 'derived_modality'));
});

test('generated imaging tests carry the reference modality, an NHS Number Status of 01-05 and an accession number', () => {
  const { rows } = generated({ patients: 400, seed: 11 });
  const tests = rows.dids_imaging_test;
  assert.ok(tests.length > 20);
  const accessions = new Set<string>();
  for (const row of tests) {
    assert.equal(
      row.derived_modality,
      derivedModality(reference, row.nicip_code as string, row.snomed_code as string),
    );
    assert.match(row.nhs_number_status as string, /^0[1-5]$/);
    assert.match(row.accession_number as string, /^RA[0-9]{9}$/);
    accessions.add(row.accession_number as string);
  }
  assert.ok(accessions.size > tests.length * 0.95, 'accession numbers are (nearly) unique per examination');
  assert.ok(
    tests.some((r) => r.nhs_number_status !== '01'),
    'some statuses are not verified',
  );
});
