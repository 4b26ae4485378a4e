import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { silentLogger } from '../../shared/application/ports/logger.port.js';
import { createLocalHost, type LocalHost } from '../../shared/runtime/local/local-host.js';
import { captureRegistrations } from '../../shared/runtime/local/registration-capture.js';

const registry = await captureRegistrations(() => import('./fixtures/orchestration-fixtures.js'));
const { names } = await import('./fixtures/orchestration-fixtures.js');

let dataDir: string;
let host: LocalHost;

before(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'nhsflows-client-'));
  host = createLocalHost({ registry, dataDir, logger: silentLogger });
  await host.start();
});

after(async () => {
  await host.stop();
  await rm(dataDir, { recursive: true, force: true });
});

const post = (path: string, body: unknown) =>
  fetch(`${host.origin}${path}`, {
    method: 'POST',
    body: JSON.stringify(body),
    headers: { 'content-type': 'application/json' },
  });

async function poll(url: string): Promise<{ runtimeStatus: string; output: unknown }> {
  for (let i = 0; i < 200; i++) {
    const response = await fetch(url);
    const status = (await response.json()) as { runtimeStatus: string; output: unknown };
    if (response.status === 200) return status;
    assert.equal(response.status, 202);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error('the orchestration did not finish');
}

test('df.getClient(context).startNew in an http-triggered function starts the orchestration through the local client endpoints', async () => {
  const response = await post(`/api/fixtures/start/${names.fanOut}/client-fan-1`, 5);
  assert.equal(response.status, 202);
  const payload = (await response.json()) as { id: string; statusQueryGetUri: string };
  assert.equal(payload.id, 'client-fan-1');
  assert.ok(
    payload.statusQueryGetUri.startsWith(
      `${host.origin}/runtime/webhooks/durabletask/instances/client-fan-1`,
    ),
  );
  assert.equal(response.headers.get('location'), payload.statusQueryGetUri);
  const status = await poll(payload.statusQueryGetUri);
  assert.deepEqual(status.runtimeStatus, 'Completed');
  assert.equal(status.output, 20);
});

test('startNew with the id of a running instance fails in the client with the 409 the extension returns', async () => {
  const first = await post(`/api/fixtures/start/${names.waitsForEvent}/client-wait-1`, null);
  assert.equal(first.status, 202);
  const second = await post(`/api/fixtures/start/${names.waitsForEvent}/client-wait-1`, null);
  assert.equal(second.status, 500, 'the client rejects, so the function fails');
  const rpc = await fetch(`${host.origin}/durabletask/orchestrators/${names.waitsForEvent}/client-wait-1`, {
    method: 'POST',
    body: 'null',
  });
  assert.equal(rpc.status, 409);
});

test('getStatus, raiseEvent and terminate work through the durable client', async () => {
  await post(`/api/fixtures/start/${names.waitsForEvent}/client-wait-2`, null);
  await post(`/api/fixtures/start/${names.waitsForEvent}/client-wait-3`, null);
  const running = (await (await fetch(`${host.origin}/api/fixtures/ops/status/client-wait-2`)).json()) as {
    runtimeStatus: string;
    name: string;
  };
  assert.deepEqual(running, { runtimeStatus: 'Running', output: null, name: names.waitsForEvent });

  assert.equal((await post('/api/fixtures/ops/raise/client-wait-2', { by: 'the client' })).status, 202);
  assert.equal(await host.durable.waitForCompletion('client-wait-2'), 'approved by the client');

  assert.equal((await post('/api/fixtures/ops/terminate/client-wait-3', null)).status, 202);
  const terminated = (await (await fetch(`${host.origin}/api/fixtures/ops/status/client-wait-3`)).json()) as {
    runtimeStatus: string;
  };
  assert.equal(terminated.runtimeStatus, 'Terminated');
});

test('an unknown orchestrator name is a 400 from the start endpoint', async () => {
  const response = await fetch(`${host.origin}/durabletask/orchestrators/no_such_orchestrator`, {
    method: 'POST',
    body: '1',
  });
  assert.equal(response.status, 400);
});
