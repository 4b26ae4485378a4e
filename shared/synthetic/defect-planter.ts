import { SOURCE_TABLES, type SourceRow, type SourceTableName } from '../domain/datasets/source-tables.js';
import type { DefectClass } from './defect-classes.js';
import type { DefectTally } from './generation-report.js';
import type { PatientActivity } from './patient-activity.js';
import { createRng, deriveSeed, type Rng } from './prng.js';
import { dayOf, isoDate } from './synthetic-calendar.js';
import type { SyntheticCatalogue } from './synthetic-catalogue.js';
import type { PopulationConfig } from './synthetic-config.js';

/** What the planter needs from the key allocator. */
export interface DefectKeySource {
  nextDefect(table: SourceTableName): string;
}

const PERSON_TABLES = [
  'sus_apc_episode',
  'prescribing_item',
  'mhsds_referral',
  'ecds_attendance',
  'csds_referral',
  'dids_imaging_test',
] as const satisfies readonly SourceTableName[];

/** Days added by a `future_date` defect: 40–60 years, the typo'd year that any clock catches. */
const FUTURE_SHIFT_MIN_DAYS = 40 * 365;
const FUTURE_SHIFT_MAX_DAYS = 60 * 365;

/**
 * Plants the enabled defect classes into one patient's rows, in place, and tallies them.
 *
 * Guarantees: each defective row carries exactly one class; each class draws from its own
 * random stream (seed, class, patient), so the clean rows do not depend on which classes are on;
 * rows added by a defect (duplicates, orphan contacts) get keys in the defect namespace
 * (`<namespace>D…`), so clean keys do not shift either. Only tables in `emitted` (default all) are
 * tallied. Returns the set of defective rows.
 */
export function plantDefects(
  activity: PatientActivity,
  config: PopulationConfig,
  keys: DefectKeySource,
  catalogue: SyntheticCatalogue,
  endDay: number,
  tallies: Record<DefectClass, DefectTally>,
  emitted?: ReadonlySet<SourceTableName>,
): Set<SourceRow> {
  const defective = new Set<SourceRow>();
  /**
   * Rows later classes leave alone: the defective rows plus every episode of a spell whose spell
   * fields were made defective (only the rows carrying the wrong value are marked, but the whole
   * spell stays taken, so the draws of the classes after it do not change).
   */
  const taken = new Set<SourceRow>();
  const { classes, rate, maxKeysPerClass } = config.defects;
  if (classes.length === 0 || rate === 0) return defective;
  let anyRows = false;
  for (const rows of Object.values(activity.rows)) if (rows.length > 0) anyRows = true;
  if (!anyRows) return defective;
  const index = activity.patient.index;
  const enabled = new Set(classes);

  const mark = (cls: DefectClass, table: SourceTableName, row: SourceRow): void => {
    defective.add(row);
    taken.add(row);
    // Rows of tables that are not emitted are planted the same way (same draws) but not reported.
    if (emitted && !emitted.has(table)) return;
    const tally = tallies[cls];
    tally.total++;
    tally.byTable[table] = (tally.byTable[table] ?? 0) + 1;
    const list = (tally.keys[table] ??= []);
    if (list.length < maxKeysPerClass) list.push(String(row[SOURCE_TABLES[table].key[0] ?? ''] ?? ''));
  };
  const free = (rows: readonly SourceRow[]): boolean => rows.every((r) => !taken.has(r));
  const take = (rows: readonly SourceRow[]): void => {
    for (const row of rows) taken.add(row);
  };
  const streamFor = (cls: DefectClass): Rng | null =>
    enabled.has(cls) ? new LazyRng(config.seed, cls, index) : null;
  const rowsOf = (table: SourceTableName): SourceRow[] => activity.rows[table];

  // Row-level identity defects.
  let rng = streamFor('nhs_number_check_digit');
  if (rng)
    for (const table of PERSON_TABLES)
      for (const row of rowsOf(table)) {
        const nhs = row.nhs_number;
        if (typeof nhs !== 'string' || taken.has(row) || !rng.chance(rate)) continue;
        const last = nhs.charCodeAt(9) - 48;
        row.nhs_number = `${nhs.slice(0, 9)}${(last + rng.int(1, 9)) % 10}`;
        mark('nhs_number_check_digit', table, row);
      }
  rng = streamFor('nhs_number_missing');
  if (rng)
    for (const table of PERSON_TABLES)
      for (const row of rowsOf(table)) {
        if (row.nhs_number === null || taken.has(row) || !rng.chance(rate)) continue;
        row.nhs_number = null;
        mark('nhs_number_missing', table, row);
      }

  // SUS spell/episode defects.
  rng = streamFor('discharge_before_admission');
  if (rng)
    for (const spell of activity.spells) {
      if (spell.dischargeDay === null || !free(spell.rows) || !rng.chance(rate)) continue;
      const wrong = isoDate(spell.admissionDay - rng.int(1, 5));
      // The discharge date is on the spell and its last episode only.
      take(spell.rows);
      spell.spellRow.discharge_date = wrong;
      spell.spellRow.length_of_stay_days = null;
      mark('discharge_before_admission', 'sus_apc_spell', spell.spellRow);
      const last = spell.rows[spell.rows.length - 1];
      if (last) {
        last.discharge_date = wrong;
        mark('discharge_before_admission', 'sus_apc_episode', last);
      }
    }
  rng = streamFor('episode_outside_spell');
  if (rng)
    for (const spell of activity.spells)
      for (const row of spell.rows) {
        if (taken.has(row) || !rng.chance(rate)) continue;
        const shift = rng.int(1, 10);
        if (spell.dischargeDay !== null && spell.dischargeDay + shift <= endDay)
          row.episode_end_date = isoDate(spell.dischargeDay + shift);
        else row.episode_start_date = isoDate(spell.admissionDay - shift);
        mark('episode_outside_spell', 'sus_apc_episode', row);
      }
  rng = streamFor('hrg_unknown_or_tariff_mismatch');
  if (rng)
    for (const spell of activity.spells) {
      if (!free(spell.rows) || !rng.chance(rate)) continue;
      // The spell HRG and the price are the spell's: only the spell row carries the defect.
      const tariff = spell.spellRow.tariff_gbp;
      if (typeof tariff === 'string' && rng.chance(0.5))
        spell.spellRow.tariff_gbp = (Number(tariff) * (1 + rng.int(10, 50) / 100)).toFixed(2);
      else spell.spellRow.spell_hrg = unknownHrg(rng, catalogue);
      take(spell.rows);
      mark('hrg_unknown_or_tariff_mismatch', 'sus_apc_spell', spell.spellRow);
    }

  rng = streamFor('ecds_missing_discharge_destination');
  if (rng)
    for (const row of rowsOf('ecds_attendance')) {
      if (row.discharge_destination === null || taken.has(row) || !rng.chance(rate)) continue;
      row.discharge_destination = null;
      mark('ecds_missing_discharge_destination', 'ecds_attendance', row);
    }

  rng = streamFor('imaging_before_request');
  if (rng)
    for (const row of rowsOf('dids_imaging_test')) {
      if (typeof row.request_date !== 'string' || taken.has(row) || !rng.chance(rate)) continue;
      row.test_date = isoDate(dayOf(row.request_date) - rng.int(1, 10));
      mark('imaging_before_request', 'dids_imaging_test', row);
    }

  rng = streamFor('future_date');
  if (rng) {
    for (const spell of activity.spells) {
      if (!free(spell.rows) || !rng.chance(rate)) continue;
      const shift = rng.int(FUTURE_SHIFT_MIN_DAYS, FUTURE_SHIFT_MAX_DAYS);
      shiftDates(spell.spellRow, ['admission_date', 'discharge_date'], shift);
      mark('future_date', 'sus_apc_spell', spell.spellRow);
      for (const row of spell.rows) {
        shiftDates(
          row,
          [
            'admission_date',
            'episode_start_date',
            'episode_end_date',
            'discharge_date',
            'primary_procedure_date',
          ],
          shift,
        );
        mark('future_date', 'sus_apc_episode', row);
      }
    }
    const rowLevel: readonly [SourceTableName, readonly string[]][] = [
      ['prescribing_item', ['dispensing_date']],
      ['mhsds_care_contact', ['contact_date']],
      ['mhsds_cluster_assessment', ['assessment_date']],
      ['csds_care_contact', ['contact_date']],
      ['dids_imaging_test', ['request_date', 'request_received_date', 'test_date', 'report_issue_date']],
    ];
    for (const [table, columns] of rowLevel)
      for (const row of rowsOf(table)) {
        if (taken.has(row) || !rng.chance(rate)) continue;
        shiftDates(row, columns, rng.int(FUTURE_SHIFT_MIN_DAYS, FUTURE_SHIFT_MAX_DAYS));
        if (table === 'prescribing_item' && typeof row.dispensing_date === 'string')
          row.processing_month = `${row.dispensing_date.slice(0, 4)}${row.dispensing_date.slice(5, 7)}`;
        mark('future_date', table, row);
      }
    for (const row of rowsOf('ecds_attendance')) {
      if (taken.has(row) || !rng.chance(rate)) continue;
      const years = rng.int(40, 60);
      for (const column of ECDS_TIMESTAMPS) {
        const value = row[column];
        if (typeof value === 'string') row[column] = `${Number(value.slice(0, 4)) + years}${value.slice(4)}`;
      }
      mark('future_date', 'ecds_attendance', row);
    }
  }

  rng = streamFor('malformed_code');
  if (rng) {
    const malform: readonly [SourceTableName, (row: SourceRow, r: Rng) => boolean][] = [
      ['sus_apc_episode', (row) => rotate(row, 'primary_diagnosis')],
      ['prescribing_item', (row) => truncate(row, 'bnf_code')],
      ['mhsds_cluster_assessment', (row, r) => ((row.care_cluster = `X${r.int(0, 9)}`), true)],
      ['ecds_attendance', (row, r) => breakCheckDigit(row, 'chief_complaint', r)],
      ['dids_imaging_test', (row, r) => breakCheckDigit(row, 'snomed_code', r)],
    ];
    for (const [table, apply] of malform)
      for (const row of rowsOf(table)) {
        if (taken.has(row) || !rng.chance(rate)) continue;
        if (apply(row, rng)) mark('malformed_code', table, row);
      }
  }

  rng = streamFor('referral_after_contact');
  if (rng) {
    const referrals = [
      ...activity.mhReferrals.map((r) => ({
        table: 'mhsds_referral' as const,
        row: r.row,
        contacts: r.contacts,
      })),
      ...activity.csdsReferrals.map((r) => ({
        table: 'csds_referral' as const,
        row: r.row,
        contacts: r.contacts,
      })),
    ];
    for (const { table, row, contacts } of referrals) {
      // Runs after every class that changes rows in place, so the first contact stays as planted.
      const first = contacts.find((c) => !taken.has(c))?.contact_date;
      if (typeof first !== 'string' || taken.has(row) || !rng.chance(rate)) continue;
      const late = dayOf(first) + rng.int(1, 7);
      const discharge = row.service_discharge_date;
      if (late > endDay || (typeof discharge === 'string' && dayOf(discharge) < late)) continue;
      row.referral_received_date = isoDate(late);
      mark('referral_after_contact', table, row);
    }
  }

  // Rows added by a defect come last, copied from clean rows.
  rng = streamFor('orphan_community_contact');
  if (rng) {
    const added: SourceRow[] = [];
    for (const row of rowsOf('csds_care_contact')) {
      if (taken.has(row) || !rng.chance(rate)) continue;
      const orphan: SourceRow = {
        ...row,
        care_contact_id: keys.nextDefect('csds_care_contact'),
        referral_id: keys.nextDefect('csds_referral'),
      };
      added.push(orphan);
    }
    for (const row of added) {
      rowsOf('csds_care_contact').push(row);
      mark('orphan_community_contact', 'csds_care_contact', row);
    }
  }
  rng = streamFor('duplicate_row');
  if (rng)
    for (const table of Object.keys(activity.rows) as SourceTableName[]) {
      const keyColumn = SOURCE_TABLES[table].key[0] ?? '';
      const added: SourceRow[] = [];
      for (const row of rowsOf(table)) {
        if (taken.has(row) || !rng.chance(rate)) continue;
        added.push({ ...row, [keyColumn]: keys.nextDefect(table) });
      }
      for (const row of added) {
        rowsOf(table).push(row);
        mark('duplicate_row', table, row);
      }
    }
  return defective;
}

/** A class's stream, seeded on its first draw (most patients have few rows, many classes draw nothing). */
class LazyRng implements Rng {
  private inner: Rng | null = null;
  constructor(
    private readonly seed: number,
    private readonly cls: DefectClass,
    private readonly index: number,
  ) {}
  private get rng(): Rng {
    return (this.inner ??= createRng(deriveSeed(this.seed, 'defect', this.cls, this.index)));
  }
  next(): number {
    return this.rng.next();
  }
  int(min: number, max: number): number {
    return this.rng.int(min, max);
  }
  chance(p: number): boolean {
    return this.rng.chance(p);
  }
  pick<T>(items: readonly T[]): T {
    return this.rng.pick(items);
  }
  weighted<T>(items: readonly T[], weight: (item: T) => number): T {
    return this.rng.weighted(items, weight);
  }
  poisson(mean: number): number {
    return this.rng.poisson(mean);
  }
}

const ECDS_TIMESTAMPS = [
  'arrival_at',
  'initial_assessment_at',
  'seen_for_treatment_at',
  'decision_to_admit_at',
  'clinically_ready_at',
  'conclusion_at',
  'departure_at',
] as const;

function shiftDates(row: SourceRow, columns: readonly string[], days: number): void {
  for (const column of columns) {
    const value = row[column];
    if (typeof value === 'string') row[column] = isoDate(dayOf(value) + days);
  }
}

/** `'I639'` → `'639I'`: the letter moved to the end, never a valid ICD-10 code. */
function rotate(row: SourceRow, column: string): boolean {
  const value = row[column];
  if (typeof value !== 'string' || value.length < 2) return false;
  row[column] = `${value.slice(1)}${value.slice(0, 1)}`;
  return true;
}

/** Drops the last character (a 15-character BNF code becomes 14). */
function truncate(row: SourceRow, column: string): boolean {
  const value = row[column];
  if (typeof value !== 'string' || value.length < 2) return false;
  row[column] = value.slice(0, -1);
  return true;
}

/** Changes the last digit, which a Verhoeff check always detects. */
function breakCheckDigit(row: SourceRow, column: string, rng: Rng): boolean {
  const value = row[column];
  if (typeof value !== 'string' || value.length < 6) return false;
  const last = value.charCodeAt(value.length - 1) - 48;
  row[column] = `${value.slice(0, -1)}${(last + rng.int(1, 9)) % 10}`;
  return true;
}

/** A well-formed HRG code that the reference list does not hold. */
function unknownHrg(rng: Rng, catalogue: SyntheticCatalogue): string {
  for (;;) {
    const code = `${rng.pick(['QZ', 'YZ', 'ZZ'])}${String(rng.int(80, 99))}${rng.pick(['A', 'B', 'Z'])}`;
    if (!catalogue.isKnownHrg(code)) return code;
  }
}
