import type { CodeListName, ReferenceData } from '../reference/reference-data.js';
import {
  compileContract,
  typeRuleSuffixes,
  type ContractOptions,
  type RowContract,
  type TableRules,
} from './contract-engine.js';
import { declaredTable, type DeclaredTable } from './dataset-declarations.js';
import type { TableDeclaration } from './declaration.js';
import { csdsCareContactRules } from './csds/csds-care-contact.contract.js';
import { csdsReferralRules } from './csds/csds-referral.contract.js';
import { didsImagingTestRules } from './dids/dids-imaging-test.contract.js';
import { ecdsAttendanceRules } from './ecds/ecds-attendance.contract.js';
import { mhsdsCareContactRules } from './mhsds/mhsds-care-contact.contract.js';
import { mhsdsClusterAssessmentRules } from './mhsds/mhsds-cluster-assessment.contract.js';
import { mhsdsReferralRules } from './mhsds/mhsds-referral.contract.js';
import { prescribingItemRules } from './prescribing/prescribing-item.contract.js';
import {
  SOURCE_TABLES,
  type ColumnSpec,
  type IdentifierKind,
  type SourceTableName,
} from './source-tables.js';

export type { ContractFailure, ContractOptions, ContractResult, RowContract } from './contract-engine.js';

/** The rules of the tables not yet moved to a declaration, by table name. */
const UNDECLARED_RULES: Readonly<Partial<Record<SourceTableName, TableRules>>> = {
  prescribing_item: prescribingItemRules,
  mhsds_referral: mhsdsReferralRules,
  mhsds_care_contact: mhsdsCareContactRules,
  mhsds_cluster_assessment: mhsdsClusterAssessmentRules,
  ecds_attendance: ecdsAttendanceRules,
  csds_referral: csdsReferralRules,
  csds_care_contact: csdsCareContactRules,
  dids_imaging_test: didsImagingTestRules,
};

/** A table's declaration; an undeclared table's spec and rules are read as one. */
function declarationOf(table: SourceTableName): DeclaredTable {
  const declared = declaredTable(table);
  if (declared) return declared;
  const rules = UNDECLARED_RULES[table];
  if (!rules) throw new Error(`no contract for source table '${String(table)}'`);
  const spec = SOURCE_TABLES[table];
  for (const field of Object.keys(rules.fields))
    if (!spec.columns.some((c) => c.name === field))
      throw new Error(`contract for ${table} has rules for '${field}', which is not a column of the table`);
  const asDeclared: TableDeclaration = {
    ...spec,
    columns: spec.columns.map((c) => ({
      ...c,
      nhsName: null,
      description: '',
      rules: rules.fields[c.name] ?? [],
    })),
    rowRules: rules.rows,
    notes: [],
  };
  return {
    dataset: {
      dataset: spec.dataset,
      title: '',
      name: rules.datasetName,
      rulePrefix: rules.prefix,
      slug: '',
      tables: [],
    },
    table: asDeclared,
  };
}

const compiled = new WeakMap<ReferenceData, Map<string, RowContract>>();

/**
 * The row-level contract of a source table.
 *
 * Guarantees: `check` accepts exactly the rows in SourceRow wire form whose every column has the
 * spec'd type and passes its single-field and within-row rules (formats, NHS value validators,
 * reference code lists effective on the row's activity date, date order, and — when `options.asOf`
 * is given — no date after the extract date). A missing (null) NHS number passes; a present invalid
 * one fails. A rejected row returns every failure, each with a stable rule id
 * `<DATASET>.<FIELD>.<RULE>` and a message naming dataset, field and rule that never contains a
 * row value. Contracts are built once per (table, reference data, asOf) and cached; cross-row rules
 * live in shared/domain/validate.
 */
export function contractFor(
  table: SourceTableName,
  reference: ReferenceData,
  options: ContractOptions = {},
): RowContract {
  let byKey = compiled.get(reference);
  if (!byKey) {
    byKey = new Map();
    compiled.set(reference, byKey);
  }
  const key = `${table}|${options.asOf ?? ''}`;
  let contract = byKey.get(key);
  if (!contract) {
    const declared = declarationOf(table);
    contract = compileContract(declared.dataset, declared.table, reference, options);
    byKey.set(key, contract);
  }
  return contract;
}

/** One field of a contract, described for docs/datasets and drift tests. */
export interface ContractFieldDescription {
  readonly field: string;
  /** SQL type with its size, e.g. 'varchar(10)', 'decimal(10,2)'. */
  readonly sqlType: string;
  readonly nullable: boolean;
  readonly identifier: IdentifierKind | null;
  /** Every rule id a failure on this field can carry, type rules first. */
  readonly rules: readonly string[];
  readonly codeLists: readonly CodeListName[];
}

function sqlTypeOf(col: ColumnSpec): string {
  if (col.length !== undefined) return `${col.type}(${col.length})`;
  if (col.precision !== undefined) return `${col.type}(${col.precision},${col.scale ?? 0})`;
  return col.type;
}

/** The rule ids and code lists of a table's contract, field by field, in column order. */
export function describeContract(table: SourceTableName): readonly ContractFieldDescription[] {
  const declared = declarationOf(table);
  const prefix = declared.dataset.rulePrefix;
  const id = (field: string, suffix: string) => `${prefix}.${field.toUpperCase()}.${suffix}`;
  return declared.table.columns.map((col) => {
    const fieldRules = col.rules;
    const suffixes = [
      ...typeRuleSuffixes(col),
      ...fieldRules.flatMap((r) => r.rules),
      ...declared.table.rowRules.filter((r) => r.field === col.name).map((r) => r.rule),
    ];
    return {
      field: col.name,
      sqlType: sqlTypeOf(col),
      nullable: col.nullable,
      identifier: col.identifier ?? null,
      rules: [...new Set(suffixes)].map((suffix) => id(col.name, suffix)),
      codeLists: fieldRules.flatMap((r) => (r.codeList === undefined ? [] : [r.codeList])),
    };
  });
}
