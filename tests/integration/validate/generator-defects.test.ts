import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadReferenceData } from '../../../shared/adapters/local/reference-data.loader.js';
import {
  SOURCE_TABLE_NAMES,
  SOURCE_TABLES,
  type SourceRow,
  type SourceTableName,
} from '../../../shared/domain/datasets/source-tables.js';
import type { DefectClass } from '../../../shared/synthetic/defect-classes.js';
import { generatePopulationRows } from '../../../shared/synthetic/population-generator.js';
import { catalogueFromReference } from '../../../shared/synthetic/reference-catalogue.js';
import { populationConfigSchema } from '../../../shared/synthetic/synthetic-config.js';
import { MemoryReferralIndex } from '../../../shared/domain/validate/referral-index.js';
import { RULE_PREFIX } from '../../../shared/domain/validate/rule.js';
import { validateBatch, type QuarantineRecord } from '../../../shared/domain/validate/validate-batch.js';

/**
 * The generator's deliberate defects (issue 3), validated as the pipeline does: each planted row is
 * caught by the rule ids below, with a message naming its table and field; clean rows are not rejected.
 */
const EXPECTED: Readonly<Record<DefectClass, (prefix: string) => RegExp>> = {
  nhs_number_check_digit: (p) => new RegExp(`^${p}\\.NHS_NUMBER\\.CHECK_DIGIT$`),
  nhs_number_missing: (p) => new RegExp(`^${p}\\.MISSING_NHS_NUMBER$`),
  discharge_before_admission: () => /^SUS\.DISCHARGE_DATE\.BEFORE_ADMISSION$/,
  episode_outside_spell: () =>
    /^SUS\.(EPISODE_END_DATE\.AFTER_DISCHARGE|EPISODE_START_DATE\.(BEFORE_ADMISSION|AFTER_DISCHARGE)|EPISODE_OUTSIDE_SPELL)$/,
  hrg_unknown_or_tariff_mismatch: () =>
    /^SUS\.(SPELL_HRG\.UNKNOWN_HRG|SPELL_HRG_NOT_IN_YEAR|TARIFF_MISMATCH)$/,
  ecds_missing_discharge_destination: () => /^ECDS\.DISCHARGE_DESTINATION\.MISSING$/,
  imaging_before_request: () => /^DIDS\.TEST_DATE\.BEFORE_REQUEST$/,
  orphan_community_contact: (p) => new RegExp(`^${p}\\.REFERRAL_NOT_FOUND$`),
  referral_after_contact: (p) => new RegExp(`^${p}\\.REFERRAL_AFTER_CONTACT$`),
  future_date: (p) => new RegExp(`^${p}\\.[A-Z_]+\\.FUTURE_DATE$`),
  duplicate_row: (p) => new RegExp(`^${p}\\.DUPLICATE_ROW$`),
  malformed_code: (p) => new RegExp(`^${p}\\.[A-Z_]+\\.(FORMAT|LENGTH|CHECK_DIGIT|CODE_LIST)$`),
};

test('every generator defect class is caught with its rule id and a message naming table and field', async () => {
  const reference = loadReferenceData();
  const config = populationConfigSchema.parse({ patients: 600, seed: 7, defects: { rate: 0.03 } });
  const gen = generatePopulationRows(config, catalogueFromReference(reference));
  const rows = new Map<SourceTableName, SourceRow[]>(SOURCE_TABLE_NAMES.map((t) => [t, []]));
  let step = gen.next();
  while (!step.done) {
    rows.get(step.value.table)?.push(...step.value.rows);
    step = gen.next();
  }
  const report = step.value;
  const planted = new Map<string, DefectClass>();
  for (const [cls, tally] of Object.entries(report.defects) as [
    DefectClass,
    (typeof report.defects)[DefectClass],
  ][])
    for (const [table, keys] of Object.entries(tally.keys))
      for (const key of keys ?? []) planted.set(`${table}|${key}`, cls);

  // As the pipeline would: referrals (and what is known of their contacts) first, then the rest.
  const index = new MemoryReferralIndex()
    .addSpellRows(rows.get('sus_apc_spell') ?? [])
    .addContactRows('mhsds_referral', rows.get('mhsds_care_contact') ?? [])
    .addContactRows('csds_referral', rows.get('csds_care_contact') ?? []);
  const order: SourceTableName[] = [
    'mhsds_referral',
    'csds_referral',
    ...SOURCE_TABLE_NAMES.filter((t) => t !== 'mhsds_referral' && t !== 'csds_referral'),
  ];
  const caught = new Map<DefectClass, number>();
  for (const table of order) {
    const input = rows.get(table) ?? [];
    const result = await validateBatch(table, input, {
      batchId: 'gen',
      extractDate: config.endDate,
      reference,
      referralIndex: index,
    });
    if (table === 'mhsds_referral' || table === 'csds_referral') index.addRows(table, input);
    assert.equal(result.counts.in, result.counts.accepted + result.counts.quarantined);
    const byRow = new Map<number, QuarantineRecord[]>();
    for (const r of result.records) byRow.set(r.row, [...(byRow.get(r.row) ?? []), r]);
    const spec = SOURCE_TABLES[table];
    input.forEach((row, i) => {
      const key = spec.key.map((k) => String(row[k])).join('|');
      const cls = planted.get(`${table}|${key}`);
      const failures = byRow.get(i + 1) ?? [];
      if (!cls) {
        // Clean rows: never rejected; the only warning is a contact under a planted late referral.
        const unexpected = failures.filter((f) => !f.rule.endsWith('.REFERRAL_AFTER_CONTACT'));
        assert.deepEqual(
          unexpected.map((f) => f.rule),
          [],
          `clean ${table} row ${i + 1}`,
        );
        return;
      }
      const pattern = EXPECTED[cls](RULE_PREFIX[spec.dataset]);
      const hit = failures.find((f) => pattern.test(f.rule));
      assert.ok(
        hit,
        `${cls} in ${table} row ${i + 1}: got ${failures.map((f) => f.rule).join(', ') || 'nothing'}`,
      );
      assert.ok(hit.message.includes(table) && hit.message.includes(hit.field), hit.message);
      caught.set(cls, (caught.get(cls) ?? 0) + 1);
    });
  }
  const plantedClasses = [...new Set(planted.values())].sort();
  assert.deepEqual([...caught.keys()].sort(), plantedClasses);
  assert.ok(plantedClasses.length >= 10, `only ${plantedClasses.length} defect classes planted`);
});
