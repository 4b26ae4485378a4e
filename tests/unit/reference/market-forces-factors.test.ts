import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  defaultReferenceDir,
  loadReferenceData,
} from '../../../shared/adapters/local/reference-data.loader.js';
import { InputError } from '../../../shared/domain/errors.js';
import { parseReferenceData } from '../../../shared/domain/reference/reference-data.js';

const dir = defaultReferenceDir();
const ref = loadReferenceData();
const FILE = 'market-forces-factors.csv';
const HEADER = 'provider_code,financial_year,mff,notes,effective_from,effective_to,source,verified';

/** The shipped reference data with the market forces factor file replaced by `text`. */
function withFactors(text: string) {
  const read = (path: string) => (path === FILE ? text : readFileSync(join(dir, path), 'utf8'));
  return parseReferenceData(readFileSync(join(dir, 'MANIFEST.json'), 'utf8'), read);
}

test('every trust in the shipped sample has a placeholder market forces factor for every tariff year, labelled synthetic', () => {
  const years = ['2023/24', '2024/25', '2025/26', '2026/27'];
  const trusts = ref.organisations('trust');
  assert.ok(trusts.length > 0);
  for (const trust of trusts)
    for (const fy of years) {
      const mff = ref.marketForcesFactor(trust.code, fy);
      assert.ok(mff, `${trust.code} ${fy}`);
      assert.equal(mff.synthetic, true, 'a placeholder factor is labelled synthetic');
      assert.ok(Number(mff.factor) > 0.9 && Number(mff.factor) < 1.1, mff.factor);
    }
  assert.equal(ref.marketForcesFactor('RRK', '1999/00'), undefined, 'no factor outside the loaded years');
  assert.equal(ref.manifest.files[FILE]?.sample, true);
});

test('the shipped HRG sample carries the workbook columns the spell tariff needs', () => {
  const row = ref.hrg('AA22C', '2025/26');
  assert.ok(row);
  assert.ok(row.nonElectiveTrimPointDays !== null && row.nonElectiveTrimPointDays > 0);
  assert.ok(row.ordinaryElectiveTrimPointDays !== null && row.ordinaryElectiveTrimPointDays > 0);
  assert.ok(row.perDayLongStayGbp !== null && Number(row.perDayLongStayGbp) > 0);
  assert.notEqual(row.reducedShortStayEmergencyApplicable, null);
});

test('an imported factor file is read by provider and year', () => {
  const data = withFactors(
    `${HEADER}\nRRK,2025/26,1.04321,published,2025-04-01,2026-03-31,NHS Payment Scheme MFF,yes\n`,
  );
  assert.equal(data.marketForcesFactor('RRK', '2025/26')?.factor, '1.04321');
  assert.equal(data.marketForcesFactor('RRK', '2025/26')?.synthetic, false);
  assert.equal(data.marketForcesFactor('RM1', '2025/26'), undefined);
});

for (const [what, line, message] of [
  ['a factor that is not a decimal', 'RRK,2025/26,abc,,2025-04-01,,s,yes', /line 2: mff is not a positive decimal/],
  ['a zero factor', 'RRK,2025/26,0.00000,,2025-04-01,,s,yes', /line 2: mff is not a positive decimal/],
  ['a provider that is not a trust code', 'RRK02,2025/26,1.00000,,2025-04-01,,s,yes', /line 2: provider_code is not a valid ODS trust code/],
  ['a year not in YYYY/YY form', 'RRK,2025,1.00000,,2025-04-01,,s,yes', /line 2: financial_year is not 'YYYY\/YY'/],
] as const)
  test(`a factor file with ${what} fails naming the file and line`, () => {
    assert.throws(
      () => withFactors(`${HEADER}\n${line}\n`),
      (e: unknown) => e instanceof InputError && e.message.includes(FILE) && message.test(e.message),
    );
  });

test('the same provider and year twice in one file is refused', () => {
  const row = 'RRK,2025/26,1.00000,,2025-04-01,,s,yes';
  assert.throws(() => withFactors(`${HEADER}\n${row}\n${row}\n`), /line 3: the provider already has a factor/);
});
