import {
  SOURCE_TABLE_NAMES,
  type SourceRow,
  type SourceTableName,
} from '../domain/datasets/source-tables.js';
import { plantDefects } from './defect-planter.js';
import {
  emptyDefectTallies,
  emptyPathwayCounts,
  emptyTableCounts,
  penceToGbp,
  type GenerationReport,
} from './generation-report.js';
import { measurePathways } from './pathway-measures.js';
import { plantMergers } from './planted-merger.js';
import { isoDate } from './synthetic-calendar.js';
import { NhsNumberAllocator } from './synthetic-patient.js';
import { createPathwayContext, generatePatientActivity } from './patient-pathway.js';
import type { SyntheticCatalogue } from './synthetic-catalogue.js';
import type { PopulationConfig } from './synthetic-config.js';

/** One batch of generated rows for one table (rows in `SourceRow` wire form, spec column order). */
export interface GeneratedBatch {
  readonly table: SourceTableName;
  readonly rows: SourceRow[];
}

/**
 * Generates a synthetic population as a stream of row batches, one patient at a time, so memory
 * stays flat whatever the row count. The generator's return value is the generation report.
 *
 * Guarantees:
 * - Deterministic: the same configuration and catalogue give the same batches in the same order.
 * - A patient's clean rows depend only on the seed and the patient index; switching defect classes
 *   on or off changes only the rows that carry a defect (defect streams and keys are separate).
 * - No clean date is after `endDate`; rows in `SourceRow` wire form in spec column order.
 */
export function* generatePopulationRows(
  config: PopulationConfig,
  catalogue: SyntheticCatalogue,
): Generator<GeneratedBatch, GenerationReport, void> {
  const ctx = createPathwayContext(config, catalogue);
  const report: GenerationReport = {
    seed: config.seed,
    patients: 0,
    startDate: config.startDate,
    endDate: config.endDate,
    catalogueSource: catalogue.source,
    rows: emptyTableCounts(),
    defects: emptyDefectTallies(),
    defectiveRows: emptyTableCounts(),
    pathways: emptyPathwayCounts(),
    mergers: catalogue.mergers.map((m) => ({
      predecessor: m.predecessor,
      successor: m.successor,
      from: isoDate(m.fromDay),
      rows: 0,
    })),
  };
  let nicPence = 0;
  const caseload = new Map<string, number>();
  const buffers = new Map<SourceTableName, SourceRow[]>(SOURCE_TABLE_NAMES.map((t) => [t, []]));
  const allocator = new NhsNumberAllocator(config.seed);
  allocator.skip(config.patientOffset);
  let episodes = 0;
  for (let i = 0; i < config.patients; i++) {
    if (config.maxEpisodes !== undefined && episodes >= config.maxEpisodes) break;
    const index = config.patientOffset + i;
    const activity = generatePatientActivity(ctx, index, allocator.next());
    catalogue.mergers.forEach((merger, k) => {
      report.mergers[k]!.rows += plantMergers(activity, [merger]);
    });
    const defective = plantDefects(
      activity,
      config,
      ctx.keys,
      catalogue,
      ctx.endDay,
      report.defects,
      ctx.emitted,
    );
    const measured = measurePathways(activity, defective, ctx.startDay, ctx.endDay);
    addPathways(report, measured);
    nicPence += measured.nicPence;
    for (const [month, n] of measured.caseload) caseload.set(month, (caseload.get(month) ?? 0) + n);
    report.patients++;
    for (const table of ctx.tables) {
      const rows = activity.rows[table];
      if (rows.length === 0) continue;
      report.rows[table] += rows.length;
      if (table === 'sus_apc_episode') episodes += rows.length;
      const buffer = buffers.get(table) ?? [];
      for (const row of rows) {
        if (defective.has(row)) report.defectiveRows[table]++;
        buffer.push(row);
      }
      if (buffer.length >= config.batchSize) {
        buffers.set(table, []);
        yield { table, rows: buffer };
      }
    }
  }
  for (const table of ctx.tables) {
    const rows = buffers.get(table) ?? [];
    if (rows.length > 0) yield { table, rows };
  }
  report.pathways.prescriptionNicGbp90dAfterEmergencyDischarge = penceToGbp(nicPence);
  report.pathways.communityCaseloadByMonthEnd = Object.fromEntries([...caseload.entries()].sort());
  return report;
}

function addPathways(report: GenerationReport, m: ReturnType<typeof measurePathways>): void {
  const p = report.pathways;
  p.spells += m.spells;
  p.episodes += m.episodes;
  p.emergencyDischarges += m.emergencyDischarges;
  p.emergencyDischargesWithMhReferral30d += m.emergencyDischargesWithMhReferral30d;
  p.emergencyDischargesWithPrescription90d += m.emergencyDischargesWithPrescription90d;
  p.aeAttendances += m.aeAttendances;
  p.aeAttendancesWithImaging7d += m.aeAttendancesWithImaging7d;
  p.aeAttendancesWithImaging7dAndCommunityReferral30d += m.aeAttendancesWithImaging7dAndCommunityReferral30d;
  p.aeAttendancesWithCommunityReferral30d += m.aeAttendancesWithCommunityReferral30d;
  p.aeDepartedWithin4h += m.aeDepartedWithin4h;
  p.aeOver12hInDepartment += m.aeOver12hInDepartment;
  p.highCostPatients += m.highCostPatient ? 1 : 0;
  p.highCostPatientEmergencySpells += m.highCostPatient ? m.emergencySpells : 0;
  p.spellsAboveHighCostThreshold += m.spellsAboveHighCostThreshold;
  p.emergencyReadmissions30d += m.emergencyReadmissions30d;
  for (let n = 2; n <= 10; n++)
    if (m.maxAttendances12m >= n) p.frequentAeAttendersByMin[n] = (p.frequentAeAttendersByMin[n] ?? 0) + 1;
}
