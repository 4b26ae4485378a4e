import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { silentLogger } from '../../shared/application/ports/logger.port.js';
import { createLocalHost } from '../../shared/runtime/local/local-host.js';
import { captureRegistrations } from '../../shared/runtime/local/registration-capture.js';

// Registered once per process (a module registers on its first import only).
const registry = await captureRegistrations(() => import('./fixtures/kill-resume-fixtures.js'));
const childScript = fileURLToPath(new URL('./fixtures/kill-resume-child.ts', import.meta.url));

async function waitFor(condition: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

test('a host killed while the second activity runs resumes over the same data dir without re-running the first', async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'nhsflows-kill-'));
  const markerDir = await mkdtemp(join(tmpdir(), 'nhsflows-kill-markers-'));
  process.env.NHSFLOWS_KR_DIR = markerDir;
  try {
    const child = spawn(process.execPath, ['--import', 'tsx', childScript, dataDir], {
      env: { ...process.env, NHSFLOWS_KR_DIR: markerDir },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const exited = new Promise<string | null>((resolve) =>
      child.once('exit', (_code, signal) => resolve(signal)),
    );
    await waitFor(
      () => existsSync(join(markerDir, 'second.log')),
      'the second activity to start in the child',
    );
    child.kill('SIGKILL');
    assert.equal(await exited, 'SIGKILL');

    await writeFile(join(markerDir, 'release'), '');
    const host = createLocalHost({ registry, dataDir, logger: silentLogger });
    await host.start();
    try {
      const output = await host.durable.waitForCompletion('kr-1');
      assert.deepEqual(output, ['first:batch-7', 'second:batch-7']);
      assert.equal(
        await readFile(join(markerDir, 'first.log'), 'utf8'),
        'batch-7\n',
        'the first activity ran once',
      );
      assert.equal(
        await readFile(join(markerDir, 'second.log'), 'utf8'),
        'batch-7\nbatch-7\n',
        'the interrupted activity ran again',
      );
      await host.waitForIdle({ timeoutMs: 5_000 });
    } finally {
      await host.stop();
    }
  } finally {
    await rm(dataDir, { recursive: true, force: true });
    await rm(markerDir, { recursive: true, force: true });
  }
});

test('an instance whose start was cut short (no whole created record in its journal) is not resumed; starting it again runs it', async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'nhsflows-torn-'));
  const markerDir = await mkdtemp(join(tmpdir(), 'nhsflows-torn-markers-'));
  process.env.NHSFLOWS_KR_DIR = markerDir;
  try {
    await writeFile(join(markerDir, 'release'), '');
    const journal = join(dataDir, 'durable', 'NhsFlowsHub');
    await mkdir(journal, { recursive: true });
    // Killed mid-write of the created record, and killed right after creating the file.
    await writeFile(join(journal, 'kr-torn.ndjson'), '{"kind":"created","executionId":"e1","name":"kr_pip');
    await writeFile(join(journal, 'kr-empty.ndjson'), '');
    const host = createLocalHost({ registry, dataDir, logger: silentLogger });
    await host.start();
    try {
      await host.waitForIdle({ timeoutMs: 5_000 });
      assert.deepEqual(
        host.durable.list().map((i) => [i.instanceId, i.runtimeStatus]),
        [],
        'nothing resumed, nothing failed',
      );
      for (const id of ['kr-torn', 'kr-empty']) {
        await host.durable.startNew('kr_pipeline', id, id);
        assert.deepEqual(await host.durable.waitForCompletion(id), [`first:${id}`, `second:${id}`]);
      }
    } finally {
      await host.stop();
    }
  } finally {
    await rm(dataDir, { recursive: true, force: true });
    await rm(markerDir, { recursive: true, force: true });
  }
});
