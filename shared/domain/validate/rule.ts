import { DATASET_DECLARATIONS } from '../datasets/dataset-declarations.js';
import type { DatasetId, SourceRow, SourceTableName } from '../datasets/source-tables.js';
import type { ReferenceData } from '../reference/reference-data.js';
import type { ContentIndex } from './content-index.js';
import type { ReferralIndex } from './referral-index.js';

/**
 * Validation rules are data: an id, the dataset and tables they apply to, the fields they judge, a
 * severity and a message in words. A small generic engine (validate-batch.ts) runs them.
 *
 * Contract:
 * - `id` is stable (`SUS.EPISODE_OUTSIDE_SPELL`; contract rules `SUS.DISCHARGE_DATE.BEFORE_ADMISSION`) and appears in quarantine records, the DQ
 *   scorecard and docs/validation-rules.md; renaming one is a breaking change;
 * - `message` is words only and never carries a row value (values may identify a patient);
 * - `reject` quarantines the row; `warn` accepts it and reports the failure.
 */
export type Severity = 'reject' | 'warn';

/** Dataset prefixes of rule ids: the row contracts' (`SUS.NHS_NUMBER.CHECK_DIGIT`), read from the dataset declarations. */
export const RULE_PREFIX: Readonly<Record<DatasetId, string>> = Object.fromEntries(
  DATASET_DECLARATIONS.map((d) => [d.dataset, d.rulePrefix]),
) as Record<DatasetId, string>;

/** What every rule (and the contract failures wrapped as rules) says about itself. */
export interface RuleMeta {
  readonly id: string;
  readonly dataset: DatasetId;
  readonly tables: readonly SourceTableName[];
  /** The fields the rule judges; a failure names one of them. */
  readonly fields: readonly string[];
  readonly severity: Severity;
  /** Words, never values. */
  readonly message: string;
  /** Why the severity is what it is, when the choice is not obvious (shown in the docs). */
  readonly rationale?: string;
}

/** Everything a rule may read besides the row. */
export interface RuleContext {
  /** The extract (or file) date 'YYYY-MM-DD': activity after it is in the future. */
  readonly extractDate: string;
  readonly reference: ReferenceData;
  /** Referrals known outside this batch (earlier batches, the warehouse). */
  readonly referralIndex: ReferralIndex;
  /** Content already delivered (across chunks and batches); without it duplicates are found per batch. */
  readonly contentIndex?: ContentIndex;
  /** Relative tolerance when comparing a spell's tariff with the reference price (0.01 = 1 %). */
  readonly tariffTolerance: number;
}

/** A rule judged on one row alone. */
export interface RowRule extends RuleMeta {
  readonly scope: 'row';
  /** The failing field (one of `fields`), or undefined when the row passes. */
  readonly check: (row: SourceRow, ctx: RuleContext) => string | undefined;
}

/**
 * A rule judged across the rows of a batch (duplicates, orphans, spell consistency).
 * `start` is called once per batch; the run keeps whatever state the rule needs across chunks.
 */
export interface BatchRule extends RuleMeta {
  readonly scope: 'batch';
  readonly start: (table: SourceTableName, ctx: RuleContext) => BatchRuleRun;
}

export interface BatchRuleRun {
  /** Sees every row of a chunk before any row of it is judged; may do batched lookups. */
  observe(rows: readonly SourceRow[]): Promise<void> | void;
  /** Judges one row (in batch order): the failing field, or undefined. */
  judge(row: SourceRow): string | undefined;
}

/**
 * A row-contract rule whose severity this catalogue sets (contract failures are rejects unless
 * declared here). `id` is the contract's rule id (`ECDS.DISCHARGE_DESTINATION.MISSING`).
 */
export interface ContractRuleOverride extends RuleMeta {
  readonly scope: 'contract';
}

export type Rule = RowRule | BatchRule | ContractRuleOverride;

/**
 * One failure of one row: the quarantine record. It names the row by its number in the batch and
 * its business key (an episode/attendance/item id, never a patient identifier) and carries no value.
 */
export interface RuleFailure {
  readonly dataset: DatasetId;
  readonly table: SourceTableName;
  readonly batchId: string;
  /** 1-based position of the row in the batch (or file). */
  readonly row: number;
  /** The business key (key columns joined with '|'); never an NHS number or local patient id. */
  readonly recordKey: string;
  readonly field: string;
  readonly rule: string;
  readonly severity: Severity;
  readonly message: string;
  /** 'contract' for a row-contract failure (the field's value is invalid), 'rule' otherwise. */
  readonly origin: 'contract' | 'rule';
}

/** The message a failure carries: names dataset, table and field, then the rule's words. */
export function failureMessage(dataset: DatasetId, table: string, field: string, words: string): string {
  return `${dataset} ${table}.${field}: ${words}`;
}
