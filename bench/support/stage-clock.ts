/**
 * Accumulates wall and CPU time per named stage across many calls (a stage runs once per chunk).
 * CPU time is the whole process's user + system time over the call, so it includes the garbage
 * collector's work on the stage's behalf; on a shared machine it is steadier than wall time.
 */
export class StageClock {
  private readonly walls = new Map<string, number>();
  private readonly cpus = new Map<string, number>();

  async time<T>(stage: string, fn: () => Promise<T>): Promise<T> {
    const wall = performance.now();
    const cpu = process.cpuUsage();
    try {
      return await fn();
    } finally {
      this.add(stage, performance.now() - wall, process.cpuUsage(cpu));
    }
  }

  timeSync<T>(stage: string, fn: () => T): T {
    const wall = performance.now();
    const cpu = process.cpuUsage();
    try {
      return fn();
    } finally {
      this.add(stage, performance.now() - wall, process.cpuUsage(cpu));
    }
  }

  /** Total wall milliseconds of a stage. */
  wall(stage: string): number {
    return this.walls.get(stage) ?? 0;
  }

  /** Total CPU milliseconds (user + system) of a stage. */
  cpu(stage: string): number {
    return this.cpus.get(stage) ?? 0;
  }

  private add(stage: string, wallMs: number, cpu: NodeJS.CpuUsage): void {
    this.walls.set(stage, this.wall(stage) + wallMs);
    this.cpus.set(stage, this.cpu(stage) + (cpu.user + cpu.system) / 1000);
  }
}
