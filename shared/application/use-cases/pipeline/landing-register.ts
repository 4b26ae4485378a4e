import type { SourceTableName, SourceTableSpec } from '../../../domain/datasets/source-tables.js';
import type { LandingFileRejectedError } from '../../../domain/errors.js';
import { lakePaths } from '../../../domain/lake/lake-paths.js';
import type { ObjectStore } from '../../ports/object-store.port.js';
import type { StateStore } from '../../ports/state-store.port.js';

/**
 * The landing register: what became of each landing file before (or instead of) a batch, in Table
 * storage beside the batch ledger. Two tables:
 *
 * - `nhsflowslanding`, partition = source table, row = the batch id the file has (or would have):
 *   a file `awaiting-manifest` (with the time it gives up), a `duplicate` (with the batch and file
 *   whose bytes it repeats), or `ingested`. Read by the manifest sweep and `nhs-flows drop`.
 * - `nhsflowslandingcontent`, partition = first two hex digits of the SHA-256, row = the SHA-256 of
 *   a loaded file's bytes → its batch id and name: the content index that finds a renamed duplicate.
 *   Claimed create-only, so two drops of the same bytes at once start one batch.
 *
 * Values are names, ids, hashes and times only.
 */
export const LANDING_REGISTER_TABLE = 'nhsflowslanding';
export const LANDING_CONTENT_TABLE = 'nhsflowslandingcontent';

export type LandingFileStatus = 'awaiting-manifest' | 'manifest-missing' | 'duplicate' | 'ingested';

export interface LandingRegisterEntry {
  readonly status: LandingFileStatus;
  /** The blob name under landing/ (printable). */
  readonly origin: string;
  readonly sha256: string;
  readonly arrivedAt: string;
  /** awaiting-manifest: when the file is rejected (FILE.MANIFEST_MISSING) if none has come. */
  readonly manifestDeadline?: string;
  /** duplicate: the batch that loaded these bytes first, and its file. */
  readonly duplicateOf?: string;
  readonly duplicateOrigin?: string;
}

export async function recordLandingFile(
  state: StateStore,
  table: SourceTableName,
  batchId: string,
  entry: LandingRegisterEntry,
): Promise<void> {
  await state.ensureTables([LANDING_REGISTER_TABLE]);
  await state.upsert(LANDING_REGISTER_TABLE, table, batchId, { ...entry });
}

export async function landingFileEntry(
  state: StateStore,
  table: SourceTableName,
  batchId: string,
): Promise<LandingRegisterEntry | undefined> {
  await state.ensureTables([LANDING_REGISTER_TABLE]);
  const found = await state.get(LANDING_REGISTER_TABLE, table, batchId);
  return found ? (found.value as unknown as LandingRegisterEntry) : undefined;
}

/** The first loader of these bytes, or undefined when `batchId` now holds the claim. */
export async function claimContent(
  state: StateStore,
  sha256: string,
  claim: { readonly batchId: string; readonly origin: string; readonly table: SourceTableName },
): Promise<{ readonly batchId: string; readonly origin: string } | undefined> {
  await state.ensureTables([LANDING_CONTENT_TABLE]);
  const partition = sha256.slice(0, 2);
  try {
    await state.insert(LANDING_CONTENT_TABLE, partition, sha256, { ...claim });
    return undefined;
  } catch (error) {
    const existing = await state.get<{ batchId: string; origin: string }>(
      LANDING_CONTENT_TABLE,
      partition,
      sha256,
    );
    if (!existing) throw error;
    return existing.value.batchId === claim.batchId
      ? undefined
      : { batchId: existing.value.batchId, origin: existing.value.origin };
  }
}

/**
 * The quarantine record of a file rejected whole (`<dataset>/<table>/<rejection id>-00000.ndjson`):
 * row 0, field `(file)`, the rejection code as its rule and the reason (names and counts, no value),
 * so `nhs-flows quarantine` lists whole-file rejections beside the rows rejected.
 */
export async function quarantineRejectedFile(
  lake: Pick<ObjectStore, 'put'>,
  spec: SourceTableSpec,
  rejectionId: string,
  file: string,
  error: LandingFileRejectedError,
): Promise<void> {
  await lake.put(
    'quarantine',
    lakePaths.quarantine(spec.dataset, spec.table, rejectionId, 0),
    `${JSON.stringify({
      dataset: spec.dataset,
      table: spec.table,
      batchId: rejectionId,
      file,
      row: 0,
      field: '(file)',
      rule: error.code,
      severity: 'reject',
      message: error.message,
      outcome: 'rejected-file',
    })}\n`,
  );
}
