import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/**
 * How `nhs-flows start` shows a run: `pretty` = live progress and a summary on the terminal, JSON
 * log lines only in the log file; `json` = the JSON log lines on stdout as well (CI, pipes, tests).
 */
export const LOG_FORMATS = ['pretty', 'json'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

/**
 * The format asked for with `--log-format`, or, when none was, `pretty` if both stdout and stderr are
 * terminals and `json` otherwise. Throws naming the option and the value when it is not a format.
 */
export function resolveLogFormat(
  option: string | boolean | undefined,
  terminal: { readonly stdout: boolean; readonly stderr: boolean },
): LogFormat {
  if (option === undefined) return terminal.stdout && terminal.stderr ? 'pretty' : 'json';
  const found = LOG_FORMATS.find((f) => f === option);
  if (!found)
    throw new Error(`--log-format: expected ${LOG_FORMATS.join(' or ')}, received '${String(option)}'`);
  return found;
}

/** Where a run's JSON log lines go: always a file in the data directory, and stdout in `json` format. */
export interface RunLog {
  /** `<data dir>/logs/nhs-flows-<start time>.ndjson` (absolute when the data dir is). */
  readonly path: string;
  readonly format: LogFormat;
  /** Appends one newline-terminated JSON log line to the file (synchronously) and, in `json`, to stdout. */
  readonly write: (line: string) => void;
  readonly close: () => void;
}

/** Opens (creates) the run's log file; the file name carries the start time, so runs never share one. */
export function openRunLog(options: {
  readonly dataDir: string;
  readonly format: LogFormat;
  readonly startedAt: Date;
  /** stdout (tests pass a collector). */
  readonly stdout: (line: string) => void;
}): RunLog {
  const dir = join(options.dataDir, 'logs');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `nhs-flows-${options.startedAt.toISOString().replace(/[:.]/g, '-')}.ndjson`);
  let fd: number | undefined = openSync(path, 'a');
  return {
    path,
    format: options.format,
    write: (line) => {
      // Synchronous: a crash loses no line, and the file reads in the order things happened.
      if (fd !== undefined) writeSync(fd, line);
      if (options.format === 'json') options.stdout(line);
    },
    close: () => {
      if (fd !== undefined) closeSync(fd);
      fd = undefined;
    },
  };
}
