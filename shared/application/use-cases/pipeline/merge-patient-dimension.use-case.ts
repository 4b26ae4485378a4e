import { INFRASTRUCTURE_CODES, InfrastructureError } from '../../../domain/errors.js';
import { DIM_PATIENT } from '../../../domain/gold/gold-tables.js';
import type { PortableRow } from '../../../domain/gold/portable-types.js';
import type {
  MergeDimensionInput,
  MergeDimensionResult,
} from '../../../domain/pipeline/pipeline-contracts.js';
import { projectForTable, type ProjectId } from '../../../domain/pseudonymise/projects.js';
import type { DimensionChange, DimensionVersion } from '../../../domain/scd2/dimension.js';
import { mergeDimensionChanges, type MemberSourceVersion } from '../scd2-merge.use-case.js';
import { writeGoldChangeSet } from './gold-files.js';
import { patientDimension } from './patient-dimension.js';
import type { PipelineDeps } from './pipeline-deps.js';

/**
 * Merges the batch's patient-dimension changes into the project's SCD2 history (keyed state in the
 * lake: one read and one run per touched bucket) and writes every version of every touched member as a gold change set.
 * Re-running the same batch merges nothing new and rewrites the same versions.
 */
export async function mergePatientDimension(
  input: MergeDimensionInput,
  deps: PipelineDeps,
): Promise<MergeDimensionResult> {
  const project = projectForTable(input.batch.table);
  const dimension = patientDimension(project);
  const changes: DimensionChange[] = [];
  for (const path of input.changePaths) {
    const body = await deps.lake.get('bronze', path);
    if (!body)
      throw new InfrastructureError(
        INFRASTRUCTURE_CODES.workFileMissing,
        `dimension change file bronze/${path} does not exist`,
      );
    for (const line of body.toString('utf8').split('\n'))
      if (line) changes.push(JSON.parse(line) as DimensionChange);
  }
  if (changes.length === 0)
    return { members: 0, inserted: 0, updated: 0, unchanged: 0, deleted: 0, goldFile: null };
  const report = await mergeDimensionChanges(dimension, changes, {
    lake: deps.lake,
    parquet: deps.parquet,
    clock: deps.clock,
    logger: deps.logger,
  });
  // The change set holds every version of every touched member and the warehouse replaces each
  // member's rows whole (DIM_PATIENT.replaceBy): versions a merge re-cut disappear, and a retried
  // activity rewrites the same set (the merge itself is idempotent).
  const rows: PortableRow[] = [];
  const loadedAt = deps.clock.now().toISOString();
  // Each member carries how new its history is (as this merge committed it), so the warehouse
  // never lets an older change set replace a newer one.
  const versions: DimensionVersion[] = [...report.versions.keys()]
    .sort()
    .flatMap((key) => report.versions.get(key) ?? []);
  for (const version of versions)
    rows.push(
      dimPatientRow(
        project,
        version,
        report.sources.get(version.key)!,
        input.batch.batchId,
        loadedAt,
        rows.length,
        deps,
      ),
    );
  const goldFile = await writeGoldChangeSet(DIM_PATIENT, input.batch.batchId, 0, rows, deps);
  return {
    members: report.members,
    inserted: report.inserted,
    updated: report.updated,
    unchanged: report.unchanged,
    deleted: report.deleted,
    goldFile,
  };
}

function dimPatientRow(
  project: ProjectId,
  v: DimensionVersion,
  source: MemberSourceVersion,
  batchId: string,
  loadedAt: string,
  seq: number,
  deps: Pick<PipelineDeps, 'reference'>,
): PortableRow {
  const text = (name: string): string | null => {
    const value = v.attributes[name];
    return value === null || value === undefined ? null : String(value);
  };
  const lsoa = text('lsoa');
  return {
    patient_sk: v.surrogateKey,
    project,
    patient_token: v.key,
    token_key_version: text('token_key_version'),
    sex: text('sex'),
    ethnic_category: text('ethnic_category'),
    lsoa,
    imd_decile: lsoa ? (deps.reference.imdDecile(lsoa) ?? null) : null,
    gp_practice_code: text('gp_practice_code'),
    valid_from: v.validFrom.slice(0, 10),
    valid_to: v.validTo.slice(0, 10),
    is_current: v.isCurrent,
    is_deleted: v.isDeleted,
    row_hash: v.rowHash,
    recorded_at: v.recordedAt,
    source_captured_at: source.capturedAt,
    source_changes: String(source.changes),
    batch_id: batchId,
    loaded_at: loadedAt,
    _op: 'upsert',
    _seq: String(seq),
  };
}
