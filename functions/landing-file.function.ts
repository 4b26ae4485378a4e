import * as df from 'durable-functions';
import { app, type InvocationContext, type Timer } from '@azure/functions';
import { CONNECTIONS, FUNCTIONS, ORCHESTRATIONS } from './function-names.js';
import { services } from './composition-root.js';
import { starterFrom } from './orchestration-starter.js';
import { observed } from './observed.js';
import { TIMER_RETRY } from './retry-policies.js';
import { ingestLandingFile } from '../shared/application/use-cases/pipeline/ingest-landing-file.use-case.js';
import { rejectOverdueLandingFiles } from '../shared/application/use-cases/pipeline/reject-overdue-landing-files.use-case.js';

/**
 * A supplier file dropped in `landing/<table>/<file>` (or its manifest or column map beside it) →
 * checks → bronze copy → one orchestration. A file rejected by its name, its manifest or its map is
 * reported by the use case and the function succeeds (no host retries).
 */
export async function landingFile(
  blob: unknown,
  client: df.DurableClient,
  context: InvocationContext,
): Promise<void> {
  const s = await services();
  const raw = context.triggerMetadata?.name;
  const name = typeof raw === 'string' ? raw : '';
  const bytes = Buffer.isBuffer(blob) ? blob : Buffer.from(blob as string);
  const result = await ingestLandingFile(name, bytes, {
    ...s.pipeline,
    starter: starterFrom(client),
    orchestration: ORCHESTRATIONS.pipeline,
  });
  context.log(
    result.rejected
      ? `landing file rejected ${result.batchId} (${result.rejected.code}); reported to the poison queue`
      : result.duplicateOf
        ? `landing file ${result.batchId} is a duplicate of batch ${result.duplicateOf.batchId}; not loaded again`
        : result.outcome === 'started' || result.outcome === 'known'
          ? `landing file batch ${result.batchId} ${result.started ? 'started' : 'already known'}`
          : `landing file ${result.batchId || '(control file)'}: ${result.outcome}`,
  );
}

/** Every few minutes: landing files still waiting for a required manifest past the wait are rejected. */
export async function landingManifestSweep(_timer: Timer, context: InvocationContext): Promise<void> {
  const { pipeline } = await services();
  const rejected = await rejectOverdueLandingFiles(pipeline);
  if (rejected.length > 0) context.log(`landing files rejected without a manifest: ${rejected.join(', ')}`);
}

df.app.client.storageBlob(FUNCTIONS.landingFile, {
  path: 'landing/{name}',
  connection: CONNECTIONS.lake,
  source: 'EventGrid',
  handler: observed(FUNCTIONS.landingFile, 'blob', landingFile),
});

app.timer(FUNCTIONS.landingManifestSweep, {
  schedule: '0 */5 * * * *',
  runOnStartup: false,
  retry: TIMER_RETRY,
  handler: observed(FUNCTIONS.landingManifestSweep, 'timer', landingManifestSweep),
});
