import { DATASET_FACT_TABLES } from '../star/fact-tables.js';
import { REFERENCE_DIMENSIONS } from '../star/reference-dimensions.js';
import type { PortableColumn } from './portable-types.js';
import type { TableAccess } from './table-access.js';

/**
 * The gold star schema: dimensions with SCD2 columns and facts keyed by the dimension surrogate
 * at event time. Every gold Parquet file is a change set with these columns plus `_op`
 * ('upsert' | 'delete') and `_seq` (order within the batch); the warehouse loads it idempotently.
 */
export interface GoldTable {
  readonly name: string;
  readonly kind: 'dimension' | 'fact' | 'mart';
  readonly key: readonly string[];
  /** One line: what a row is (what `nhs-flows export --list` prints). */
  readonly description: string;
  /**
   * Who may be given the table: `published` (an aggregate with no person-level column, served by
   * `nhs-flows export` by default) or `restricted` (row-level: a person id, pseudonym, surrogate
   * key, record id or a date below month; exported only with `--restricted`, audited).
   * `tests/unit/gold/table-access.test.ts` derives it from the columns (`personLevelColumns`).
   */
  readonly access: TableAccess;
  readonly columns: readonly PortableColumn[];
  /** A change set replaces every row matching these columns' values (default: the key). */
  readonly replaceBy?: readonly string[];
  /**
   * Columns saying how new a row is, compared in order: the warehouse replaces a row only with a
   * change at least as new and keeps delete tombstones (docs/warehouse-apply.md).
   */
  readonly version?: readonly string[];
  /**
   * Surrogate keys this table holds, resolved in the warehouse against their dimension after every
   * batch (ADR 0009): re-keyed when a re-cut changes the version in force, and checked for orphans.
   */
  readonly references?: readonly SurrogateReference[];
}

/**
 * A fact column holding a dimension's surrogate key: the key of the version of the fact's member
 * (`member` columns, the same names in both tables) in force on the fact's business date `at`
 * (`validFrom <= at < validTo` on the dimension). NULL when no version covers the date.
 */
export interface SurrogateReference {
  readonly column: string;
  readonly dimension: string;
  readonly dimensionKey: string;
  readonly member: readonly string[];
  /**
   * The member's columns as the dimension names them, in `member` order, where they differ (a
   * fact's `provider_code` is dim_organisation's `organisation_code`). Default: `member`.
   */
  readonly dimensionMember?: readonly string[];
  readonly at: string;
  readonly validFrom: string;
  readonly validTo: string;
}

const col = (
  name: string,
  type: PortableColumn['type'],
  nullable = true,
  maxLength?: number,
): PortableColumn => ({ name, type, nullable, ...(maxLength ? { maxLength } : {}) });

/** Widths of the strings the pipeline derives (hex tokens and keys, codes, bands). */
const ID = 64;

/** Lineage columns every gold row carries. */
const lineage: PortableColumn[] = [
  col('batch_id', 'string', false, ID),
  col('loaded_at', 'timestamp', false),
];

export const DIM_PATIENT: GoldTable = {
  name: 'dim_patient',
  kind: 'dimension',
  key: ['patient_sk'],
  // A change set carries every version of each member it touches: the member's rows are replaced.
  replaceBy: ['project', 'patient_token'],
  access: 'restricted',
  // A member's change set is as new as its change log: the newest capture time in it, then how many
  // changes it holds (a later merge's log is a superset, so it is never older on both).
  version: ['source_captured_at', 'source_changes'],
  description:
    'Pseudonymised patient per project, SCD Type 2 (one row per version; is_current marks the live one)',
  columns: [
    col('patient_sk', 'string', false, ID),
    col('project', 'string', false, 40),
    col('patient_token', 'string', false, ID),
    col('token_key_version', 'string', true, 20),
    col('sex', 'string', true, 1),
    col('ethnic_category', 'string', true, 2),
    col('lsoa', 'string', true, 9),
    col('imd_decile', 'int'),
    col('gp_practice_code', 'string', true, 8),
    col('valid_from', 'date', false),
    col('valid_to', 'date', false),
    col('is_current', 'boolean', false),
    col('is_deleted', 'boolean', false),
    col('row_hash', 'string', false, ID),
    col('recorded_at', 'timestamp', false),
    // Same for every version of a member (the member is replaced whole): see `version`.
    col('source_captured_at', 'timestamp'),
    col('source_changes', 'bigint'),
    ...lineage,
  ],
};

export const FACT_ACTIVITY: GoldTable = {
  name: 'fact_activity',
  kind: 'fact',
  key: ['activity_id'],
  // The capture time of the record the fact (or delete) was built from.
  version: ['source_captured_at'],
  access: 'restricted',
  // patient_sk is the dim_patient version of (project, patient_token) in force on activity_date,
  // resolved in the warehouse after every batch, so a re-cut never leaves it pointing nowhere.
  references: [
    {
      column: 'patient_sk',
      dimension: 'dim_patient',
      dimensionKey: 'patient_sk',
      member: ['project', 'patient_token'],
      at: 'activity_date',
      validFrom: 'valid_from',
      validTo: 'valid_to',
    },
  ],
  description:
    'One row per activity record across the six datasets (episode, item, referral, contact, attendance, test), keyed to the patient version at event time',
  columns: [
    col('activity_id', 'string', false, 100),
    col('project', 'string', false, 40),
    col('dataset', 'string', false, 20),
    col('source_table', 'string', false, 40),
    col('record_key', 'string', false, 60),
    col('provider_code', 'string', true, 8),
    col('activity_date', 'date'),
    col('period', 'string', true, 7),
    col('patient_sk', 'string', true, ID),
    // The project pseudonym (as in dim_patient): the member the warehouse resolves patient_sk by.
    col('patient_token', 'string', true, ID),
    col('person_id', 'string', true, ID),
    col('link_quality', 'string', true, 20),
    col('age_band', 'string', true, 10),
    col('activity_code', 'string', true, 40),
    col('cost_gbp', 'decimal(12,2)'),
    col('source_version', 'string', true, 40),
    col('source_captured_at', 'timestamp'),
    col('event_id', 'string', false, ID),
    ...lineage,
  ],
};

/**
 * The gold tables the pipeline writes and the warehouse holds: the patient dimension, the
 * cross-dataset `fact_activity`, the dataset facts at their natural grain and the conformed
 * reference dimensions (loaded from the reference data before any batch's facts; shared/domain/star,
 * ADR 0013).
 */
export const GOLD_TABLES: readonly GoldTable[] = [
  DIM_PATIENT,
  FACT_ACTIVITY,
  ...DATASET_FACT_TABLES,
  ...REFERENCE_DIMENSIONS,
];

/** Columns of a gold change-set file: the table's columns plus `_op` and `_seq`. */
export function changeSetColumns(table: GoldTable): PortableColumn[] {
  return [...table.columns, col('_op', 'string', false), col('_seq', 'bigint', false)];
}
