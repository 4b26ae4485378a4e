import { MemoryObjectStore } from '../../shared/adapters/memory/memory-object-store.js';
import { fixedClock } from '../../shared/application/ports/clock.port.js';
import { memoryLogger } from '../../shared/application/ports/logger.port.js';
import { memoryTelemetry } from '../../shared/application/ports/telemetry.port.js';
import type { PutObjectOptions } from '../../shared/application/ports/object-store.port.js';
import type { OrchestrationStarter } from '../../shared/application/ports/orchestration-starter.port.js';
import { LakeSeenEvents } from '../../shared/application/lake-state/lake-seen-events.js';
import type { ingestDeltas } from '../../shared/application/use-cases/pipeline/ingest-deltas.use-case.js';
import { loadSettings } from '../../shared/config/settings.schema.js';
import { lakePaths } from '../../shared/domain/lake/lake-paths.js';
import type { PipelineInput } from '../../shared/domain/pipeline/pipeline-contracts.js';
import { memoryLakeState } from './lake-state.js';

// The CDC consumer's world for receipt tests: a memory lake, seen events on it, and a starter that
// records the orchestrations it starts (and can fail one, as a killed host would).

/** Instances started, by id; `failAfterClaim` makes the next start throw (a crash after the claim). */
export function recordingStarter(): OrchestrationStarter & {
  readonly instances: Map<string, PipelineInput>;
  failNext: boolean;
} {
  const instances = new Map<string, PipelineInput>();
  return {
    instances,
    failNext: false,
    async start(_orchestration, instanceId, input) {
      if (this.failNext) {
        this.failNext = false;
        throw new Error('injected: host killed before the orchestration started');
      }
      if (instances.has(instanceId)) return { started: false };
      instances.set(instanceId, input as PipelineInput);
      return { started: true };
    },
  };
}

/**
 * A lake whose seen-events head commits stop after `headsLeft` of them (a kill in the middle of a
 * claim, whose buckets commit side by side): the rest of the claim throws, as a dead process would.
 */
export class KilledMidClaim extends MemoryObjectStore {
  headsLeft: number | undefined;
  override async put(
    container: string,
    path: string,
    body: Buffer | string,
    options?: PutObjectOptions,
  ): Promise<{ created: boolean; etag?: string }> {
    if (this.headsLeft !== undefined && path.startsWith('seen-events/') && path.endsWith('/head.json')) {
      if (this.headsLeft === 0) throw new Error('injected: host killed during the claim');
      this.headsLeft -= 1;
    }
    return super.put(container, path, body, options);
  }
}

export function world(objects = new MemoryObjectStore(), starter = recordingStarter()) {
  const seenEvents = new LakeSeenEvents(memoryLakeState(objects), fixedClock('2026-12-06T09:00:00Z'));
  const deps = {
    settings: loadSettings({}),
    lake: objects,
    clock: fixedClock('2026-12-06T09:00:00Z'),
    logger: memoryLogger(),
    telemetry: memoryTelemetry(),
    seenEvents,
    starter,
    orchestration: 'pipelineOrchestrator',
  } as unknown as Parameters<typeof ingestDeltas>[1];
  return { objects, starter, seenEvents, deps };
}

/** Every event id each started batch holds (read back from bronze). */
export async function eventIdsByBatch(
  objects: MemoryObjectStore,
  starter: ReturnType<typeof recordingStarter>,
): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  for (const [id, input] of starter.instances) {
    const body = (await objects.get('bronze', input.batch.bronzePath))!.toString('utf8');
    out.set(
      id,
      body
        .split('\n')
        .filter((l) => l.length > 0)
        .map((l) => (JSON.parse(l) as { eventId: string }).eventId),
    );
  }
  return out;
}

export async function claimMarkers(objects: MemoryObjectStore): Promise<string[]> {
  const paths: string[] = [];
  for await (const o of objects.list('bronze', lakePaths.cdcClaimMarkerPrefix())) paths.push(o.path);
  return paths;
}
