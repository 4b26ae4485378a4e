import { loadReferenceData } from '../../../shared/adapters/local/reference-data.loader.js';
import type { SourceRow, SourceTableName } from '../../../shared/domain/datasets/source-tables.js';
import { SOURCE_TABLE_NAMES } from '../../../shared/domain/datasets/source-tables.js';
import type { GenerationReport } from '../../../shared/synthetic/generation-report.js';
import { generatePopulationRows } from '../../../shared/synthetic/population-generator.js';
import { catalogueFromReference } from '../../../shared/synthetic/reference-catalogue.js';
import {
  populationConfigSchema,
  type PopulationConfigInput,
} from '../../../shared/synthetic/synthetic-config.js';

export const reference = loadReferenceData();
export const catalogue = catalogueFromReference(reference);

export interface Generated {
  readonly rows: Record<SourceTableName, SourceRow[]>;
  readonly batches: number;
  readonly report: GenerationReport;
}

/** Generates a whole (small) population into memory: rows per table in emission order, plus the report. */
export function generateAll(input: PopulationConfigInput): Generated {
  const config = populationConfigSchema.parse(input);
  const rows = Object.fromEntries(SOURCE_TABLE_NAMES.map((t) => [t, [] as SourceRow[]])) as Record<
    SourceTableName,
    SourceRow[]
  >;
  const it = generatePopulationRows(config, catalogue);
  let batches = 0;
  for (;;) {
    const next = it.next();
    if (next.done) return { rows, batches, report: next.value };
    batches++;
    rows[next.value.table].push(...next.value.rows);
  }
}

const cache = new Map<string, Generated>();
/** `generateAll`, memoised per configuration within one test file. */
export function generated(input: PopulationConfigInput): Generated {
  const key = JSON.stringify(input);
  let g = cache.get(key);
  if (!g) {
    g = generateAll(input);
    cache.set(key, g);
  }
  return g;
}

const KEY_COLUMN: Readonly<Record<SourceTableName, string>> = {
  sus_apc_spell: 'spell_id',
  sus_apc_episode: 'episode_id',
  prescribing_item: 'item_id',
  mhsds_referral: 'referral_id',
  mhsds_care_contact: 'care_contact_id',
  mhsds_cluster_assessment: 'assessment_id',
  mhsds_hospital_spell: 'hospital_spell_id',
  mhsds_ward_stay: 'ward_stay_id',
  ecds_attendance: 'attendance_id',
  csds_referral: 'referral_id',
  csds_care_contact: 'care_contact_id',
  dids_imaging_test: 'imaging_test_id',
};
export function keyOf(table: SourceTableName, row: SourceRow): string {
  return String(row[KEY_COLUMN[table]]);
}

/** Every planted key per table, whatever the class. */
export function plantedKeys(report: GenerationReport): Map<SourceTableName, Set<string>> {
  const out = new Map<SourceTableName, Set<string>>();
  for (const tally of Object.values(report.defects))
    for (const [table, keys] of Object.entries(tally.keys) as [SourceTableName, string[]][]) {
      const set = out.get(table) ?? new Set<string>();
      for (const k of keys) set.add(k);
      out.set(table, set);
    }
  return out;
}

/** Day number of 'YYYY-MM-DD'. */
export function day(iso: string): number {
  return Math.round(Date.parse(`${iso.slice(0, 10)}T00:00:00Z`) / 86_400_000);
}
