import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  LOCAL_ADMIN_KEY_SECRET,
  LOCAL_SECRETS_FILE_NAME,
  localAdminSecrets,
  localSettings,
  secureLocalFiles,
} from '../../../shared/cli/local-environment.js';
import { openPipelineHarness, type PipelineHarness } from '../pipeline/pipeline-harness.js';

// The local host as `nhs-flows start` opens it (real registrations, real durable API on loopback):
// state-changing endpoints need the local admin key, cross-origin and non-JSON writes are refused,
// /api/health stays open, and the data dir and secrets file are owner-only.

let h: PipelineHarness;
before(async () => {
  h = await openPipelineHarness();
});
after(async () => {
  await h?.close();
});

const origin = () => h.host.origin ?? '';
const withKey = (headers: Record<string, string> = {}) => ({ 'x-functions-key': h.env.adminKey, ...headers });

test('GET /api/health answers without a key', async () => {
  const response = await fetch(`${origin()}/api/health`);
  assert.equal(response.status, 200);
});

test('every state-changing endpoint answers 401 without the local admin key and works with it', async () => {
  const cases: [string, RequestInit][] = [
    ['/api/replay', { method: 'POST' }],
    ['/api/keys/rekey', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }],
    ['/api/keys/status', { method: 'GET' }],
    [
      '/api/reidentify',
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ project: 'careflow', purpose: 'x', tokens: [] }),
      },
    ],
    ['/runtime/webhooks/durabletask/instances/no-such-instance', { method: 'GET' }],
    ['/durabletask/instances/no-such-instance', { method: 'GET' }],
    ['/durabletask/orchestrators/pipelineOrchestrator', { method: 'POST', body: 'null' }],
  ];
  for (const [path, init] of cases) {
    const response = await fetch(`${origin()}${path}`, init);
    assert.equal(response.status, 401, `${init.method} ${path} without the key`);
    assert.equal(await response.text(), 'unauthorised: the local admin key is required\n');
  }
  const wrong = await fetch(`${origin()}/api/replay`, {
    method: 'POST',
    headers: { 'x-functions-key': `${h.env.adminKey}x` },
  });
  assert.equal(wrong.status, 401, 'a wrong key is refused');

  assert.equal((await fetch(`${origin()}/api/replay`, { method: 'POST', headers: withKey() })).status, 202);
  assert.equal((await fetch(`${origin()}/api/keys/status`, { headers: withKey() })).status, 200);
  const rekey = await fetch(`${origin()}/api/keys/rekey`, {
    method: 'POST',
    headers: withKey({ 'content-type': 'application/json' }),
    body: '{}',
  });
  assert.equal(rekey.status, 200);
  // The durable API with the key (header, or code= as the management URLs carry it): known answers.
  const status = await fetch(
    `${origin()}/runtime/webhooks/durabletask/instances/no-such-instance?code=${h.env.adminKey}`,
  );
  assert.equal(status.status, 404);
  const rpc = await fetch(`${origin()}/durabletask/${h.env.adminKey}/instances/no-such-instance`);
  assert.equal(rpc.status, 404);
});

test('a cross-origin request is refused even with the key; the host’s own loopback origin is accepted', async () => {
  for (const foreign of ['http://evil.example', 'null', `http://127.0.0.1:1`]) {
    const response = await fetch(`${origin()}/api/replay`, {
      method: 'POST',
      headers: withKey({ origin: foreign }),
    });
    assert.equal(response.status, 403, foreign);
    assert.equal(await response.text(), 'cross-origin request refused\n');
  }
  const own = await fetch(`${origin()}/api/replay`, {
    method: 'POST',
    headers: withKey({ origin: origin() }),
  });
  assert.equal(own.status, 202);
});

test('a POST with a non-JSON body is refused (415): no form or text/plain request changes state', async () => {
  for (const type of ['application/x-www-form-urlencoded', 'text/plain', 'multipart/form-data; boundary=x']) {
    const response = await fetch(`${origin()}/api/keys/rekey`, {
      method: 'POST',
      headers: withKey({ 'content-type': type }),
      body: 'a=1',
    });
    assert.equal(response.status, 415, type);
  }
});

test('a principal sent by the client is ignored: a forged custodian role does not re-identify', async () => {
  const forged = Buffer.from(
    JSON.stringify({
      claims: [
        { typ: 'roles', val: 'caldicott-custodian' },
        { typ: 'name', val: 'mallory' },
      ],
    }),
  ).toString('base64');
  const response = await fetch(`${origin()}/api/reidentify`, {
    method: 'POST',
    headers: withKey({ 'content-type': 'application/json', 'x-ms-client-principal': forged }),
    body: JSON.stringify({
      project: 'careflow',
      purpose: 'test',
      tokens: [{ token: 'a'.repeat(64), keyVersion: 'v1' }],
    }),
  });
  assert.equal(response.status, 403);
  const body = (await response.json()) as { reason: string };
  // Re-identification is off (no NHSFLOWS_REIDENTIFICATION_ROLE) and the forged role never arrives.
  assert.equal(body.reason, 'disabled');
});

test('the data dir is 0700 and the secrets file 0600, and the admin key is kept in the secrets file', () => {
  assert.equal(statSync(h.dataDir).mode & 0o777, 0o700);
  const secretsFile = process.env.NHSFLOWS_LOCAL_SECRETS_FILE ?? '';
  assert.equal(statSync(secretsFile).mode & 0o777, 0o600);
  const stored = JSON.parse(readFileSync(secretsFile, 'utf8')) as Record<
    string,
    { current: string; versions: Record<string, string> }
  >;
  const entry = stored[LOCAL_ADMIN_KEY_SECRET];
  assert.ok(entry);
  assert.equal(
    Buffer.from(entry.versions[entry.current] ?? '', 'base64').toString('base64url'),
    h.env.adminKey,
  );
});

test('without NHSFLOWS_LOCAL_SECRETS_FILE the secrets file lives inside NHSFLOWS_DATA_DIR; a world-readable one is made 0600', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'nhsflows-secrets-'));
  try {
    const dataDir = join(dir, 'data');
    const env: NodeJS.ProcessEnv = { NHSFLOWS_DATA_DIR: dataDir };
    const { settings } = localSettings(env);
    assert.equal(settings.NHSFLOWS_LOCAL_SECRETS_FILE, join(dataDir, LOCAL_SECRETS_FILE_NAME));
    secureLocalFiles(dataDir, settings.NHSFLOWS_LOCAL_SECRETS_FILE);
    assert.equal(statSync(dataDir).mode & 0o777, 0o700);
    const first = await localAdminSecrets(settings.NHSFLOWS_LOCAL_SECRETS_FILE);
    assert.equal(statSync(settings.NHSFLOWS_LOCAL_SECRETS_FILE).mode & 0o777, 0o600);
    assert.match(first.adminKey, /^[A-Za-z0-9_-]{43}$/);
    assert.deepEqual(first.operatorRoles, []);
    // The key is generated once; a later open reads the same one. A role named in the file is read.
    const stored = JSON.parse(readFileSync(settings.NHSFLOWS_LOCAL_SECRETS_FILE, 'utf8')) as Record<
      string,
      unknown
    >;
    stored['local-operator-role'] = { versions: { v1: 'caldicott-custodian' }, current: 'v1' };
    writeFileSync(settings.NHSFLOWS_LOCAL_SECRETS_FILE, JSON.stringify(stored), { mode: 0o644 });
    secureLocalFiles(dataDir, settings.NHSFLOWS_LOCAL_SECRETS_FILE);
    assert.equal(statSync(settings.NHSFLOWS_LOCAL_SECRETS_FILE).mode & 0o777, 0o600);
    const again = await localAdminSecrets(settings.NHSFLOWS_LOCAL_SECRETS_FILE);
    assert.equal(again.adminKey, first.adminKey);
    assert.deepEqual(again.operatorRoles, ['caldicott-custodian']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
