import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { silentLogger } from '../../../shared/application/ports/logger.port.js';
import { createLocalHost, type LocalHost } from '../../../shared/runtime/local/local-host.js';
import { captureRegistrations } from '../../../shared/runtime/local/registration-capture.js';
import { compileRoute } from '../../../shared/runtime/local/triggers/http-trigger-server.js';

const registry = await captureRegistrations(
  () => import('../../orchestrations/fixtures/orchestration-fixtures.js'),
);
const { hookCalls } = await import('../../orchestrations/fixtures/orchestration-fixtures.js');

let dataDir: string;
let host: LocalHost;

before(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'nhsflows-http-'));
  host = createLocalHost({ registry, dataDir, logger: silentLogger });
  await host.start();
});

after(async () => {
  await host.stop();
  await rm(dataDir, { recursive: true, force: true });
});

test('route templates bind required, optional, constrained and catch-all parameters', () => {
  assert.deepEqual(compileRoute('batches/{id}/{part?}')('/batches/b-1'), { id: 'b-1' });
  assert.deepEqual(compileRoute('batches/{id:int}/{part?}')('/batches/7/x'), { id: '7', part: 'x' });
  assert.deepEqual(compileRoute('files/{*path}')('/files/a/b/c.csv'), { path: 'a/b/c.csv' });
  assert.equal(compileRoute('batches/{id}')('/batches'), undefined);
  assert.equal(compileRoute('health')('/health/extra'), undefined);
});

test('an http trigger answers a real request on loopback with the HttpResponse the function returned', async () => {
  assert.match(host.origin ?? '', /^http:\/\/127\.0\.0\.1:\d+$/);
  const response = await fetch(`${host.origin}/api/fixtures/hello?who=nurse`);
  assert.equal(response.status, 200);
  assert.equal(response.headers.get('x-fixture'), 'yes');
  assert.match(response.headers.get('content-type') ?? '', /application\/json/);
  assert.deepEqual(await response.json(), { greeting: 'hello nurse' });
  assert.deepEqual(
    hookCalls,
    ['appStart', 'pre:fx_hello', 'post:fx_hello'],
    'app and invocation hooks ran around it',
  );
});

test('a wrong method is 405 and an unknown route 404', async () => {
  assert.equal((await fetch(`${host.origin}/api/fixtures/hello`, { method: 'DELETE' })).status, 405);
  assert.equal((await fetch(`${host.origin}/api/nowhere`)).status, 404);
  assert.equal((await fetch(`${host.origin}/elsewhere`)).status, 404);
});
