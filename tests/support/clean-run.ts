import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { runCli } from './cli-process.js';

/**
 * The population the crash-safe start and the chaos suite kill and restart (30 synthetic patients,
 * seed 11), with one pseudonymisation key for every data dir so pseudonyms compare across runs.
 * Tables of 10 rows or more are captured as delta files (docs/adr/0019), the smaller ones inline,
 * so the kills land on both ways deltas travel.
 */
export const KILL_TEST_POPULATION = {
  NHSFLOWS_SYNTHETIC_PATIENTS: '30',
  NHSFLOWS_SEED: '11',
  NHSFLOWS_SECRET_PSEUDONYMISATION_MASTER_KEY: 'Y2hhb3Mtc3VpdGUta2lsbC1yZXN0YXJ0LWtleS0wMDA=',
  NHSFLOWS_CDC_FILE_MIN_DELTAS: '10',
} as const;

/** The environment of a `nhs-flows start` of that population in `dataDir` (its own Azurite). */
export function killTestEnv(dataDir: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    NHSFLOWS_DATA_DIR: dataDir,
    NHSFLOWS_LOCAL_SECRETS_FILE: join(dataDir, 'secrets.json'),
    ...KILL_TEST_POPULATION,
    NHSFLOWS_TEST_AZURITE: '',
    ...extra,
  };
}

/** How long a file waits for another file's clean run (as long as a start may take, and a margin). */
const WAIT_MS = 8 * 60_000;

/**
 * The data dir of one uninterrupted `nhs-flows start` of KILL_TEST_POPULATION, for a test to compare
 * its restarts against. Under tests/run.mjs (NHSFLOWS_TEST_SHARED_DIR, one folder per test run) the
 * first file that asks runs it and the others wait for it, so a test run starts the population
 * cleanly once; a file run alone runs its own under `privateRoot`. Never start or change it: copy it
 * (cpSync) and start the copy.
 */
export async function cleanKillTestRun(privateRoot: string): Promise<string> {
  const shared = process.env.NHSFLOWS_TEST_SHARED_DIR;
  if (!shared) {
    const dataDir = join(privateRoot, 'clean');
    await startClean(dataDir);
    return dataDir;
  }
  const dataDir = join(shared, 'clean-kill-test-run');
  const done = `${dataDir}.done`;
  const lock = `${dataDir}.lock`;
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    if (existsSync(done)) return dataDir;
    if (takeLock(lock)) {
      try {
        rmSync(dataDir, { recursive: true, force: true });
        await startClean(dataDir);
        writeFileSync(done, '');
        return dataDir;
      } finally {
        rmSync(lock, { recursive: true, force: true });
      }
    }
    if (Date.now() > deadline) throw new Error(`no clean run in ${dataDir} within ${WAIT_MS} ms`);
    await sleep(250);
  }
}

async function startClean(dataDir: string): Promise<void> {
  const run = await runCli(['start'], killTestEnv(dataDir));
  if (run.code !== 0) throw new Error(`the clean start exited ${run.code}: ${run.stderr.slice(-3000)}`);
}

/** Creates the lock folder with this process's id in it; takes over a lock whose process has died. */
function takeLock(lock: string): boolean {
  try {
    mkdirSync(lock);
    writeFileSync(join(lock, 'pid'), String(process.pid));
    return true;
  } catch {
    let owner: number;
    try {
      owner = Number(readFileSync(join(lock, 'pid'), 'utf8'));
    } catch {
      return false; // just taken, its pid not written yet
    }
    try {
      process.kill(owner, 0);
      return false;
    } catch {
      rmSync(lock, { recursive: true, force: true });
      return false;
    }
  }
}
