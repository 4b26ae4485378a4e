import type { DatasetDeclaration, TableDeclaration } from './declaration.js';
import { checkTableDeclaration } from './declaration.js';
import type { DatasetId, SourceTableName } from './source-tables.js';
import { csds } from './csds/csds.dataset.js';
import { dids } from './dids/dids.dataset.js';
import { ecds } from './ecds/ecds.dataset.js';
import { mhsds } from './mhsds/mhsds.dataset.js';
import { prescribing } from './prescribing/prescribing.dataset.js';
import { susApc } from './sus-apc/sus-apc.dataset.js';

/**
 * Every declared dataset, in capture order. The SQL spec, wire schemas, row contracts, DQ items
 * and docs/datasets are all derived from these (see declaration.ts).
 */
export const DATASET_DECLARATIONS: readonly DatasetDeclaration[] = [
  susApc,
  prescribing,
  mhsds,
  ecds,
  csds,
  dids,
];

/** A declared table with the dataset it belongs to. */
export interface DeclaredTable {
  readonly dataset: DatasetDeclaration;
  readonly table: TableDeclaration;
}

const byTable = new Map<string, DeclaredTable>();
for (const dataset of DATASET_DECLARATIONS)
  for (const table of dataset.tables) {
    if (table.dataset !== dataset.dataset)
      throw new Error(
        `table ${table.table} says dataset ${table.dataset} but is declared in ${dataset.dataset}`,
      );
    if (byTable.has(table.table)) throw new Error(`table ${table.table} is declared twice`);
    checkTableDeclaration(table);
    byTable.set(table.table, { dataset, table });
  }

/** The declaration of a table, or undefined for a name that is not a declared table. */
export function declaredTable(table: SourceTableName): DeclaredTable | undefined {
  return byTable.get(table);
}

/** The declaration of a table; throws naming the table when it has none. */
export function tableDeclaration(table: SourceTableName): DeclaredTable {
  const declared = byTable.get(table);
  if (!declared) throw new Error(`source table '${String(table)}' has no declaration`);
  return declared;
}

/** The declaration of a dataset, or undefined. */
export function declaredDataset(dataset: DatasetId): DatasetDeclaration | undefined {
  return DATASET_DECLARATIONS.find((d) => d.dataset === dataset);
}
