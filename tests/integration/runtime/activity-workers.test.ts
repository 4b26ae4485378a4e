import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  startActivityWorkers,
  type ActivityInvocation,
} from '../../../shared/runtime/local/activity-workers.js';

// Worker activities run no @azure/functions hooks in the main thread; the runner reports each one
// it dispatched when it settles (the initial-load bench times its stages from these).

test('a worker invocation is reported once when it settles, with its name, its interval, whether it failed and its thread CPU', async () => {
  const seen: ActivityInvocation[] = [];
  // The runner's workers are unref'd (the host's server keeps a real process alive).
  const alive = setInterval(() => undefined, 1_000);
  const runner = startActivityWorkers({
    size: 1,
    onLog: () => undefined,
    onInvocation: (invocation) => seen.push(invocation),
  });
  try {
    const before = performance.now();
    await assert.rejects(
      runner.invoke('noSuchActivity', { batch: 'b1' }),
      /no activity named noSuchActivity/,
    );
    await assert.rejects(runner.invoke('anotherMissingActivity', null), /anotherMissingActivity/);
    assert.deepEqual(
      seen.map((s) => [s.name, s.failed]),
      [
        ['noSuchActivity', true],
        ['anotherMissingActivity', true],
      ],
    );
    for (const s of seen) {
      assert.ok(s.startedAt >= before, 'started after the call was made');
      assert.ok(s.endedAt >= s.startedAt, 'ended after it started');
    }
    assert.ok(seen[1]!.startedAt >= seen[0]!.endedAt, 'the second dispatched after the first settled');
    // The worker thread's CPU share comes with each result where threads' CPU can be read (Linux).
    if (process.platform === 'linux')
      for (const s of seen) assert.ok(Number.isFinite(s.cpuMs) && s.cpuMs! >= 0, `cpuMs ${String(s.cpuMs)}`);
  } finally {
    await runner.close();
    clearInterval(alive);
  }
});

test('a worker idle for recycle.idleMs with a heap of recycle.heapBytes is replaced by a fresh one, and the runner goes on with it', async () => {
  const alive = setInterval(() => undefined, 1_000);
  // Any heap counts here (1 byte): the worker that ran an invocation is recycled once idle.
  const logged: string[] = [];
  const runner = startActivityWorkers({
    size: 2,
    onLog: (record) => logged.push(record.message),
    recycle: { idleMs: 100, heapBytes: 1 },
  });
  try {
    const before = runner.threadIds();
    assert.equal(before.length, 2);
    // One invocation on the first worker (the least busy): it settles, then that worker idles.
    await assert.rejects(runner.invoke('noSuchActivity', null), /no activity named noSuchActivity/);
    for (let i = 0; i < 50 && runner.threadIds()[0] === before[0]; i++)
      await new Promise((resolve) => setTimeout(resolve, 50));
    const after = runner.threadIds();
    assert.notEqual(after[0], before[0], 'the idle worker was replaced');
    assert.equal(after[1], before[1], 'a worker that ran nothing is left alone');
    assert.ok(logged.includes('activity worker recycled'), 'the recycling is logged');
    // The successor runs invocations; the old worker's exit failed nothing.
    await assert.rejects(
      runner.invoke('anotherMissingActivity', null),
      /no activity named anotherMissingActivity/,
    );
  } finally {
    await runner.close();
    clearInterval(alive);
  }
});

test('an idle worker whose heap stays below recycle.heapBytes is kept warm', async () => {
  const alive = setInterval(() => undefined, 1_000);
  const runner = startActivityWorkers({
    size: 1,
    onLog: () => undefined,
    recycle: { idleMs: 50, heapBytes: 64 * 1024 ** 3 },
  });
  try {
    const before = runner.threadIds();
    await assert.rejects(runner.invoke('noSuchActivity', null), /noSuchActivity/);
    await new Promise((resolve) => setTimeout(resolve, 400));
    assert.deepEqual(runner.threadIds(), before);
  } finally {
    await runner.close();
    clearInterval(alive);
  }
});

test("workers get the young generation they are started with (and V8's default without one)", async () => {
  const alive = setInterval(() => undefined, 1_000);
  const sized = startActivityWorkers({ size: 2, onLog: () => undefined, youngGenerationMb: 96 });
  const plain = startActivityWorkers({ size: 1, onLog: () => undefined });
  try {
    // Each worker has run once, so it is up (its limits are read from the running thread).
    await assert.rejects(sized.invoke('noSuchActivity', null), /noSuchActivity/);
    await assert.rejects(sized.invoke('noSuchActivity', null), /noSuchActivity/);
    await assert.rejects(plain.invoke('noSuchActivity', null), /noSuchActivity/);
    assert.deepEqual(sized.youngGenerationMb(), [96, 96]);
    const [defaultMb] = plain.youngGenerationMb();
    assert.ok(
      defaultMb !== undefined && defaultMb < 96,
      `V8's default young generation: ${String(defaultMb)} MiB`,
    );
  } finally {
    await sized.close();
    await plain.close();
    clearInterval(alive);
  }
});
