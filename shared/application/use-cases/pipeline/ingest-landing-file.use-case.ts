import { LandingFileRejectedError, type LandingRejectionCode } from '../../../domain/errors.js';
import { lakePaths } from '../../../domain/lake/lake-paths.js';
import type { BatchDescriptor } from '../../../domain/pipeline/batch-record.js';
import { hashHex, shortId } from '../../../domain/pipeline/ids.js';
import { landingTarget, printableName } from '../../../domain/pipeline/landing-file.js';
import { pipelineInput } from '../../../domain/pipeline/pipeline-contracts.js';
import type { OrchestrationStarter } from '../../ports/orchestration-starter.port.js';
import { reportRejectedFile } from './batch-ledger.use-case.js';
import type { PipelineDeps } from './pipeline-deps.js';

/** What became of a landing file: a batch (new or already known), or a rejection (reported). */
export interface LandingResult {
  /** The batch id, or the rejection id when the file was rejected. */
  readonly batchId: string;
  readonly started: boolean;
  readonly rejected?: { readonly code: LandingRejectionCode; readonly reason: string };
}

/**
 * The blob-drop use case. A supplier drops `landing/<source table>/<file>.csv|.ndjson`; the exact
 * bytes are copied to bronze (create-only) under a batch id derived from the name and content (the
 * same file dropped twice is one batch) and one orchestration is started for it.
 *
 * A file whose name alone rejects it (wrong folder, unknown table, unsupported format) is reported
 * at once through `reportRejectedFile` (poison queue, ledger, failure event) and resolves: it is a
 * permanent failure, so the host must not retry it into its own blob poison queue. Problems in the
 * content are found while planning the batch (`readLandingFile`).
 */
export async function ingestLandingFile(
  name: string,
  bytes: Buffer,
  deps: PipelineDeps & { readonly starter: OrchestrationStarter; readonly orchestration: string },
): Promise<LandingResult> {
  const contentId = shortId([name, hashHex(bytes.toString('latin1'))], 20);
  let target;
  try {
    target = landingTarget(name);
  } catch (error) {
    if (!(error instanceof LandingFileRejectedError)) throw error;
    const rejectionId = `landing-${contentId}`;
    const [folder] = name.split('/');
    await reportRejectedFile(
      {
        rejectionId,
        file: printableName(name),
        table: error.code === 'FILE.UNSUPPORTED_FORMAT' ? (folder ?? null) : null,
        code: error.code,
        reason: error.message,
      },
      deps,
    );
    return { batchId: rejectionId, started: false, rejected: { code: error.code, reason: error.message } };
  }
  const { spec, format, encoding } = target;
  const batchId = `${spec.table}-file-${contentId}`;
  const now = deps.clock.now();
  const bronzePath = lakePaths
    .bronzeBatch(`file-${spec.table}`, batchId, now)
    .replace(/\.ndjson$/, `.${format}`);
  await deps.lake.put('bronze', bronzePath, bytes, { ifNoneMatch: '*' });
  const batch: BatchDescriptor = {
    batchId,
    table: spec.table,
    origin: name,
    bronzePath,
    format,
    receivedAt: now.toISOString(),
    ...(encoding ? { encoding } : {}),
  };
  const { started } = await deps.starter.start(
    deps.orchestration,
    batchId,
    pipelineInput(batch, { waveSize: deps.settings.NHSFLOWS_MAX_FANOUT }),
  );
  deps.logger.info('landing file ingested', { batchId, table: spec.table, bytes: bytes.length, format });
  return { batchId, started };
}
