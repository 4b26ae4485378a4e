import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OMOP_TABLES } from '../../../shared/domain/omop/omop-cdm-tables.js';
import { runCli } from '../../support/cli-process.js';

// `nhs-flows omop` as an operator types it, on a fresh data dir (an empty warehouse): one file per
// declared table with the CDM columns in order, the checks printed and passing, the vocabulary read;
// bad options are refused before anything opens.

let dir: string;
let env: NodeJS.ProcessEnv;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'nhsflows-omop-cli-'));
  env = { ...process.env, NHSFLOWS_DATA_DIR: join(dir, 'data') };
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('nhs-flows omop writes every declared table with its CDM header and prints passing checks', async () => {
  const out = join(dir, 'csv');
  const run = await runCli(['omop', '--out', out, '--vocabulary', 'tests/fixtures/omop-vocabulary'], env);
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stderr, /omop: vocabulary: \d+ concepts, \d+ 'Maps to' mappings/);
  assert.match(run.stderr, /audit record \S+/);
  for (const table of OMOP_TABLES) {
    const text = readFileSync(join(out, `${table.name}.csv`), 'utf8');
    assert.equal(text, `${table.columns.map((c) => c.name).join(',')}\n`, table.name);
  }
  const checks = run.stdout.split('\n').filter((l) => /^(PASS|FAIL) /.test(l));
  assert.ok(checks.length > OMOP_TABLES.length, run.stdout);
  assert.deepEqual(
    checks.filter((l) => l.startsWith('FAIL')),
    [],
  );
});

test('--format parquet writes Parquet files; bad options exit 2 and write nothing', async () => {
  const out = join(dir, 'parquet');
  const run = await runCli(['omop', '--out', out, '--format', 'parquet'], env);
  assert.equal(run.code, 0, run.stderr);
  for (const table of OMOP_TABLES)
    assert.equal(
      readFileSync(join(out, `${table.name}.parquet`))
        .subarray(0, 4)
        .toString(),
      'PAR1',
    );

  for (const args of [
    ['omop'],
    ['omop', '--out', join(dir, 'x'), '--format', 'xlsx'],
    ['omop', '--out', join(dir, 'x'), '--vocabulary', join(dir, 'no-such-dir')],
  ]) {
    const refused = await runCli(args, env);
    assert.equal(refused.code, 2, `${args.join(' ')}: ${refused.stderr}`);
    assert.match(refused.stderr, /^omop: /);
  }
  assert.ok(!existsSync(join(dir, 'x')));
});
