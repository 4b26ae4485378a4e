import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runOneShot } from '../../../shared/cli/local-functions-host.js';
import type { LocalHost } from '../../../shared/runtime/local/local-host.js';
import type { Registry } from '../../../shared/runtime/local/registration-capture.js';

/** A host that stays busy for `busyChecks` idle checks (each one a few ms), then goes idle. */
function fakeHost(busyChecks: number): { host: LocalHost; registry: Registry; fired: string[] } {
  const fired: string[] = [];
  let checks = 0;
  const host = {
    invoke: async (name: string) => {
      fired.push(name);
      return { outputs: new Map(), returnValue: undefined };
    },
    waitForIdle: async ({ timeoutMs = 0 }: { timeoutMs?: number } = {}) => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      if (++checks <= busyChecks) throw new Error(`the local host was still busy after ${timeoutMs} ms`);
    },
    durable: { list: () => [] },
  } as unknown as LocalHost;
  const registry = { get: (name: string) => ({ name, triggerName: 'timer' }) } as unknown as Registry;
  return { host, registry, fired };
}

test('a one-shot run that keeps progressing is waited for, however long it stays busy', async () => {
  const { host, registry, fired } = fakeHost(30);
  let progressAt = Date.now();
  const ticking = setInterval(() => (progressAt = Date.now()), 5);
  try {
    await runOneShot(host, registry, { stallTimeoutMs: 60, lastProgressAt: () => progressAt });
  } finally {
    clearInterval(ticking);
  }
  assert.deepEqual(fired, ['cdcPoller', 'martsRefresh']);
});

test('a one-shot run with no progress for the stall timeout fails saying so', async () => {
  const { host, registry } = fakeHost(Number.POSITIVE_INFINITY);
  const quietSince = Date.now();
  await assert.rejects(runOneShot(host, registry, { stallTimeoutMs: 60, lastProgressAt: () => quietSince }), {
    message:
      /^no progress for \d+ min: the local host is still busy, but nothing has been logged and no orchestration has moved since \d{4}-\d\d-\d\dT/,
  });
});

test('a phase limit, when given, still cuts a busy run off with the host error', async () => {
  const { host, registry } = fakeHost(Number.POSITIVE_INFINITY);
  await assert.rejects(runOneShot(host, registry, { phaseTimeoutMs: 30, lastProgressAt: () => Date.now() }), {
    message: /^the local host was still busy after \d+ ms$/,
  });
});
