import { GOLD_TABLES, type GoldTable } from './gold-tables.js';
import { MART_TABLES } from './mart-tables.js';
import type { PortableColumn } from './portable-types.js';

/**
 * Who may be given a warehouse table. `published`: an aggregate with no person-level column, which
 * `nhs-flows export` serves by default. `restricted`: row-level (a person, a pseudonym, a record or
 * a date below month), served only with `--restricted`, and every such export is audited.
 */
export type TableAccess = 'published' | 'restricted';

/** Every table the warehouse holds and `nhs-flows export` can serve: the gold tables, then the marts. */
export const WAREHOUSE_TABLES: readonly GoldTable[] = [...GOLD_TABLES, ...MART_TABLES];

/**
 * Columns that identify a person, or one person's record, by name: the linkage person id, the
 * project pseudonym and the patient dimension's surrogate key, and direct identifiers should one
 * ever reach gold (they must not: the check is a backstop).
 */
const PERSON_COLUMNS: ReadonlySet<string> = new Set([
  'person_id',
  'patient_token',
  'patient_sk',
  'nhs_number',
  'local_patient_identifier',
  'date_of_birth',
  'postcode',
  'age',
  'age_years',
]);

/** A record identifier or key (`attendance_id`, `spell_key`, `hospital_provider_spell_number`, …). */
const RECORD_ID = /_(id|key|sk|token|number)$/;

/** Identifiers of things that are not patients' records: a load batch, a validation rule. */
const NOT_RECORD_IDS: ReadonlySet<string> = new Set(['batch_id', 'rule_id']);

/**
 * The columns that make a table row-level, each with why: a person-level name, a record
 * identifier, or a date or time finer than a month. A table with any of them must be `restricted`.
 */
export function personLevelColumns(
  columns: readonly Pick<PortableColumn, 'name' | 'type'>[],
): { column: string; why: 'person' | 'record id' | 'exact date' }[] {
  const out: { column: string; why: 'person' | 'record id' | 'exact date' }[] = [];
  for (const { name, type } of columns) {
    if (PERSON_COLUMNS.has(name)) out.push({ column: name, why: 'person' });
    else if (RECORD_ID.test(name) && !NOT_RECORD_IDS.has(name)) out.push({ column: name, why: 'record id' });
    // Any date or time, a month's last day included: a published table shows the month (`period`),
    // as the disclosure guard requires (shared/domain/disclosure/publishable.ts).
    else if (type === 'date' || type === 'timestamp') out.push({ column: name, why: 'exact date' });
  }
  return out;
}

/** The access the columns call for: `restricted` when any column is person-level. */
export function accessFromColumns(columns: readonly Pick<PortableColumn, 'name' | 'type'>[]): TableAccess {
  return personLevelColumns(columns).length > 0 ? 'restricted' : 'published';
}
