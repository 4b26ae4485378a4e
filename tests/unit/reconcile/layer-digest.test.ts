import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  compareLayers,
  indexLayer,
  periodDigests,
  type LayerRecord,
} from '../../../shared/domain/reconcile/layer-digest.js';
import { reconciledGoldTables } from '../../../shared/application/use-cases/reconcile/reconcile-layers.use-case.js';
import { GOLD_TABLES } from '../../../shared/domain/gold/gold-tables.js';
import { SOURCE_TABLES, SOURCE_TABLE_NAMES } from '../../../shared/domain/datasets/source-tables.js';
import { DATASET_FACT_DECLARATIONS } from '../../../shared/domain/star/fact-tables.js';

const key = (i: number) => `EP${String(i).padStart(6, '0')}`;
function layer(n: number, period = '2026-01'): LayerRecord[] {
  return Array.from({ length: n }, (_, i) => ({ key: key(i), period, eventId: `e${i}` }));
}
function shuffled<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  let s = seed;
  for (let i = out.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

test('the same records in any order give the same period checksums and no difference', () => {
  const records = [...layer(500), ...layer(300, '2026-02')];
  const a = indexLayer(records, true);
  const b = indexLayer(shuffled(records, 7), true);
  assert.deepEqual(periodDigests(a), periodDigests(b));
  assert.deepEqual(compareLayers(a, b), []);
});

test('any one record missing, extra or at another version is reported in its period with a range that holds its key and few others', () => {
  const expected = layer(1000);
  for (const i of [0, 1, 499, 500, 998, 999]) {
    const cases: [string, LayerRecord[], boolean][] = [
      ['missing', expected.filter((_, j) => j !== i), false],
      ['extra', [...expected, { key: `${key(i)}X`, period: '2026-01', eventId: 'x' }], false],
      ['other version', expected.map((r, j) => (j === i ? { ...r, eventId: 'changed' } : r)), true],
    ];
    for (const [what, actual, withVersion] of cases) {
      const diffs = compareLayers(indexLayer(expected, withVersion), indexLayer(actual, withVersion));
      assert.equal(diffs.length, 1, `${what} ${i}`);
      const d = diffs[0]!;
      assert.equal(d.period, '2026-01');
      assert.equal(d.ranges.length, 1, `${what} ${i}: one range`);
      const r = d.ranges[0]!;
      const target = what === 'extra' ? `${key(i)}X` : key(i);
      assert.ok(
        (r.from === null || r.from <= target) && (r.to === null || target < r.to),
        `${what} ${i}: range holds the key`,
      );
      // Narrowed by bisection: at most two expected records in the reported range.
      assert.ok(r.expected <= 2, `${what} ${i}: ${r.expected} records in range`);
      if (what === 'missing') assert.equal(d.actual.count, d.expected.count - 1);
    }
  }
});

test('a period present on one side only is reported whole', () => {
  const diffs = compareLayers(indexLayer(layer(10, '2026-03'), false), indexLayer([], false));
  assert.deepEqual(
    diffs.map((d) => [d.period, d.expected.count, d.actual.count]),
    [['2026-03', 10, 0]],
  );
});

test('reconciliation covers, per source table, fact_activity and the dataset fact declared from it, from the declarations', () => {
  for (const source of SOURCE_TABLE_NAMES) {
    const covered = reconciledGoldTables(source);
    assert.equal(covered[0]?.table.name, 'fact_activity', source);
    assert.equal(covered[0]?.sourceColumn, 'source_table');
    const declared = DATASET_FACT_DECLARATIONS.filter((f) => f.source === source).map((f) => f.name);
    assert.deepEqual(
      covered.slice(1).map((c) => c.table.name),
      declared,
      source,
    );
    for (const c of covered.slice(1)) assert.deepEqual(c.keyColumns, SOURCE_TABLES[source].key);
  }
  // A fact declared later with one row per source record is covered without an edit.
  const later = { ...GOLD_TABLES.find((t) => t.name === 'fact_activity')!, name: 'fact_later' };
  assert.deepEqual(
    reconciledGoldTables('ecds_attendance', [later]).map((c) => c.table.name),
    ['fact_later'],
  );
});
