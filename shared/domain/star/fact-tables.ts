import { tableDeclaration } from '../datasets/dataset-declarations.js';
import { sourceTable, type SourceTableName } from '../datasets/source-tables.js';
import type { GoldTable, SurrogateReference } from '../gold/gold-tables.js';
import type { PortableColumn, PortableType } from '../gold/portable-types.js';
import { silverColumns } from '../pseudonymise/silver-row.js';

/**
 * The dataset facts of the star schema, one per dataset table at its natural grain (a hospital
 * spell, an episode, a prescription item, a referral, a contact, an attendance, an imaging test),
 * declared once here: a fact names the silver columns it keeps, and their types, lengths and
 * descriptions come from the dataset declarations (shared/domain/datasets/**), never re-typed.
 *
 * Every fact row is built from one silver row (upsert or delete, so silver rows = fact rows per
 * table) and carries the conformed keys: `patient_sk` (the dim_patient version in force on the
 * activity date, ADR 0009), `organisation_sk` (the dim_organisation version of the provider in force
 * on that date), `practice_sk` where the record names a GP practice, `date_key` (dim_date), and the
 * fact's own extra keys (`hrg_sk`, `bnf_code`, `discharge_date_key`). All are restricted (row-level:
 * they carry `patient_sk` and exact dates). ADR 0013.
 */
export interface DatasetFactDeclaration {
  readonly name: string;
  readonly source: SourceTableName;
  /** What one row is. */
  readonly grain: string;
  /** Silver columns kept, in order (after the conformed keys). */
  readonly keep: readonly string[];
  /** The column naming the record's GP practice, when it has one (→ practice_sk). */
  readonly practiceColumn?: string;
  /** Fact-specific derived keys. */
  readonly extraKeys?: readonly ('hrg_sk' | 'bnf' | 'discharge_date_key')[];
}

export const DATASET_FACT_DECLARATIONS: readonly DatasetFactDeclaration[] = [
  {
    name: 'fact_apc_spell',
    source: 'sus_apc_spell',
    grain: 'one row per hospital provider spell (its tariff counted once, on the spell)',
    keep: [
      'site_code',
      'hospital_provider_spell_number',
      'age_band',
      'admission_date',
      'admission_method',
      'admission_source',
      'patient_classification',
      'discharge_date',
      'discharge_method',
      'discharge_destination',
      'length_of_stay_days',
      'spell_hrg',
      'tariff_gbp',
    ],
    extraKeys: ['hrg_sk', 'discharge_date_key'],
  },
  {
    name: 'fact_apc_episode',
    source: 'sus_apc_episode',
    grain: 'one row per consultant episode (no cost: the price is on the spell)',
    keep: [
      'site_code',
      'hospital_provider_spell_number',
      'episode_number',
      'age_band',
      'sex',
      'ethnic_category',
      'lsoa',
      'gp_practice_code',
      'commissioner_code',
      'admission_method',
      'episode_start_date',
      'episode_end_date',
      'main_specialty',
      'treatment_function',
      'primary_diagnosis',
      'secondary_diagnoses',
      'primary_procedure',
      'primary_procedure_date',
      'secondary_procedures',
      'episode_hrg',
    ],
    practiceColumn: 'gp_practice_code',
  },
  {
    name: 'fact_prescribing',
    source: 'prescribing_item',
    grain: 'one row per dispensed prescription item',
    keep: [
      'age_band',
      'sex',
      'lsoa',
      'prescribing_practice_code',
      'dispensing_date',
      'processing_month',
      'bnf_code',
      'bnf_chemical_substance_code',
      'quantity',
      'items',
      'total_quantity',
      'adq_usage',
      'nic_gbp',
      'actual_cost_gbp',
    ],
    practiceColumn: 'prescribing_practice_code',
    extraKeys: ['bnf'],
  },
  {
    name: 'fact_mhsds_referral',
    source: 'mhsds_referral',
    grain: 'one row per referral to a mental health service (latest submission)',
    keep: [
      'uniq_month_id',
      'age_band',
      'sex',
      'ethnic_category',
      'lsoa',
      'gp_practice_code',
      'referral_received_date',
      'source_of_referral',
      'primary_reason_for_referral',
      'service_team_type',
      'service_discharge_date',
      'referral_closure_date',
      'referral_closure_reason',
    ],
    practiceColumn: 'gp_practice_code',
  },
  {
    name: 'fact_mhsds_contact',
    source: 'mhsds_care_contact',
    grain: 'one row per mental health care contact (linked to the person through its referral)',
    keep: [
      'referral_id',
      'uniq_month_id',
      'contact_date',
      'attend_or_dna',
      'consultation_medium',
      'contact_duration_minutes',
    ],
  },
  {
    name: 'fact_ecds_attendance',
    source: 'ecds_attendance',
    grain: 'one row per emergency care attendance',
    keep: [
      'site_code',
      'department_type',
      'attendance_category',
      'age_band',
      'sex',
      'ethnic_category',
      'lsoa',
      'gp_practice_code',
      'commissioner_code',
      'arrival_mode',
      'acuity',
      'chief_complaint',
      'discharge_destination',
      'duration_mins',
      'within_4_hours',
      'over_12_hours',
    ],
    practiceColumn: 'gp_practice_code',
  },
  {
    name: 'fact_csds_contact',
    source: 'csds_care_contact',
    grain: 'one row per community care contact (linked to the person through its referral)',
    keep: [
      'referral_id',
      'contact_date',
      'activity_location_type',
      'attend_or_dna',
      'contact_duration_minutes',
      'consultation_medium',
      'care_activity_type',
    ],
  },
  {
    name: 'fact_dids_test',
    source: 'dids_imaging_test',
    grain: 'one row per diagnostic imaging test',
    keep: [
      'site_code',
      'age_band',
      'sex',
      'lsoa',
      'gp_practice_code',
      'patient_source_setting',
      'request_date',
      'test_date',
      'report_issue_date',
      'nicip_code',
      'snomed_code',
      'modality',
      'derived_modality',
    ],
    practiceColumn: 'gp_practice_code',
  },
];

/** Descriptions of the silver columns that replace identifiers (they have no source declaration). */
const PSEUDONYM_DESCRIPTIONS: Readonly<Record<string, string>> = {
  age_band: 'Age band at the activity date (5-year bands), derived before silver from the date of birth',
  lsoa: 'LSOA of residence, derived before silver from the postcode',
};

/** Widths of those columns: an age band ('85+', '18-24') and an LSOA code (E01000001). */
const PSEUDONYM_WIDTHS: Readonly<Record<string, number>> = { age_band: 10, lsoa: 9 };

const column = (
  name: string,
  type: PortableType,
  nullable: boolean,
  description: string,
  maxLength?: number,
): PortableColumn => ({ name, type, nullable, description, ...(maxLength ? { maxLength } : {}) });

/** A silver column of a source table, with its declared length and description; nullable in gold (tombstones). */
function silverColumn(source: SourceTableName, name: string, nullable: boolean): PortableColumn {
  const silver = silverColumns(source).find((c) => c.name === name);
  if (!silver) throw new Error(`star schema: ${source} has no silver column '${name}'`);
  const declared = tableDeclaration(source).table.columns.find((c) => c.name === name);
  const description = declared?.description ?? PSEUDONYM_DESCRIPTIONS[name];
  if (description === undefined) throw new Error(`star schema: ${source}.${name} has no description`);
  const length =
    declared && (declared.type === 'varchar' || declared.type === 'char')
      ? declared.length
      : PSEUDONYM_WIDTHS[name];
  return column(name, silver.type, nullable, description, length);
}

/** The dim_patient reference every row-level fact holds (ADR 0009). */
export const PATIENT_REFERENCE: SurrogateReference = {
  column: 'patient_sk',
  dimension: 'dim_patient',
  dimensionKey: 'patient_sk',
  member: ['project', 'patient_token'],
  at: 'activity_date',
  validFrom: 'valid_from',
  validTo: 'valid_to',
};

/** The dim_organisation version of the provider in force on the activity date. */
export const ORGANISATION_REFERENCE: SurrogateReference = {
  column: 'organisation_sk',
  dimension: 'dim_organisation',
  dimensionKey: 'organisation_sk',
  member: ['provider_code'],
  dimensionMember: ['organisation_code'],
  at: 'activity_date',
  validFrom: 'valid_from',
  validTo: 'valid_to',
};

/** The dim_practice version of the record's GP practice in force on the activity date. */
export function practiceReference(practiceColumn: string): SurrogateReference {
  return {
    column: 'practice_sk',
    dimension: 'dim_practice',
    dimensionKey: 'practice_sk',
    member: [practiceColumn],
    dimensionMember: ['practice_code'],
    at: 'activity_date',
    validFrom: 'valid_from',
    validTo: 'valid_to',
  };
}

/** Builds a fact's gold declaration from its dataset declaration. */
export function datasetFactTable(fact: DatasetFactDeclaration): GoldTable {
  const spec = sourceTable(fact.source);
  const keyColumns = spec.key.map((k) => silverColumn(fact.source, k, false));
  const provider = silverColumn(fact.source, spec.providerColumn, true);
  const providerIsKept = fact.keep.includes(spec.providerColumn);
  const extra = fact.extraKeys ?? [];
  const columns: PortableColumn[] = [
    ...keyColumns,
    column('project', 'string', false, 'Client project the row belongs to (its pseudonym domain)', 40),
    column(
      'patient_sk',
      'string',
      true,
      'dim_patient version of the patient in force on the activity date (ADR 0009)',
      64,
    ),
    column('patient_token', 'string', true, 'Project pseudonym of the patient (the dim_patient member)', 64),
    column('person_id', 'string', true, 'Linked person across the project’s datasets (docs/linkage.md)', 64),
    column(
      'link_quality',
      'string',
      true,
      'How the record was linked to person_id: deterministic, probabilistic-0.95, probabilistic-0.80 or unlinked (docs/linkage.md)',
      20,
    ),
    column('activity_date', 'date', true, `Activity date (${spec.activityDateColumn})`),
    column('date_key', 'int', true, 'dim_date key of the activity date (YYYYMMDD)'),
    column('period', 'string', true, 'Reporting month of the activity date (YYYY-MM): the partition', 7),
    ...(providerIsKept ? [] : [provider]),
    column(
      'organisation_sk',
      'string',
      true,
      'dim_organisation version of the provider in force on the activity date',
      40,
    ),
    ...(fact.practiceColumn
      ? [
          column(
            'practice_sk',
            'string',
            true,
            'dim_practice version of the GP practice in force on the activity date',
            40,
          ),
        ]
      : []),
    ...(extra.includes('discharge_date_key')
      ? [column('discharge_date_key', 'int', true, 'dim_date key of the discharge date (YYYYMMDD)')]
      : []),
    ...(extra.includes('hrg_sk')
      ? [
          column(
            'hrg_sk',
            'string',
            true,
            'dim_hrg key: the spell HRG and the financial year of admission',
            20,
          ),
        ]
      : []),
    ...fact.keep.map((name) => silverColumn(fact.source, name, true)),
    column(
      'source_captured_at',
      'timestamp',
      true,
      'Capture time of the source record this row was built from',
    ),
    column('event_id', 'string', false, 'Deterministic id of the change event', 64),
    column('batch_id', 'string', false, 'Load batch', 64),
    column('loaded_at', 'timestamp', false, 'When the batch built the row'),
  ];
  const references = [
    PATIENT_REFERENCE,
    { ...ORGANISATION_REFERENCE, member: [spec.providerColumn] },
    ...(fact.practiceColumn ? [practiceReference(fact.practiceColumn)] : []),
  ];
  return {
    name: fact.name,
    kind: 'fact',
    key: spec.key,
    version: ['source_captured_at'],
    access: 'restricted',
    references,
    description: `${tableDeclaration(fact.source).dataset.name}: ${fact.grain}, keyed to the patient, organisation${fact.practiceColumn ? ', practice' : ''} and date`,
    columns,
  };
}

/** The dataset facts' gold declarations, in declaration order. */
export const DATASET_FACT_TABLES: readonly GoldTable[] = DATASET_FACT_DECLARATIONS.map(datasetFactTable);

/** The fact declaration built from a source table, if any. */
export function datasetFactFor(source: SourceTableName): DatasetFactDeclaration | undefined {
  return DATASET_FACT_DECLARATIONS.find((f) => f.source === source);
}
