import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ThreadCpuShare, threadCpuMs } from '../../../shared/runtime/local/thread-cpu-share.js';

/** A thread CPU clock the test moves by hand (ms). */
function manualClock(): { now: number; read: () => number } {
  const clock = { now: 0, read: () => clock.now };
  return clock;
}

test('between two events the thread CPU is split equally among the invocations in flight, and the shares sum to it', () => {
  const clock = manualClock();
  const share = new ThreadCpuShare(clock.read);
  clock.now = 100; // before anything is in flight: nobody's
  share.start(1);
  clock.now = 130; // 30 ms: all of it 1's
  share.start(2);
  clock.now = 190; // 60 ms: 30 each
  const first = share.end(1);
  clock.now = 200; // 10 ms: 2's alone
  const second = share.end(2);
  clock.now = 500; // nothing in flight: nobody's
  share.start(3);
  clock.now = 520;
  const third = share.end(3);
  assert.deepEqual([first, second, third], [60, 40, 20]);
  assert.equal(first! + second! + third!, 130 - 100 + 60 + 10 + 20);
});

test('an unreadable thread clock reports no share rather than a wrong one', () => {
  const share = new ThreadCpuShare(() => undefined);
  share.start(1);
  assert.equal(share.end(1), undefined);
});

test("the thread's CPU is read from the stat line's utime and stime, whatever the command name holds", () => {
  // pid (comm) state ppid … utime stime: a command name with spaces and parentheses.
  const fields = ['S', ...Array.from({ length: 10 }, (_, i) => String(i + 1)), '250', '50', '0', '0'];
  const line = `4242 (node (worker) 1) ${fields.join(' ')}`;
  assert.equal(
    threadCpuMs(() => line),
    (250 + 50) * 10,
  );
  assert.equal(
    threadCpuMs(() => {
      throw new Error('ENOENT');
    }),
    undefined,
  );
  assert.equal(
    threadCpuMs(() => '1 (x) S'),
    undefined,
  );
  if (process.platform === 'linux') {
    const before = threadCpuMs()!;
    assert.ok(Number.isFinite(before) && before >= 0);
    // Work on this thread moves it forward (never back).
    let x = 0;
    for (let i = 0; i < 2e7; i++) x += i % 7;
    assert.ok(x > 0);
    assert.ok(threadCpuMs()! >= before);
  }
});
