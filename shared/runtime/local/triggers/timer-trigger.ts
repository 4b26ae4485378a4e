import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { toError } from '../../../domain/errors.js';
import { bindingText, type Registration } from '../registration-capture.js';
import { parseSchedule, type Schedule } from './ncrontab-schedule.js';
import type { TriggerHost, TriggerSource } from './trigger-source.js';

/**
 * Drives an `app.timer` registration: NCRONTAB / TimeSpan schedule, `runOnStartup`, and `isPastDue`
 * from a persisted schedule status (`<dataDir>/timers/<function>.json`, the local twin of the host's
 * `azure-webjobs-hosts/timers/...` blob): when the next occurrence recorded before a stop has passed,
 * the function runs once at start with `isPastDue: true`. Like the host's singleton lock, one
 * invocation at a time; an occurrence missed while the previous one still ran is not queued twice.
 */
interface ScheduleStatus {
  readonly last: string;
  readonly next: string;
  readonly lastUpdated: string;
}

export class TimerTrigger implements TriggerSource {
  readonly functionName: string;
  readonly #registration: Registration;
  readonly #host: TriggerHost;
  readonly #schedule: Schedule;
  readonly #statusFile: string;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #stopped = false;
  #status: ScheduleStatus | undefined;

  constructor(registration: Registration, host: TriggerHost) {
    this.functionName = registration.name;
    this.#registration = registration;
    this.#host = host;
    this.#schedule = parseSchedule(host.resolve(bindingText(registration.trigger, 'schedule')));
    this.#statusFile = join(host.dataDir, 'timers', `${encodeURIComponent(registration.name)}.json`);
  }

  /** The schedule's next occurrence after `after`. */
  nextOccurrence(after: Date): Date {
    return this.#schedule.nextOccurrence(after);
  }

  async start(): Promise<void> {
    this.#stopped = false;
    try {
      this.#status = JSON.parse(await readFile(this.#statusFile, 'utf8')) as ScheduleStatus;
    } catch {
      this.#status = undefined;
    }
    const now = new Date();
    const pastDue = this.#status !== undefined && new Date(this.#status.next).getTime() < now.getTime();
    if (this.#registration.trigger.runOnStartup === true || pastDue) {
      this.#fire(pastDue, now);
    } else {
      this.#arm();
    }
  }

  #arm(): void {
    if (this.#stopped) return;
    const next = this.#schedule.nextOccurrence(new Date());
    const wait = Math.min(next.getTime() - Date.now(), 2_000_000_000);
    this.#timer = setTimeout(
      () => {
        if (Date.now() < next.getTime()) return this.#arm();
        this.#fire(false, next);
      },
      Math.max(0, wait),
    );
    void this.#save({
      last: this.#status?.last ?? '',
      next: next.toISOString(),
      lastUpdated: new Date().toISOString(),
    });
  }

  #fire(isPastDue: boolean, scheduled: Date): void {
    this.#timer = undefined;
    const next = this.#schedule.nextOccurrence(new Date());
    const payload = {
      Schedule: { AdjustForDST: true },
      ScheduleStatus: this.#status
        ? { Last: this.#status.last, Next: next.toISOString(), LastUpdated: this.#status.lastUpdated }
        : null,
      IsPastDue: isPastDue,
    };
    this.#running = (async () => {
      try {
        await this.#host.invoke(this.#registration, {
          inputData: { [this.#registration.triggerName]: { json: JSON.stringify(payload) } },
        });
      } catch (thrown) {
        this.#host.logger.error('timer function failed', {
          function: this.functionName,
          error: toError(thrown).message,
        });
      }
      this.#status = {
        last: scheduled.toISOString(),
        next: next.toISOString(),
        lastUpdated: new Date().toISOString(),
      };
      await this.#save(this.#status);
    })().finally(() => {
      this.#running = undefined;
      this.#arm();
    });
  }

  async #save(status: ScheduleStatus): Promise<void> {
    try {
      await mkdir(join(this.#host.dataDir, 'timers'), { recursive: true });
      await writeFile(this.#statusFile, JSON.stringify(status), 'utf8');
    } catch (thrown) {
      this.#host.logger.warn('timer schedule status not saved', {
        function: this.functionName,
        error: toError(thrown).message,
      });
    }
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#running;
  }

  /** A timer is idle between occurrences: it never holds up `waitForIdle`. */
  async isIdle(): Promise<boolean> {
    return this.#running === undefined;
  }
}
