import { spellIndexId } from '../../../domain/validate/referral-index.js';
import { sourceTable } from '../../../domain/datasets/source-tables.js';
import { lakePaths } from '../../../domain/lake/lake-paths.js';
import type {
  ChunkInput,
  PseudonymiseChunkResult,
  ValidateChunkResult,
} from '../../../domain/pipeline/pipeline-contracts.js';
import { SILVER_LINEAGE_COLUMNS, periodOf } from '../../../domain/pipeline/silver-lineage.js';
import {
  createRowPseudonymiser,
  silverColumns,
  type SilverRow,
} from '../../../domain/pseudonymise/silver-row.js';
import { projectForTable } from '../../../domain/pseudonymise/projects.js';
import type { DimensionChange } from '../../../domain/scd2/dimension.js';
import { PATIENT_ATTRIBUTES, feedsPatientDimension } from './patient-dimension.js';
import { LakeReferralIndex } from '../../lake-state/lake-referral-index.js';
import { IdentityCollector, IdentityRegister } from '../pseudonymise-identity-register.js';
import { PersonLinker } from '../../../domain/link/person-linker.js';
import { linkKeyVersions } from '../link-key-versions.js';
import type { BatchRecord } from '../../../domain/pipeline/batch-record.js';
import { ndjson, readAcceptedRecords } from './work-files.js';
import type { PipelineDeps } from './pipeline-deps.js';

/**
 * Pseudonymises one chunk's accepted records into silver Parquet, one file per period (the
 * provider is a column): identifiers are replaced by the project token, age band and LSOA (the row pseudonymiser
 * drops NHS number, name, DOB, postcode and local ids). Deletes become tombstone rows. Also writes
 * the chunk's patient-dimension changes (pseudonymised attributes only) for the SCD2 merge.
 */
export async function pseudonymiseChunk(
  input: ChunkInput & { readonly validate: ValidateChunkResult },
  deps: PipelineDeps,
): Promise<PseudonymiseChunkResult> {
  const records = await readAcceptedRecords(deps.lake, input.chunk, input.validate.rejectedPath);
  return pseudonymiseRecords(input, records, deps);
}

/** Pseudonymises a chunk's accepted records, read by the caller, as `pseudonymiseChunk` does. */
export async function pseudonymiseRecords(
  input: ChunkInput,
  records: readonly BatchRecord[],
  deps: PipelineDeps,
): Promise<PseudonymiseChunkResult> {
  const table = input.batch.table;
  const spec = sourceTable(table);
  const project = projectForTable(table);
  const key = await deps.keys.current(project);
  const pseudonymise = createRowPseudonymiser(table, { project, key, postcodeToLsoa: deps.reference });
  // The custodian's identity register (restricted bronze): what re-identification and re-keying
  // after a key rotation read; never copied to silver or gold.
  const identities = new IdentityCollector();
  const partitions = new Map<string, { period: string; rows: SilverRow[] }>();
  const dimensionChanges: DimensionChange[] = [];
  const referrals: { id: string; receivedDate: string | null }[] = [];
  // Parents children are judged against (ReferralIndex): referrals, and SUS+ APC spells by
  // provider + spell number. Capture records CDC spells as it publishes; a landing file's spells
  // (CSV or FHIR) are recorded here, so an episode file dropped after its spells finds them.
  const refTable =
    table === 'mhsds_referral' ||
    table === 'csds_referral' ||
    (table === 'sus_apc_spell' && input.batch.format !== 'deltas')
      ? table
      : null;
  const feedsDimension = feedsPatientDimension(table);
  // Dimension members are keyed by the link token (the token at the link anchor after a key
  // rotation), so one patient stays one member across key versions (docs/keys.md).
  const linkTokens = feedsDimension
    ? new PersonLinker({ project, ...(await linkKeyVersions(deps, project)) })
    : undefined;

  for (const record of records) {
    let silver: SilverRow;
    if (record.op === 'delete' || record.row === null) {
      silver = {};
      spec.key.forEach((k, i) => {
        silver[k] = record.key[i] ?? null;
      });
    } else {
      silver = pseudonymise(record.row);
      identities.add(record.row, typeof silver.lsoa === 'string' ? silver.lsoa : null);
      if (refTable === 'sus_apc_spell') {
        const id = spellIndexId(record.row);
        if (id !== undefined) referrals.push({ id, receivedDate: null });
      } else if (refTable) {
        const received = record.row.referral_received_date;
        referrals.push({
          id: String(record.row.referral_id),
          receivedDate: typeof received === 'string' ? received : null,
        });
      }
      const link = linkTokens?.linkTokens(silver);
      const token = link?.token;
      if (feedsDimension && typeof token === 'string') {
        const attributes: Record<string, string | number | boolean | null> = {};
        for (const name of PATIENT_ATTRIBUTES)
          attributes[name] = name in silver ? (silver[name] ?? null) : null;
        attributes.token_key_version = link?.version ?? null;
        const activity = record.row[spec.activityDateColumn];
        dimensionChanges.push({
          key: token,
          // Capture time first: of two changes at the same business instant (a corrected record),
          // the later capture sorts last and wins; the event id keeps it unique and deterministic.
          changeId: `${record.capturedAt}|${record.eventId}`,
          effectiveAt: typeof activity === 'string' ? activity.slice(0, 10) : record.capturedAt.slice(0, 10),
          recordedAt: record.capturedAt,
          kind: 'upsert',
          attributes,
        });
      }
    }
    silver._op = record.op === 'delete' ? 'delete' : 'upsert';
    silver._seq = String(record.seq);
    silver._event_id = record.eventId;
    silver._batch_id = input.batch.batchId;
    silver._source_version = record.sourceVersion;
    silver._captured_at = record.capturedAt;
    // One file per period per chunk: the provider is a column, not a folder (few, large files).
    const period = periodOf(silver[spec.activityDateColumn]);
    let partition = partitions.get(period);
    if (!partition) {
      partition = { period, rows: [] };
      partitions.set(period, partition);
    }
    partition.rows.push(silver);
  }

  const columns = [...silverColumns(table), ...SILVER_LINEAGE_COLUMNS];
  // Every period's file in one engine pass (a chunk spans up to three years of months).
  const objects = [...partitions.values()]
    .sort((a, b) => a.period.localeCompare(b.period))
    .map((partition) => ({
      path: lakePaths.silver(
        spec.dataset,
        spec.table,
        partition.period,
        input.batch.batchId,
        input.chunk.index,
      ),
      rows: partition.rows,
    }));
  const written = await deps.parquet.writeMany('silver', columns, objects);
  const rows = written.reduce((n, w) => n + w.rows, 0);
  const silverFiles = objects.map((o) => o.path);
  await new IdentityRegister(deps.lake).record(project, input.batch.batchId, input.chunk.index, identities);
  const dimensionChangesPath = lakePaths.work(input.batch.batchId, 'dimension', input.chunk.index);
  await deps.lake.put('bronze', dimensionChangesPath, ndjson(dimensionChanges), {
    contentType: 'application/x-ndjson',
  });
  if (refTable && referrals.length > 0) await new LakeReferralIndex(deps).record(refTable, referrals);
  deps.logger.info('chunk pseudonymised', {
    batchId: input.batch.batchId,
    chunk: input.chunk.index,
    rows,
    files: silverFiles.length,
  });
  return { chunk: input.chunk.index, rows, silverFiles, dimensionChangesPath };
}
