import { sourceTable } from '../datasets/source-tables.js';
import type { GoldTable } from '../gold/gold-tables.js';
import type { PortableRow } from '../gold/portable-types.js';
import { periodOf } from '../pipeline/silver-lineage.js';
import { financialYearOf, type ReferenceData } from '../reference/reference-data.js';
import { dateKeyOf } from './date-dimension.js';
import type { DatasetFactDeclaration } from './fact-tables.js';
import { hrgSkOf, organisationSkOf } from './reference-dimensions.js';

/**
 * One dataset fact row from one silver row (pure; the gold build calls it for every row it already
 * holds, so a fact costs no extra read). Conformed keys are resolved from the reference data in
 * memory, as the warehouse re-resolves them after every load (ADR 0009, ADR 0013).
 */

/** Version lookups in the reference data: the surrogate key in force on a date, or null. */
export interface StarKeyLookup {
  organisationSk(code: unknown, date: string | null): string | null;
}

/** Lookups over the reference organisations (practices are organisations: the same versions). */
export function starKeyLookup(reference: Pick<ReferenceData, 'organisation'>): StarKeyLookup {
  const cache = new Map<string, string | null>();
  return {
    organisationSk(code, date) {
      if (typeof code !== 'string' || code.length === 0 || date === null) return null;
      const key = `${code}|${date}`;
      let sk = cache.get(key);
      if (sk === undefined) {
        const version = reference.organisation(code, date);
        sk = version ? organisationSkOf(version.code, version.effectiveFrom) : null;
        cache.set(key, sk);
      }
      return sk;
    },
  };
}

/** What the gold build already knows about the row: its link to the patient and the lineage. */
export interface FactContext {
  readonly project: string;
  readonly patientSk: string | null;
  readonly patientToken: string | null;
  readonly personId: string | null;
  readonly linkQuality: string | null;
  readonly batchId: string;
  readonly loadedAt: string;
  readonly seq: number;
}

const text = (v: PortableRow[string] | undefined): string | null =>
  v === null || v === undefined ? null : String(v);

/** The fact row (or tombstone, for a silver delete) of one silver row, with `_op` and `_seq`. */
export function datasetFactRow(
  table: GoldTable,
  fact: DatasetFactDeclaration,
  silver: PortableRow,
  ctx: FactContext,
  lookup: StarKeyLookup,
): PortableRow {
  const spec = sourceTable(fact.source);
  const row: PortableRow = {};
  for (const c of table.columns) row[c.name] = null;
  for (const k of spec.key) row[k] = silver[k] ?? null;
  row.project = ctx.project;
  row.source_captured_at = text(silver._captured_at);
  row.event_id = text(silver._event_id);
  row.batch_id = ctx.batchId;
  row.loaded_at = ctx.loadedAt;
  row._seq = String(ctx.seq);
  if (silver._op === 'delete') {
    row._op = 'delete';
    return row;
  }
  row._op = 'upsert';
  const activity = silver[spec.activityDateColumn];
  const activityDate = typeof activity === 'string' ? activity.slice(0, 10) : null;
  row[spec.providerColumn] = silver[spec.providerColumn] ?? null;
  for (const name of fact.keep) row[name] = silver[name] ?? null;
  row.patient_sk = ctx.patientSk;
  row.patient_token = ctx.patientToken;
  row.person_id = ctx.personId;
  row.link_quality = ctx.linkQuality;
  row.activity_date = activityDate;
  row.date_key = dateKeyOf(activityDate);
  row.period = activityDate ? periodOf(activityDate) : null;
  row.organisation_sk = lookup.organisationSk(silver[spec.providerColumn], activityDate);
  if (fact.practiceColumn) row.practice_sk = lookup.organisationSk(silver[fact.practiceColumn], activityDate);
  const extra = fact.extraKeys ?? [];
  if (extra.includes('discharge_date_key')) row.discharge_date_key = dateKeyOf(silver.discharge_date);
  if (extra.includes('hrg_sk')) {
    const hrg = silver.spell_hrg;
    row.hrg_sk = typeof hrg === 'string' && activityDate ? hrgSkOf(hrg, financialYearOf(activityDate)) : null;
  }
  return row;
}
