import { app, type InvocationContext, type Timer } from '@azure/functions';
import { FUNCTIONS } from './function-names.js';
import { services } from './composition-root.js';
import { observed } from './observed.js';
import { TIMER_RETRY } from './retry-policies.js';
import { refreshMarts } from '../shared/application/use-cases/pipeline/refresh-marts.use-case.js';
import { compactSilver } from '../shared/application/use-cases/pipeline/compact-silver.use-case.js';

/**
 * On a schedule: compacts silver (few, large files per table × period), then rebuilds the
 * commissioner marts (pathway facts of both projects, DQ scorecard) from it.
 */
export async function martsRefresh(_timer: Timer, context: InvocationContext): Promise<void> {
  const { pipeline } = await services();
  const compacted = await compactSilver(pipeline);
  context.log(`silver compacted: ${compacted.filesBefore} → ${compacted.filesAfter} files`);
  const result = await refreshMarts(pipeline);
  context.log(`marts refreshed: ${result.tables.map((t) => `${t.table} ${t.rows}`).join(', ')}`);
  // Disclosure-controlled already (0, * for 1-7, else to the nearest 5): never the unrounded count.
  context.log(
    `opt-out (list ${result.optOut.listId ?? 'none'}) withheld: ${Object.entries(result.optOut.withheld)
      .map(([mart, n]) => `${mart} ${n}`)
      .join(', ')}`,
  );
}

app.timer(FUNCTIONS.martsRefresh, {
  schedule: '%NHSFLOWS_MARTS_SCHEDULE%',
  runOnStartup: false,
  retry: TIMER_RETRY,
  handler: observed(FUNCTIONS.martsRefresh, 'timer', martsRefresh),
});
