import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import {
  azuriteGone,
  azuriteProcessesOf,
  killGroup,
  runCli,
  spawnCli,
  until,
  warehouseDigest,
} from '../support/cli-process.js';
import { cleanKillTestRun, killTestEnv } from '../support/clean-run.js';

// `nhs-flows start` killed with SIGKILL at a few moments (seeding, capture, mid-pipeline), then
// started again, ends with the same warehouse as an uninterrupted run of the same population; and
// Azurite never outlives the CLI. NHSFLOWS_TEST_MORE_KILL_POINTS=1 adds more kill points.

const root = mkdtempSync(join(tmpdir(), 'nhsflows-crash-'));
after(() => rmSync(root, { recursive: true, force: true }));

/** 30 patients, seed 11, one pseudonymisation key for every data dir (pseudonyms compare across runs). */
const envFor = (name: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv =>
  killTestEnv(join(root, name), extra);
const dirOf = (env: NodeJS.ProcessEnv): string => env.NHSFLOWS_DATA_DIR ?? '';

// The uninterrupted run of the same population (shared with the chaos suite within a test run).
let clean: Awaited<ReturnType<typeof warehouseDigest>>;
before(async () => {
  clean = await warehouseDigest(await cleanKillTestRun(root));
  assert.ok((clean.fact_activity?.rows ?? 0) > 50, 'the clean run loaded facts');
});

/** The source file while it is being written: its write-ahead log appears with the first rows. */
const sourceBeingWritten = (dataDir: string) => (): boolean =>
  existsSync(dataDir) && readdirSync(dataDir).some((f) => /^source.*\.wal$/.test(f));

const killPoints: {
  name: string;
  at: (cli: ReturnType<typeof spawnCli>, dataDir: string) => Promise<void>;
  /** Kill only the CLI's pid (kill -9 <pid>), not its process group. */
  pidOnly?: boolean;
  /** The restart's arguments (default `start`). */
  restart?: readonly string[];
}[] = [
  {
    name: 'while the source is being seeded',
    at: (_cli, dataDir) => until(sourceBeingWritten(dataDir), 60_000, 'the source being written'),
  },
  {
    name: 'during capture, after the second table was captured',
    at: async (cli) => {
      await cli.waitForLine(/"msg":"capture poll done"/);
      await cli.waitForLine(/"msg":"capture poll done"/);
    },
    // The source was seeded whole before capture began: the restart, given the seeded size again, is
    // the start on a seeded data dir that the reuse test below reads.
    restart: ['start', '--patients', '30'],
  },
  {
    name: 'mid-pipeline, after the first warehouse load (kill -9 of the CLI alone)',
    at: async (cli) => void (await cli.waitForLine(/"msg":"warehouse loaded"/)),
    pidOnly: true,
  },
];
if (process.env.NHSFLOWS_TEST_MORE_KILL_POINTS === '1')
  killPoints.push(
    {
      name: 'as the host starts',
      at: async (cli) => void (await cli.waitForLine(/"msg":"local host started"/)),
    },
    {
      name: 'after the first SCD2 merge',
      at: async (cli) => void (await cli.waitForLine(/"msg":"scd2 merge done"/)),
    },
    {
      name: 'after the first chunk was pseudonymised',
      at: async (cli) => void (await cli.waitForLine(/"msg":"chunk pseudonymised"/)),
    },
  );

/** The restart after the capture kill (a start on a seeded data dir), and its data dir. */
let seededStart: { dataDir: string; stderr: string } | undefined;

for (const [i, point] of killPoints.entries())
  test(`start killed ${point.name} and started again loads the same warehouse as a clean run, and leaves no Azurite behind`, async () => {
    const env = envFor(`kill-${i}`);
    const dataDir = dirOf(env);
    const cli = spawnCli(['start'], env);
    await point.at(cli, dataDir);
    if (point.pidOnly) process.kill(cli.pid, 'SIGKILL');
    else killGroup(cli.pid);
    await cli.exited;
    assert.deepEqual(await azuriteGone(dataDir, 15_000), [], 'no Azurite outlives the killed CLI');

    const again = await runCli(point.restart ?? ['start'], env);
    assert.equal(again.code, 0, again.stderr.slice(-3000));
    if (point.restart) seededStart = { dataDir, stderr: again.stderr };
    assert.deepEqual(await warehouseDigest(dataDir), clean);
    assert.deepEqual(azuriteProcessesOf(dataDir), [], 'the finished start stopped its Azurite');
  });

test('a start that fails (an unknown capture table) says why, exits non-zero and leaves no Azurite running', async () => {
  const env = envFor('failed', { NHSFLOWS_CDC_TABLES: 'no_such_table' });
  const run = await runCli(['start'], env, 90_000);
  assert.equal(run.timedOut, false, 'the failed start exits by itself');
  assert.equal(run.code, 1);
  assert.match(run.stderr, /no_such_table/);
  assert.deepEqual(await azuriteGone(dirOf(env), 3_000), []);
});

test('start says plainly that it reuses the seeded source, and refuses a --patients that differs from it', async () => {
  // `start --patients 30` on a seeded data dir: the restart after the capture kill (exit 0 asserted there).
  assert.ok(seededStart, 'the start after the kill during capture ran');
  assert.match(
    seededStart.stderr,
    /^reusing the embedded source seeded with 30 synthetic patients \(seed 11\): capturing changes only$/m,
  );
  const env = envFor(basename(seededStart.dataDir));
  const other = await runCli(['start', '--patients', '45'], env);
  assert.equal(other.code, 2);
  assert.match(
    other.stderr,
    /--patients 45: the embedded source in .* was seeded with 30 patients \(seed 11\); to seed 45, use a fresh data dir \(NHSFLOWS_DATA_DIR=.*\) or delete .*/,
  );
  assert.deepEqual(await azuriteGone(dirOf(env), 3_000), []);
});
