import * as df from 'durable-functions';
import type { InvocationContext, Timer } from '@azure/functions';
import { FUNCTIONS, ORCHESTRATIONS } from './function-names.js';
import { services } from './composition-root.js';
import { starterFrom } from './orchestration-starter.js';
import { observed } from './observed.js';
import { TIMER_RETRY } from './retry-policies.js';
import { landingEventOf } from '../shared/domain/landing/landing-event.js';
import { ingestLandingFile } from '../shared/application/use-cases/pipeline/ingest-landing-file.use-case.js';
import { replayLandingDeadLetters } from '../shared/application/use-cases/pipeline/replay-landing-dead-letters.use-case.js';
import { rejectOverdueLandingFiles } from '../shared/application/use-cases/pipeline/reject-overdue-landing-files.use-case.js';

/**
 * A supplier file dropped in `landing/<table>/<file>` (or its manifest or column map beside it),
 * announced by the lake's BlobCreated event (Event Grid) → checks → bronze copy → one orchestration.
 * The function is handed the event, not the blob: the use case streams the file from the lake, so a
 * multi-GB drop runs in flat memory (a blob trigger would bind the whole blob). A file rejected by its
 * name, its manifest or its map is reported by the use case and the function succeeds (no retries);
 * a failure throws, Event Grid redelivers, and after its last attempt dead-letters the event, which
 * the sweep below reports.
 */
export async function landingFile(
  event: unknown,
  client: df.DurableClient,
  context: InvocationContext,
): Promise<void> {
  const landing = landingEventOf(event);
  if (landing.kind === 'ignored') {
    context.log(`landing event ${landing.eventId} ignored: ${landing.reason}`);
    return;
  }
  const s = await services();
  const result = await ingestLandingFile(landing.name, {
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

/**
 * Every few minutes: landing files still waiting for a required manifest past the wait are rejected,
 * and landing events Event Grid dead-lettered (every delivery failed) are replayed.
 */
export async function landingManifestSweep(
  _timer: Timer,
  client: df.DurableClient,
  context: InvocationContext,
): Promise<void> {
  const { pipeline } = await services();
  const rejected = await rejectOverdueLandingFiles(pipeline);
  if (rejected.length > 0) context.log(`landing files rejected without a manifest: ${rejected.join(', ')}`);
  const replay = await replayLandingDeadLetters({
    ...pipeline,
    starter: starterFrom(client),
    orchestration: ORCHESTRATIONS.pipeline,
  });
  if (replay.replayed + replay.failed > 0)
    context.log(
      `landing dead letters: ${replay.replayed} replayed, ${replay.failed} still failing (alert landing-delivery-failed)`,
    );
}

// The subscription (LANDING_EVENT_SUBSCRIPTION) is made after code deploy by
// infra/hooks/subscribe-landing-events.mjs; locally the runtime raises the same events from Azurite.
df.app.client.eventGrid(FUNCTIONS.landingFile, {
  handler: observed(FUNCTIONS.landingFile, 'eventGrid', landingFile),
});

df.app.client.timer(FUNCTIONS.landingManifestSweep, {
  schedule: '0 */5 * * * *',
  runOnStartup: false,
  retry: TIMER_RETRY,
  handler: observed(FUNCTIONS.landingManifestSweep, 'timer', landingManifestSweep),
});
