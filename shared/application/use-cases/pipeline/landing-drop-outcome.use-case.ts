import type { SourceTableName } from '../../../domain/datasets/source-tables.js';
import type { StateStore } from '../../ports/state-store.port.js';
import { BATCH_LEDGER_TABLE } from './batch-ledger.use-case.js';
import { landingFileEntry } from './landing-register.js';

/** What became of one dropped file, as far as the ledger and the landing register know. */
export type DropOutcome =
  | { readonly state: 'pending' }
  | { readonly state: 'awaiting-manifest'; readonly batchId: string; readonly manifestDeadline?: string }
  | { readonly state: 'rejected'; readonly batchId: string; readonly code: string; readonly reason: string }
  | {
      readonly state: 'duplicate';
      readonly batchId: string;
      readonly duplicateOf: string;
      readonly duplicateOrigin: string;
    }
  | {
      readonly state: 'loaded';
      readonly batchId: string;
      /** The batch's final status: succeeded, partial, failed or empty. */
      readonly status: string;
      readonly records: number;
      readonly accepted: number;
      readonly quarantined: number;
      readonly unreadable: number;
      readonly reason?: string;
    };

/**
 * The outcome of a dropped file from its ids (`landingFileIdsOf`): a whole-file rejection (ledger row
 * of its rejection id), a duplicate or a wait for a manifest (landing register), the batch's ledger
 * row once it has ended, or `pending` while none of these is there yet. Counts and codes only.
 */
export async function landingDropOutcome(
  state: StateStore,
  table: SourceTableName,
  ids: { readonly batchId: string; readonly rejectionId: string },
): Promise<DropOutcome> {
  await state.ensureTables([BATCH_LEDGER_TABLE]);
  const rejected = await state.get(BATCH_LEDGER_TABLE, table, ids.rejectionId);
  if (rejected?.value.status === 'rejected')
    return {
      state: 'rejected',
      batchId: ids.rejectionId,
      code: String(rejected.value.code ?? ''),
      reason: String(rejected.value.failureReason ?? ''),
    };
  const batch = await state.get(BATCH_LEDGER_TABLE, table, ids.batchId);
  if (batch) {
    const v = batch.value;
    return {
      state: 'loaded',
      batchId: ids.batchId,
      status: String(v.status),
      records: Number(v.records ?? 0),
      accepted: Number(v.accepted ?? 0),
      quarantined: Number(v.quarantined ?? 0),
      unreadable: Number(v.unreadable ?? 0),
      ...(typeof v.failureReason === 'string'
        ? { reason: v.failureReason }
        : typeof v.notice === 'string'
          ? { reason: v.notice }
          : {}),
    };
  }
  const entry = await landingFileEntry(state, table, ids.batchId);
  if (entry?.status === 'duplicate')
    return {
      state: 'duplicate',
      batchId: ids.batchId,
      duplicateOf: entry.duplicateOf ?? '',
      duplicateOrigin: entry.duplicateOrigin ?? '',
    };
  if (entry?.status === 'awaiting-manifest')
    return {
      state: 'awaiting-manifest',
      batchId: ids.batchId,
      ...(entry.manifestDeadline ? { manifestDeadline: entry.manifestDeadline } : {}),
    };
  return { state: 'pending' };
}
