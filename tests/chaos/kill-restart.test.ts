import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { azuriteGone, killGroup, runCli, spawnCli, until } from '../support/cli-process.js';
import { cleanKillTestRun, killTestEnv } from '../support/clean-run.js';
import {
  CHAOS_FULL,
  NthLine,
  chaosWarehouseDigest,
  differingTables,
  renderSummary,
  type ChaosOutcome,
} from './support/chaos-run.js';

// Issue 9 item 8, the kill half of the chaos suite: `nhs-flows start` is killed with SIGKILL at a
// point of the run (seeding, capture and publish, consume, every pipeline activity, the warehouse
// load, the end-of-run steps), started again, and its warehouse compared with an uninterrupted
// run's of the same seed; then every batch is redelivered twice (events, and warehouse loads) and
// old batches replayed after newer ones, with no change. `npm run chaos` (NHSFLOWS_CHAOS=full)
// runs every kill point; `npm test` runs a few.

const root = mkdtempSync(join(tmpdir(), 'nhsflows-chaos-'));
after(() => rmSync(root, { recursive: true, force: true }));

/** 30 patients, seed 11, one pseudonymisation key for every data dir (pseudonyms compare across runs). */
const envFor = (name: string): NodeJS.ProcessEnv => killTestEnv(join(root, name));
const dirOf = (env: NodeJS.ProcessEnv): string => env.NHSFLOWS_DATA_DIR ?? '';
/** Where the data dirs of failed kill points are kept for diagnosis (printed in the summary). */
const KEPT = join(tmpdir(), 'nhsflows-chaos-kept');
function keep(dataDir: string, name: string): void {
  const to = join(KEPT, `${name}-${Date.now()}`);
  cpSync(dataDir, to, { recursive: true });
  process.stdout.write(`# kept the data dir of a failed kill point: ${to}\n`);
}

type Digest = Awaited<ReturnType<typeof chaosWarehouseDigest>>;
// The uninterrupted run of the same population (shared with the crash-safe start and the schema
// drift within a test run; never started again in place, only copied).
let cleanDir: string;
let clean: Digest;
const outcomes: ChaosOutcome[] = [];
before(async () => {
  cleanDir = await cleanKillTestRun(root);
  clean = await chaosWarehouseDigest(cleanDir);
  assert.ok((clean.fact_activity?.rows ?? 0) > 50, 'the clean run loaded facts');
});
after(() => {
  process.stdout.write(
    `\n${renderSummary(`chaos suite (${CHAOS_FULL ? 'full' : 'short'} form), ${new Date().toISOString()}`, outcomes)}\n`,
  );
});

const line = (msg: string, n = 1) => new NthLine(new RegExp(`"msg":"${msg}`), n);

interface KillPoint {
  readonly stage: string;
  /** Resolves at the moment to kill. */
  readonly at: (cli: ReturnType<typeof spawnCli>, dataDir: string) => Promise<unknown>;
  /** Kill only the CLI's pid (kill -9 <pid>), not its process group. */
  readonly pidOnly?: boolean;
  /** In the short form too. */
  readonly short?: boolean;
}

/** The Nth log line with this message (the run log is also written to stdout). */
const nth =
  (msg: string, n = 1) =>
  (cli: ReturnType<typeof spawnCli>) =>
    cli.waitForLine(line(msg, n), 180_000);

// A 30-patient run (seed 11) writes: 9 "capture poll done", 8 "deltas received", one batch per
// source table with rows (10; each planned, validated, pseudonymised, gold built, loaded, manifest
// written: a table's deltas share one event-log partition), fewer than 8 SCD2 merges, one silver
// compaction and one mart refresh. (Before a table's deltas shared a partition: 27 batches, 15
// merges; the full form's kill points were moved to the same places in the smaller count.)
const KILL_POINTS: KillPoint[] = [
  {
    stage: 'seeding: the source half written',
    at: (_cli, dataDir) =>
      until(
        () => existsSync(dataDir) && readdirSync(dataDir).some((f) => /^source.*\.wal$/.test(f)),
        60_000,
        'the source being written',
      ),
  },
  { stage: 'seeding: population seeded', at: nth('synthetic population seeded') },
  { stage: 'host: local host started', at: nth('local host started') },
  { stage: 'capture+publish: first table', at: nth('capture poll done', 1) },
  { stage: 'capture+publish: fifth table', at: nth('capture poll done', 5) },
  { stage: 'consume: first deltas received', at: nth('deltas received', 1) },
  { stage: 'consume: fourth deltas received', at: nth('deltas received', 4) },
  { stage: 'consume: first orchestration scheduled', at: nth('orchestration scheduled', 1) },
  { stage: 'planChunks: first batch planned', at: nth('batch planned', 1) },
  { stage: 'planChunks: 6th batch planned', at: nth('batch planned', 6) },
  { stage: 'validate: first chunk validated', at: nth('chunk validated', 1) },
  { stage: 'validate: 8th chunk validated', at: nth('chunk validated', 8) },
  { stage: 'pseudonymise: first chunk', at: nth('chunk pseudonymised', 1) },
  { stage: 'pseudonymise: 7th chunk', at: nth('chunk pseudonymised', 7) },
  { stage: 'scd2: first merge done', at: nth('scd2 merge done', 1) },
  { stage: 'scd2: 3rd merge done', at: nth('scd2 merge done', 3), short: true },
  { stage: 'gold: first gold built', at: nth('gold built', 1) },
  { stage: 'gold: 8th gold built', at: nth('gold built', 8) },
  { stage: 'warehouse: first load (CLI pid only)', at: nth('warehouse loaded', 1), pidOnly: true },
  { stage: 'warehouse: 5th load', at: nth('warehouse loaded', 5) },
  { stage: 'warehouse: 9th load', at: nth('warehouse loaded', 9) },
  { stage: 'ledger: first manifest written', at: nth('batch manifest written', 1) },
  { stage: 'ledger: 10th manifest written', at: nth('batch manifest written', 10) },
  { stage: 'end: silver compacted', at: nth('silver compacted', 1) },
  { stage: 'end: marts refreshed', at: nth('marts refreshed', 1) },
];

/** NHSFLOWS_CHAOS_ONLY=<text>: only the kill points whose stage matches it (a regular expression) (and no other check). */
const ONLY = process.env.NHSFLOWS_CHAOS_ONLY;
const points = ONLY
  ? KILL_POINTS.filter((p) => new RegExp(ONLY).test(p.stage))
  : CHAOS_FULL
    ? KILL_POINTS
    : KILL_POINTS.filter((p) => p.short);

for (const [i, point] of points.entries())
  test(`start killed (${point.stage}) and started again loads the same warehouse as a clean run`, async () => {
    const started = Date.now();
    const env = envFor(`kill-${i}`);
    const dataDir = dirOf(env);
    const cli = spawnCli(['start'], env);
    let outcome = 'different warehouse';
    try {
      await point.at(cli, dataDir);
      if (point.pidOnly) process.kill(cli.pid, 'SIGKILL');
      else killGroup(cli.pid);
      await cli.exited;
      assert.deepEqual(await azuriteGone(dataDir, 15_000), [], 'no Azurite outlives the killed CLI');
      const again = await runCli(['start'], env);
      if (again.code !== 0)
        outcome = `restart exited ${again.code}: ${again.stderr.trim().split('\n').pop()?.slice(0, 60)}`;
      assert.equal(again.code, 0, again.stderr.slice(-3000));
      const digest = await chaosWarehouseDigest(dataDir);
      const differs = differingTables(clean, digest);
      outcome = differs.length === 0 ? 'same warehouse' : `differs: ${differs.join(', ')}`;
      assert.deepEqual(digest, clean);
    } catch (error) {
      if (outcome === 'different warehouse')
        outcome = `failed: ${(error as Error).message.split('\n')[0]?.slice(0, 80)}`;
      throw error;
    } finally {
      killGroup(cli.pid);
      outcomes.push({
        point: `kill -9 at ${point.stage}`,
        outcome,
        passed: outcome === 'same warehouse',
        seconds: (Date.now() - started) / 1000,
      });
      // A failed point's data dir (logs, source, lake, warehouse; synthetic data only) is kept.
      if (outcome !== 'same warehouse') keep(dataDir, `kill-${i}`);
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

/** Runs the gold reloader on a copy of the clean run's data dir. */
async function reload(
  mode: 'redeliver' | 'replay-oldest',
  env: NodeJS.ProcessEnv,
): Promise<{ batches: number; loads: number }> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'tests/chaos/support/reload-gold-batches.ts', mode],
    {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  assert.equal(code, 0, err.slice(-3000));
  const last = out
    .split('\n')
    .filter((l) => l.startsWith('{"batches"'))
    .pop();
  return JSON.parse(last ?? '{}') as { batches: number; loads: number };
}

/**
 * The run the reload checks start from. Full form: the clean run followed by `start --changes 0.3`
 * (late-coded diagnoses, corrected discharges, practice moves, deletions), so later batches
 * update and delete what earlier ones loaded and a replayed old batch is truly older. Short form:
 * the clean run itself.
 */
let changed: Promise<{ dataDir: string; digest: Digest }> | undefined;
function reloadBase(): Promise<{ dataDir: string; digest: Digest }> {
  changed ??= (async () => {
    if (!CHAOS_FULL) return { dataDir: cleanDir, digest: clean };
    const env = envFor('changed');
    cpSync(cleanDir, dirOf(env), { recursive: true });
    const run = await runCli(['start', '--changes', '0.3'], env);
    assert.equal(run.code, 0, run.stderr.slice(-3000));
    const digest = await chaosWarehouseDigest(dirOf(env));
    assert.notDeepEqual(digest, clean, 'the changes reached the warehouse');
    return { dataDir: dirOf(env), digest };
  })();
  return changed;
}

async function checked(
  point: string,
  base: { dataDir: string; digest: Digest },
  run: (env: NodeJS.ProcessEnv) => Promise<string>,
): Promise<void> {
  const started = Date.now();
  const env = envFor(point.replace(/[^a-z0-9]+/gi, '-'));
  cpSync(base.dataDir, dirOf(env), { recursive: true });
  let outcome = 'failed';
  try {
    const detail = await run(env);
    const differs = differingTables(base.digest, await chaosWarehouseDigest(dirOf(env)));
    outcome = differs.length === 0 ? `same warehouse (${detail})` : `differs: ${differs.join(', ')}`;
    assert.deepEqual(differs, []);
  } finally {
    outcomes.push({
      point,
      outcome,
      passed: outcome.startsWith('same'),
      seconds: (Date.now() - started) / 1000,
    });
    rmSync(dirOf(env), { recursive: true, force: true });
  }
}

test(
  'every event redelivered twice (consumer checkpoints removed, start run twice) changes nothing in the warehouse',
  { skip: (!CHAOS_FULL || ONLY !== undefined) && 'full form only (npm run chaos)' },
  async () => {
    await checked('redeliver every event twice', { dataDir: cleanDir, digest: clean }, async (env) => {
      const dropped: number[] = [];
      for (let i = 0; i < 2; i++) {
        rmSync(join(dirOf(env), 'event-log', 'nhs-flows-cdc', 'checkpoints'), {
          recursive: true,
          force: true,
        });
        const run = await runCli(['start'], env);
        assert.equal(run.code, 0, run.stderr.slice(-3000));
        dropped.push(
          [...run.stdout.matchAll(/duplicates dropped: (\d+)/g)].reduce((n, m) => n + Number(m[1]), 0),
        );
      }
      assert.ok(
        dropped.every((d) => d > 0),
        `each redelivery was seen as duplicates: ${dropped.join(', ')}`,
      );
      return `duplicates dropped ${dropped.join(' + ')}`;
    });
  },
);

test(
  'every batch loaded into the warehouse twice more, in order, changes nothing',
  { skip: ONLY !== undefined && 'NHSFLOWS_CHAOS_ONLY' },
  async () => {
    await checked('redeliver every warehouse batch twice', await reloadBase(), async (env) => {
      const r = await reload('redeliver', env);
      assert.ok(r.batches >= 10, `batches reloaded: ${r.batches} (one per source table with rows)`);
      return `${r.batches} batches, ${r.loads} loads`;
    });
  },
);

test(
  'the oldest batches loaded again after every newer one (after a round of source changes) change nothing',
  { skip: (!CHAOS_FULL || ONLY !== undefined) && 'full form only (npm run chaos)' },
  async () => {
    await checked('replay old batches after newer ones', await reloadBase(), async (env) => {
      const r = await reload('replay-oldest', env);
      return `${r.batches} batches, ${r.loads - r.batches} replayed`;
    });
  },
);
