import { z } from 'zod';
import { toError } from '../../../domain/errors.js';
import { LANDING_EVENTS } from '../../../domain/landing/landing-blob.js';
import { LANDING_EVENT_SUBSCRIPTION, landingEventOf } from '../../../domain/landing/landing-event.js';
import { printableName } from '../../../domain/pipeline/landing-file.js';
import { ingestLandingFile, type LandingDeps } from './ingest-landing-file.use-case.js';

/** What one sweep of the landing dead letters did. */
export interface LandingDeadLetterReplay {
  /** Landing files loaded (or found already loaded, rejected or waiting) from a dead-lettered event. */
  readonly replayed: number;
  /** Dead-lettered events that still fail; they stay for the next sweep and raise the alert. */
  readonly failed: number;
  /** Dead-lettered events that name no landing blob (another container, operation or type). */
  readonly ignored: number;
}

const deadLetterSchema = z.array(z.unknown()).min(1);

/**
 * The landing sweep's second job: an Event Grid event whose every delivery to `landingFile` failed
 * (an outage longer than its retries) is dead-lettered to `landing-deadletter/` with the blob's name
 * and no contents. Each sweep replays them through the same use case as a first delivery, so a file
 * is never left unloaded in landing without anyone told: a replay that succeeds removes the dead
 * letter (`nhsflows.landing.deliveryReplayed`); one that fails again leaves it and counts it in
 * `nhsflows.landing.deliveryFailed`, which the `landing-delivery-failed` alert watches. Replaying is
 * safe however often: the file's batch id comes from its name and bytes, and a known batch is not
 * started twice.
 */
export async function replayLandingDeadLetters(deps: LandingDeps): Promise<LandingDeadLetterReplay> {
  const container = LANDING_EVENT_SUBSCRIPTION.deadLetterContainer;
  let replayed = 0;
  let failed = 0;
  let ignored = 0;
  const letters: string[] = [];
  for await (const object of deps.lake.list(container, '')) letters.push(object.path);
  for (const path of letters) {
    const body = await deps.lake.get(container, path);
    if (!body) continue;
    let events: unknown[];
    try {
      events = deadLetterSchema.parse(JSON.parse(body.toString('utf8')));
    } catch (error) {
      failed += 1;
      deps.logger.error('landing dead letter unreadable; left for an operator', {
        deadLetter: path,
        error: toError(error).message.slice(0, 200),
      });
      continue;
    }
    let allDone = true;
    for (const raw of events) {
      try {
        const event = landingEventOf(raw);
        if (event.kind === 'ignored') {
          ignored += 1;
          continue;
        }
        const result = await ingestLandingFile(event.name, deps);
        replayed += 1;
        deps.telemetry.event(LANDING_EVENTS.deliveryReplayed, {
          file: printableName(event.name),
          outcome: result.outcome,
          batchId: result.batchId,
        });
        deps.logger.warn('dead-lettered landing event replayed', {
          deadLetter: path,
          file: printableName(event.name),
          outcome: result.outcome,
          batchId: result.batchId,
        });
      } catch (error) {
        allDone = false;
        failed += 1;
        deps.logger.error('dead-lettered landing event failed again; kept for the next sweep', {
          deadLetter: path,
          error: toError(error).message.slice(0, 500),
        });
      }
    }
    if (allDone) await deps.lake.delete(container, path);
  }
  if (failed > 0) deps.telemetry.metric(LANDING_EVENTS.deliveryFailed, failed, {});
  return { replayed, failed, ignored };
}
