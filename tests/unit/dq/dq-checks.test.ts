import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  SOURCE_TABLES,
  SOURCE_TABLE_NAMES,
  type SourceRow,
  type SourceTableSpec,
} from '../../../shared/domain/datasets/source-tables.js';
import { DqAccumulator } from '../../../shared/domain/dq/dq-accumulator.js';
import { DQ_CHECKS, dqChecksOf } from '../../../shared/domain/dq/dq-checks.js';
import { nhsNumberCheckDigit } from '../../../shared/domain/nhs/nhs-number.js';
import { validateBatch } from '../../../shared/domain/validate/validate-batch.js';
import { EXTRACT_DATE, reference, row } from '../validate/validate-fixtures.js';

/** The first valid NHS number at or after a nine-digit body. */
function validFrom(body: number): string {
  for (let b = body; ; b++) {
    const first9 = String(b).padStart(9, '0');
    const check = nhsNumberCheckDigit(first9);
    if (check !== null) return `${first9}${check}`;
  }
}

const ENGLAND = validFrom(469_819_418);
const NORTHERN_IRELAND = validFrom(350_000_000);
const SCOTLAND = validFrom(101_000_000);
const UNALLOCATED = validFrom(850_000_000);
const TEST_RANGE = validFrom(999_000_001);

test('every table with an nhs_number column has the range checks, each id prefixed by its dataset', () => {
  for (const table of SOURCE_TABLE_NAMES) {
    const spec = SOURCE_TABLES[table];
    const hasNhsNumber = spec.columns.some((c) => c.name === 'nhs_number');
    const ids = DQ_CHECKS[table].filter((c) => c.field === 'nhs_number').map((c) => c.id.split('.')[1]);
    assert.deepEqual(ids.length > 0, hasNhsNumber, table);
    for (const check of DQ_CHECKS[table]) {
      assert.ok(
        spec.columns.some((c) => c.name === check.field),
        `${table}: ${check.field} is a column`,
      );
      assert.match(check.id, /^[A-Z]+\.[A-Z_]+\.[A-Z_]+$/);
    }
  }
});

test('the NHS Number Status check applies exactly to the tables that carry nhs_number_status', () => {
  for (const table of SOURCE_TABLE_NAMES) {
    const has = SOURCE_TABLES[table].columns.some((c) => c.name === 'nhs_number_status');
    assert.equal(
      DQ_CHECKS[table].some((c) => c.field === 'nhs_number_status'),
      has,
      table,
    );
  }
  // A table declared with the column (as DIDS carries NHSNumberStatus) gets the check without another edit.
  const dids = SOURCE_TABLES.dids_imaging_test;
  const withStatus: SourceTableSpec = {
    ...dids,
    columns: [...dids.columns, { name: 'nhs_number_status', type: 'char', length: 2, nullable: true }],
  };
  const status = dqChecksOf(withStatus).find((c) => c.field === 'nhs_number_status');
  assert.equal(status?.id, 'DIDS.NHS_NUMBER_STATUS.NOT_VERIFIED');
  // 01 = number present and verified; every other code (02-08, or anything else) counts as not verified.
  assert.equal(status.flags('01'), false);
  for (const code of ['02', '03', '04', '05', '06', '07', '08', '1', '99'])
    assert.equal(status.flags(code), true, code);
});

test('NHS numbers outside the England ranges are counted as warnings on the scorecard and no row is quarantined for it', async () => {
  const numbers = [ENGLAND, NORTHERN_IRELAND, SCOTLAND, UNALLOCATED, TEST_RANGE, TEST_RANGE];
  const rows: SourceRow[] = numbers.map((nhs, i) =>
    row('sus_apc_episode', { episode_id: `E${i}`, hospital_provider_spell_number: `S${i}`, nhs_number: nhs }),
  );
  rows.push(
    row('sus_apc_episode', {
      episode_id: 'EX',
      hospital_provider_spell_number: 'SX',
      nhs_number: '9990000019',
    }),
  );
  const acc = new DqAccumulator('sus_apc_episode');
  let accepted = 0;
  await validateBatch(
    'sus_apc_episode',
    rows,
    { batchId: 'b', extractDate: EXTRACT_DATE, reference },
    { accepted: (r) => void (accepted += r.length), failures: () => {}, row: (r, f) => acc.add(r, f) },
  );
  const cells = Object.values(acc.state().cells);
  assert.equal(cells.length, 1);
  const cell = cells[0]!;
  assert.equal(cell.records, 7);
  assert.equal(cell.quarantined, 1, 'only the check-digit failure is quarantined');
  assert.equal(accepted, 6);
  assert.deepEqual(cell.rules['SUS.NHS_NUMBER.OUTSIDE_ENGLAND_RANGES|nhs_number'], {
    rule: 'SUS.NHS_NUMBER.OUTSIDE_ENGLAND_RANGES',
    field: 'nhs_number',
    severity: 'warn',
    failed: 3, // Northern Ireland, Scotland, unallocated; an invalid number is its contract rule's, not this
  });
  assert.equal(cell.rules['SUS.NHS_NUMBER.TEST_RANGE|nhs_number']?.failed, 2);
  assert.equal(cell.rules['SUS.NHS_NUMBER.TEST_RANGE|nhs_number']?.severity, 'warn');
  // The field itself stays valid: a range is a quality signal, not an invalid value.
  assert.equal(cell.fields['nhs_number']?.valid, 6);
});

test('the range checks appear as rule failure rates in the scorecard and never carry the number', async () => {
  const acc = new DqAccumulator('ecds_attendance');
  const rows = [ENGLAND, UNALLOCATED].map((nhs, i) =>
    row('ecds_attendance', { attendance_id: `A${i}`, nhs_number: nhs }),
  );
  await validateBatch(
    'ecds_attendance',
    rows,
    { batchId: 'b', extractDate: EXTRACT_DATE, reference },
    { accepted: () => {}, failures: () => {}, row: (r, f) => acc.add(r, f) },
  );
  const rate = acc.result().find((r) => r.rule_id === 'ECDS.NHS_NUMBER.OUTSIDE_ENGLAND_RANGES');
  assert.equal(rate?.measure, 'rule_failure_rate');
  assert.equal(rate.numerator, 1);
  assert.equal(rate.denominator, 2);
  const text = JSON.stringify(acc.state());
  for (const nhs of [ENGLAND, UNALLOCATED])
    assert.ok(!text.includes(nhs), 'an NHS number leaked into the DQ state');
});
