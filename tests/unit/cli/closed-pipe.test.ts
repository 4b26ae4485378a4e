import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';

const CHILD = join(import.meta.dirname, 'support', 'closed-pipe-child.ts');

/**
 * Runs the child CLI on a real pipe, reads until the first full line, then closes its stdout as
 * `| head -1` does; resolves with the first line, stderr and the exit status.
 */
function runAndCloseAfterFirstLine(
  command: string,
): Promise<{ first: string; stderr: string; code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, command], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let first = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      const end = stdout.indexOf('\n');
      if (end >= 0 && first === '') {
        first = stdout.slice(0, end);
        child.stdout.destroy();
      }
    });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ first, stderr, code, signal }));
  });
}

for (const command of ['line-by-line', 'one-block']) {
  test(`${command}: a command whose stdout reader goes away after one line exits 0 with nothing on stderr`, async () => {
    const run = await runAndCloseAfterFirstLine(command);
    assert.equal(run.first, `0,${'x'.repeat(60)}`);
    assert.equal(run.stderr, '', 'no EPIPE stack trace, no message');
    assert.equal(run.signal, null);
    assert.equal(run.code, 0);
  });
}

test('a command that fails for another reason still exits 1 and says why on stderr', async () => {
  const run = await new Promise<{ stderr: string; code: number | null }>((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, 'failing'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.stdout.resume();
    child.on('error', reject);
    child.on('close', (code) => resolve({ stderr, code }));
  });
  assert.equal(run.code, 1);
  assert.equal(run.stderr, 'nhs-flows failing: the warehouse is not there\n');
});
