import type { PortableColumn } from '../gold/portable-types.js';

/**
 * The OMOP Common Data Model v5.4 tables `nhs-flows omop` writes, declared once: their CDM column
 * names, CDM types and required flags (as the OHDSI CDM v5.4 specification lists them), primary
 * keys and the foreign keys the checks resolve. The DDL (infra/omop/omop-cdm-v5.4.sql, `omopDdl`),
 * the Parquet/CSV writers (`omopPortableColumns`) and the checks all derive from this list. Pure.
 *
 * Only the clinical and health-system tables gold can fill are declared; the vocabulary tables
 * (CONCEPT, CONCEPT_RELATIONSHIP, …) come from the user's Athena export, never from us.
 */
export type OmopType = 'integer' | 'date' | 'datetime' | 'float' | 'text' | `varchar(${number})`;

export interface OmopColumn {
  readonly name: string;
  readonly type: OmopType;
  /** NOT NULL in the CDM. */
  readonly required: boolean;
}

export interface OmopForeignKey {
  readonly column: string;
  readonly table: OmopTableName;
}

export interface OmopTable {
  readonly name: OmopTableName;
  readonly description: string;
  readonly primaryKey: string;
  readonly foreignKeys: readonly OmopForeignKey[];
  readonly columns: readonly OmopColumn[];
}

export type OmopTableName =
  | 'person'
  | 'observation_period'
  | 'visit_occurrence'
  | 'visit_detail'
  | 'condition_occurrence'
  | 'procedure_occurrence'
  | 'drug_exposure'
  | 'care_site'
  | 'provider';

const req = (name: string, type: OmopType): OmopColumn => ({ name, type, required: true });
const opt = (name: string, type: OmopType): OmopColumn => ({ name, type, required: false });
const v50 = 'varchar(50)' as const;

const PERSON_FK: OmopForeignKey = { column: 'person_id', table: 'person' };
const VISIT_FK: OmopForeignKey = { column: 'visit_occurrence_id', table: 'visit_occurrence' };
const DETAIL_FK: OmopForeignKey = { column: 'visit_detail_id', table: 'visit_detail' };
const CARE_SITE_FK: OmopForeignKey = { column: 'care_site_id', table: 'care_site' };
const PROVIDER_FK: OmopForeignKey = { column: 'provider_id', table: 'provider' };

export const OMOP_TABLES: readonly OmopTable[] = [
  {
    name: 'care_site',
    description: 'ODS organisations (provider sites and trusts) the activity took place at',
    primaryKey: 'care_site_id',
    foreignKeys: [],
    columns: [
      req('care_site_id', 'integer'),
      opt('care_site_name', 'varchar(255)'),
      opt('place_of_service_concept_id', 'integer'),
      opt('location_id', 'integer'),
      opt('care_site_source_value', v50),
      opt('place_of_service_source_value', v50),
    ],
  },
  {
    name: 'provider',
    description:
      'Clinicians: gold holds none (no consultant or prescriber code), so it is declared and empty',
    primaryKey: 'provider_id',
    foreignKeys: [CARE_SITE_FK],
    columns: [
      req('provider_id', 'integer'),
      opt('provider_name', 'varchar(255)'),
      opt('npi', 'varchar(20)'),
      opt('dea', 'varchar(20)'),
      opt('specialty_concept_id', 'integer'),
      opt('care_site_id', 'integer'),
      opt('year_of_birth', 'integer'),
      opt('gender_concept_id', 'integer'),
      opt('provider_source_value', v50),
      opt('specialty_source_value', v50),
      opt('specialty_source_concept_id', 'integer'),
      opt('gender_source_value', v50),
      opt('gender_source_concept_id', 'integer'),
    ],
  },
  {
    name: 'person',
    description: 'One row per pseudonymised patient (dim_patient member) with an estimated year of birth',
    primaryKey: 'person_id',
    foreignKeys: [CARE_SITE_FK, PROVIDER_FK],
    columns: [
      req('person_id', 'integer'),
      req('gender_concept_id', 'integer'),
      req('year_of_birth', 'integer'),
      opt('month_of_birth', 'integer'),
      opt('day_of_birth', 'integer'),
      opt('birth_datetime', 'datetime'),
      req('race_concept_id', 'integer'),
      req('ethnicity_concept_id', 'integer'),
      opt('location_id', 'integer'),
      opt('provider_id', 'integer'),
      opt('care_site_id', 'integer'),
      opt('person_source_value', v50),
      opt('gender_source_value', v50),
      opt('gender_source_concept_id', 'integer'),
      opt('race_source_value', v50),
      opt('race_source_concept_id', 'integer'),
      opt('ethnicity_source_value', v50),
      opt('ethnicity_source_concept_id', 'integer'),
    ],
  },
  {
    name: 'observation_period',
    description: 'Per person: first to last day of activity seen in gold',
    primaryKey: 'observation_period_id',
    foreignKeys: [PERSON_FK],
    columns: [
      req('observation_period_id', 'integer'),
      req('person_id', 'integer'),
      req('observation_period_start_date', 'date'),
      req('observation_period_end_date', 'date'),
      req('period_type_concept_id', 'integer'),
    ],
  },
  {
    name: 'visit_occurrence',
    description:
      'Hospital spells (inpatient), A&E attendances (emergency room) and community contacts (outpatient)',
    primaryKey: 'visit_occurrence_id',
    foreignKeys: [PERSON_FK, CARE_SITE_FK, PROVIDER_FK],
    columns: [
      req('visit_occurrence_id', 'integer'),
      req('person_id', 'integer'),
      req('visit_concept_id', 'integer'),
      req('visit_start_date', 'date'),
      opt('visit_start_datetime', 'datetime'),
      req('visit_end_date', 'date'),
      opt('visit_end_datetime', 'datetime'),
      req('visit_type_concept_id', 'integer'),
      opt('provider_id', 'integer'),
      opt('care_site_id', 'integer'),
      opt('visit_source_value', v50),
      opt('visit_source_concept_id', 'integer'),
      opt('admitted_from_concept_id', 'integer'),
      opt('admitted_from_source_value', v50),
      opt('discharged_to_concept_id', 'integer'),
      opt('discharged_to_source_value', v50),
      opt('preceding_visit_occurrence_id', 'integer'),
    ],
  },
  {
    name: 'visit_detail',
    description: 'Consultant episodes, each within its hospital spell',
    primaryKey: 'visit_detail_id',
    foreignKeys: [PERSON_FK, VISIT_FK, CARE_SITE_FK, PROVIDER_FK],
    columns: [
      req('visit_detail_id', 'integer'),
      req('person_id', 'integer'),
      req('visit_detail_concept_id', 'integer'),
      req('visit_detail_start_date', 'date'),
      opt('visit_detail_start_datetime', 'datetime'),
      req('visit_detail_end_date', 'date'),
      opt('visit_detail_end_datetime', 'datetime'),
      req('visit_detail_type_concept_id', 'integer'),
      opt('provider_id', 'integer'),
      opt('care_site_id', 'integer'),
      opt('visit_detail_source_value', v50),
      opt('visit_detail_source_concept_id', 'integer'),
      opt('admitted_from_concept_id', 'integer'),
      opt('admitted_from_source_value', v50),
      opt('discharged_to_source_value', v50),
      opt('discharged_to_concept_id', 'integer'),
      opt('preceding_visit_detail_id', 'integer'),
      opt('parent_visit_detail_id', 'integer'),
      req('visit_occurrence_id', 'integer'),
    ],
  },
  {
    name: 'condition_occurrence',
    description: 'ICD-10 primary diagnoses of episodes; SNOMED CT chief complaints of A&E attendances',
    primaryKey: 'condition_occurrence_id',
    foreignKeys: [PERSON_FK, VISIT_FK, DETAIL_FK, PROVIDER_FK],
    columns: [
      req('condition_occurrence_id', 'integer'),
      req('person_id', 'integer'),
      req('condition_concept_id', 'integer'),
      req('condition_start_date', 'date'),
      opt('condition_start_datetime', 'datetime'),
      opt('condition_end_date', 'date'),
      opt('condition_end_datetime', 'datetime'),
      req('condition_type_concept_id', 'integer'),
      opt('condition_status_concept_id', 'integer'),
      opt('stop_reason', 'varchar(20)'),
      opt('provider_id', 'integer'),
      opt('visit_occurrence_id', 'integer'),
      opt('visit_detail_id', 'integer'),
      opt('condition_source_value', v50),
      opt('condition_source_concept_id', 'integer'),
      opt('condition_status_source_value', v50),
    ],
  },
  {
    name: 'procedure_occurrence',
    description: 'OPCS-4 primary procedures of episodes',
    primaryKey: 'procedure_occurrence_id',
    foreignKeys: [PERSON_FK, VISIT_FK, DETAIL_FK, PROVIDER_FK],
    columns: [
      req('procedure_occurrence_id', 'integer'),
      req('person_id', 'integer'),
      req('procedure_concept_id', 'integer'),
      req('procedure_date', 'date'),
      opt('procedure_datetime', 'datetime'),
      opt('procedure_end_date', 'date'),
      opt('procedure_end_datetime', 'datetime'),
      req('procedure_type_concept_id', 'integer'),
      opt('modifier_concept_id', 'integer'),
      opt('quantity', 'integer'),
      opt('provider_id', 'integer'),
      opt('visit_occurrence_id', 'integer'),
      opt('visit_detail_id', 'integer'),
      opt('procedure_source_value', v50),
      opt('procedure_source_concept_id', 'integer'),
      opt('modifier_source_value', v50),
    ],
  },
  {
    name: 'drug_exposure',
    description: 'Dispensed prescription items (BNF presentation code as the source value)',
    primaryKey: 'drug_exposure_id',
    foreignKeys: [PERSON_FK, VISIT_FK, DETAIL_FK, PROVIDER_FK],
    columns: [
      req('drug_exposure_id', 'integer'),
      req('person_id', 'integer'),
      req('drug_concept_id', 'integer'),
      req('drug_exposure_start_date', 'date'),
      opt('drug_exposure_start_datetime', 'datetime'),
      req('drug_exposure_end_date', 'date'),
      opt('drug_exposure_end_datetime', 'datetime'),
      opt('verbatim_end_date', 'date'),
      req('drug_type_concept_id', 'integer'),
      opt('stop_reason', 'varchar(20)'),
      opt('refills', 'integer'),
      opt('quantity', 'float'),
      opt('days_supply', 'integer'),
      opt('sig', 'text'),
      opt('route_concept_id', 'integer'),
      opt('lot_number', v50),
      opt('provider_id', 'integer'),
      opt('visit_occurrence_id', 'integer'),
      opt('visit_detail_id', 'integer'),
      opt('drug_source_value', v50),
      opt('drug_source_concept_id', 'integer'),
      opt('route_source_value', v50),
      opt('dose_unit_source_value', v50),
    ],
  },
];

/** A declared table by name. */
export function omopTable(name: OmopTableName): OmopTable {
  const table = OMOP_TABLES.find((t) => t.name === name);
  if (!table) throw new Error(`omop: no table '${name}'`);
  return table;
}

/** A row of an OMOP table: column name → value (integers, ISO dates, text), null when absent. */
export type OmopRow = Record<string, string | number | null>;

/** Every declared table's rows. */
export type OmopTables = Record<OmopTableName, OmopRow[]>;

/** The portable (Parquet) columns of an OMOP table, derived from its CDM types. */
export function omopPortableColumns(table: OmopTable): PortableColumn[] {
  return table.columns.map((c) => {
    const nullable = !c.required;
    if (c.type === 'integer') return { name: c.name, type: 'bigint', nullable };
    if (c.type === 'date') return { name: c.name, type: 'date', nullable };
    if (c.type === 'datetime') return { name: c.name, type: 'timestamp', nullable };
    if (c.type === 'float') return { name: c.name, type: 'double', nullable };
    const length = /^varchar\((\d+)\)$/.exec(c.type)?.[1];
    return { name: c.name, type: 'string', nullable, ...(length ? { maxLength: Number(length) } : {}) };
  });
}

/**
 * The CDM v5.4 DDL of the declared tables (PostgreSQL / DuckDB dialect, `@cdmDatabaseSchema` left
 * for the reader's schema as the OHDSI DDL scripts do), then the primary and foreign keys.
 * infra/omop/omop-cdm-v5.4.sql is this text; a unit test keeps them equal.
 */
export function omopDdl(): string {
  const sqlType = (t: OmopType): string => (t === 'datetime' ? 'TIMESTAMP' : t.toUpperCase());
  const out: string[] = [
    '-- OMOP CDM v5.4: the tables nhs-flows omop writes (generated from shared/domain/omop/omop-cdm-tables.ts;',
    '-- do not edit by hand: a unit test compares this file with the declaration).',
    '-- Replace @cdmDatabaseSchema with your schema. Vocabulary tables come from your Athena download.',
    '',
  ];
  for (const table of OMOP_TABLES) {
    out.push(`-- ${table.description}`);
    out.push(`CREATE TABLE @cdmDatabaseSchema.${table.name} (`);
    out.push(
      table.columns
        .map((c) => `  ${c.name} ${sqlType(c.type)}${c.required ? ' NOT NULL' : ' NULL'}`)
        .join(',\n'),
    );
    out.push(');', '');
  }
  for (const table of OMOP_TABLES)
    out.push(
      `ALTER TABLE @cdmDatabaseSchema.${table.name} ADD CONSTRAINT xpk_${table.name} PRIMARY KEY (${table.primaryKey});`,
    );
  out.push('');
  for (const table of OMOP_TABLES)
    for (const fk of table.foreignKeys)
      out.push(
        `ALTER TABLE @cdmDatabaseSchema.${table.name} ADD CONSTRAINT fpk_${table.name}_${fk.column} FOREIGN KEY (${fk.column}) REFERENCES @cdmDatabaseSchema.${fk.table} (${omopTable(fk.table).primaryKey});`,
      );
  return `${out.join('\n')}\n`;
}
