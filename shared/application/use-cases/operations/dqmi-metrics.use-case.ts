import { SOURCE_TABLES, SOURCE_TABLE_NAMES } from '../../../domain/datasets/source-tables.js';
import { lakePaths } from '../../../domain/lake/lake-paths.js';
import { OPERATIONS_METRICS } from '../../../domain/operations/operations-metrics.js';
import { toError } from '../../../domain/errors.js';
import type { Logger } from '../../ports/logger.port.js';
import type { ObjectStore } from '../../ports/object-store.port.js';
import type { Telemetry } from '../../ports/telemetry.port.js';
import { buildDqScorecard } from '../dq-scorecard.use-case.js';

/** DQMI threshold of the alert rule `dq-score-drop` (score 0–100). */
export const DQMI_ALERT_THRESHOLD = 80;

/**
 * After a validated batch: merges its chunks' DQ states (gold `dq-state/`, counts only) and emits
 * `nhsflows.dq.dqmiScore` per provider × dataset × month the batch touched. Never fails the batch:
 * a state that cannot be read is logged and nothing is emitted.
 */
export async function emitBatchDqmi(
  batch: { readonly batchId: string; readonly table: string },
  deps: { readonly lake: ObjectStore; readonly telemetry: Telemetry; readonly logger: Logger },
): Promise<number> {
  if (!(SOURCE_TABLE_NAMES as readonly string[]).includes(batch.table)) return 0;
  try {
    const dataset = SOURCE_TABLES[batch.table as keyof typeof SOURCE_TABLES].dataset;
    const prefix = lakePaths.dqState(dataset, batch.table, batch.batchId, 0).replace(/\d+\.json$/, '');
    const statePaths: { container: string; path: string }[] = [];
    for await (const object of deps.lake.list('gold', prefix))
      statePaths.push({ container: 'gold', path: object.path });
    if (statePaths.length === 0) return 0;
    const { rows } = await buildDqScorecard({ statePaths }, { lake: deps.lake });
    let emitted = 0;
    for (const row of rows) {
      if (row.measure !== 'dqmi_score' || row.score === null) continue;
      deps.telemetry.metric(OPERATIONS_METRICS.dqmiScore, row.score, {
        dataset: row.dataset,
        provider: row.provider_code,
        period: row.period,
        table: batch.table,
        batchId: batch.batchId,
      });
      emitted += 1;
    }
    return emitted;
  } catch (thrown) {
    deps.logger.warn('DQMI score not emitted', {
      batchId: batch.batchId,
      error: toError(thrown).message.slice(0, 300),
    });
    return 0;
  }
}
