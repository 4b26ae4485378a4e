import type { Delta } from '../../../domain/capture/delta.js';
import type { CaptureStateRepository } from './capture-hash-state.js';

/** Deltas of a full pass, kept in memory up to a limit and spilled to the state container beyond it. */
export class DeltaSpool {
  private memory: Delta[] = [];
  readonly paths: string[] = [];

  constructor(
    private readonly repo: CaptureStateRepository,
    private readonly prefix: string,
    private readonly spillAt: number,
  ) {}

  add(delta: Delta): void {
    this.memory.push(delta);
  }

  /** Spills the in-memory deltas when there are many. */
  async spill(): Promise<void> {
    if (this.memory.length >= this.spillAt) {
      const path = `${this.prefix}/part-${String(this.paths.length).padStart(6, '0')}.ndjson`;
      await this.repo.putObject(path, this.memory.map((d) => JSON.stringify(d)).join('\n'));
      this.paths.push(path);
      this.memory = [];
    }
  }

  async *batches(size: number): AsyncGenerator<Delta[]> {
    for (const path of this.paths) {
      const lines = (await this.repo.getObject(path)).toString('utf8').split('\n');
      const deltas = lines.map((l) => JSON.parse(l) as Delta);
      for (let i = 0; i < deltas.length; i += size) yield deltas.slice(i, i + size);
    }
    for (let i = 0; i < this.memory.length; i += size) yield this.memory.slice(i, i + size);
  }
}
