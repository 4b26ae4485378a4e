import { readFileSync } from 'node:fs';

/**
 * Who a process id stands for, so a pid written to a file by one process is not mistaken for
 * another process that got the same pid later (pid reuse). On Linux a process is its pid plus its
 * start time in clock ticks since boot (`/proc/<pid>/stat`, field 22); elsewhere only the pid is
 * known and liveness is `kill(pid, 0)`.
 */
export interface ProcessIdentity {
  readonly pid: number;
  /** Start time in clock ticks since boot (Linux); absent where /proc is not available. */
  readonly startTicks?: string;
}

/** The identity of a running process, or undefined when no process has that pid. */
export function processIdentity(pid: number): ProcessIdentity | undefined {
  if (!alive(pid)) return undefined;
  const startTicks = startTicksOf(pid);
  return startTicks === undefined ? { pid } : { pid, startTicks };
}

/** True when the process `identity` names still runs (same pid and, where known, same start time). */
export function isRunning(identity: ProcessIdentity): boolean {
  if (!alive(identity.pid)) return false;
  if (identity.startTicks === undefined) return true;
  const now = startTicksOf(identity.pid);
  return now === undefined || now === identity.startTicks;
}

/** The command line of a process (Linux /proc), or undefined when it cannot be read. */
export function commandLine(pid: number): readonly string[] | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8')
      .split('\0')
      .filter((a) => a !== '');
  } catch {
    return undefined;
  }
}

/**
 * The fields of a `/proc/<pid>/stat` (or `/proc/thread-self/stat`) line after the command name,
 * which is in parentheses and may hold spaces and parentheses: element 0 is field 3 (state), so
 * field n is element n − 3.
 */
export function statFieldsAfterName(stat: string): string[] {
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/** User + system CPU of a stat line, in clock ticks (fields 14 and 15; USER_HZ is 100 on Linux). */
export function statCpuTicks(stat: string): number {
  const fields = statFieldsAfterName(stat);
  return Number(fields[11]) + Number(fields[12]);
}

function startTicksOf(pid: number): string | undefined {
  try {
    return statFieldsAfterName(readFileSync(`/proc/${pid}/stat`, 'utf8'))[19];
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
