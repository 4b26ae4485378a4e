import type { CodeListName, ReferenceData } from '../reference/reference-data.js';
import {
  compileContract,
  typeRuleSuffixes,
  type ContractOptions,
  type RowContract,
} from './contract-engine.js';
import { tableDeclaration } from './dataset-declarations.js';
import type { ColumnSpec, IdentifierKind, SourceTableName } from './source-tables.js';

export type { ContractFailure, ContractOptions, ContractResult, RowContract } from './contract-engine.js';

const compiled = new WeakMap<ReferenceData, Map<string, RowContract>>();

/**
 * The row-level contract of a source table, compiled from its declaration
 * (shared/domain/datasets/<dataset>/<table>.table.ts).
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
    const declared = tableDeclaration(table);
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

/** SQL type with its size: 'varchar(10)', 'decimal(10,2)', 'date'. */
export function sqlTypeOf(col: ColumnSpec): string {
  if (col.length !== undefined) return `${col.type}(${col.length})`;
  if (col.precision !== undefined) return `${col.type}(${col.precision},${col.scale ?? 0})`;
  return col.type;
}

/** The rule ids and code lists of a table's contract, field by field, in column order. */
export function describeContract(table: SourceTableName): readonly ContractFieldDescription[] {
  const declared = tableDeclaration(table);
  const prefix = declared.dataset.rulePrefix;
  const id = (field: string, suffix: string) => `${prefix}.${field.toUpperCase()}.${suffix}`;
  return declared.table.columns.map((col) => {
    const suffixes = [
      ...typeRuleSuffixes(col),
      ...col.rules.flatMap((r) => r.rules),
      ...declared.table.rowRules.filter((r) => r.field === col.name).map((r) => r.rule),
    ];
    return {
      field: col.name,
      sqlType: sqlTypeOf(col),
      nullable: col.nullable,
      identifier: col.identifier ?? null,
      rules: [...new Set(suffixes)].map((suffix) => id(col.name, suffix)),
      codeLists: col.rules.flatMap((r) => (r.codeList === undefined ? [] : [r.codeList])),
    };
  });
}
