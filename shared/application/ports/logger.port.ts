/**
 * Structured, injected logging. Fields must never carry patient identifiers or row values:
 * ids, counts, paths, codes and durations only.
 */
export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  child(fields: LogFields): Logger;
}

export type LogFields = Readonly<Record<string, string | number | boolean | null | undefined>>;

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const order: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** Whether a record at `level` passes a `min` threshold (`warn` passes `info`; `debug` does not). */
export function logLevelAtLeast(level: LogLevel, min: LogLevel): boolean {
  return order[level] >= order[min];
}

export interface LogRecord {
  readonly level: LogLevel;
  readonly message: string;
  readonly fields: LogFields;
}

/** A logger that hands each record to `sink` (JSON lines to stderr, a test array, App Insights). */
export function createLogger(
  sink: (record: LogRecord) => void,
  minLevel: LogLevel = 'info',
  base: LogFields = {},
): Logger {
  const emit = (level: LogLevel, message: string, fields: LogFields = {}) => {
    if (logLevelAtLeast(level, minLevel)) sink({ level, message, fields: { ...base, ...fields } });
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    child: (fields) => createLogger(sink, minLevel, { ...base, ...fields }),
  };
}

/** Collects records in memory (tests). */
export function memoryLogger(minLevel: LogLevel = 'debug'): Logger & { records: LogRecord[] } {
  const records: LogRecord[] = [];
  return Object.assign(
    createLogger((r) => records.push(r), minLevel),
    { records },
  );
}

export const silentLogger: Logger = createLogger(() => undefined, 'error');
