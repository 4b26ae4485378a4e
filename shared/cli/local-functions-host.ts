import { join } from 'node:path';
import { LocalEventLog } from '../adapters/local/event-log/local-event-log.js';
import type { Logger } from '../application/ports/logger.port.js';
import { createLocalHost, type LocalHost } from '../runtime/local/local-host.js';
import { captureRegistrations, type Registry } from '../runtime/local/registration-capture.js';
import type { LocalEnvironment } from './local-environment.js';

/**
 * The real `functions/` registrations driven by the local runtime: timers, the eventHub trigger fed
 * by the durable local event log, blob and queue triggers on Azurite, HTTP and the durable client on
 * loopback, orchestrations replayed by durable-functions itself with a persisted journal.
 */
export async function openLocalFunctionsHost(
  env: LocalEnvironment,
  options: { logger: Logger; eventLog: LocalEventLog; httpPort?: number; handleSignals?: boolean; disabledFunctions?: readonly string[] },
): Promise<{ host: LocalHost; registry: Registry }> {
  // The same relative path from shared/cli (tsx) and dist/shared/cli (built).
  const registry = await captureRegistrations(() => import('../../functions/index.js'));
  const host = createLocalHost({
    registry,
    dataDir: join(env.dataDir, 'functions-host'),
    connections: { AzureWebJobsStorage: env.connectionString, NHSFLOWS_LAKE: env.connectionString },
    appSettings: process.env,
    logger: options.logger,
    taskHub: 'nhsflows',
    http: { port: options.httpPort ?? 0 },
    eventSources: () => options.eventLog.consumer('$Default'),
    handleSignals: options.handleSignals ?? false,
    disabledFunctions: options.disabledFunctions ?? [],
  });
  return { host, registry };
}

/** Fires a timer-triggered registration once, as the host would on schedule. */
export async function fireTimer(host: LocalHost, registry: Registry, functionName: string): Promise<void> {
  const registration = registry.get(functionName);
  if (!registration) throw new Error(`no function named ${functionName} is registered`);
  const payload = { Schedule: { AdjustForDST: true }, ScheduleStatus: null, IsPastDue: false };
  await host.invoke(functionName, {
    inputData: { [registration.triggerName]: { json: JSON.stringify(payload) } },
  });
}
