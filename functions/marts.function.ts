import { app, type InvocationContext, type Timer } from '@azure/functions';
import { FUNCTIONS } from './function-names.js';
import { services } from './composition-root.js';
import { refreshMarts } from '../shared/application/use-cases/pipeline/refresh-marts.use-case.js';

/** Rebuilds the commissioner marts (pathway facts of both projects, DQ scorecard) on a schedule. */
export async function martsRefresh(_timer: Timer, context: InvocationContext): Promise<void> {
  const result = await refreshMarts((await services()).pipeline);
  context.log(`marts refreshed: ${result.tables.map((t) => `${t.table} ${t.rows}`).join(', ')}`);
}

app.timer(FUNCTIONS.martsRefresh, {
  schedule: '%NHSFLOWS_MARTS_SCHEDULE%',
  runOnStartup: false,
  handler: martsRefresh,
});
