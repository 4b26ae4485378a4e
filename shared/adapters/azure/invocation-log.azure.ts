import { AsyncLocalStorage } from 'node:async_hooks';
import type { LogRecord } from '../../application/ports/logger.port.js';

/**
 * The app's log records on Azure, written through the Functions `InvocationContext` of the
 * invocation they belong to (`context.debug/info/warn/error`), so App Insights correlates each
 * trace with its invocation (operation id, function name). The Logger port is unchanged: the
 * composition root builds the one logger on {@link invocationLogSink}, and every registration
 * runs its handler inside {@link withInvocationLog} (functions/observed.ts). Records written
 * outside any invocation (start-up, a background flush) go to the fallback sink. The local
 * runtime keeps its JSON-lines logger.
 */

/** The part of `InvocationContext` the sink uses (narrow, so tests pass a recorder). */
export interface InvocationLogLike {
  debug(...args: unknown[]): void;
  info(...args: unknown[]): void;
  warn(...args: unknown[]): void;
  error(...args: unknown[]): void;
}

const current = new AsyncLocalStorage<InvocationLogLike>();

/** Runs `work` with `context` as the invocation the app's records are written through. */
export function withInvocationLog<T>(context: InvocationLogLike | undefined, work: () => T): T {
  return context ? current.run(context, work) : work();
}

/** One trace line: the message, then the record's fields as JSON (ids, counts, codes only). */
export function traceText(record: LogRecord): string {
  const fields = Object.fromEntries(Object.entries(record.fields).filter(([, v]) => v !== undefined));
  return Object.keys(fields).length > 0 ? `${record.message} ${JSON.stringify(fields)}` : record.message;
}

/** A log sink writing each record through the running invocation's context, else to `outside`. */
export function invocationLogSink(outside: (record: LogRecord) => void): (record: LogRecord) => void {
  return (record) => {
    const context = current.getStore();
    if (!context) return outside(record);
    context[record.level](traceText(record));
  };
}
