import { app, type InvocationContext, type Timer } from '@azure/functions';
import { FUNCTIONS } from './function-names.js';
import { services } from './composition-root.js';
import { observed } from './observed.js';
import { TIMER_RETRY } from './retry-policies.js';
import { sourceFeeds } from './mssql-source.js';
import { capturedTableNames, pollSources } from '../shared/application/use-cases/poll-sources.use-case.js';
import { pollerTick } from '../shared/application/use-cases/operations/poller-tick.use-case.js';
import { massDeleteReleases } from '../shared/application/use-cases/operations/mass-delete-release.use-case.js';
import { LakeContentIndex } from '../shared/application/lake-state/lake-content-index.js';
import { LakeReferralIndex } from '../shared/application/lake-state/lake-referral-index.js';

/**
 * The CDC poller: captures every configured table and publishes deltas. A table that fails is
 * reported (telemetry alerts on-call) while the others run; the invocation fails if any did, so the
 * registration's retry policy applies. Every tick, whatever happened (source unreachable, a table
 * failing, the poll skipped because a circuit breaker is open), emits each table's freshness
 * (now − last successful poll) and the poison-queue depth. A table whose mass-delete guard was
 * released (`nhs-flows capture release-mass-delete`) is polled once with its deletes allowed.
 */
export async function cdcPoller(_timer: Timer, context: InvocationContext): Promise<void> {
  const s = await services();
  // The table list comes from the settings alone, so freshness is emitted even when the source is down.
  const tables = capturedTableNames(s.settings, sourceFeeds(s.settings));
  const tick = await pollerTick(
    {
      tables,
      poll: async () => {
        const capture = await s.capture();
        return pollSources(
          capture.tables,
          capture.deps,
          new LakeReferralIndex(s.pipeline),
          // Duplicate pairs resolve by capture order, not by which batch is validated first.
          new LakeContentIndex(s.pipeline),
          massDeleteReleases(s.pipeline),
        );
      },
    },
    { ...s.pipeline, objects: s.pipeline.lake },
  );
  if (!tick.poll) {
    context.log(
      `cdc poll skipped: circuit breaker open (${tick.deferredBy.map((b) => b.dependency).join(', ')})`,
    );
    return;
  }
  const poll = tick.poll;
  const deltas = poll.results.reduce((n, r) => n + r.published, 0);
  context.log(
    `cdc poll: ${poll.results.length} table(s), ${deltas} delta(s), ${poll.failures.length} failure(s)`,
  );
  if (poll.failures.length > 0)
    throw new Error(`cdc poll failed for ${poll.failures.map((f) => `${f.table} (${f.code})`).join(', ')}`);
}

app.timer(FUNCTIONS.cdcPoller, {
  schedule: '%NHSFLOWS_CDC_SCHEDULE%',
  runOnStartup: false,
  retry: TIMER_RETRY,
  handler: observed(FUNCTIONS.cdcPoller, 'timer', cdcPoller),
});
