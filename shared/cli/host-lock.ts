import { randomBytes } from 'node:crypto';
import { existsSync, linkSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { isRunning, processIdentity } from '../runtime/local/process-identity.js';

/**
 * One local host per data dir. `nhs-flows start` holds `<data dir>/host.json` while it runs: who it
 * is (pid and, on Linux, start time, so a reused pid is not mistaken for it), since when, and the
 * loopback port and token of its read endpoint (`host-read-server.ts`), through which `nhs-flows
 * export` reads the warehouse the host holds open. The file is created exclusively; a file left by
 * a process that is gone (killed) is taken over.
 */
export interface RunningHost {
  readonly pid: number;
  readonly startTicks?: string;
  readonly startedAt: string;
  /** The read endpoint, once it listens. */
  readonly read?: { readonly port: number; readonly token: string };
}

const hostSchema = z.object({
  pid: z.number(),
  startTicks: z.string().optional(),
  startedAt: z.string(),
  read: z.object({ port: z.number(), token: z.string() }).optional(),
});

/** A second `start` over a data dir a host runs in. */
export class HostAlreadyRunningError extends Error {
  readonly code = 'HOST_ALREADY_RUNNING';
  constructor(dataDir: string, host: RunningHost) {
    super(
      `a local host already runs in ${dataDir} (pid ${host.pid}, nhs-flows start since ${host.startedAt}); stop it (Ctrl-C) or use another NHSFLOWS_DATA_DIR`,
    );
    this.name = 'HostAlreadyRunningError';
  }
}

export interface HostLock {
  /** Publishes the read endpoint's port; returns the token clients must send. */
  publishReadEndpoint(port: number): string;
  release(): void;
}

const fileOf = (dataDir: string): string => join(dataDir, 'host.json');

/** The host running in `dataDir`, or undefined when none does. */
export function runningHost(dataDir: string): RunningHost | undefined {
  const file = fileOf(dataDir);
  if (!existsSync(file)) return undefined;
  let parsed;
  try {
    parsed = hostSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
  } catch {
    return undefined;
  }
  if (!parsed.success || !isRunning(parsed.data)) return undefined;
  return parsed.data;
}

/** Takes the data dir's host lock, or throws {@link HostAlreadyRunningError} naming the holder. */
export function acquireHostLock(dataDir: string): HostLock {
  mkdirSync(dataDir, { recursive: true });
  const file = fileOf(dataDir);
  const me: RunningHost = {
    ...(processIdentity(process.pid) ?? { pid: process.pid }),
    startedAt: new Date().toISOString(),
  };
  // Written whole to a private file, then linked into place: the link fails when the file exists,
  // and a reader never sees a half-written one.
  const write = (host: RunningHost, place: (temp: string) => void): void => {
    const temp = `${file}.${process.pid}.tmp`;
    writeFileSync(temp, JSON.stringify(host), { mode: 0o600 });
    try {
      place(temp);
    } finally {
      rmSync(temp, { force: true });
    }
  };
  for (let attempt = 0; ; attempt++) {
    try {
      write(me, (temp) => linkSync(temp, file));
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= 2) throw error;
      const holder = runningHost(dataDir);
      if (holder) throw new HostAlreadyRunningError(dataDir, holder);
      // Left by a host that is gone (killed): take it over.
      rmSync(file, { force: true });
    }
  }
  let current: RunningHost = me;
  let released = false;
  return {
    publishReadEndpoint(port) {
      const token = randomBytes(24).toString('base64url');
      current = { ...current, read: { port, token } };
      write(current, (temp) => renameSync(temp, file));
      return token;
    },
    release() {
      if (released) return;
      released = true;
      const holder = runningHost(dataDir);
      if (!holder || holder.pid === process.pid) rmSync(file, { force: true });
    },
  };
}
