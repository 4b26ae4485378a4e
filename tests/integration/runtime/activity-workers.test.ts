import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  startActivityWorkers,
  type ActivityInvocation,
} from '../../../shared/runtime/local/activity-workers.js';

// Worker activities run no @azure/functions hooks in the main thread; the runner reports each one
// it dispatched when it settles (the initial-load bench times its stages from these).

test('a worker invocation is reported once when it settles, with its name, its interval and whether it failed', async () => {
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
  } finally {
    await runner.close();
    clearInterval(alive);
  }
});
