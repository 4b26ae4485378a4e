import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  applyDisclosureControl,
  type PublishedRow,
} from '../../../shared/domain/disclosure/apply-disclosure-control.js';
import {
  HES_ECDS_2018_POLICY,
  type DisclosurePolicy,
} from '../../../shared/domain/disclosure/disclosure-policy.js';
import { parsePublishedTable } from '../../../shared/domain/disclosure/published-table.js';
import { roundCount } from '../../../shared/domain/disclosure/small-numbers.js';

// Random three-way tables: provider × month × (elective, emergency, admissions = their total), with a
// total row over providers ('ALL') and over months ('ALL'), counts skewed small so that most
// tables have suppressed cells. Every line (a row's total with its parts, a column down the
// providers or down the months to its total row) is rebuilt here from the published table alone.

const table = parsePublishedTable({
  name: 'admissions_by_trust_month',
  columns: [
    { role: 'dimension', name: 'provider_code', type: 'code', totalValue: 'ALL' },
    { role: 'dimension', name: 'period', type: 'month', totalValue: 'ALL' },
    { role: 'count', name: 'elective' },
    { role: 'count', name: 'emergency' },
    { role: 'total', name: 'admissions', of: ['elective', 'emergency'] },
  ],
});
const MEASURES = ['elective', 'emergency', 'admissions'] as const;

const smallCount = fc.oneof(
  { weight: 3, arbitrary: fc.constant(0) },
  { weight: 4, arbitrary: fc.integer({ min: 1, max: 7 }) },
  { weight: 3, arbitrary: fc.integer({ min: 8, max: 60 }) },
  { weight: 1, arbitrary: fc.integer({ min: 61, max: 5_000 }) },
);

const randomTable = fc
  .record({ providers: fc.integer({ min: 1, max: 5 }), months: fc.integer({ min: 1, max: 4 }) })
  .chain(({ providers, months }) =>
    fc
      .array(fc.tuple(smallCount, smallCount), {
        minLength: providers * months,
        maxLength: providers * months,
      })
      .map((cells) => {
        const provider = (p: number) => `T${p}`;
        const month = (m: number) => `2024-${String(m + 1).padStart(2, '0')}`;
        const rows: { provider_code: string; period: string; elective: number; emergency: number }[] = [];
        cells.forEach(([elective, emergency], i) =>
          rows.push({
            provider_code: provider(i % providers),
            period: month(Math.floor(i / providers)),
            elective,
            emergency,
          }),
        );
        const add = (provider_code: string, period: string, of: typeof rows) =>
          rows.push({
            provider_code,
            period,
            elective: of.reduce((s, r) => s + r.elective, 0),
            emergency: of.reduce((s, r) => s + r.emergency, 0),
          });
        const detail = [...rows];
        for (let m = 0; m < months; m++)
          add(
            'ALL',
            month(m),
            detail.filter((r) => r.period === month(m)),
          );
        for (let p = 0; p < providers; p++)
          add(
            provider(p),
            'ALL',
            detail.filter((r) => r.provider_code === provider(p)),
          );
        add('ALL', 'ALL', detail);
        return rows;
      }),
  );

/** Every line of the published table as lists of published values (total first). */
function lines(rows: readonly PublishedRow[]): (string | number | boolean | null | undefined)[][] {
  const out: (string | number | boolean | null | undefined)[][] = [];
  for (const row of rows) out.push([row.admissions, row.elective, row.emergency]);
  for (const [along, other] of [
    ['provider_code', 'period'],
    ['period', 'provider_code'],
  ] as const) {
    const groups = new Map<string, PublishedRow[]>();
    for (const row of rows) groups.set(String(row[other]), [...(groups.get(String(row[other])) ?? []), row]);
    for (const group of groups.values())
      for (const measure of MEASURES) {
        const total = group.find((r) => r[along] === 'ALL');
        const parts = group.filter((r) => r[along] !== 'ALL');
        out.push([total?.[measure], ...parts.map((r) => r[measure])]);
      }
  }
  return out;
}

for (const policy of [
  HES_ECDS_2018_POLICY,
  { ...HES_ECDS_2018_POLICY, name: 'under-7-unrounded', minCell: 7, roundTo: 1 },
] satisfies DisclosurePolicy[])
  test(`under ${policy.name}, no published count is small and no suppressed cell is alone in a line`, () => {
    fc.assert(
      fc.property(randomTable, (rows) => {
        const out = applyDisclosureControl(table, rows, policy);
        for (const row of out.rows)
          for (const measure of MEASURES) {
            const shown = row[measure];
            if (shown === '*') continue;
            assert.equal(typeof shown, 'number');
            assert.ok(shown === 0 || (shown as number) >= policy.minCell, `published ${String(shown)}`);
            assert.equal((shown as number) % policy.roundTo, 0);
          }
        for (const line of lines(out.rows)) {
          const suppressed = line.filter((v) => v === '*').length;
          assert.ok(suppressed !== 1, `a line with one suppressed cell: ${JSON.stringify(line)}`);
        }
        assert.deepEqual(out.unprotectedLines, []);
      }),
      { numRuns: 300 },
    );
  });

test('every published count is its unrounded value rounded, totals included: suppression never changes a shown figure', () => {
  fc.assert(
    fc.property(randomTable, (rows) => {
      const out = applyDisclosureControl(table, rows);
      rows.forEach((row, r) => {
        const exact = { ...row, admissions: row.elective + row.emergency };
        for (const measure of MEASURES) {
          const shown = out.rows[r]?.[measure];
          if (shown !== '*') assert.equal(shown, roundCount(exact[measure]));
          else assert.ok(exact[measure] > 0 || out.secondarySuppressed > 0);
        }
      });
    }),
    { numRuns: 200 },
  );
});

test('secondary suppression is off when the policy says so: only small counts are suppressed', () => {
  fc.assert(
    fc.property(randomTable, (rows) => {
      const out = applyDisclosureControl(table, rows, {
        ...HES_ECDS_2018_POLICY,
        secondarySuppression: false,
      });
      assert.equal(out.secondarySuppressed, 0);
      rows.forEach((row, r) => {
        const exact = { ...row, admissions: row.elective + row.emergency };
        for (const measure of MEASURES)
          assert.equal(out.rows[r]?.[measure] === '*', exact[measure] > 0 && exact[measure] < 8);
      });
    }),
    { numRuns: 100 },
  );
});
