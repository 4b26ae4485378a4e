import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { openEmbeddedSource } from '../../shared/adapters/local/embedded-source/embedded-source.js';
import { systemClock } from '../../shared/application/ports/clock.port.js';
import { azuriteGone, killGroup, runCli, spawnCli, type CliProcess } from '../support/cli-process.js';

// `nhs-flows start --watch` as a person runs it: the host keeps every registration running on its
// schedule (a fast CDC schedule here), serves /api/health, picks up a source row changed while it
// runs, lets the read commands work beside it, refuses a second start, and stops cleanly on Ctrl-C.

const dataDir = mkdtempSync(join(tmpdir(), 'nhsflows-watch-'));
const env: NodeJS.ProcessEnv = {
  ...process.env,
  NHSFLOWS_DATA_DIR: dataDir,
  NHSFLOWS_LOCAL_SECRETS_FILE: join(dataDir, 'secrets.json'),
  NHSFLOWS_SYNTHETIC_PATIENTS: '20',
  NHSFLOWS_SEED: '5',
  NHSFLOWS_CDC_SCHEDULE: '*/2 * * * * *',
  NHSFLOWS_MARTS_SCHEDULE: '0 0 0 1 1 *',
  NHSFLOWS_TEST_AZURITE: '',
};

let watch: CliProcess;
let origin: string;
before(async () => {
  watch = spawnCli(['start', '--watch'], env);
  const line = await watch.waitForLine(/^watching on http:\/\/127\.0\.0\.1:\d+/, 180_000);
  origin = /http:\/\/127\.0\.0\.1:\d+/.exec(line)?.[0] ?? '';
});
after(async () => {
  killGroup(watch.pid);
  await watch.exited;
  rmSync(dataDir, { recursive: true, force: true });
});

test('the watching host runs every registration and answers /api/health', async () => {
  assert.match(watch.stdout(), /"msg":"local host started".*"functions":[1-9]\d*/);
  const health = await fetch(`${origin}/api/health`);
  assert.equal(health.status, 200, await health.text());
});

test('status, export and dq work while the host runs', async () => {
  const exported = await runCli(['export', 'fact_activity', '--restricted'], env);
  assert.equal(exported.code, 0, exported.stderr);
  const lines = exported.stdout.trim().split('\n');
  assert.ok(lines[0]?.startsWith('activity_id,project,dataset'));
  assert.ok(lines.length > 20, 'the loaded facts');
  const status = await runCli(['status'], env);
  assert.equal(status.code, 0, status.stderr);
  assert.match(status.stdout, /failures: 0/);
  const dq = await runCli(['dq', '--json'], env);
  assert.equal(dq.code, 0, dq.stderr);
  assert.ok((JSON.parse(dq.stdout) as unknown[]).length > 0);
});

test('a second start in the same data dir says plainly that a host already runs there', async () => {
  const second = await runCli(['start'], env);
  assert.equal(second.code, 1);
  assert.match(
    second.stderr,
    new RegExp(
      `^nhs-flows start: a local host already runs in ${dataDir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(pid ${watch.pid}, nhs-flows start since [^)]+\\); stop it \\(Ctrl-C\\) or use another NHSFLOWS_DATA_DIR$`,
      'm',
    ),
  );
  assert.doesNotMatch(second.stderr, /lock/i);
});

test('a source row changed while the host runs arrives in the warehouse on the next poll', async () => {
  const facts = async () => {
    const exported = await runCli(['export', 'fact_activity', '--restricted'], env);
    assert.equal(exported.code, 0, exported.stderr);
    const [header, ...rows] = exported.stdout.trim().split('\n');
    const columns = (header ?? '').split(',');
    const at = (name: string) => columns.indexOf(name);
    return rows
      .map((r) => r.split(','))
      .filter((r) => r[at('source_table')] === 'sus_apc_episode')
      .map((r) => ({ key: r[at('record_key')] ?? '', version: r[at('source_version')] ?? '' }));
  };
  const [episode] = await facts();
  assert.ok(episode, 'an episode fact');
  // The host holds the source only while it polls: retry while a poll has it.
  for (let attempt = 0; ; attempt++) {
    try {
      const source = await openEmbeddedSource({ path: join(dataDir, 'source.duckdb'), clock: systemClock });
      try {
        const [row] = await source.querySql(
          `SELECT gp_practice_code FROM sus_apc_episode WHERE episode_id = '${episode.key}'`,
        );
        const practice = row?.gp_practice_code === 'M85001' ? 'M85002' : 'M85001';
        assert.equal(
          await source.updateRows('sus_apc_episode', [
            { episode_id: episode.key, gp_practice_code: practice },
          ]),
          1,
        );
      } finally {
        await source.close();
      }
      break;
    } catch (error) {
      if (attempt >= 50 || !/lock/i.test(String(error))) throw error;
      await sleep(100);
    }
  }
  const end = Date.now() + 60_000;
  for (;;) {
    const now = (await facts()).find((f) => f.key === episode.key);
    if (now && now.version !== episode.version) break;
    assert.ok(Date.now() < end, 'the changed row reached the warehouse within a minute');
    await sleep(1_000);
  }
});

test('Ctrl-C stops the watching host cleanly, Azurite with it', async () => {
  process.kill(watch.pid, 'SIGINT');
  const { code } = await watch.exited;
  assert.equal(code, 0, watch.stderr().slice(-2000));
  assert.deepEqual(await azuriteGone(dataDir, 5_000), []);
});
