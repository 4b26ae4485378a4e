import { app, type InvocationContext, type Timer } from '@azure/functions';
import { services } from './composition-root.js';
import { FUNCTIONS } from './function-names.js';
import { observed } from './observed.js';
import { TIMER_RETRY } from './retry-policies.js';
import {
  capturedSources,
  reconcileLayers,
} from '../shared/application/use-cases/reconcile/reconcile-layers.use-case.js';

/**
 * On a schedule: source-to-gold reconciliation of every captured table (docs/reconciliation.md).
 * A difference emits `nhsflows.reconcile.differences` (the reconcile-differences alert) and is
 * logged with its table and period; the report goes to the lake.
 */
export async function reconcileOnSchedule(_timer: Timer, context: InvocationContext): Promise<void> {
  const s = await services();
  const capture = await s.capture();
  const report = await reconcileLayers(capturedSources(capture.tables), {
    ...s.pipeline,
    source: capture.deps.source,
  });
  context.log(
    `reconciled ${report.tables.length} tables: ${report.differences.length} difference(s), ${report.unrunBronzeBatches.length} bronze batch(es) never run (${report.reportPath})`,
  );
}

app.timer(FUNCTIONS.reconcile, {
  schedule: '%NHSFLOWS_RECONCILE_SCHEDULE%',
  runOnStartup: false,
  retry: TIMER_RETRY,
  handler: observed(FUNCTIONS.reconcile, 'timer', reconcileOnSchedule),
});
