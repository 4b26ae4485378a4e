import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { linkProject } from '../../../shared/application/use-cases/link-project.use-case.js';
import { applyDisclosureControl } from '../../../shared/domain/disclosure/apply-disclosure-control.js';
import {
  PUBLISHED_AE_FUNNEL_TRUST_MONTH,
  PUBLISHED_MART_LIST,
  PUBLISHED_MARTS,
  publishedMartsOf,
} from '../../../shared/domain/disclosure/published-marts.js';
import {
  materialisePublishedMart,
  readStoredPublishedRows,
} from '../../../shared/domain/disclosure/published-storage.js';
import { parsePublishedTable } from '../../../shared/domain/disclosure/published-table.js';
import { MART_TABLES, PUBLISHED_MART_TABLES } from '../../../shared/domain/gold/mart-tables.js';
import { personLevelColumns } from '../../../shared/domain/gold/table-access.js';
import type { SourceTableName } from '../../../shared/domain/datasets/source-tables.js';
import { publishedAggregates } from '../../../shared/domain/pathways/published-aggregates.js';
import type { PathwayRow } from '../../../shared/domain/pathways/pathway-time.js';
import { createRowPseudonymiser } from '../../../shared/domain/pseudonymise/silver-row.js';
import type { ProjectId } from '../../../shared/domain/pseudonymise/projects.js';
import { CAREFLOW, COMMUNITY360 } from '../../support/projects.js';
import { careflowKey, community360Key } from '../pseudonymise/row-fixtures.js';
import { generateAll, reference } from '../synthetic/synthetic-fixture.js';

const SMALL = /^[1-7]$/;

test('PUBLISHED_MARTS is the one list of what is published: every published warehouse table, each with its project', () => {
  assert.deepEqual(
    MART_TABLES.filter((t) => t.access === 'published').map((t) => t.name),
    PUBLISHED_MART_LIST.map((t) => t.name),
  );
  for (const t of PUBLISHED_MART_LIST) {
    assert.ok(t.name.startsWith('pub_'), t.name);
    assert.ok(t.project === 'careflow' || t.project === 'community360', t.name);
  }
  assert.equal(
    publishedMartsOf('careflow').length + publishedMartsOf('community360').length,
    Object.keys(PUBLISHED_MARTS).length,
  );
  assert.ok(MART_TABLES.filter((t) => !t.name.startsWith('pub_')).every((t) => t.access === 'restricted'));
});

test('no published mart table has a person id, a record id or an exact date column', () => {
  for (const table of PUBLISHED_MART_TABLES)
    assert.deepEqual(personLevelColumns(table.columns), [], table.name);
});

// The whole refresh path on a generated population: linkage, pathway facts, aggregates,
// materialised as stored. Every count cell stored is 0, '*' or ≥ 10 and a multiple of 5.
const generated = generateAll({ patients: 500, seed: 12, defects: { rate: 0.02 } });
const TABLES: Record<string, SourceTableName[]> = {
  careflow: ['sus_apc_episode', 'sus_apc_spell', 'prescribing_item', 'mhsds_referral'],
  community360: ['ecds_attendance', 'dids_imaging_test', 'csds_referral'],
};
function linked(project: ProjectId) {
  const key = project === CAREFLOW ? careflowKey() : community360Key();
  const rows = new Map<SourceTableName, PathwayRow[]>();
  for (const table of TABLES[project]!) {
    const pseudonymise = createRowPseudonymiser(table, { project, key, postcodeToLsoa: reference });
    rows.set(
      table,
      generated.rows[table].map((row) => pseudonymise(row)),
    );
  }
  return linkProject(project, rows, { keyVersion: 'v1', pathways: { frequentAttenderMin: 2 } });
}

test('every published mart, built from a generated population, stores no count from 1 to 7 and no person or day', () => {
  const exact = publishedAggregates({
    careflow: linked(CAREFLOW).careflow!,
    community360: linked(COMMUNITY360).community360!,
  });
  let suppressed = 0;
  for (const declaration of PUBLISHED_MART_LIST) {
    const rows = exact.get(declaration.name) ?? [];
    assert.ok(rows.length > 0, `${declaration.name} has rows`);
    const stored = materialisePublishedMart(declaration, rows);
    for (const row of stored.rows) {
      assert.deepEqual(
        Object.keys(row),
        declaration.columns.map((c) => c.name),
      );
      for (const column of declaration.columns) {
        const value = row[column.name] ?? '';
        assert.ok(!/^\d{4}-\d{2}-\d{2}/.test(value), `${declaration.name}.${column.name} holds a day`);
        if (column.role === 'count' || column.role === 'total')
          assert.ok(
            value === '*' || value === '0' || (Number(value) >= 10 && Number(value) % 5 === 0),
            `${declaration.name}.${column.name}`,
          );
        assert.ok(!SMALL.test(value) || column.role === 'percentage', `${declaration.name}.${column.name}`);
      }
    }
    suppressed += stored.primarySuppressed;
    // Read back as the published interfaces read it: the same values, nothing re-controlled.
    const read = readStoredPublishedRows(declaration, stored.rows);
    assert.equal(read.length, stored.rows.length);
  }
  assert.ok(suppressed > 0, 'a population of this size has small cells to suppress');
});

test('the funnel, hand-computed: counts suppressed or rounded, percentages from the rounded parts', () => {
  const stored = materialisePublishedMart(PUBLISHED_AE_FUNNEL_TRUST_MONTH, [
    {
      provider_code: 'RRK',
      period: '2026-03',
      attendances: 123,
      imaged_7d: 41,
      imaged_then_referred_30d: 12,
    },
    { provider_code: 'RRK', period: '2026-04', attendances: 57, imaged_7d: 9, imaged_then_referred_30d: 3 },
    { provider_code: 'RQ3', period: '2026-03', attendances: 0, imaged_7d: 0, imaged_then_referred_30d: 0 },
  ]);
  assert.deepEqual(stored.rows, [
    // 125, 40, 10: 40/125 = 32 %, 10/40 = 25 % (whole numbers: denominators under 4,000).
    {
      provider_code: 'RRK',
      period: '2026-03',
      attendances: '125',
      imaged_7d: '40',
      imaged_then_referred_30d: '10',
      pct_imaged_7d: '32',
      pct_imaged_then_referred: '25',
    },
    // 55, 10, *: the percentage of a suppressed part is suppressed.
    {
      provider_code: 'RRK',
      period: '2026-04',
      attendances: '55',
      imaged_7d: '10',
      imaged_then_referred_30d: '*',
      pct_imaged_7d: '18',
      pct_imaged_then_referred: '*',
    },
    // Nothing: 0 shown as 0, a percentage of nothing is empty.
    {
      provider_code: 'RQ3',
      period: '2026-03',
      attendances: '0',
      imaged_7d: '0',
      imaged_then_referred_30d: '0',
      pct_imaged_7d: null,
      pct_imaged_then_referred: null,
    },
  ]);
  assert.equal(stored.primarySuppressed, 1);
});

test('a stored published mart holding a small count is refused when read, naming the cell, not the value', () => {
  assert.throws(
    () =>
      readStoredPublishedRows(PUBLISHED_AE_FUNNEL_TRUST_MONTH, [
        {
          provider_code: 'RRK',
          period: '2026-03',
          attendances: '3',
          imaged_7d: '0',
          imaged_then_referred_30d: '0',
        },
      ]),
    (e: Error & { code?: string }) =>
      e.code === 'INVARIANT_BROKEN' &&
      /row 1: attendances holds a count below 8/.test(e.message) &&
      !/\b3\b/.test(e.message.replace('row 1', '')),
  );
});

// Idempotence: disclosure control applied to its own output gives that output again, for every
// declaration without totals (all published marts): '*' stays '*', shown counts round to themselves,
// percentages come from the same rounded parts, statistics stay suppressed with their contributors.
const twoCounts = parsePublishedTable({
  name: 't',
  columns: [
    { role: 'dimension', name: 'provider_code', type: 'code' },
    { role: 'count', name: 'a' },
    { role: 'count', name: 'b', distinct: true },
    { role: 'percentage', name: 'pct', numerator: 'b', denominator: 'a' },
    { role: 'statistic', name: 'mean_cost', contributors: 'a' },
  ],
});

test('applying disclosure control to already-controlled rows changes nothing (a second pass is harmless)', () => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.nat(40), fc.nat(40), fc.integer({ min: 0, max: 99_999 })), {
        minLength: 1,
        maxLength: 12,
      }),
      (cells) => {
        const rows = cells.map(([a, b, cost], i) => ({
          provider_code: `R${i}`,
          a,
          b,
          mean_cost: String(cost),
        }));
        const once = applyDisclosureControl(twoCounts, rows).rows;
        const twice = applyDisclosureControl(twoCounts, once).rows;
        assert.deepEqual(twice, once);
      },
    ),
    { numRuns: 200 },
  );
});
