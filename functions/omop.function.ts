import { app, type InvocationContext, type Timer } from '@azure/functions';
import { services } from './composition-root.js';
import { FUNCTIONS } from './function-names.js';
import { observed } from './observed.js';
import { TIMER_RETRY } from './retry-policies.js';
import { exportOmop, publishOmopToLake } from '../shared/application/use-cases/omop/export-omop.use-case.js';
import { loadOptOutApplication } from '../shared/application/use-cases/opt-out.use-case.js';
import { omopLeftOut } from '../shared/domain/omop/omop-checks.js';

/**
 * On a schedule: the gold star schema as OMOP CDM v5.4 tables in the lake
 * (`omop/run=<runId>/<table>.parquet` in gold, docs/omop.md), then the DQD-style checks; a failed
 * check is logged with its check, table and count (never a value).
 */
export async function omopOnSchedule(_timer: Timer, context: InvocationContext): Promise<void> {
  const s = await services();
  const result = await exportOmop(await s.pipeline.warehouse(), {
    optOut: await loadOptOutApplication(s.pipeline),
  });
  const runId = s.pipeline.clock.now().toISOString().replace(/[:.]/g, '');
  const written = await publishOmopToLake(s.pipeline.parquet, runId, result.build);
  // Rows, codes and visits left out (people with no year of birth, contacts not attended, …), so a
  // gap between gold and OMOP is explained where the operator looks; opt-out counts disclosure-controlled.
  for (const left of omopLeftOut(result.build.accounts))
    s.logger.info('omop left out', {
      source: left.source,
      unit: left.unit,
      reason: left.reason,
      count: left.count,
    });
  for (const failed of result.checks.filter((c) => !c.passed))
    s.logger.error('omop check failed', {
      check: failed.check,
      table: failed.table,
      column: failed.column ?? null,
      violations: failed.violations,
    });
  context.log(
    `omop export ${runId}: ${written.map((w) => `${w.table} ${w.rows}`).join(', ')}; checks ${result.passed ? 'passed' : 'failed'}`,
  );
}

app.timer(FUNCTIONS.omopExport, {
  schedule: '%NHSFLOWS_OMOP_SCHEDULE%',
  runOnStartup: false,
  retry: TIMER_RETRY,
  handler: observed(FUNCTIONS.omopExport, 'timer', omopOnSchedule),
});
