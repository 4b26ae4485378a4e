import type { Logger } from '../../../application/ports/logger.port.js';
import type { InvokeRequest, InvokeResult } from '../function-invoker.js';
import type { Registration } from '../registration-capture.js';

/**
 * What every local trigger source needs from the host: invoke a registration as the worker would,
 * resolve `%setting%` binding expressions and connection names, and a place for durable local state.
 */
export interface TriggerHost {
  readonly logger: Logger;
  readonly dataDir: string;
  invoke(registration: Registration, request: InvokeRequest): Promise<InvokeResult>;
  /** Replaces `%name%` with the app setting `name`, as the host does in binding expressions. */
  resolve(text: string): string;
  /** The storage connection string for a binding's `connection` (default AzureWebJobsStorage). */
  storageConnection(connection: unknown): string;
}

/** One running trigger listener (timer, queue poller, blob poller, event-hub consumer). */
export interface TriggerSource {
  readonly functionName: string;
  start(): Promise<void>;
  /** Stops receiving and waits for the invocation in flight, if any. */
  stop(): Promise<void>;
  /** True when nothing is waiting to be delivered to the function and nothing is running. */
  isIdle(): Promise<boolean>;
}

/** Resolves `%setting%` placeholders against app settings; an unknown setting is an error, as on the host. */
export function resolveBindingExpression(
  text: string,
  settings: Readonly<Record<string, string | undefined>>,
): string {
  return text.replace(/%([^%]+)%/g, (_, name: string) => {
    const value = settings[name];
    if (value === undefined)
      throw new Error(`binding expression %${name}% names an app setting that is not set`);
    return value;
  });
}

/** A stop-aware sleep: resolves early when `signal` aborts. */
export function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
