import { appendFile, mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { HistoryEvent, WireRetryOptions } from './durable-wire.js';

/**
 * Durable, append-only journal of orchestration instances: one NDJSON file per instance under
 * `<dataDir>/durable/<taskHub>/`, one JSON record per line.
 *
 * Why files and not Azurite tables: the replay driver must work with or without Azurite (orchestration
 * tests, `runOrchestration` in-process), an append is one `write` of one line (a record is either whole
 * or, when the process is killed mid-write, a torn last line that readers skip), and the history of an
 * instance can be read with `cat`/`jq` while debugging.
 *
 * Guarantees: records of one instance are appended in call order; `load` returns every complete record
 * of every instance in append order and ignores a torn trailing line.
 */
export type JournalRecord =
  | {
      readonly kind: 'created';
      readonly executionId: string;
      readonly name: string;
      readonly input: unknown;
      readonly createdTime: string;
      readonly parent?: ParentLink;
    }
  | {
      /** A message (activity result, timer fired, sub-orchestration result, raised event) not yet consumed. */
      readonly kind: 'inbox';
      readonly executionId: string;
      readonly msgId: string;
      readonly event: HistoryEvent;
    }
  | {
      /** One orchestrator episode: the history it appended and the messages it consumed. */
      readonly kind: 'episode';
      readonly executionId: string;
      readonly consumed: readonly string[];
      readonly events: readonly HistoryEvent[];
      readonly slots: Readonly<Record<string, Slot>>;
      readonly nextEventId: number;
      readonly actionsSeen: number;
      readonly customStatus?: unknown;
      readonly outcome?: EpisodeOutcome;
    }
  | {
      readonly kind: 'terminated';
      readonly executionId: string;
      readonly reason: string;
      readonly at: string;
    };

export interface ParentLink {
  readonly instanceId: string;
  readonly executionId: string;
  readonly taskScheduledId: number;
}

export type EpisodeOutcome =
  | { readonly status: 'Completed'; readonly output: unknown }
  | { readonly status: 'Failed'; readonly message: string; readonly details?: string }
  | { readonly status: 'ContinuedAsNew'; readonly newExecutionId: string; readonly input: unknown };

/** What the driver scheduled under one event id (the history itself carries only the wire fields). */
export interface Slot {
  readonly kind: 'activity' | 'subOrchestration' | 'timer' | 'retryTimer';
  readonly name?: string;
  readonly input?: unknown;
  readonly instanceId?: string;
  readonly fireAt?: string;
  /** Index of the user action in the flattened action list (timers and first attempts only). */
  readonly actionIndex?: number;
  /** The orchestrator cancelled this timer; it is never fired. */
  readonly canceled?: boolean;
  readonly retry?: {
    readonly options: WireRetryOptions;
    readonly attempt: number;
    readonly of: 'activity' | 'subOrchestration';
    readonly firstAttemptAt: string;
  };
}

export class InstanceJournal {
  readonly #dir: string;
  readonly #chains = new Map<string, Promise<void>>();
  #ready: Promise<void> | undefined;

  constructor(dataDir: string, taskHub: string) {
    this.#dir = join(dataDir, 'durable', taskHub);
  }

  get directory(): string {
    return this.#dir;
  }

  fileOf(instanceId: string): string {
    return join(this.#dir, `${encodeURIComponent(instanceId).replace(/\*/g, '%2A')}.ndjson`);
  }

  append(instanceId: string, record: JournalRecord): Promise<void> {
    this.#ready ??= mkdir(this.#dir, { recursive: true }).then(() => undefined);
    const line = `${JSON.stringify(record)}\n`;
    const previous = this.#chains.get(instanceId) ?? this.#ready;
    const next = previous.then(() => appendFile(this.fileOf(instanceId), line, 'utf8'));
    const settled = next.catch(() => undefined);
    this.#chains.set(instanceId, settled);
    void settled.then(() => {
      if (this.#chains.get(instanceId) === settled) this.#chains.delete(instanceId);
    });
    return next;
  }

  /** Deletes an instance's journal (purge). */
  async remove(instanceId: string): Promise<void> {
    await this.#chains.get(instanceId);
    await rm(this.fileOf(instanceId), { force: true });
  }

  /** Waits for every append issued so far. */
  async flush(): Promise<void> {
    await Promise.all([...this.#chains.values()]);
  }

  async load(): Promise<Map<string, JournalRecord[]>> {
    const out = new Map<string, JournalRecord[]>();
    let names: string[];
    try {
      names = await readdir(this.#dir);
    } catch {
      return out;
    }
    for (const name of names.filter((n) => n.endsWith('.ndjson')).sort()) {
      const instanceId = decodeURIComponent(name.slice(0, -'.ndjson'.length));
      const file = join(this.#dir, name);
      const text = await readFile(file, 'utf8');
      // Close a torn last line so the next append starts a record of its own.
      if (text.length > 0 && !text.endsWith('\n')) await appendFile(file, '\n', 'utf8');
      const records: JournalRecord[] = [];
      for (const line of text.split('\n')) {
        if (!line) continue;
        try {
          records.push(JSON.parse(line) as JournalRecord);
        } catch {
          // A torn trailing line from a killed process: the record never happened.
        }
      }
      out.set(instanceId, records);
    }
    return out;
  }
}
