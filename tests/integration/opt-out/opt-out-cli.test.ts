import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../support/cli-process.js';
import { testNhsNumber } from '../pipeline/pipeline-harness.js';

// The commands as an operator types them (the CLI as a child process, on a fresh data dir): import,
// status, a refused list, and the export's withheld line on stderr.

let dir: string;
let env: NodeJS.ProcessEnv;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'nhsflows-optout-cli-'));
  env = { ...process.env, NHSFLOWS_DATA_DIR: join(dir, 'data') };
});
after(() => {
  rmSync(dir, { recursive: true, force: true });
});

const NUMBERS = [testNhsNumber(201), testNhsNumber(202), testNhsNumber(203)];

test('nhs-flows opt-out import stores the list and prints counts and ids, never a number; status shows it suppressed', async () => {
  const file = join(dir, 'ndoo.csv');
  writeFileSync(
    file,
    `nhs_number,effective_from,withdrawn_on\n${NUMBERS.map((n) => `${n},2025-01-01,`).join('\n')}\n`,
  );
  const run = await runCli(['opt-out', 'import', file], env);
  assert.equal(run.code, 0, run.stderr);
  assert.match(
    run.stdout,
    /^opt-out list optout-\S+ imported: 3 period\(s\) of 3 patient\(s\), as tokens only/,
  );
  assert.match(run.stdout, /audit record /);
  for (const n of NUMBERS) assert.ok(!(run.stdout + run.stderr).includes(n), 'an NHS number was printed');

  const status = await runCli(['opt-out', 'status', '--json'], env);
  assert.equal(status.code, 0, status.stderr);
  const shown = JSON.parse(status.stdout) as {
    listId: string;
    entries: string;
    projects: Record<string, string>;
  };
  assert.match(shown.listId, /^optout-/);
  assert.equal(shown.entries, '*'); // 3 periods: disclosure-controlled like every opt-out count
  assert.match(shown.projects.careflow ?? '', /^filtered/);
});

test('a bad list exits 1 naming the line and field, and the list in force stays', async () => {
  const file = join(dir, 'bad.csv');
  writeFileSync(file, `nhs_number,effective_from\n${testNhsNumber(204)},01/02/2025\n`);
  const run = await runCli(['opt-out', 'import', file], env);
  assert.equal(run.code, 1);
  assert.match(run.stderr, /line 2 effective_from: expected a date YYYY-MM-DD/);
  assert.ok(!(run.stdout + run.stderr).includes(testNhsNumber(204)));
  const status = await runCli(['opt-out', 'status'], env);
  assert.equal(status.code, 0);
  assert.match(status.stdout, /opt-out list in force: optout-\S+ imported \S+ \(\* period\(s\)\)/);
});

test('nhs-flows export says on stderr how many rows the opt-out withheld, and keeps stdout the CSV', async () => {
  const run = await runCli(['export', 'fact_activity', '--restricted'], env);
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /^activity_id,/);
  assert.ok(!run.stdout.includes('withheld'));
  assert.ok(
    run.stderr.includes(
      'export: rows withheld under the National Data Opt-out: 0 (0, * for 1-7, else to the nearest 5)',
    ),
  );
});

test('opt-out with no action, or import with no file, is a usage error (exit 2)', async () => {
  const none = await runCli(['opt-out'], env);
  assert.equal(none.code, 2);
  assert.match(none.stderr, /expected import or status; received nothing/);
  const noFile = await runCli(['opt-out', 'import'], env);
  assert.equal(noFile.code, 2);
  assert.match(noFile.stderr, /the opt-out list file is required/);
});
