import { DIM_PATIENT, type GoldTable } from '../gold/gold-tables.js';
import { DATASET_FACT_TABLES } from './fact-tables.js';
import { DIM_BNF, DIM_DATE, DIM_HRG, REFERENCE_DIMENSIONS } from './reference-dimensions.js';

/**
 * The star schema as analysts see it (Power BI model, docs/outputs.md): its tables, every
 * fact → dimension relationship and the key measures. Derived from the gold declarations: a
 * relationship is a fact's surrogate reference (patient, organisation, practice) or one of the
 * conformed keys below, for every fact holding that column. Pure.
 */

/** The tables of the star: the dimensions, then the dataset facts. */
export const STAR_TABLES: readonly GoldTable[] = [
  ...REFERENCE_DIMENSIONS,
  DIM_PATIENT,
  ...DATASET_FACT_TABLES,
];

export interface StarRelationship {
  readonly fact: string;
  readonly column: string;
  readonly dimension: string;
  readonly dimensionColumn: string;
  /** Power BI allows one active path between two tables: a second date role is inactive (USERELATIONSHIP). */
  readonly active: boolean;
}

/** Conformed keys that are not surrogate references: the fact column names the dimension's key. */
const CONFORMED_KEYS: readonly Omit<StarRelationship, 'fact'>[] = [
  { column: 'date_key', dimension: DIM_DATE.name, dimensionColumn: 'date_key', active: true },
  { column: 'discharge_date_key', dimension: DIM_DATE.name, dimensionColumn: 'date_key', active: false },
  { column: 'hrg_sk', dimension: DIM_HRG.name, dimensionColumn: 'hrg_sk', active: true },
  { column: 'bnf_code', dimension: DIM_BNF.name, dimensionColumn: 'bnf_code', active: true },
];

/** Every fact → dimension relationship of the star, in fact order. */
export function starRelationships(facts: readonly GoldTable[] = DATASET_FACT_TABLES): StarRelationship[] {
  const out: StarRelationship[] = [];
  for (const fact of facts) {
    for (const r of fact.references ?? [])
      out.push({
        fact: fact.name,
        column: r.column,
        dimension: r.dimension,
        dimensionColumn: r.dimensionKey,
        active: true,
      });
    for (const k of CONFORMED_KEYS)
      if (fact.columns.some((c) => c.name === k.column)) out.push({ fact: fact.name, ...k });
  }
  return out;
}

export interface StarMeasure {
  readonly table: string;
  readonly name: string;
  /** DAX. */
  readonly expression: string;
  readonly formatString: string;
  readonly description: string;
}

/** The key measures of the model (DAX over the star's columns). */
export const STAR_MEASURES: readonly StarMeasure[] = [
  {
    table: 'fact_apc_spell',
    name: 'Spells',
    expression: "COUNTROWS('fact_apc_spell')",
    formatString: '#,0',
    description: 'Hospital provider spells',
  },
  {
    table: 'fact_apc_spell',
    name: 'Spell cost',
    expression: "SUM('fact_apc_spell'[tariff_gbp])",
    formatString: '#,0.00',
    description: 'Tariff of the spells, each counted once (never summed over episodes)',
  },
  {
    table: 'fact_apc_spell',
    name: 'Average length of stay',
    expression: "AVERAGE('fact_apc_spell'[length_of_stay_days])",
    formatString: '#,0.0',
    description: 'Mean length of stay in days of the discharged spells',
  },
  {
    table: 'fact_apc_episode',
    name: 'Episodes',
    expression: "COUNTROWS('fact_apc_episode')",
    formatString: '#,0',
    description: 'Consultant episodes',
  },
  {
    table: 'fact_prescribing',
    name: 'Prescription items',
    expression: "SUM('fact_prescribing'[items])",
    formatString: '#,0',
    description: 'Items dispensed',
  },
  {
    table: 'fact_prescribing',
    name: 'Prescribing NIC',
    expression: "SUM('fact_prescribing'[nic_gbp])",
    formatString: '#,0.00',
    description: 'Net ingredient cost of the items dispensed',
  },
  {
    table: 'fact_ecds_attendance',
    name: 'Attendances',
    expression: "COUNTROWS('fact_ecds_attendance')",
    formatString: '#,0',
    description: 'Emergency care attendances',
  },
  {
    table: 'fact_ecds_attendance',
    name: 'Attendances within 4 hours %',
    expression:
      "DIVIDE(CALCULATE(COUNTROWS('fact_ecds_attendance'), 'fact_ecds_attendance'[within_4_hours] = TRUE()), COUNTROWS('fact_ecds_attendance'))",
    formatString: '0.0%',
    description: 'Share of attendances that ended within 4 hours of arrival',
  },
  {
    table: 'fact_mhsds_referral',
    name: 'MH referrals',
    expression: "COUNTROWS('fact_mhsds_referral')",
    formatString: '#,0',
    description: 'Referrals to mental health services',
  },
  {
    table: 'fact_mhsds_contact',
    name: 'MH contacts',
    expression: "COUNTROWS('fact_mhsds_contact')",
    formatString: '#,0',
    description: 'Mental health care contacts',
  },
  {
    table: 'fact_csds_contact',
    name: 'Community contacts',
    expression: "COUNTROWS('fact_csds_contact')",
    formatString: '#,0',
    description: 'Community care contacts',
  },
  {
    table: 'fact_dids_test',
    name: 'Imaging tests',
    expression: "COUNTROWS('fact_dids_test')",
    formatString: '#,0',
    description: 'Diagnostic imaging tests',
  },
];
