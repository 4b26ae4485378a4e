import { FACT_ACTIVITY } from '../../../domain/gold/gold-tables.js';
import type { BuildGoldInput, BuildGoldResult } from '../../../domain/pipeline/pipeline-contracts.js';
import { projectForTable } from '../../../domain/pseudonymise/projects.js';
import type { DimensionVersion } from '../../../domain/scd2/dimension.js';
import { readMemberHistories } from '../scd2-merge.use-case.js';
import { LINK_COLUMNS, PersonLinker } from '../../../domain/link/person-linker.js';
import { linkKeyVersions } from '../link-key-versions.js';
import {
  activityDateOf,
  activityFactRow,
  activityFactSilverColumns,
  datasetFactRow,
  datasetFactSilverColumns,
  starKeyLookup,
} from '../../../domain/star/fact-rows.js';
import { datasetFactFor, datasetFactTable } from '../../../domain/star/fact-tables.js';
import type { GoldTable } from '../../../domain/gold/gold-tables.js';
import { GoldChangeSetWriter, readSilverRows } from './gold-files.js';
import { patientDimension } from './patient-dimension.js';
import type { PipelineDeps } from './pipeline-deps.js';

/**
 * Builds the batch's `fact_activity` change set from its silver files: one fact per silver row
 * (upserts and deletes), keyed by table + record key, linked to the patient-dimension version in
 * force on the activity date (SCD2 at event time) and to the project's person id; and, for a table
 * with a dataset fact (shared/domain/star/fact-tables.ts), that fact's change set from the same
 * rows in the same pass (its conformed keys looked up in the reference data in memory).
 * Reconciles by construction: fact rows + deletes = silver rows (for each fact table).
 */
export async function buildGold(input: BuildGoldInput, deps: PipelineDeps): Promise<BuildGoldResult> {
  const table = input.batch.table;
  const project = projectForTable(table);
  const dimension = patientDimension(project);
  // Per batch: deterministic links are final; fallback links see only this batch's records (the
  // marts refresh re-links each project over every record).
  // Tokens are compared at the link anchor: after a key rotation, a record at the new version
  // links (and finds its dimension member) through the re-key table (docs/keys.md).
  const linker = new PersonLinker({ project, ...(await linkKeyVersions(deps, project)) });
  const tokens = new Set<string>();
  // Pass 1 reads only what linkage reads.
  for await (const silver of readSilverRows(input.silverFiles, deps, LINK_COLUMNS)) {
    linker.observe(silver);
    const token = linker.linkTokens(silver).token;
    if (token !== null) tokens.add(token);
  }
  // The patient histories gold needs, as a set: one read per touched bucket of the dimension.
  const histories: Map<string, DimensionVersion[]> = await readMemberHistories(dimension, [...tokens], deps);
  const loadedAt = deps.clock.now().toISOString();
  // Rows go to their change sets as they are built (parts of GOLD_ROWS_PER_FILE rows): memory holds
  // a few thousand of them, not the batch. Paths are listed in the order the parts are written.
  const goldFiles: { table: string; path: string }[] = [];
  const writerFor = (goldTable: GoldTable) =>
    new GoldChangeSetWriter(goldTable, input.batch.batchId, deps, (path) =>
      goldFiles.push({ table: goldTable.name, path }),
    );
  const facts = writerFor(FACT_ACTIVITY);
  let factRows = 0;
  let factDeletes = 0;
  let seq = 0;
  // The table's dataset fact, if it has one: built from the same rows, written beside fact_activity.
  const datasetFact = datasetFactFor(table);
  const datasetTable = datasetFact ? datasetFactTable(datasetFact) : undefined;
  const datasetRows = datasetTable ? writerFor(datasetTable) : undefined;
  const lookup = starKeyLookup(deps.reference);
  function factContext(
    patientSk: string | null,
    patientToken: string | null,
    personId: string | null,
    linkQuality: string | null,
  ) {
    return {
      project,
      patientSk,
      patientToken,
      personId,
      linkQuality,
      batchId: input.batch.batchId,
      loadedAt,
      seq,
    };
  }
  // Pass 2 reads only the silver columns the facts and linkage read (a third to a half of a wide
  // table's columns), declared beside the row builders.
  const pass2 = [
    ...new Set([
      ...LINK_COLUMNS,
      ...activityFactSilverColumns(table),
      ...(datasetFact ? datasetFactSilverColumns(datasetFact) : []),
    ]),
  ];
  // A part that fills is written before the next row (its promise); otherwise no await per row.
  let written: Promise<void> | undefined;
  try {
    for await (const silver of readSilverRows(input.silverFiles, deps, pass2)) {
      seq += 1;
      let context: ReturnType<typeof factContext>;
      if (silver._op === 'delete') {
        factDeletes += 1;
        context = factContext(null, null, null, null);
      } else {
        factRows += 1;
        const activityDate = activityDateOf(silver, table);
        const token = linker.linkTokens(silver).token;
        let patientSk: string | null = null;
        if (token && activityDate) {
          const at = `${activityDate}T00:00:00.000Z`;
          const version = (histories.get(token) ?? []).find((v) => v.validFrom <= at && at < v.validTo);
          patientSk = version?.surrogateKey ?? null;
        }
        const link = linker.link(silver);
        context = factContext(patientSk, token, link.person_id, link.link_quality);
      }
      written = facts.append(activityFactRow(table, silver, context));
      if (written) await written;
      // The dataset fact of the same row (a delete too), after its fact_activity row.
      if (datasetFact && datasetTable && datasetRows) {
        written = datasetRows.append(datasetFactRow(datasetTable, datasetFact, silver, context, lookup));
        if (written) await written;
      }
    }
    await facts.close();
    await datasetRows?.close();
  } catch (error) {
    facts.discard();
    datasetRows?.discard();
    throw error;
  }
  deps.logger.info('gold built', {
    batchId: input.batch.batchId,
    factRows,
    factDeletes,
    files: goldFiles.length,
  });
  return { factRows, factDeletes, goldFiles };
}
