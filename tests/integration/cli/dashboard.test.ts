import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDbWarehouse } from '../../../shared/adapters/local/duckdb-warehouse.js';
import { loadReferenceData } from '../../../shared/adapters/local/reference-data.loader.js';
import type { ObjectStore } from '../../../shared/application/ports/object-store.port.js';
import type { DashboardData } from '../../../shared/domain/dashboard/dashboard-data.js';
import { PUBLISHED_MARTS } from '../../../shared/domain/disclosure/published-marts.js';
import { MART_DQ_SCORECARD, MART_TABLES } from '../../../shared/domain/gold/mart-tables.js';
import {
  SUBMITTED_DATASETS,
  type SubmittedDataset,
} from '../../../shared/domain/reference/reference-data.js';
import { runCli } from '../../support/cli-process.js';

// `nhs-flows dashboard` as an operator types it, on a data dir whose warehouse holds a small DQ
// scorecard (no host running, so the CLI opens the warehouse itself): the page is written, holds
// every published mart and the DQ views, measures coverage against the reference data's expected
// submitters, and carries nothing from the restricted scorecard beyond records and DQMI score.

let dir: string;
let env: NodeJS.ProcessEnv;
const CANARY = 'CANARY_RULE_QZX';

const scorecardRow = (
  provider: string,
  dataset: string,
  measure: string,
  numerator: number,
  score: number | null,
  rule: string | null = null,
) =>
  `('${provider}', '${dataset}', ${measure === 'records' || rule ? `'${dataset}_table'` : 'NULL'}, '2025-01', ${rule ? "'FIELD'" : 'NULL'}, ${rule ? `'${rule}'` : 'NULL'}, '${measure}', ${numerator}, ${numerator}, ${score ?? 'NULL'})`;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'nhsflows-dashboard-cli-'));
  const dataDir = join(dir, 'data');
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  env = { ...process.env, NHSFLOWS_DATA_DIR: dataDir };
  const warehouse = await DuckDbWarehouse.open({
    path: join(dataDir, 'warehouse.duckdb'),
    lake: {} as ObjectStore,
  });
  try {
    await warehouse.ensureSchema(MART_TABLES);
    await warehouse.query(
      `INSERT INTO "${MART_DQ_SCORECARD.name}" VALUES ${[
        scorecardRow('RRK', 'ecds', 'records', 120, 100),
        scorecardRow('RRK', 'ecds', 'dqmi_score', 9, 91.46),
        scorecardRow('RM1', 'ecds', 'records', 4, 100),
        scorecardRow('RM1', 'ecds', 'dqmi_score', 9, 77.3),
        scorecardRow('RRK', 'sus_apc', 'records', 50, 100),
        scorecardRow('RRK', 'sus_apc', 'dqmi_score', 9, 95),
        scorecardRow('RRK', 'ecds', 'rule_failure_rate', 3, 2.5, CANARY),
      ].join(', ')}`,
    );
  } finally {
    await warehouse.close();
  }
});
after(() => rmSync(dir, { recursive: true, force: true }));

const embedded = (html: string): DashboardData => {
  const start = html.indexOf('id="dashboard-data">') + 'id="dashboard-data">'.length;
  return JSON.parse(html.slice(start, html.indexOf('</script>', start))) as DashboardData;
};

test('nhs-flows dashboard writes one page from the published marts and the DQ views, coverage against expected submitters', async () => {
  const out = join(dir, 'report.html');
  const run = await runCli(['dashboard', '--out', out], env);
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /^dashboard: wrote .*report\.html \(.*published tables/);
  const html = readFileSync(out, 'utf8');
  assert.ok(html.startsWith('<!doctype html>'));
  assert.ok(!html.includes(CANARY), 'nothing from the scorecard beyond records and DQMI score');
  const data = embedded(html);
  const names = data.pages.flatMap((p) => p.tables.map((t) => t.name));
  for (const name of Object.keys(PUBLISHED_MARTS)) assert.ok(names.includes(name), `${name} has a card`);
  assert.deepEqual(
    names.filter((n) => !(n in PUBLISHED_MARTS)).sort(),
    ['dq_coverage_month', 'dq_provider_month'],
    'no other table is embedded',
  );
  const dq = data.pages.find((p) => p.id === 'data-quality');
  const coverage = dq?.tables.find((t) => t.name === 'dq_coverage_month')?.rows ?? [];
  const reference = loadReferenceData();
  const expected = (dataset: SubmittedDataset) => reference.expectedSubmitters(dataset, '2025-01-01').length;
  const pct = (submitted: number, of: number) => Math.round((submitted / of) * 1000) / 10;
  assert.deepEqual(
    coverage.map((r) => [r.dataset, r.expected_providers, r.submitted_providers, r.coverage_pct]),
    SUBMITTED_DATASETS.map((d) => {
      const submitted = d === 'sus_apc' ? 1 : d === 'ecds' ? 2 : 0;
      return [d, expected(d), submitted, pct(submitted, expected(d))];
    }),
  );
  const scores = dq?.tables.find((t) => t.name === 'dq_provider_month')?.rows ?? [];
  const rm1 = scores.find((r) => r.provider_code === 'RM1');
  assert.deepEqual(
    [rm1?.records, rm1?.dqmi_score],
    ['*', '*'],
    'four records: suppressed, and the score over them',
  );
  const rrk = scores.find((r) => r.provider_code === 'RRK' && r.dataset === 'ecds');
  assert.deepEqual([rrk?.records, rrk?.dqmi_score], [120, 91.5]);
});

test('nhs-flows dashboard refuses an unknown project and a missing --out (exit 2, nothing written)', async () => {
  const unknown = await runCli(['dashboard', '--project', 'elsewhere', '--out', join(dir, 'x.html')], env);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /unknown project 'elsewhere'; expected one of careflow, community360/);
  const noOut = await runCli(['dashboard'], env);
  assert.equal(noOut.code, 2);
  assert.match(noOut.stderr, /--out <file\.html> is required/);
});
