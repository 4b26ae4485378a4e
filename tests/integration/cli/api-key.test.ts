import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { apiKeyHash } from '../../../shared/domain/data-api/api-key.js';
import { LOCAL_SECRETS_FILE_NAME } from '../../../shared/cli/local-environment.js';
import { runCli } from '../../support/cli-process.js';

// `nhs-flows api-key` and `nhs-flows api-usage` as an operator types them, on a fresh data dir:
// the key is printed once on stdout and only its hash reaches the local secrets file.

let dir: string;
let env: NodeJS.ProcessEnv;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'nhsflows-api-key-cli-'));
  env = { ...process.env, NHSFLOWS_DATA_DIR: join(dir, 'data') };
  delete env.NHSFLOWS_LOCAL_SECRETS_FILE;
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('api-key create prints the key once and stores only its SHA-256', async () => {
  const first = await runCli(['api-key', 'create', '--client', 'careflow-analytics'], env);
  assert.equal(first.code, 0, first.stderr);
  const key = first.stdout.trim();
  assert.match(key, /^nhsflows_careflow-analytics_[A-Za-z0-9_-]{43}$/);
  assert.match(
    first.stderr,
    /api key for careflow-analytics \(project careflow\) created, version v1, audit record \S+;/,
  );
  const secrets = readFileSync(join(dir, 'data', LOCAL_SECRETS_FILE_NAME), 'utf8');
  assert.ok(!secrets.includes(key.slice(-43)), 'the key itself is not stored');
  assert.ok(secrets.includes(apiKeyHash(key)), 'its hash is');
});

test('api-key refuses an undeclared client naming the declared ones; list names them', async () => {
  const refused = await runCli(['api-key', 'create', '--client', 'nobody'], env);
  assert.equal(refused.code, 2);
  assert.equal(refused.stdout, '');
  assert.match(
    refused.stderr,
    /'nobody' is not a declared data API client \(declared: careflow-analytics, community360-analytics\)/,
  );
  const list = await runCli(['api-key', 'list'], env);
  assert.equal(list.code, 0);
  assert.match(list.stdout, /^careflow-analytics {2}project careflow {2}60 requests\/minute$/m);
  assert.match(list.stdout, /^community360-analytics {2}project community360/m);
});

test('api-usage reads the usage log (empty on a fresh data dir) and checks its dates', async () => {
  const run = await runCli(['api-usage', '--summary'], env);
  assert.equal(run.code, 0, run.stderr);
  assert.equal(run.stdout, '');
  const bad = await runCli(['api-usage', '--since', '1 Dec'], env);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--since: expected YYYY-MM-DD/);
});
