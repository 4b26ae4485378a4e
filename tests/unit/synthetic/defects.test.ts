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
import { spellTariff } from '../../../shared/domain/datasets/sus-apc/spell-tariff.js';
import { financialYearOf } from '../../../shared/domain/reference/reference-data.js';
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

test("'episode_outside_spell' episodes fall outside their spell: the contract rejects those that carry the spell date they cross, the others end after the discharge on their spell's last episode", () => {
  const { rows } = generated(DIRTY);
  const planted = plantedRows('episode_outside_spell');
  assert.ok(planted.length > 0);
  let byContract = 0;
  let byBatch = 0;
  for (const { table, row } of planted) {
    const result = contractFor(table, reference, { asOf: AS_OF }).check(row);
    if (!result.ok) {
      assert.ok(
        result.failures.some((f) =>
          /\.EPISODE_(START|END)_DATE\.(BEFORE_ADMISSION|AFTER_DISCHARGE)$/.test(f.rule),
        ),
        `rules were ${result.failures.map((f) => f.rule).join(', ')}`,
      );
      byContract++;
      continue;
    }
    // An earlier episode carries no discharge date: SUS.EPISODE_OUTSIDE_SPELL judges it across rows.
    assert.equal(row.discharge_date, null);
    const spell = rows.sus_apc_episode.filter(
      (e) =>
        e.hospital_provider_spell_number === row.hospital_provider_spell_number && e.discharge_date !== null,
    );
    assert.ok(spell.some((e) => String(row.episode_end_date) > String(e.discharge_date)));
    byBatch++;
  }
  assert.ok(byContract > 0 && byBatch > 0, `contract ${byContract}, batch ${byBatch}`);
});

test("'hrg_unknown_or_tariff_mismatch' spells have an HRG the contract rejects or a price that is not the one computed from the reference", () => {
  const planted = plantedRows('hrg_unknown_or_tariff_mismatch');
  let unknown = 0;
  let mismatch = 0;
  for (const { table, row } of planted) {
    assert.equal(table, 'sus_apc_spell', 'the spell HRG and the price are on the spell row only');
    const result = contractFor(table, reference, { asOf: AS_OF }).check(row);
    if (!result.ok && result.failures.some((f) => f.rule === 'SUS.SPELL_HRG.UNKNOWN_HRG')) unknown++;
    else {
      const fy = financialYearOf(String(row.discharge_date));
      const price = reference.hrg(String(row.spell_hrg), fy);
      assert.ok(price);
      const computed = spellTariff({
        admissionMethod: String(row.admission_method),
        lengthOfStayDays: Number(row.length_of_stay_days),
        price,
        marketForcesFactor: reference.marketForcesFactor(String(row.provider_code), fy)?.factor ?? null,
      });
      assert.ok(computed && Number(row.tariff_gbp) > Number(computed.tariffGbp) * 1.05, 'tariff differs');
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
