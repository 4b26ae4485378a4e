import type { DatasetId, SourceTableName } from '../../datasets/source-tables.js';
import type { Rule } from '../rule.js';
import { CSDS_RULES } from '../../datasets/csds/csds.batch-rules.js';
import { DIDS_RULES } from '../../datasets/dids/dids.batch-rules.js';
import { ECDS_RULES } from '../../datasets/ecds/ecds.batch-rules.js';
import { MHSDS_RULES } from '../../datasets/mhsds/mhsds.batch-rules.js';
import { PRESCRIBING_RULES } from '../../datasets/prescribing/prescribing.batch-rules.js';
import { SUS_APC_RULES } from '../../datasets/sus-apc/sus-apc.batch-rules.js';

/**
 * Every assurance (cross-row) rule, by dataset: each dataset's folder declares them beside its tables
 * (`shared/domain/datasets/<dataset>/<dataset>.batch-rules.ts`). Ids are unique.
 */
export const RULES_BY_DATASET: Readonly<Record<DatasetId, readonly Rule[]>> = {
  sus_apc: SUS_APC_RULES,
  prescribing: PRESCRIBING_RULES,
  mhsds: MHSDS_RULES,
  ecds: ECDS_RULES,
  csds: CSDS_RULES,
  dids: DIDS_RULES,
};

/** Every rule of every dataset, in declaration order. */
export const ALL_RULES: readonly Rule[] = Object.values(RULES_BY_DATASET).flat();

{
  const ids = new Set<string>();
  for (const rule of ALL_RULES) {
    if (ids.has(rule.id)) throw new Error(`validation rule id '${rule.id}' is declared twice`);
    ids.add(rule.id);
  }
}

/** The rules that apply to one table. */
export function rulesFor(table: SourceTableName): readonly Rule[] {
  return ALL_RULES.filter((rule) => rule.tables.includes(table));
}
