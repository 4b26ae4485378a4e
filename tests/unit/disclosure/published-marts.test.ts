import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { applyDisclosureControl } from '../../../shared/domain/disclosure/apply-disclosure-control.js';
import { PUBLISHED_MARTS } from '../../../shared/domain/disclosure/published-marts.js';
import { publishabilityProblems } from '../../../shared/domain/disclosure/publishable.js';
import { parsePublishedTable } from '../../../shared/domain/disclosure/published-table.js';
import { MART_TABLES } from '../../../shared/domain/gold/mart-tables.js';
import type { PortableColumn } from '../../../shared/domain/gold/portable-types.js';
import { careflowPathwayFacts } from '../../../shared/domain/pathways/careflow-pathways.js';

test('each published mart declaration names exactly its mart columns, in order', () => {
  for (const [name, declaration] of Object.entries(PUBLISHED_MARTS)) {
    const mart = MART_TABLES.find((t) => t.name === name);
    assert.ok(mart, `${name} is a mart`);
    assert.deepEqual(
      declaration.columns.map((c) => c.name),
      mart.columns.map((c) => c.name),
    );
    assert.deepEqual(publishabilityProblems(declaration), []);
  }
});

// The guard judged against every existing mart, declared naively from its column types (a string
// is a dimension, a date is a date, a number is a count): the row-level marts are refused for
// their person ids and exact dates, the aggregates pass.
const naive = (name: string, columns: readonly PortableColumn[]) =>
  parsePublishedTable({
    name,
    columns: columns.map((c) =>
      c.type === 'date' || c.type === 'timestamp'
        ? { role: 'dimension', name: c.name, type: 'date' }
        : c.type === 'string' || c.type === 'boolean'
          ? { role: 'dimension', name: c.name, type: c.name.endsWith('period') ? 'month' : 'code' }
          : { role: 'count', name: c.name },
    ),
  });

test('the row-level marts are not publishable, and the aggregate ones pass the guard once no column holds a date', () => {
  const verdicts = Object.fromEntries(
    MART_TABLES.map((t) => [t.name, publishabilityProblems(naive(t.name, t.columns)).length === 0]),
  );
  assert.equal(verdicts.fact_spell_prescribing, false);
  assert.equal(verdicts.fact_discharge_mh_referral, false);
  assert.equal(verdicts.fact_ae_pathway, false);
  assert.equal(verdicts.fact_activity_trust_month, true);
  // The caseload is an aggregate but carries period_end_date, a date column (the month's last day):
  // its published form must drop it or carry the month only.
  assert.equal(verdicts.fact_community_caseload, false);
  assert.deepEqual(
    publishabilityProblems(
      naive(
        'fact_community_caseload',
        (MART_TABLES.find((t) => t.name === 'fact_community_caseload')?.columns ?? []).filter(
          (c) => c.name !== 'period_end_date',
        ),
      ),
    ),
    [],
  );
});

test('activity by trust and month, as the pathway builder makes it, publishes no small count', () => {
  const declaration = PUBLISHED_MARTS.pub_activity_trust_month;
  assert.ok(declaration);
  const spell = fc.record({
    person: fc.constantFrom('P1', 'P2', 'P3', 'P4', 'P5', 'P6'),
    provider: fc.constantFrom('RRK', 'RQ3'),
    day: fc.integer({ min: 1, max: 28 }),
    month: fc.constantFrom('03', '04'),
    emergency: fc.boolean(),
  });
  fc.assert(
    fc.property(fc.array(spell, { maxLength: 60 }), (spells) => {
      const facts = careflowPathwayFacts({
        apcEpisodes: spells.map((s, i) => {
          const date = `2026-${s.month}-${String(s.day).padStart(2, '0')}`;
          return {
            person_id: s.person,
            link_quality: 'deterministic',
            provider_code: s.provider,
            hospital_provider_spell_number: `S${i}`,
            episode_number: 1,
            admission_date: date,
            admission_method: s.emergency ? '21' : '11',
            episode_start_date: date,
            discharge_date: date,
            discharge_method: '1',
          };
        }),
        prescriptions: [],
        mhReferrals: [],
      });
      const out = applyDisclosureControl(declaration, facts.activityByTrustMonth);
      for (const row of out.rows)
        for (const column of declaration.columns) {
          if (column.role !== 'count') continue;
          const shown = row[column.name];
          assert.ok(
            shown === '*' || shown === 0 || (typeof shown === 'number' && shown >= 10 && shown % 5 === 0),
          );
        }
    }),
    { numRuns: 100 },
  );
});
