import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaultsInExcess, dqmiDatasetScore, dqmiItemScore } from '../../../shared/domain/dq/dqmi.js';

/**
 * A small DQMI example worked by hand (REFERENCE.md §10.1 formula):
 * item score = (valid and complete − max(0, defaults − threshold × records)) / records × 100;
 * dataset score = mean(item scores as fractions) × mean(coverage) × 100.
 *
 * | item            | records | valid & complete | defaults | threshold | allowed | excess | score |
 * | person gender   | 1000    | 950              | 40       | 2 %       | 20      | 20     | 93.0  |
 * | NHS number      | 1000    | 980              | 0        | 100 %     | 1000    | 0      | 98.0  |
 * | ethnic category | 1000    | 990              | 30       | 3.5 %     | 35      | 0      | 99.0  |
 * mean item score = (0.93 + 0.98 + 0.99) / 3 = 0.966667; coverage: 1 of 3 expected months → 1/3;
 * DQMI = 0.966667 × 0.333333 × 100 = 32.2222.
 */
const ITEMS = [
  {
    name: 'person gender',
    records: 1000,
    validAndComplete: 950,
    defaults: 40,
    threshold: 0.02,
    excess: 20,
    score: 93,
  },
  {
    name: 'NHS number',
    records: 1000,
    validAndComplete: 980,
    defaults: 0,
    threshold: 1,
    excess: 0,
    score: 98,
  },
  {
    name: 'ethnic category',
    records: 1000,
    validAndComplete: 990,
    defaults: 30,
    threshold: 0.035,
    excess: 0,
    score: 99,
  },
] as const;

for (const item of ITEMS)
  test(`the ${item.name} item of the worked example scores ${item.score}`, () => {
    assert.ok(Math.abs(defaultsInExcess(item.defaults, item.records, item.threshold) - item.excess) < 1e-9);
    const score = dqmiItemScore(item);
    assert.ok(score !== null && Math.abs(score - item.score) < 1e-9, String(score));
  });

test('the worked example dataset score is mean item score × mean coverage × 100 = 32.22', () => {
  const score = dqmiDatasetScore(
    ITEMS.map((i) => i.score),
    [1, 0, 0],
  );
  assert.equal(score.toFixed(4), '32.2222');
  assert.equal(dqmiDatasetScore([93, 98, 99], [1]).toFixed(4), '96.6667');
});

test('defaults far beyond the threshold floor an item score at 0, and no records give no score', () => {
  assert.equal(dqmiItemScore({ records: 100, validAndComplete: 50, defaults: 80, threshold: 0.02 }), 0);
  assert.equal(dqmiItemScore({ records: 0, validAndComplete: 0, defaults: 0, threshold: 0.02 }), null);
  assert.equal(dqmiDatasetScore([], [1]), 0);
  assert.equal(dqmiDatasetScore([100], []), 0);
});
