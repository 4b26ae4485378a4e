import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_DISCLOSURE_POLICY } from '../../../shared/domain/disclosure/disclosure-policy.js';
import { parsePublishedTable } from '../../../shared/domain/disclosure/published-table.js';
import {
  chartFor,
  MART_CHART_SPECS,
  measureColumns,
  projectOfMart,
} from '../../../shared/domain/dashboard/dashboard-charts.js';
import { dashboardData } from '../../../shared/domain/dashboard/dashboard-data.js';
import { PUBLISHED_MARTS } from '../../../shared/domain/disclosure/published-marts.js';
import {
  escapeHtml,
  jsonForScript,
  renderDashboardPage,
} from '../../../shared/domain/dashboard/dashboard-page.js';
import { GuardError, InvariantError } from '../../../shared/domain/errors.js';
import { fixtureData, TEST_FUNNEL, TEST_SPECS } from '../../browser/support/dashboard-fixture.js';

const ASSETS = {
  vega: 'window.vega={};',
  vegaLite: 'window.vegaLite={};',
  vegaEmbed: 'window.vegaEmbed=function(){};',
};
const HOSTILE = `</script><script>alert(1)</script><img src=x onerror=alert(2)> & "quoted" 'single' \u2028`;

const table = (name: string, description: string) =>
  parsePublishedTable({
    name,
    description,
    columns: [
      { role: 'dimension', name: 'provider_code', type: 'code' },
      { role: 'dimension', name: 'period', type: 'month' },
      { role: 'count', name: 'attendances' },
    ],
  });

test('text and data from the marts cannot leave their element: HTML-escaped text, script-safe JSON', () => {
  const hostile = table('hostile_trust_month', `Community 360: ${HOSTILE}`);
  const data = dashboardData({
    marts: [{ table: hostile, rows: [{ provider_code: HOSTILE, period: '2025-01', attendances: 10 }] }],
    policy: DEFAULT_DISCLOSURE_POLICY,
    generatedAt: '2026-12-06T10:00:00.000Z',
  });
  const html = renderDashboardPage(data, ASSETS);
  const start = html.indexOf('id="dashboard-data">') + 'id="dashboard-data">'.length;
  const json = html.slice(start, html.indexOf('</script>', start));
  assert.doesNotMatch(json, /[<>&\u2028]/, 'the JSON holds no <, >, & or line separator');
  // Every <script> in the page is one the page put there: the data, three libraries, the page's own.
  assert.equal(html.match(/<script/g)?.length, 5);
  assert.doesNotMatch(html, /<img/);
  const embedded = JSON.parse(json) as typeof data;
  assert.equal(embedded.pages[0]?.tables[0]?.rows[0]?.provider_code, HOSTILE, 'the value survives as data');
  assert.equal(escapeHtml(HOSTILE).includes('<'), false);
  assert.equal(escapeHtml('"\''), '&quot;&#39;');
  assert.equal(jsonForScript('</script>'), '"\\u003c/script\\u003e"');
});

test('the page asks for nothing outside itself: a CSP that allows no connection and no remote source', () => {
  const html = renderDashboardPage(fixtureData(), ASSETS);
  const csp = (/http-equiv="Content-Security-Policy" content="([^"]+)"/.exec(html)?.[1] ?? '').replace(
    /&#39;/g,
    "'",
  );
  assert.match(csp, /default-src 'none'/);
  assert.match(csp, /connect-src 'none'/);
  assert.doesNotMatch(csp, /https?:|\*/);
  assert.doesNotMatch(html, /<(link|iframe|img)\b|src="http|href="http/);
});

test('a library build that would end its script element is refused, not altered', () => {
  assert.throws(
    () => renderDashboardPage(fixtureData(), { ...ASSETS, vegaLite: 'var s = "</script>";' }),
    (e: unknown) => e instanceof InvariantError && /vega-lite build holds/.test(e.message),
  );
});

test('a small count that disclosure control should have suppressed stops the page (any count column, any row)', () => {
  const t = table('leaky_trust_month', 'CareFlow: leaky');
  for (const value of [1, 4, 7])
    assert.throws(
      () =>
        dashboardData({
          marts: [
            {
              table: t,
              rows: [
                { provider_code: 'RRK', period: '2025-01', attendances: 10 },
                { provider_code: 'RM1', period: '2025-01', attendances: value },
              ],
            },
          ],
          policy: DEFAULT_DISCLOSURE_POLICY,
          generatedAt: '2026-12-06T10:00:00.000Z',
        }),
      (e: unknown) =>
        e instanceof InvariantError &&
        /leaky_trust_month row 2: attendances is a small count/.test(e.message) &&
        !e.message.includes(String(value) + ' '),
    );
});

test('a row-level table is refused even when handed over as published (person id, exact date)', () => {
  for (const columns of [
    [
      { role: 'dimension', name: 'person_id', type: 'code' },
      { role: 'count', name: 'spells' },
    ],
    [
      { role: 'dimension', name: 'discharge_date', type: 'code' },
      { role: 'count', name: 'spells' },
    ],
  ])
    assert.throws(
      () =>
        dashboardData({
          marts: [
            {
              table: parsePublishedTable({ name: 'row_level', description: 'CareFlow: x', columns }),
              rows: [],
            },
          ],
          policy: DEFAULT_DISCLOSURE_POLICY,
          generatedAt: '2026-12-06T10:00:00.000Z',
        }),
      (e: unknown) => e instanceof GuardError && e.code === 'NOT_PUBLISHABLE',
    );
});

test('a page per project, then data quality; --project keeps one project and its datasets’ DQ rows', () => {
  const all = fixtureData();
  assert.deepEqual(
    all.pages.map((p) => p.id),
    ['careflow', 'community360', 'data-quality'],
  );
  const one = fixtureData('community360');
  assert.deepEqual(
    one.pages.map((p) => p.id),
    ['community360', 'data-quality'],
  );
  const dq = one.pages[1]?.tables ?? [];
  assert.ok(dq.length === 2 && dq.every((t) => t.rows.length > 0));
  for (const t of dq)
    for (const row of t.rows) assert.equal(row.dataset, 'ecds', `${t.name} keeps Community 360's datasets`);
});

test('every chart spec names measures its published table declares (a spec out of step falls back to the declaration)', () => {
  const data = fixtureData();
  for (const page of data.pages)
    for (const t of page.tables) {
      const declared = t.columns
        .filter((c) => !['dimension', 'context'].includes(c.role) || page.id === 'data-quality')
        .map((c) => c.name);
      for (const m of t.measures) assert.ok(declared.includes(m), `${t.name}: ${m}`);
    }
  const funnel = TEST_SPECS.find((s) => s.kind === 'funnel' && s.mart === TEST_FUNNEL.name);
  assert.equal(data.pages.flatMap((p) => p.tables).find((t) => t.name === funnel?.mart)?.kind, 'funnel');
});

test('a chart spec whose mart is published is used as written: its measures are columns of the declaration', () => {
  for (const spec of MART_CHART_SPECS) {
    const table = PUBLISHED_MARTS[spec.mart];
    if (!table) continue; // a mart not published (yet) is simply not drawn
    assert.equal(
      chartFor(table),
      spec,
      `${spec.mart}: ${spec.measures.filter((m) => !measureColumns(table).includes(m)).join(', ')}`,
    );
    assert.ok(projectOfMart(table) !== undefined, `${spec.mart} belongs to a project`);
  }
});
