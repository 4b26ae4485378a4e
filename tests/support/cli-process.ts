import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DuckDBInstance } from '@duckdb/node-api';
import { CLI } from './cli-command.js';

export { CLI };

/**
 * The nhs-flows CLI as a real child process (see CLI), in its own process group so a test can
 * SIGKILL the whole group, as a terminal's kill does.
 */
export interface CliProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  /** Everything written so far. */
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code (or the signal's name) once the process has exited. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves when a stdout or stderr line matches (rejects when the process exits first). */
  waitForLine(pattern: RegExp, timeoutMs?: number): Promise<string>;
}

export function spawnCli(args: readonly string[], env: NodeJS.ProcessEnv): CliProcess {
  const child = spawn(process.execPath, [...CLI.args, ...args], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let out = '';
  let err = '';
  const waiters: { pattern: RegExp; resolve: (line: string) => void }[] = [];
  const scan = (text: string): void => {
    for (const line of text.split('\n'))
      for (const w of [...waiters])
        if (w.pattern.test(line)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(line);
        }
  };
  let outTail = '';
  let errTail = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    out += chunk.toString();
    const text = outTail + chunk.toString();
    const cut = text.lastIndexOf('\n');
    outTail = text.slice(cut + 1);
    scan(text.slice(0, cut + 1));
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    err += chunk.toString();
    const text = errTail + chunk.toString();
    const cut = text.lastIndexOf('\n');
    errTail = text.slice(cut + 1);
    scan(text.slice(0, cut + 1));
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  if (child.pid === undefined) throw new Error('the CLI did not start');
  return {
    child,
    pid: child.pid,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitForLine: (pattern, timeoutMs = 120_000) =>
      new Promise<string>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`no line matching ${String(pattern)} within ${timeoutMs} ms`)),
          timeoutMs,
        );
        waiters.push({
          pattern,
          resolve: (line) => {
            clearTimeout(timer);
            resolve(line);
          },
        });
        void exited.then(({ code, signal }) => {
          clearTimeout(timer);
          reject(
            new Error(
              `the CLI exited (${code ?? signal ?? '?'}) before a line matched ${String(pattern)}: ${err.slice(-2000)}`,
            ),
          );
        });
      }),
  };
}

/** Runs the CLI to its end; the result's `code` is the exit code (`timedOut`: killed after `timeoutMs`). */
export async function runCli(
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  timeoutMs = 5 * 60_000,
): Promise<{ code: number | null; stdout: string; stderr: string; timedOut: boolean }> {
  const cli = spawnCli(args, env);
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    killGroup(cli.pid);
  }, timeoutMs);
  const { code } = await cli.exited;
  clearTimeout(timer);
  return { code, stdout: cli.stdout(), stderr: cli.stderr(), timedOut };
}

/** SIGKILL to a whole process group (the CLI and every child left in its group). */
export function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/** Process ids of Azurite processes whose data folder is `<dataDir>/azurite` (Linux /proc). */
export function azuriteProcessesOf(dataDir: string): number[] {
  const location = join(dataDir, 'azurite');
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let args: string[];
    try {
      args = readFileSync(join('/proc', entry, 'cmdline'), 'utf8').split('\0');
    } catch {
      continue;
    }
    const at = args.indexOf('--location');
    if (args.some((a) => a.includes('azurite')) && at >= 0 && args[at + 1] === location)
      found.push(Number(entry));
  }
  return found;
}

/** Waits until no Azurite serves `<dataDir>/azurite`; returns the ones still running after `timeoutMs`. */
export async function azuriteGone(dataDir: string, timeoutMs: number): Promise<number[]> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const left = azuriteProcessesOf(dataDir);
    if (left.length === 0 || Date.now() > end) return left;
    await sleep(100);
  }
}

/**
 * Columns that differ between two uninterrupted runs of the same population: when a row was loaded
 * or captured, and which batch carried it (a run interrupted mid-capture batches the same rows
 * differently). `patient_sk` is compared: since ADR 0009 it is derived from business time only and
 * resolved in the warehouse after every batch, so it is the same in every run.
 */
export const RUN_DEPENDENT_COLUMNS: readonly RegExp[] = [
  /^loaded_at$/,
  /^recorded_at$/,
  /_captured_at$/,
  /^batch_id$/,
];

/** Per warehouse table: row count and a SHA-256 of its rows (sorted; run-dependent columns left out). */
export async function warehouseDigest(
  dataDir: string,
): Promise<Record<string, { rows: number; digest: string }>> {
  const file = join(dataDir, 'warehouse.duckdb');
  if (!existsSync(file)) return {};
  const db = await DuckDBInstance.create(file, { access_mode: 'READ_ONLY' });
  const connection = await db.connect();
  try {
    const columns = (
      await connection.runAndReadAll(
        `SELECT table_name, column_name FROM information_schema.columns ORDER BY table_name, ordinal_position`,
      )
    ).getRowObjectsJson() as { table_name: string; column_name: string }[];
    const tables = new Map<string, string[]>();
    for (const c of columns) {
      if (RUN_DEPENDENT_COLUMNS.some((p) => p.test(c.column_name))) continue;
      tables.set(c.table_name, [
        ...(tables.get(c.table_name) ?? []),
        `CAST(t."${c.column_name}" AS VARCHAR)`,
      ]);
    }
    const result: Record<string, { rows: number; digest: string }> = {};
    for (const [table, cols] of [...tables].sort(([a], [b]) => a.localeCompare(b))) {
      const list = cols.join(', ');
      const rows = (
        await connection.runAndReadAll(`SELECT ${list} FROM "${table}" t ORDER BY ALL`)
      ).getRows();
      const hash = createHash('sha256');
      for (const row of rows) hash.update(`${JSON.stringify(row)}\n`);
      result[table] = { rows: rows.length, digest: hash.digest('hex').slice(0, 16) };
    }
    return result;
  } finally {
    connection.closeSync();
    db.closeSync();
  }
}

/** Polls `check` every 20 ms until it returns true. */
export async function until(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}
