import { sourceTable, type SourceTableName } from '../datasets/source-tables.js';
import { ACTIVITY_MAPPING } from '../gold/activity-mapping.js';
import { changeSetColumns, type GoldTable } from '../gold/gold-tables.js';
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

/** The silver lineage columns every fact row reads. */
const LINEAGE_READ = ['_op', '_captured_at', '_event_id'] as const;

/**
 * The silver columns `activityFactRow` reads for a table (besides the context it is given): the
 * gold build reads only these (and linkage's) from silver for the facts.
 */
export function activityFactSilverColumns(table: SourceTableName): string[] {
  const spec = sourceTable(table);
  const mapping = ACTIVITY_MAPPING[table];
  return unique([
    ...spec.key,
    ...LINEAGE_READ,
    '_source_version',
    spec.activityDateColumn,
    spec.providerColumn,
    'age_band',
    ...(mapping.codeColumn ? [mapping.codeColumn] : []),
    ...(mapping.costColumn ? [mapping.costColumn] : []),
  ]);
}

/** The silver columns `datasetFactRow` reads for a dataset fact (besides the context it is given). */
export function datasetFactSilverColumns(fact: DatasetFactDeclaration): string[] {
  const spec = sourceTable(fact.source);
  const extra = fact.extraKeys ?? [];
  return unique([
    ...spec.key,
    ...LINEAGE_READ,
    spec.activityDateColumn,
    spec.providerColumn,
    ...fact.keep,
    ...(fact.practiceColumn ? [fact.practiceColumn] : []),
    ...(extra.includes('discharge_date_key') ? ['discharge_date'] : []),
    ...(extra.includes('hrg_sk') ? ['spell_hrg'] : []),
  ]);
}

function unique(names: readonly string[]): string[] {
  return [...new Set(names)];
}

/**
 * The `fact_activity` row (or tombstone, for a silver delete) of one silver row of `table`, with
 * `_op` and `_seq`: keyed by table + record key, linked as the context says (the patient version in
 * force on the activity date, the project's person).
 */
export function activityFactRow(table: SourceTableName, silver: PortableRow, ctx: FactContext): PortableRow {
  const spec = sourceTable(table);
  const recordKey = spec.key.map((k) => String(silver[k] ?? '')).join('|');
  // One object literal, the same shape for an upsert and a tombstone, with no spread: V8 adds each
  // property after a spread (`{ ...a, b }`) one by one through the runtime, about 1 µs a property,
  // which made this function cost 30 µs a row (docs/local-runtime.md).
  if (silver._op === 'delete') {
    return {
      activity_id: `${table}:${recordKey}`,
      project: ctx.project,
      dataset: spec.dataset,
      source_table: table,
      record_key: recordKey,
      provider_code: null,
      activity_date: null,
      period: null,
      patient_sk: null,
      patient_token: null,
      person_id: null,
      link_quality: null,
      age_band: null,
      activity_code: null,
      cost_gbp: null,
      source_version: null,
      source_captured_at: String(silver._captured_at),
      event_id: String(silver._event_id),
      batch_id: ctx.batchId,
      loaded_at: ctx.loadedAt,
      _op: 'delete',
      _seq: String(ctx.seq),
    };
  }
  const mapping = ACTIVITY_MAPPING[table];
  const activityDate = activityDateOf(silver, table);
  const cost = mapping.costColumn ? silver[mapping.costColumn] : null;
  const code = mapping.codeColumn ? silver[mapping.codeColumn] : null;
  const provider = silver[spec.providerColumn];
  return {
    activity_id: `${table}:${recordKey}`,
    project: ctx.project,
    dataset: spec.dataset,
    source_table: table,
    record_key: recordKey,
    provider_code: typeof provider === 'string' ? provider : null,
    activity_date: activityDate,
    period: activityDate ? periodOf(activityDate) : null,
    // As known when this batch was built; the warehouse re-resolves it (ADR 0009).
    patient_sk: ctx.patientSk,
    patient_token: ctx.patientToken,
    person_id: ctx.personId,
    link_quality: ctx.linkQuality,
    age_band: typeof silver.age_band === 'string' ? silver.age_band : null,
    activity_code: code === null || code === undefined ? null : String(code),
    cost_gbp: cost === null || cost === undefined ? null : String(cost),
    source_version:
      silver._source_version === null || silver._source_version === undefined
        ? null
        : String(silver._source_version),
    source_captured_at: String(silver._captured_at),
    event_id: String(silver._event_id),
    batch_id: ctx.batchId,
    loaded_at: ctx.loadedAt,
    _op: 'upsert',
    _seq: String(ctx.seq),
  };
}

/** A silver row's activity date (its table's activity date column, as YYYY-MM-DD), or null. */
export function activityDateOf(silver: PortableRow, table: SourceTableName): string | null {
  const activity = silver[sourceTable(table).activityDateColumn];
  return typeof activity === 'string' ? activity.slice(0, 10) : null;
}

const emptyRows = new WeakMap<GoldTable, PortableRow>();

/**
 * A change-set row of `table` (its columns, `_op` and `_seq`) with every value null, that rows are
 * copied from. Parsed from its JSON text, so V8 gives it fast properties: an object built by one
 * store per column becomes a slow dictionary past about twenty properties (the dataset facts have
 * 21 to 36), and each of its rows would then be one too.
 */
function emptyChangeSetRow(table: GoldTable): PortableRow {
  let row = emptyRows.get(table);
  if (row === undefined) {
    const nulls = Object.fromEntries(changeSetColumns(table).map((c) => [c.name, null]));
    row = JSON.parse(JSON.stringify(nulls)) as PortableRow;
    emptyRows.set(table, row);
  }
  return row;
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
  // A copy of the table's empty row: every store below replaces a value, none adds a property.
  const row: PortableRow = { ...emptyChangeSetRow(table) };
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
  const activityDate = activityDateOf(silver, fact.source);
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
