import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CliIo } from '../../../shared/cli/cli-io.js';
import { main } from '../../../shared/cli/main.js';
import {
  filterDqRows,
  renderDqScorecard,
  renderDqSummary,
  summariseDq,
} from '../../../shared/domain/dq/dq-render.js';
import type { DqScorecardRow } from '../../../shared/domain/dq/dq-scorecard.js';

type Dataset = 'sus_apc' | 'prescribing';
const TABLE_OF = { sus_apc: 'sus_apc_episode', prescribing: 'prescribing_item' } as const;

/** The scorecard rows of one provider × dataset × month: records, quarantined, DQMI, items, rules. */
function month(
  provider: string,
  dataset: Dataset,
  period: string,
  m: {
    records: number;
    quarantined?: number;
    dqmi: number | null;
    items?: Record<string, number>;
    rules?: Record<string, number>;
  },
): DqScorecardRow[] {
  const table = TABLE_OF[dataset];
  const base = { provider_code: provider, dataset, period, field: null, rule_id: null };
  const q = m.quarantined ?? 0;
  return [
    { ...base, table, measure: 'records', numerator: m.records, denominator: m.records, score: 100 },
    {
      ...base,
      table,
      measure: 'quarantined',
      numerator: q,
      denominator: m.records,
      score: (q / m.records) * 100,
    },
    { ...base, table: null, measure: 'coverage', numerator: 1, denominator: 1, score: 100 },
    { ...base, table: null, measure: 'dqmi_score', numerator: 0, denominator: 1, score: m.dqmi },
    ...Object.entries(m.items ?? {}).map(([field, score]) => ({
      ...base,
      table,
      field,
      measure: 'item_score' as const,
      numerator: score / 100,
      denominator: 1,
      score,
    })),
    ...Object.entries(m.rules ?? {}).map(([rule_id, failed]) => ({
      ...base,
      table,
      rule_id,
      measure: 'rule_failure_rate' as const,
      numerator: failed,
      denominator: m.records,
      score: (failed / m.records) * 100,
    })),
  ];
}

const ROWS: DqScorecardRow[] = [
  // A trust: two months, the second worse; one field fails in both months, one rule fails.
  ...month('RRK', 'sus_apc', '2026-08', {
    records: 300,
    quarantined: 3,
    dqmi: 98,
    items: { nhs_number: 97, sex: 100, patient_classification: 50 },
    rules: { 'SUS.A': 3 },
  }),
  ...month('RRK', 'sus_apc', '2026-09', {
    records: 100,
    dqmi: 90,
    items: { nhs_number: 92, sex: 95 },
    rules: { 'SUS.B': 0 },
  }),
  // A clean trust.
  ...month('RJ1', 'sus_apc', '2026-09', { records: 50, dqmi: 100, items: { nhs_number: 100 } }),
  // Many tiny GP-practice months: the worst is a single bad record.
  ...month('D82063', 'prescribing', '2026-09', {
    records: 1,
    quarantined: 1,
    dqmi: 40,
    items: { nhs_number: 0, bnf_code: 80 },
    rules: { 'P.X': 1 },
  }),
  ...month('D82064', 'prescribing', '2026-09', { records: 3, dqmi: 99, items: { bnf_code: 99 } }),
  ...month('D82065', 'prescribing', '2026-09', { records: 2, dqmi: null }),
];

test('the summary weighs each month DQMI by its records, names the worst month and counts failing items and rules', () => {
  const { providers, datasets } = summariseDq(ROWS);
  const rrk = providers.find((l) => l.provider === 'RRK');
  assert.deepEqual(rrk, {
    provider: 'RRK',
    dataset: 'sus_apc',
    providers: 1,
    months: 2,
    records: 400,
    quarantined: 3,
    dqmi: (98 * 300 + 90 * 100) / 400,
    worstMonth: { period: '2026-09', dqmi: 90 },
    // nhs_number (both months) and sex (2026-09), each once; patient_classification is not a
    // DQMI index item, so it is not one of the score's failing items.
    failingItems: 2,
    failingRules: 1, // SUS.A failed 3 records; SUS.B failed none
  });
  const sus = datasets.find((l) => l.dataset === 'sus_apc');
  assert.equal(sus?.provider, null);
  assert.equal(sus?.providers, 2);
  assert.equal(sus?.records, 450);
  assert.equal(sus?.dqmi, (98 * 300 + 90 * 100 + 100 * 50) / 450);
});

test('summary lines are worst first: lowest DQMI, an unscored line last', () => {
  const { providers, datasets } = summariseDq(ROWS);
  assert.deepEqual(
    providers.map((l) => l.provider),
    ['D82063', 'RRK', 'D82064', 'RJ1', 'D82065'],
  );
  for (const lines of [providers, datasets]) {
    const scores = lines.map((l) => l.dqmi).filter((s): s is number => s !== null);
    assert.deepEqual(
      scores,
      [...scores].sort((a, b) => a - b),
    );
    const firstNull = lines.findIndex((l) => l.dqmi === null);
    if (firstNull >= 0) assert.ok(lines.slice(firstNull).every((l) => l.dqmi === null));
  }
});

test('the rendered summary shows every dataset, then the top N provider lines and how many more', () => {
  const text = renderDqSummary(ROWS, { top: 2 });
  const lines = text.trimEnd().split('\n');
  assert.equal(lines[0], 'per dataset, worst first:');
  assert.match(
    lines[1] ?? '',
    /^dataset\s+providers\s+months\s+records\s+quar%\s+DQMI\s+worst month\s+failing items\s+failing rules$/,
  );
  assert.match(lines[3] ?? '', /^prescribing\s+3\s+1\s+6\s+16\.7\s+/);
  assert.match(lines[4] ?? '', /^sus_apc\s+2\s+2\s+450\s+0\.7\s+96\.4\s+2026-09 90\.0\s+2\s+1$/);
  const providerAt = lines.indexOf('per provider and dataset, worst first:');
  assert.ok(providerAt > 0);
  const body = lines.slice(providerAt + 3);
  assert.equal(body.length, 3);
  assert.match(body[0] ?? '', /^D82063\s+prescribing\s+1\s+1\s+100\.0\s+40\.0\s+2026-09 40\.0\s+2\s+1$/);
  assert.match(body[1] ?? '', /^RRK\s+sus_apc\s/);
  assert.equal(body[2], '… 3 more provider lines: --top N shows more, a filter narrows');
  assert.ok(!renderDqSummary(ROWS, { top: 10 }).includes('more provider'));
  assert.equal(renderDqSummary([], { top: 5 }), 'no data-quality results\n');
});

test('filters keep only the rows of the dataset, provider and month asked for, in any combination', () => {
  const filters = [
    { dataset: 'prescribing' },
    { provider: 'RRK' },
    { period: '2026-08' },
    { dataset: 'sus_apc', period: '2026-09' },
  ];
  for (const filter of filters) {
    const kept = filterDqRows(ROWS, filter);
    assert.ok(kept.length > 0, JSON.stringify(filter));
    for (const r of ROWS) {
      const wanted =
        (filter.dataset === undefined || r.dataset === filter.dataset) &&
        ('provider' in filter ? r.provider_code === filter.provider : true) &&
        ('period' in filter ? r.period === filter.period : true);
      assert.equal(kept.includes(r), wanted, JSON.stringify({ filter, r }));
    }
  }
});

test('the monthly lines can be ordered worst first and cut to the top N', () => {
  const text = renderDqScorecard(ROWS, { order: 'worst', top: 3 });
  const body = text.trimEnd().split('\n').slice(2);
  assert.deepEqual(
    body.slice(0, 3).map((l) => l.split(/\s+/).slice(0, 3).join(' ')),
    ['D82063 prescribing 2026-09', 'RRK sus_apc 2026-09', 'RRK sus_apc 2026-08'],
  );
  assert.equal(body[3], '… 3 more month lines: --top N shows more, a filter narrows');
});

function capture(): CliIo & { out_: string[]; err_: string[] } {
  const out_: string[] = [];
  const err_: string[] = [];
  return { out_, err_, out: (l) => out_.push(l), err: (l) => err_.push(l) };
}

test('nhs-flows dq refuses a bad filter before it opens anything, saying what it expected (exit 2)', async () => {
  const cases: [string[], RegExp][] = [
    [['--dataset', 'hes'], /^nhs-flows dq: --dataset: expected one of sus_apc, .*dids, received 'hes'$/],
    [
      ['--provider', 'R!K'],
      /^nhs-flows dq: --provider: expected an ODS code \(3 to 10 letters or digits\), received 'R!K'$/,
    ],
    [['--period', '2026-13'], /^nhs-flows dq: --period: expected a month YYYY-MM, received '2026-13'$/],
    [['--period', '2026-9'], /^nhs-flows dq: --period: expected a month YYYY-MM, received '2026-9'$/],
    [['--top', '0'], /^nhs-flows dq: --top: expected a whole number of at least 1, received '0'$/],
    [['--top', 'all'], /^nhs-flows dq: --top: expected a whole number of at least 1, received 'all'$/],
  ];
  for (const [argv, message] of cases) {
    const io = capture();
    assert.equal(await main(['dq', ...argv], io), 2, argv.join(' '));
    assert.deepEqual(io.out_, []);
    assert.match(io.err_.join('\n'), message);
  }
});
