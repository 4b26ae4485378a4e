import { declaredTable } from './dataset-declarations.js';
import { sourceTableSpecOf } from './declaration.js';

/**
 * The source tables as a provider system holds them (shaped like the SQL Server source).
 *
 * The SQL view of the dataset declarations (shared/domain/datasets/<dataset>/, see
 * declaration.ts): column order, SQL type, nullability, primary key and which columns carry
 * patient identifiers. The embedded source database, the CDC capture configuration, the
 * generator and the pseudonymisation step read it; a column is added or renamed in its table's
 * declaration and nowhere else.
 *
 * Contract (wire form of a row, `SourceRow`): every value is JSON-safe:
 * - `date` → `'YYYY-MM-DD'`; `datetime2` → ISO-8601 UTC `'YYYY-MM-DDTHH:mm:ss.sssZ'`;
 *   `datetimeoffset` → ISO-8601 with its offset (`'2026-01-02T10:00:00.000+01:00'`);
 * - `int` → number; `bigint` and `decimal` → string (exact, no float drift); `bit` → boolean;
 * - `varchar`/`char` → string exactly as stored (no trimming, no case folding);
 * - SQL NULL → `null`.
 */

/** SQL types the source may use. */
export type SqlType =
  'varchar' | 'char' | 'date' | 'datetime2' | 'datetimeoffset' | 'int' | 'bigint' | 'decimal' | 'bit';

/** Which kind of patient identifier a column carries (drives pseudonymisation and leak scans). */
export type IdentifierKind = 'nhs_number' | 'name' | 'date_of_birth' | 'postcode' | 'local_id';

export interface ColumnSpec {
  readonly name: string;
  readonly type: SqlType;
  /** varchar/char length. */
  readonly length?: number;
  /** decimal precision and scale. */
  readonly precision?: number;
  readonly scale?: number;
  readonly nullable: boolean;
  readonly identifier?: IdentifierKind;
}

/** The six datasets. */
export type DatasetId = 'sus_apc' | 'prescribing' | 'mhsds' | 'ecds' | 'csds' | 'dids';

export interface SourceTableSpec {
  /** Table name in the source database (and in lake paths). */
  readonly table: SourceTableName;
  readonly dataset: DatasetId;
  readonly description: string;
  /** Business key columns, in key order (composite allowed). */
  readonly key: readonly string[];
  /** Column holding the source's change version (SQL Server rowversion), excluded from the row hash. */
  readonly changeVersionColumn: string;
  /** Column naming the provider (ODS code) the row belongs to. */
  readonly providerColumn: string;
  /** Column giving the activity date the row is reported under (for period partitioning). */
  readonly activityDateColumn: string;
  readonly columns: readonly ColumnSpec[];
}

export type SourceRowValue = string | number | boolean | null;
/** One source row in wire form (see the module comment for the type mapping). */
export type SourceRow = Record<string, SourceRowValue>;

/** The source tables, parents before children (referrals before their contacts): capture order. */
export const SOURCE_TABLE_NAMES = [
  'sus_apc_episode',
  'prescribing_item',
  'mhsds_referral',
  'mhsds_care_contact',
  'mhsds_cluster_assessment',
  'ecds_attendance',
  'csds_referral',
  'csds_care_contact',
  'dids_imaging_test',
] as const;
export type SourceTableName = (typeof SOURCE_TABLE_NAMES)[number];

const v = (name: string, length: number, nullable = false, identifier?: IdentifierKind): ColumnSpec =>
  identifier
    ? { name, type: 'varchar', length, nullable, identifier }
    : { name, type: 'varchar', length, nullable };
const c = (name: string, length: number, nullable = false): ColumnSpec => ({
  name,
  type: 'char',
  length,
  nullable,
});
const d = (name: string, nullable = false, identifier?: IdentifierKind): ColumnSpec =>
  identifier ? { name, type: 'date', nullable, identifier } : { name, type: 'date', nullable };
const dto = (name: string, nullable = false): ColumnSpec => ({ name, type: 'datetimeoffset', nullable });
const i = (name: string, nullable = false): ColumnSpec => ({ name, type: 'int', nullable });
const dec = (name: string, precision: number, scale: number, nullable = false): ColumnSpec => ({
  name,
  type: 'decimal',
  precision,
  scale,
  nullable,
});
const changeVersion: ColumnSpec = { name: 'change_version', type: 'bigint', nullable: false };
const modifiedAt: ColumnSpec = { name: 'modified_at', type: 'datetime2', nullable: false };

/** Patient identity columns shared by the person-level tables. */
const person = (opts: { name?: boolean; ethnicity?: boolean } = {}): ColumnSpec[] => [
  v('nhs_number', 10, true, 'nhs_number'),
  v('local_patient_id', 20, true, 'local_id'),
  ...(opts.name ? [v('patient_name', 70, true, 'name')] : []),
  d('date_of_birth', true, 'date_of_birth'),
  c('sex', 1, true),
  ...(opts.ethnicity ? [v('ethnic_category', 2, true)] : []),
  v('postcode', 8, true, 'postcode'),
  v('gp_practice_code', 6, true),
];

/** Tables not yet moved to a declaration (shared/domain/datasets/<dataset>/). */
const UNDECLARED: Readonly<Partial<Record<SourceTableName, SourceTableSpec>>> = {
  prescribing_item: {
    table: 'prescribing_item',
    dataset: 'prescribing',
    description: 'Patient-level prescribing: one row per dispensed item (NHSBSA)',
    key: ['item_id'],
    changeVersionColumn: 'change_version',
    providerColumn: 'prescribing_practice_code',
    activityDateColumn: 'dispensing_date',
    columns: [
      v('item_id', 20),
      v('nhs_number', 10, true, 'nhs_number'),
      d('date_of_birth', true, 'date_of_birth'),
      c('sex', 1, true),
      v('postcode', 8, true, 'postcode'),
      v('prescribing_practice_code', 6),
      v('prescriber_code', 8, true),
      d('dispensing_date'),
      c('processing_month', 6),
      v('bnf_code', 15),
      v('bnf_description', 200, true),
      dec('quantity', 12, 3),
      i('items'),
      dec('nic_gbp', 12, 2),
      dec('actual_cost_gbp', 12, 2, true),
      modifiedAt,
      changeVersion,
    ],
  },
  mhsds_referral: {
    table: 'mhsds_referral',
    dataset: 'mhsds',
    description: 'MHSDS MHS101/MHS102: service or team referral with the team type referred to',
    key: ['referral_id'],
    changeVersionColumn: 'change_version',
    providerColumn: 'provider_code',
    activityDateColumn: 'referral_received_date',
    columns: [
      v('referral_id', 20),
      v('provider_code', 5),
      ...person({ ethnicity: true }),
      d('referral_received_date'),
      v('source_of_referral', 2, true),
      v('primary_reason_for_referral', 2, true),
      v('service_team_type', 3, true),
      d('service_discharge_date', true),
      modifiedAt,
      changeVersion,
    ],
  },
  mhsds_care_contact: {
    table: 'mhsds_care_contact',
    dataset: 'mhsds',
    description: 'MHSDS MHS201: care contact under a referral',
    key: ['care_contact_id'],
    changeVersionColumn: 'change_version',
    providerColumn: 'provider_code',
    activityDateColumn: 'contact_date',
    columns: [
      v('care_contact_id', 20),
      v('referral_id', 20),
      v('provider_code', 5),
      v('local_patient_id', 20, true, 'local_id'),
      d('contact_date'),
      c('attend_or_dna', 1, true),
      v('consultation_medium', 2, true),
      modifiedAt,
      changeVersion,
    ],
  },
  mhsds_cluster_assessment: {
    table: 'mhsds_cluster_assessment',
    dataset: 'mhsds',
    description: 'MHSDS MHS801: care cluster assessment (clusters 0-21)',
    key: ['assessment_id'],
    changeVersionColumn: 'change_version',
    providerColumn: 'provider_code',
    activityDateColumn: 'assessment_date',
    columns: [
      v('assessment_id', 20),
      v('referral_id', 20),
      v('provider_code', 5),
      v('local_patient_id', 20, true, 'local_id'),
      d('assessment_date'),
      v('care_cluster', 2),
      modifiedAt,
      changeVersion,
    ],
  },
  ecds_attendance: {
    table: 'ecds_attendance',
    dataset: 'ecds',
    description: 'ECDS: one row per emergency care attendance; clinical fields are SNOMED CT',
    key: ['attendance_id'],
    changeVersionColumn: 'change_version',
    providerColumn: 'provider_code',
    activityDateColumn: 'arrival_at',
    columns: [
      v('attendance_id', 20),
      v('provider_code', 5),
      v('site_code', 5, true),
      c('department_type', 2),
      c('attendance_category', 1, true),
      ...person({ name: true, ethnicity: true }),
      v('commissioner_code', 5, true),
      v('arrival_mode', 18, true),
      v('acuity', 18, true),
      v('chief_complaint', 18, true),
      v('primary_diagnosis', 18, true),
      v('discharge_status', 18, true),
      v('discharge_destination', 18, true),
      v('discharge_follow_up', 18, true),
      dto('arrival_at'),
      dto('initial_assessment_at', true),
      dto('seen_for_treatment_at', true),
      dto('decision_to_admit_at', true),
      dto('clinically_ready_at', true),
      dto('conclusion_at', true),
      dto('departure_at', true),
      modifiedAt,
      changeVersion,
    ],
  },
  csds_referral: {
    table: 'csds_referral',
    dataset: 'csds',
    description: 'CSDS CYP101/CYP102: community referral with the team type referred to',
    key: ['referral_id'],
    changeVersionColumn: 'change_version',
    providerColumn: 'provider_code',
    activityDateColumn: 'referral_received_date',
    columns: [
      v('referral_id', 20),
      v('provider_code', 5),
      ...person(),
      d('referral_received_date'),
      v('source_of_referral', 2, true),
      c('priority_type', 1, true),
      v('team_type', 3, true),
      d('service_discharge_date', true),
      modifiedAt,
      changeVersion,
    ],
  },
  csds_care_contact: {
    table: 'csds_care_contact',
    dataset: 'csds',
    description: 'CSDS CYP201/CYP202: community care contact and its main care activity',
    key: ['care_contact_id'],
    changeVersionColumn: 'change_version',
    providerColumn: 'provider_code',
    activityDateColumn: 'contact_date',
    columns: [
      v('care_contact_id', 20),
      v('referral_id', 20),
      v('provider_code', 5),
      v('local_patient_id', 20, true, 'local_id'),
      d('contact_date'),
      v('activity_location_type', 3, true),
      c('attend_or_dna', 1, true),
      v('care_activity_type', 2, true),
      modifiedAt,
      changeVersion,
    ],
  },
  dids_imaging_test: {
    table: 'dids_imaging_test',
    dataset: 'dids',
    description: 'DIDS: one row per diagnostic imaging test',
    key: ['imaging_test_id'],
    changeVersionColumn: 'change_version',
    providerColumn: 'provider_code',
    activityDateColumn: 'test_date',
    columns: [
      v('imaging_test_id', 20),
      v('provider_code', 5),
      v('site_code', 5, true),
      ...person(),
      v('patient_source_setting', 2, true),
      v('referrer_code', 8, true),
      v('referring_org_code', 6, true),
      d('request_date', true),
      d('request_received_date', true),
      d('test_date'),
      d('report_issue_date', true),
      v('nicip_code', 10, true),
      v('snomed_code', 18, true),
      c('modality', 1, true),
      modifiedAt,
      changeVersion,
    ],
  },
};

/**
 * Every source table's SQL spec, derived from its declaration (shared/domain/datasets/<dataset>/),
 * in capture order.
 */
export const SOURCE_TABLES: Readonly<Record<SourceTableName, SourceTableSpec>> = Object.fromEntries(
  SOURCE_TABLE_NAMES.map((name) => {
    const declared = declaredTable(name);
    const spec = declared ? sourceTableSpecOf(declared.table) : UNDECLARED[name];
    if (!spec) throw new Error(`source table '${name}' has no declaration`);
    return [name, spec];
  }),
) as Record<SourceTableName, SourceTableSpec>;

/** The table spec for a name, or a clear error naming what was asked for. */
export function sourceTable(name: string): SourceTableSpec {
  const spec = (SOURCE_TABLES as Record<string, SourceTableSpec | undefined>)[name];
  if (!spec)
    throw new Error(`unknown source table '${name}'; expected one of ${SOURCE_TABLE_NAMES.join(', ')}`);
  return spec;
}

/** Columns of a table that carry patient identifiers, by kind. */
export function identifierColumns(spec: SourceTableSpec): readonly ColumnSpec[] {
  return spec.columns.filter((col) => col.identifier !== undefined);
}
