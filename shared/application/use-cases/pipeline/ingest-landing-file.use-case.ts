import { SOURCE_TABLE_NAMES, sourceTable } from '../../../domain/datasets/source-tables.js';
import { InputError } from '../../../domain/errors.js';
import { lakePaths } from '../../../domain/lake/lake-paths.js';
import type { BatchDescriptor } from '../../../domain/pipeline/batch-record.js';
import { hashHex, shortId } from '../../../domain/pipeline/ids.js';
import type { PipelineInput } from '../../../domain/pipeline/pipeline-contracts.js';
import type { OrchestrationStarter } from '../../ports/orchestration-starter.port.js';
import type { PipelineDeps } from './pipeline-deps.js';

/**
 * The blob-drop use case. A supplier drops `landing/<source table>/<file>.csv|.ndjson`; the exact
 * bytes are copied to bronze (create-only) under a batch id derived from the name and content (the
 * same file dropped twice is one batch) and one orchestration is started for it.
 */
export async function ingestLandingFile(
  name: string,
  bytes: Buffer,
  deps: PipelineDeps & { readonly starter: OrchestrationStarter; readonly orchestration: string },
): Promise<{ batchId: string; started: boolean }> {
  const [tableName, ...rest] = name.split('/');
  if (!tableName || rest.length === 0)
    throw new InputError(
      `landing file ${name}: expected <source table>/<file name>, e.g. sus_apc_episode/2026-11.csv`,
    );
  let spec;
  try {
    spec = sourceTable(tableName);
  } catch {
    throw new InputError(
      `landing file ${name}: unknown source table '${tableName}'; expected <source table>/<file name> with one of ${SOURCE_TABLE_NAMES.join(', ')}`,
    );
  }
  const lower = name.toLowerCase();
  const format: BatchDescriptor['format'] = lower.endsWith('.csv')
    ? 'csv'
    : lower.endsWith('.ndjson') || lower.endsWith('.jsonl')
      ? 'ndjson'
      : lower.endsWith('.json')
        ? 'fhir'
        : (() => {
            throw new InputError(
              `landing file ${name}: unsupported extension (expected .csv, .ndjson or .json)`,
            );
          })();
  const batchId = `${spec.table}-file-${shortId([name, hashHex(bytes.toString('latin1'))], 20)}`;
  const now = deps.clock.now();
  const bronzePath = lakePaths
    .bronzeBatch(`file-${spec.table}`, batchId, now)
    .replace(/\.ndjson$/, `.${format === 'fhir' ? 'json' : format}`);
  await deps.lake.put('bronze', bronzePath, bytes, { ifNoneMatch: '*' });
  const batch: BatchDescriptor = {
    batchId,
    table: spec.table,
    origin: name,
    bronzePath,
    format,
    receivedAt: now.toISOString(),
  };
  const { started } = await deps.starter.start(deps.orchestration, batchId, {
    batch,
  } satisfies PipelineInput);
  deps.logger.info('landing file ingested', { batchId, table: spec.table, bytes: bytes.length, format });
  return { batchId, started };
}
