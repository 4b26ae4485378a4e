import { app, type InvocationContext, type Timer } from '@azure/functions';
import { FUNCTIONS } from './function-names.js';
import { services } from './composition-root.js';
import { pollSources } from '../shared/application/use-cases/poll-sources.use-case.js';
import { LakeContentIndex } from '../shared/application/lake-state/lake-content-index.js';
import { LakeReferralIndex } from '../shared/application/lake-state/lake-referral-index.js';

/**
 * The CDC poller: captures every configured table and publishes deltas. A table that fails is
 * reported (telemetry alerts on-call) while the others run; the invocation fails if any did, so the
 * host's retry policy applies.
 */
export async function cdcPoller(_timer: Timer, context: InvocationContext): Promise<void> {
  const s = await services();
  const capture = await s.capture();
  const poll = await pollSources(
    capture.tables,
    capture.deps,
    new LakeReferralIndex(s.pipeline),
    // Duplicate pairs resolve by capture order, not by which batch is validated first.
    new LakeContentIndex(s.pipeline),
  );
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
  handler: cdcPoller,
});
