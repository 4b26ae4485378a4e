// The dashboard page in a real headless Chromium: built from a small hand-built published set
// through the real disclosure engine and page builder, opened from a file:// URL with every other
// request intercepted and failed. NHSFLOWS_TEST_DASHBOARD=<page.html> runs the same checks on a
// page `nhs-flows dashboard` wrote (after `npm start`); the checks tied to the hand-built set's
// known cells are then left out.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { BrowserContext, Page } from 'playwright-core';
import { loadDashboardAssets } from '../../shared/adapters/local/dashboard-assets.js';
import { renderDashboardPage } from '../../shared/domain/dashboard/dashboard-page.js';
import { fixtureData, SMALL_CELL, TRUSTS } from './support/dashboard-fixture.js';
import { launchChromium, skipBrowser } from './support/chromium.js';

const OUT = join(process.env.NHSFLOWS_TEST_OUT ?? '.test-out', 'browser');
const dir = mkdtempSync(join(tmpdir(), 'nhsflows-dashboard-'));
const given = process.env.NHSFLOWS_TEST_DASHBOARD;
const file = given ? resolve(given) : join(dir, 'report.html');
const pageUrl = pathToFileURL(file).href;

let browser: { context: BrowserContext; close: () => Promise<void> } | undefined;
let page: Page;
const consoleErrors: string[] = [];
const pageErrors: string[] = [];
const requests: string[] = [];

before(async () => {
  if (skipBrowser) return;
  if (!given) writeFileSync(file, renderDashboardPage(fixtureData(), loadDashboardAssets()));
  browser = await launchChromium();
  await browser.context.route('**/*', async (route) => {
    const url = route.request().url();
    if (url === pageUrl) return route.continue();
    requests.push(url);
    return route.abort();
  });
  browser.context.on('request', (request) => {
    if (request.url() !== pageUrl && !request.url().startsWith('data:')) requests.push(request.url());
  });
  page = await browser.context.newPage();
  page.on('console', (message) => {
    if (message.type() === 'error') consoleErrors.push(message.text());
  });
  page.on('pageerror', (error) => pageErrors.push(error.message));
  await page.goto(pageUrl, { waitUntil: 'load' });
  await chartsSettled();
});

after(async () => {
  await browser?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Waits until every chart on the page is drawn or found empty (never still drawing). */
async function chartsSettled(): Promise<void> {
  await page.waitForFunction(
    "[...document.querySelectorAll('[data-chart]')].every((c) => ['rendered', 'empty', 'error'].includes(c.getAttribute('data-state') || ''))",
    undefined,
    { timeout: 30_000 },
  );
}

/** Runs a browser-side expression (the tests compile without the DOM library, so it is text). */
const inPage = async <T>(expression: string): Promise<T> => await page.evaluate(expression);

interface ChartState {
  name: string;
  state: string | null;
  points: number;
  marks: number;
}
const charts = () =>
  inPage<ChartState[]>(`[...document.querySelectorAll('[data-chart]')].map((n) => ({
    name: n.getAttribute('data-chart') || '',
    state: n.getAttribute('data-state'),
    points: Number(n.getAttribute('data-points')),
    marks: n.querySelectorAll('svg .role-mark path, svg .role-mark line, svg .role-mark rect').length,
  }))`);

test(
  'the page loads with no console error, no page error and no request beyond its own file',
  { skip: skipBrowser },
  () => {
    assert.deepEqual(pageErrors, []);
    assert.deepEqual(consoleErrors, []);
    assert.deepEqual(requests, []);
  },
);

test(
  'every chart on every page is drawn with data: rendered marks for its points',
  { skip: skipBrowser },
  async () => {
    const drawn = await charts();
    // Activity and funnel on the project pages, coverage and DQMI on the data-quality page.
    if (!given)
      assert.deepEqual(drawn.map((c) => c.name).sort(), [
        'dq_coverage_month',
        'dq_provider_month',
        'test_activity_trust_month',
        'test_ae_funnel_trust_month',
      ]);
    for (const chart of drawn) {
      // A real run's small table can be suppressed whole (every cell *): nothing to draw, said so.
      if (given && chart.state === 'empty' && chart.points === 0) continue;
      assert.equal(chart.state, 'rendered', `${chart.name} is drawn`);
      assert.ok(chart.points > 0, `${chart.name} has data points`);
      assert.ok(chart.marks > 0, `${chart.name} has rendered marks`);
    }
    assert.ok(drawn.filter((c) => c.state === 'rendered').length >= (given ? 3 : drawn.length));
  },
);

test(
  'suppressed cells render as *, and no count or total cell shows 1 to 7',
  { skip: skipBrowser },
  async () => {
    type Cell = { text: string; role: string | null; suppressed: boolean };
    const cells = await inPage<
      Record<string, Cell>[]
    >(`[...document.querySelectorAll('table.figures tbody tr')].map((tr) =>
      Object.fromEntries([...tr.querySelectorAll('td')].map((td) => [
        td.getAttribute('data-column') || '',
        { text: td.textContent || '', role: td.getAttribute('data-role'), suppressed: td.classList.contains('suppressed') },
      ])))`);
    if (!given) {
      const small = cells.find(
        (row) =>
          row.provider_code?.text === SMALL_CELL.provider_code &&
          row.period?.text === SMALL_CELL.period &&
          row[SMALL_CELL.column],
      );
      assert.equal(small?.[SMALL_CELL.column]?.text, '*');
      assert.equal(small?.[SMALL_CELL.column]?.suppressed, true);
    }
    let counted = 0;
    for (const row of cells)
      for (const [column, cell] of Object.entries(row)) {
        if (cell.role !== 'count' && cell.role !== 'total') continue;
        counted++;
        assert.ok(
          cell.text === '*' || cell.text === '0' || Number(cell.text) >= 8,
          `${column} shows '${cell.text}'`,
        );
        if (cell.text !== '*') assert.equal(Number(cell.text) % 5, 0, `${column} is rounded to 5`);
      }
    assert.ok(counted > (given ? 0 : 50), `checked ${counted} count cells`);
    for (const row of cells)
      for (const cell of Object.values(row)) assert.equal(cell.suppressed, cell.text === '*');
    const legend = await page.textContent('#suppression-legend');
    assert.match(legend ?? '', /\* = a count from 1 to 7/);
    assert.match(legend ?? '', /rounded to the nearest 5/);
  },
);

test(
  'the trust and period filters change what the tables and charts show',
  { skip: skipBrowser },
  async () => {
    // The hand-built set's activity table, or on a given page the first table with two trusts.
    const tables = await inPage<{ name: string; trust: string; period: string }[][]>(
      `[...document.querySelectorAll('table[data-table]')].map((t) => [...t.querySelectorAll('tbody tr')].map((tr) => ({
        name: t.getAttribute('data-table'),
        trust: tr.querySelector('[data-column="provider_code"]')?.textContent || '',
        period: tr.querySelector('[data-column="period"]')?.textContent || '',
      })))`,
    );
    const chosen = given
      ? tables.find(
          (rows) =>
            new Set(rows.map((r) => r.trust).filter(Boolean)).size >= 2 &&
            new Set(rows.map((r) => r.period)).size >= 2,
        )
      : tables.find((rows) => rows[0]?.name === 'test_activity_trust_month');
    const name = chosen?.[0]?.name ?? '';
    assert.ok(chosen && name, 'a table with two trusts and two months');
    const count = (rows: { trust: string }[], trust: string) => rows.filter((r) => r.trust === trust).length;
    const trust = given
      ? ([...new Set(chosen.map((r) => r.trust))].sort((a, b) => count(chosen, b) - count(chosen, a))[0] ??
        '')
      : 'RM1';
    const periods = [...new Set(chosen.filter((r) => r.trust === trust).map((r) => r.period))].sort();
    const from = given ? (periods[Math.floor(periods.length / 2)] ?? '') : '2025-03';
    const rowsNow = () =>
      inPage<{ trust: string | undefined; period: string | undefined }[]>(
        `[...document.querySelectorAll('table[data-table="${name}"] tbody tr')].map((tr) => ({
          trust: tr.querySelector('[data-column="provider_code"]')?.textContent,
          period: tr.querySelector('[data-column="period"]')?.textContent,
        }))`,
      );
    const points = async () => (await charts()).find((c) => c.name === name)?.points ?? 0;
    const before = await rowsNow();
    const pointsBefore = await points();
    if (!given) assert.equal(new Set(before.map((r) => r.trust)).size, TRUSTS.length);

    await page.selectOption('#filter-trust', trust);
    await chartsSettled();
    const oneTrust = await rowsNow();
    assert.ok(oneTrust.length > 0 && oneTrust.length < before.length);
    assert.ok(oneTrust.every((r) => r.trust === trust));
    const pointsAfter = await points();
    assert.ok(pointsAfter > 0 && pointsAfter < pointsBefore, `points ${pointsBefore} → ${pointsAfter}`);

    await page.selectOption('#filter-from', from);
    await chartsSettled();
    const later = await rowsNow();
    assert.ok(later.length > 0 && later.length < oneTrust.length);
    assert.ok(later.every((r) => r.trust === trust && (r.period ?? '') >= from));
    assert.deepEqual(pageErrors, []);
    assert.deepEqual(consoleErrors, []);

    await page.selectOption('#filter-trust', '');
    await page.selectOption('#filter-from', { index: 0 });
    await chartsSettled();
    assert.equal((await rowsNow()).length, before.length);
  },
);

test('a screenshot of each page is saved as a test artefact', { skip: skipBrowser }, async () => {
  mkdirSync(OUT, { recursive: true });
  const tabs = await inPage<string[]>(
    `[...document.querySelectorAll('.tab')].map((n) => n.getAttribute('data-page') || '')`,
  );
  assert.ok(tabs.length >= 3);
  for (const id of tabs) {
    await page.click(`.tab[data-page="${id}"]`);
    const shot = join(OUT, `dashboard-${id}.png`);
    const bytes = await page.screenshot({ path: shot, fullPage: true });
    assert.ok(bytes.length > 10_000, `${shot} holds an image`);
  }
  if (process.env.NHSFLOWS_UPDATE_SCREENSHOT === '1') {
    await page.click(`.tab[data-page="${tabs[0]}"]`);
    await page.screenshot({ path: join('docs', 'images', 'dashboard.png') });
  }
  copyFileSync(join(OUT, `dashboard-${tabs[0]}.png`), join(OUT, 'dashboard.png'));
});
