import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import type { EventHubTriggerOptions } from './triggers/event-hub-trigger.js';

/** The parts of host.json the local host honours (the Azure host reads the same file). */
const HostJson = z.object({
  extensions: z
    .object({
      durableTask: z
        .object({ maxConcurrentActivityFunctions: z.number().int().positive().optional() })
        .optional(),
      eventHubs: z
        .object({
          maxEventBatchSize: z.number().int().positive().optional(),
          minEventBatchSize: z.number().int().positive().optional(),
          maxWaitTime: z
            .string()
            .regex(/^\d{2}:\d{2}:\d{2}$/, 'expected hh:mm:ss')
            .optional(),
        })
        .optional(),
    })
    .optional(),
});

/** Finds host.json above this module (source under tsx, or dist/ when built). */
export function findHostJson(from = dirname(fileURLToPath(import.meta.url))): string | undefined {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, 'host.json');
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) return undefined;
  }
}

function readHostJson(file: string): z.infer<typeof HostJson> {
  const parsed = HostJson.safeParse(JSON.parse(readFileSync(file, 'utf8')));
  if (!parsed.success)
    throw new Error(
      `${file}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  return parsed.data;
}

/**
 * Activities one host runs at once, from host.json `extensions.durableTask.maxConcurrentActivityFunctions`
 * (the Azure host's per-instance limit; undefined when host.json does not say).
 */
export function maxConcurrentActivitiesFromHostJson(file = findHostJson()): number | undefined {
  if (!file) return undefined;
  return readHostJson(file).extensions?.durableTask?.maxConcurrentActivityFunctions;
}

/** Event Hubs trigger options from host.json `extensions.eventHubs` (one declaration for both hosts). */
export function eventHubOptionsFromHostJson(file = findHostJson()): EventHubTriggerOptions {
  if (!file) return {};
  const hubs = readHostJson(file).extensions?.eventHubs ?? {};
  const wait = hubs.maxWaitTime?.split(':').map(Number);
  return {
    ...(hubs.maxEventBatchSize !== undefined && { maxEventBatchSize: hubs.maxEventBatchSize }),
    ...(hubs.minEventBatchSize !== undefined && { minEventBatchSize: hubs.minEventBatchSize }),
    ...(wait && { maxWaitMs: ((wait[0]! * 60 + wait[1]!) * 60 + wait[2]!) * 1000 }),
  };
}
