import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { silentLogger } from '../../../shared/application/ports/logger.port.js';
import { createLocalHost } from '../../../shared/runtime/local/local-host.js';
import { captureRegistrations } from '../../../shared/runtime/local/registration-capture.js';

const registry = await captureRegistrations(() => import('./fixtures/timer-fixtures.js'));
const { ticks } = await import('./fixtures/timer-fixtures.js');

test('a runOnStartup timer fires at start, records its schedule status, and a missed occurrence fires as past due', async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'nhsflows-timer-'));
  try {
    const first = createLocalHost({ registry, dataDir, logger: silentLogger });
    await first.start();
    await first.waitForIdle({ timeoutMs: 5_000 });
    await first.stop();
    assert.equal(ticks.length, 1);
    assert.equal(ticks[0]!.isPastDue, false);
    assert.deepEqual(ticks[0]!.schedule, { adjustForDST: true });

    const statusFile = join(dataDir, 'timers', 'rt_yearly.json');
    const status = JSON.parse(await readFile(statusFile, 'utf8')) as { next: string };
    assert.match(status.next, /^\d{4}-01-01T00:00:00\.000Z$/);

    await writeFile(statusFile, JSON.stringify({ ...status, next: '2020-01-01T00:00:00.000Z' }));
    const second = createLocalHost({ registry, dataDir, logger: silentLogger });
    await second.start();
    await second.waitForIdle({ timeoutMs: 5_000 });
    await second.stop();
    assert.equal(ticks.length, 2);
    assert.equal(ticks[1]!.isPastDue, true);
    assert.ok(ticks[1]!.scheduleStatus, 'the host passes the last schedule status');
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
});
