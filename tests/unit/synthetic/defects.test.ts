import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { PopulationConfigInput } from '../../../shared/synthetic/synthetic-config.js';
import { contractFor } from '../../../shared/domain/datasets/contracts.js';
import {
  SOURCE_TABLE_NAMES,
  type SourceRow,
  type SourceTableName,
} from '../../../shared/domain/datasets/source-tables.js';
import { DEFECT_CLASSES, DEFECT_TABLES, type DefectClass } from '../../../shared/synthetic/defect-classes.js';
import { parseDefectSelection } from '../../../shared/synthetic/synthetic-config.js';
import { generated, keyOf, plantedKeys, reference } from './synthetic-fixture.js';

// A high rate so every class is planted in every table it applies to, on a small population.
const DIRTY: PopulationConfigInput = { patients: 2000, seed: 3, defects: { rate: 0.08 } };
const AS_OF = '2026-11-23';

function rowsByKey(table: SourceTableName, rows: readonly SourceRow[]): Map<string, SourceRow> {
  return new Map(rows.map((r) => [keyOf(table, r), r]));
}

function plantedRows(cls: DefectClass): { table: SourceTableName; row: SourceRow }[] {
  const { rows, report } = generated(DIRTY);
  const out: { table: SourceTableName; row: SourceRow }[] = [];
  for (const [table, keys] of Object.entries(report.defects[cls].keys) as [SourceTableName, string[]][]) {
    const index = rowsByKey(table, rows[table]);
    for (const key of keys) {
      const row = index.get(key);
      assert.ok(row, `${cls}: planted key exists in ${table}`);
      out.push({ table, row });
    }
  }
  return out;
}

test('every defect class is planted in every table it applies to', () => {
  const { report } = generated(DIRTY);
  for (const cls of DEFECT_CLASSES)
    for (const table of DEFECT_TABLES[cls])
      assert.ok((report.defects[cls].byTable[table] ?? 0) > 0, `${cls} planted in ${table}`);
});

test("the report's defect counts equal the rows actually planted, each row with one class", () => {
  const { rows, report } = generated(DIRTY);
  const planted = plantedKeys(report);
  for (const table of SOURCE_TABLE_NAMES) {
    assert.equal(report.rows[table], rows[table].length, `${table} row count`);
    let sum = 0;
    for (const cls of DEFECT_CLASSES) {
      const n = report.defects[cls].byTable[table] ?? 0;
      assert.equal(report.defects[cls].keys[table]?.length ?? 0, n, `${cls} ${table} keys listed`);
      sum += n;
    }
    assert.equal(sum, report.defectiveRows[table], `${table}: one class per defective row`);
    assert.equal(planted.get(table)?.size ?? 0, sum, `${table}: no key planted twice`);
  }
  for (const cls of DEFECT_CLASSES) {
    const byTable = Object.values(report.defects[cls].byTable).reduce((s, n) => s + (n ?? 0), 0);
    assert.equal(report.defects[cls].total, byTable, cls);
  }
});

// Row-level classes and the contract rule (suffix of `<DATASET>.<FIELD>.<RULE>`) that must reject them.
const CONTRACT_RULES: readonly [DefectClass, RegExp][] = [
  ['nhs_number_check_digit', /\.NHS_NUMBER\.CHECK_DIGIT$/],
  ['discharge_before_admission', /\.DISCHARGE_DATE\.BEFORE_ADMISSION$/],
  ['episode_outside_spell', /\.EPISODE_(START|END)_DATE\.(BEFORE_ADMISSION|AFTER_DISCHARGE)$/],
  ['ecds_missing_discharge_destination', /\.DISCHARGE_DESTINATION\./],
  ['imaging_before_request', /\.TEST_DATE\.BEFORE_REQUEST/],
  ['future_date', /\.FUTURE_DATE$/],
  ['malformed_code', /\.(PRIMARY_DIAGNOSIS|BNF_CODE|CARE_CLUSTER|CHIEF_COMPLAINT|SNOMED_CODE)\./],
];
for (const [cls, rule] of CONTRACT_RULES)
  test(`the row contract rejects every '${cls}' row with the rule for it`, () => {
    const planted = plantedRows(cls);
    assert.ok(planted.length > 0);
    for (const { table, row } of planted) {
      const result = contractFor(table, reference, { asOf: AS_OF }).check(row);
      assert.equal(result.ok, false, `${cls} ${table} accepted`);
      if (!result.ok)
        assert.ok(
          result.failures.some((f) => rule.test(f.rule)),
          `${cls} ${table}: rules were ${result.failures.map((f) => f.rule).join(', ')}`,
        );
    }
  });

test("'hrg_unknown_or_tariff_mismatch' rows have an HRG the contract rejects or a tariff that is not the reference price", () => {
  const planted = plantedRows('hrg_unknown_or_tariff_mismatch');
  let unknown = 0;
  let mismatch = 0;
  for (const { table, row } of planted) {
    const result = contractFor(table, reference, { asOf: AS_OF }).check(row);
    if (!result.ok && result.failures.some((f) => f.rule === 'SUS.SPELL_HRG.UNKNOWN_HRG')) unknown++;
    else {
      const d = String(row.admission_date);
      const y = Number(d.slice(0, 4));
      const s = Number(d.slice(5, 7)) >= 4 ? y : y - 1;
      const fy = `${s}/${String((s + 1) % 100).padStart(2, '0')}`;
      const type = String(row.admission_method).startsWith('1') ? 'elective' : 'non_elective';
      const price = reference.hrgTariff(String(row.spell_hrg), fy, type);
      assert.ok(price !== undefined && Number(row.tariff_gbp) > Number(price) * 1.05, 'tariff differs');
      mismatch++;
    }
  }
  assert.ok(unknown > 0 && mismatch > 0, `unknown ${unknown}, mismatch ${mismatch}`);
});

test("'nhs_number_missing' rows have no NHS number (the contract allows it; completeness measures it)", () => {
  for (const { row } of plantedRows('nhs_number_missing')) assert.equal(row.nhs_number, null);
});

test("'orphan_community_contact' rows point at a referral that does not exist", () => {
  const { rows } = generated(DIRTY);
  const referrals = new Set(rows.csds_referral.map((r) => r.referral_id));
  const planted = plantedRows('orphan_community_contact');
  for (const { row } of planted) assert.ok(!referrals.has(row.referral_id));
  // …and every clean contact's referral exists.
  const orphanKeys = new Set(planted.map((p) => keyOf('csds_care_contact', p.row)));
  for (const row of rows.csds_care_contact)
    if (!orphanKeys.has(keyOf('csds_care_contact', row)) && !String(row.care_contact_id).includes('D'))
      assert.ok(referrals.has(row.referral_id));
});

test("'referral_after_contact' referrals were received after their first contact", () => {
  const { rows } = generated(DIRTY);
  const firstContact = new Map<string, string>();
  for (const row of [...rows.mhsds_care_contact, ...rows.csds_care_contact]) {
    const id = String(row.referral_id);
    const date = String(row.contact_date);
    const seen = firstContact.get(id);
    if (!seen || date < seen) firstContact.set(id, date);
  }
  for (const { row } of plantedRows('referral_after_contact'))
    assert.ok(String(row.referral_received_date) > firstContact.get(String(row.referral_id))!);
});

test("'duplicate_row' rows repeat another row's content under a new primary key", () => {
  const { rows } = generated(DIRTY);
  for (const { table, row } of plantedRows('duplicate_row')) {
    const key = keyOf(table, row);
    const content = (r: SourceRow): string => JSON.stringify({ ...r, [Object.keys(r)[0]!]: '' });
    const twin = rows[table].find((r) => keyOf(table, r) !== key && content(r) === content(row));
    assert.ok(twin, `${table} duplicate has an original`);
  }
});

test('defect classes are switchable one by one', () => {
  assert.deepEqual(parseDefectSelection('none'), []);
  assert.deepEqual(parseDefectSelection('all'), [...DEFECT_CLASSES]);
  assert.deepEqual(parseDefectSelection('future_date,duplicate_row'), ['future_date', 'duplicate_row']);
  assert.throws(() => parseDefectSelection('future_date,bogus'), /unknown defect class\(es\) bogus/);
  const only = generated({ patients: 400, seed: 3, defects: { rate: 0.05, classes: ['malformed_code'] } });
  for (const cls of DEFECT_CLASSES)
    assert.equal(only.report.defects[cls].total > 0, cls === 'malformed_code', cls);
});
