import { readFileSync } from 'node:fs';
import { statCpuTicks } from './process-identity.js';

/**
 * The calling thread's CPU time so far (user + system, ms), from `/proc/thread-self/stat`; undefined
 * where there is no such file (not Linux). Node's `process.cpuUsage()` is the whole process's.
 */
export function threadCpuMs(
  read: () => string = () => readFileSync('/proc/thread-self/stat', 'utf8'),
): number | undefined {
  let stat: string;
  try {
    stat = read();
  } catch {
    return undefined;
  }
  const ticks = statCpuTicks(stat);
  return Number.isFinite(ticks) ? ticks * 10 : undefined;
}

/**
 * A thread's CPU time shared among the invocations in flight on it: between two events (an
 * invocation starting or ending), the CPU the thread used is split equally among the invocations
 * that were in flight. Interleaved async work cannot be told apart more finely from outside, and the
 * shares always sum to the thread's CPU over the time anything was in flight.
 */
export class ThreadCpuShare {
  private readonly inFlight = new Map<number, number>();
  private last: number | undefined;

  constructor(private readonly clock: () => number | undefined = threadCpuMs) {}

  start(id: number): void {
    this.advance();
    this.inFlight.set(id, 0);
  }

  /** The invocation's share (ms), or undefined when the thread's CPU cannot be read. */
  end(id: number): number | undefined {
    const readable = this.advance();
    const share = this.inFlight.get(id);
    this.inFlight.delete(id);
    return readable ? share : undefined;
  }

  private advance(): boolean {
    const now = this.clock();
    if (now === undefined) return false;
    if (this.last !== undefined && this.inFlight.size > 0) {
      const each = (now - this.last) / this.inFlight.size;
      for (const [id, used] of this.inFlight) this.inFlight.set(id, used + each);
    }
    this.last = now;
    return true;
  }
}
