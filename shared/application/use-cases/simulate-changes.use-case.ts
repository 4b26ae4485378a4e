import { z } from 'zod';
import type { SourceRow, SourceTableName } from '../../domain/datasets/source-tables.js';
import { ConfigError } from '../../domain/errors.js';
import type { ReferenceData } from '../../domain/reference/reference-data.js';
import { COMORBIDITIES } from '../../synthetic/clinical-scenarios.js';
import { generatePopulationRows } from '../../synthetic/population-generator.js';
import { createRng, deriveSeed, type Rng } from '../../synthetic/prng.js';
import { catalogueFromReference } from '../../synthetic/reference-catalogue.js';
import { dayOf, isoDate } from '../../synthetic/synthetic-calendar.js';
import { populationConfigSchema, type PopulationConfigInput } from '../../synthetic/synthetic-config.js';
import type { SourceWriter } from '../ports/source-writer.port.js';

/** The kinds of source change a provider system makes after first submission. */
export const CHANGE_KINDS = [
  'late_coded_diagnosis',
  'corrected_discharge_date',
  'gp_practice_change',
  'duplicate_deletion',
  'new_activity',
] as const;
export type ChangeKind = (typeof CHANGE_KINDS)[number];

/** Tables whose rows carry the patient's registered GP practice (`gp_practice_code`). */
const PRACTICE_TABLES: readonly SourceTableName[] = [
  'sus_apc_episode',
  'mhsds_referral',
  'ecds_attendance',
  'csds_referral',
  'dids_imaging_test',
];

/**
 * Options of one round of change simulation. `population` is the configuration the source was
 * generated with (the simulator regenerates it, streaming, to know the rows without reading them).
 */
export const simulateChangesOptionsSchema = z.object({
  population: z.custom<PopulationConfigInput>((v) => typeof v === 'object' && v !== null),
  /** Seed of the change stream (independent of the population seed). */
  seed: z.number().int().min(0).max(0xffffffff).default(1),
  /** Round number (1, 2, …): each round changes different rows and adds new activity under its own keys. */
  round: z.number().int().min(1).max(98).default(1),
  /** Share of eligible existing rows (episodes, spells, patients) changed by each in-place kind. */
  rate: z.number().min(0).max(1).default(0.01),
  /** Share of the planted duplicate rows deleted this round. */
  duplicateDeletionShare: z.number().min(0).max(1).default(0.5),
  /** New patients (with all their activity) added this round; default `rate` × population patients. */
  newPatients: z.number().int().min(0).optional(),
  kinds: z.array(z.enum(CHANGE_KINDS)).default([...CHANGE_KINDS]),
  /** Rows per update/insert call. */
  batchSize: z.number().int().min(1).max(100_000).default(5_000),
  /** At most this many keys per kind and table are listed in the report. */
  maxKeys: z.number().int().min(0).default(10_000),
});
export type SimulateChangesOptions = z.input<typeof simulateChangesOptionsSchema>;

/** What one round changed: rows per kind and table, with their keys (capped by `maxKeys`). */
export interface ChangeReport {
  readonly round: number;
  readonly counts: Record<ChangeKind, number>;
  readonly byTable: Record<ChangeKind, Partial<Record<SourceTableName, number>>>;
  readonly keys: Record<ChangeKind, Partial<Record<SourceTableName, string[]>>>;
  rowsUpdated: number;
  rowsDeleted: number;
  rowsInserted: number;
}

export interface SimulateChangesDeps {
  readonly writer: SourceWriter;
  readonly reference: ReferenceData;
}

/**
 * Applies one round of realistic source changes through `SourceWriter`, for the CDC poller to pick
 * up: secondary diagnoses coded late on SUS episodes, corrected discharge dates (all episodes of a
 * spell, and the last episode's end date), patients moving GP practice within their ICB (every row
 * carrying their registered practice), deletion of planted duplicate rows, and new activity (new
 * patients with every dataset, under a key block of their own).
 *
 * Guarantees: deterministic from (population, seed, round); updates change only the named columns,
 * so the writer bumps the change version of exactly the changed rows; corrected dates keep the
 * episode inside its spell and never pass the population's end date; the report counts what the
 * writer said it matched, updated, deleted or inserted.
 */
export async function simulateChanges(
  options: SimulateChangesOptions,
  deps: SimulateChangesDeps,
): Promise<ChangeReport> {
  const parsed = simulateChangesOptionsSchema.safeParse(options);
  if (!parsed.success)
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.') || 'options'}: ${i.message}`));
  const o = parsed.data;
  const populationParsed = populationConfigSchema.safeParse(o.population);
  if (!populationParsed.success)
    throw new ConfigError(
      populationParsed.error.issues.map((i) => `population.${i.path.join('.')}: ${i.message}`),
    );
  const population = populationParsed.data;
  const catalogue = catalogueFromReference(deps.reference);
  const kinds = new Set(o.kinds);
  const report: ChangeReport = {
    round: o.round,
    counts: Object.fromEntries(CHANGE_KINDS.map((k) => [k, 0])) as Record<ChangeKind, number>,
    byTable: Object.fromEntries(CHANGE_KINDS.map((k) => [k, {}])) as ChangeReport['byTable'],
    keys: Object.fromEntries(CHANGE_KINDS.map((k) => [k, {}])) as ChangeReport['keys'],
    rowsUpdated: 0,
    rowsDeleted: 0,
    rowsInserted: 0,
  };
  const record = (
    kind: ChangeKind,
    table: SourceTableName,
    keys: readonly string[],
    applied: number,
  ): void => {
    report.counts[kind] += applied;
    report.byTable[kind][table] = (report.byTable[kind][table] ?? 0) + applied;
    const list = (report.keys[kind][table] ??= []);
    for (const key of keys) if (list.length < o.maxKeys) list.push(key);
  };

  // Pending updates per table, merged per key (two kinds may change one row), flushed in batches.
  const pending = new Map<SourceTableName, Map<string, { kinds: Set<ChangeKind>; row: SourceRow }>>();
  const flush = async (table: SourceTableName): Promise<void> => {
    const byKey = pending.get(table);
    if (!byKey || byKey.size === 0) return;
    pending.set(table, new Map());
    const list = [...byKey.entries()];
    const matched = await deps.writer.updateRows(
      table,
      list.map(([, u]) => u.row),
    );
    report.rowsUpdated += matched;
    for (const kind of CHANGE_KINDS) {
      const keys = list.filter(([, u]) => u.kinds.has(kind)).map(([key]) => key);
      // Every queued key exists unless a row was deleted meanwhile; then counts are scaled to the matches.
      if (keys.length > 0)
        record(
          kind,
          table,
          keys,
          matched === list.length ? keys.length : Math.round((keys.length * matched) / list.length),
        );
    }
  };
  const queue = async (table: SourceTableName, kind: ChangeKind, row: SourceRow): Promise<void> => {
    let byKey = pending.get(table);
    if (!byKey) {
      byKey = new Map();
      pending.set(table, byKey);
    }
    const key = String(row[keyColumnOf(table)]);
    const existing = byKey.get(key);
    if (existing) {
      existing.kinds.add(kind);
      Object.assign(existing.row, row);
    } else byKey.set(key, { kinds: new Set([kind]), row: { ...row } });
    if (byKey.size >= o.batchSize) await flush(table);
  };

  const endDay = dayOf(population.endDate);
  const movedPractice = (nhs: string, current: string): string | null => {
    const rng = createRng(deriveSeed(o.seed, o.round, 'practice', nhs));
    if (!rng.chance(o.rate)) return null;
    const icb = deps.reference.organisation(current)?.icbCode;
    const options = icb
      ? deps.reference
          .practicesInIcb(icb)
          .map((p) => p.code)
          .filter((c) => c !== current)
      : [];
    return options.length > 0 ? rng.pick(options) : null;
  };

  // 1. In-place changes, on the regenerated population (memory flat: one batch at a time).
  const stream = generatePopulationRows(population, catalogue);
  let batchIndex = 0;
  let duplicates: Partial<Record<SourceTableName, string[]>>;
  for (;;) {
    const next = stream.next();
    if (next.done) {
      duplicates = next.value.defects.duplicate_row.keys;
      break;
    }
    const { table, rows } = next.value;
    const rng = createRng(deriveSeed(o.seed, o.round, table, batchIndex++));
    if (table === 'sus_apc_episode') {
      if (kinds.has('late_coded_diagnosis'))
        for (const row of rows)
          if (rng.chance(o.rate)) await queue(table, 'late_coded_diagnosis', lateCoded(row, rng));
      if (kinds.has('corrected_discharge_date'))
        for (const spell of groupSpells(rows)) {
          if (!rng.chance(o.rate)) continue;
          for (const row of correctedDischarge(spell, rng, endDay))
            await queue(table, 'corrected_discharge_date', row);
        }
    }
    if (kinds.has('gp_practice_change') && PRACTICE_TABLES.includes(table))
      for (const row of rows) {
        if (typeof row.nhs_number !== 'string' || typeof row.gp_practice_code !== 'string') continue;
        const practice = movedPractice(row.nhs_number, row.gp_practice_code);
        if (practice !== null)
          await queue(table, 'gp_practice_change', {
            [keyColumnOf(table)]: row[keyColumnOf(table)] ?? null,
            gp_practice_code: practice,
          });
      }
  }
  for (const table of pending.keys()) await flush(table);

  // 2. Deletion of planted duplicates.
  if (kinds.has('duplicate_deletion'))
    for (const [table, keys] of Object.entries(duplicates) as [SourceTableName, string[]][]) {
      const rng = createRng(deriveSeed(o.seed, o.round, 'delete', table));
      const chosen = keys.filter(() => rng.chance(o.duplicateDeletionShare));
      for (let i = 0; i < chosen.length; i += o.batchSize) {
        const slice = chosen.slice(i, i + o.batchSize);
        const deleted = await deps.writer.deleteRows(
          table,
          slice.map((k) => [k]),
        );
        report.rowsDeleted += deleted;
        record('duplicate_deletion', table, slice, deleted);
      }
    }

  // 3. New activity: new patients after every existing one, under this round's key block.
  if (kinds.has('new_activity')) {
    const newPatients = o.newPatients ?? Math.max(1, Math.round(population.patients * o.rate));
    const offset = population.patientOffset + population.patients + (o.round - 1) * newPatients;
    if (newPatients > 0 && offset + newPatients <= 900_000) {
      const fresh = generatePopulationRows(
        populationConfigSchema.parse({
          ...o.population,
          seed: population.seed,
          patients: newPatients,
          patientOffset: offset,
          keyBlock: o.round,
          maxEpisodes: undefined,
        }),
        catalogue,
      );
      for (;;) {
        const next = fresh.next();
        if (next.done) break;
        await deps.writer.insertRows(next.value.table, next.value.rows);
        report.rowsInserted += next.value.rows.length;
        record(
          'new_activity',
          next.value.table,
          next.value.rows.map((r) => String(r[keyColumnOf(next.value.table)])),
          next.value.rows.length,
        );
      }
    }
  }
  return report;
}

function keyColumnOf(table: SourceTableName): string {
  switch (table) {
    case 'sus_apc_spell':
      return 'spell_id';
    case 'sus_apc_episode':
      return 'episode_id';
    case 'prescribing_item':
      return 'item_id';
    case 'mhsds_referral':
    case 'csds_referral':
      return 'referral_id';
    case 'mhsds_care_contact':
    case 'csds_care_contact':
      return 'care_contact_id';
    case 'mhsds_cluster_assessment':
      return 'assessment_id';
    case 'mhsds_hospital_spell':
      return 'hospital_spell_id';
    case 'mhsds_ward_stay':
      return 'ward_stay_id';
    case 'ecds_attendance':
      return 'attendance_id';
    case 'dids_imaging_test':
      return 'imaging_test_id';
  }
}

/** A secondary diagnosis coded after first submission (appended; the list stays within 200 characters). */
function lateCoded(row: SourceRow, rng: Rng): SourceRow {
  const current = typeof row.secondary_diagnoses === 'string' ? row.secondary_diagnoses.split(',') : [];
  const candidates = COMORBIDITIES.filter((c) => !current.includes(c));
  const added = candidates.length > 0 ? rng.pick(candidates) : null;
  const next = added && current.join(',').length + 5 <= 200 ? [...current, added] : current;
  return { episode_id: row.episode_id ?? null, secondary_diagnoses: next.length > 0 ? next.join(',') : null };
}

/** Episode rows grouped by spell (a spell's episodes are contiguous in a batch). */
function groupSpells(rows: readonly SourceRow[]): SourceRow[][] {
  const spells: SourceRow[][] = [];
  let current: SourceRow[] = [];
  let id: unknown;
  for (const row of rows) {
    if (row.hospital_provider_spell_number !== id && current.length > 0) {
      spells.push(current);
      current = [];
    }
    id = row.hospital_provider_spell_number;
    current.push(row);
  }
  if (current.length > 0) spells.push(current);
  return spells;
}

/**
 * A discharge date corrected by ±1–2 days on the spell's last episode (the only one carrying the
 * discharge fields), with the matching end date. Skips spells still open, those whose correction
 * would leave an episode outside the spell or pass the end of the period, and already-defective
 * spells. (The `sus_apc_spell` row keeps its discharge date: the simulator changes episodes only.)
 */
function correctedDischarge(spell: readonly SourceRow[], rng: Rng, endDay: number): SourceRow[] {
  const last = spell[spell.length - 1];
  if (!last || typeof last.discharge_date !== 'string' || typeof last.episode_start_date !== 'string')
    return [];
  const discharge = dayOf(last.discharge_date);
  if (last.episode_end_date !== last.discharge_date) return [];
  const delta = rng.pick([-2, -1, 1, 2]);
  const corrected = discharge + delta;
  if (corrected > endDay || corrected < dayOf(last.episode_start_date)) return [];
  if (spell.some((e) => typeof e.admission_date !== 'string' || corrected < dayOf(e.admission_date)))
    return [];
  const iso = isoDate(corrected);
  return [{ episode_id: last.episode_id ?? null, discharge_date: iso, episode_end_date: iso }];
}
