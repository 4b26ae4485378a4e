import { tableDeclaration } from '../datasets/dataset-declarations.js';
import type { TableDeclaration } from '../datasets/declaration.js';
import { SOURCE_TABLES, type SourceTableName } from '../datasets/source-tables.js';

/**
 * The data-quality items of each source table: every column but the system ones (change version,
 * modified_at), with the values that mean "not known" (defaults) and the DQMI default threshold.
 *
 * This is data, not code, declared on each column (`dq` in shared/domain/datasets/<dataset>/
 * <table>.table.ts): the DQMI methodology (shared/nhs/REFERENCE.md §10.1) makes thresholds
 * item-specific; the published example uses 2–3.5 % and 100 % where defaults are legitimate. The
 * declared thresholds follow that range and are this project's choice, not published NHS values.
 */
export interface DqItem {
  readonly table: SourceTableName;
  readonly field: string;
  /** Values meaning "not known / not stated" (exact match). */
  readonly defaults: readonly string[];
  /** Value prefixes meaning "not known" (postcode ZZ99 …). */
  readonly defaultPrefixes: readonly string[];
  /** Share of records allowed to use a default before the item is penalised (0.02 = 2 %; 1 = always fine). */
  readonly defaultThreshold: number;
  /** Whether the item counts towards the dataset's DQMI score (the typical DQMI items, §10.1). */
  readonly inIndex: boolean;
}

/** The DQ items of a declared table: every column but the system ones, in column order. */
export function dqItemsOf(declared: TableDeclaration): readonly DqItem[] {
  const table = declared.table;
  return declared.columns
    .filter((col) => !col.system)
    .map((col) => ({
      table,
      field: col.name,
      defaults: col.dq?.defaults ?? [],
      defaultPrefixes: col.dq?.prefixes ?? [],
      defaultThreshold: col.dq?.threshold ?? 1,
      inIndex: col.dq?.index ?? false,
    }));
}

/** Every table's DQ items, in column order. */
export const DQ_ITEMS: Readonly<Record<SourceTableName, readonly DqItem[]>> = Object.fromEntries(
  (Object.keys(SOURCE_TABLES) as SourceTableName[]).map((t) => [t, dqItemsOf(tableDeclaration(t).table)]),
) as Record<SourceTableName, readonly DqItem[]>;

/** The DQ item of a table's field, or undefined for system columns and unknown fields. */
export function dqItem(table: SourceTableName, field: string): DqItem | undefined {
  return DQ_ITEMS[table].find((i) => i.field === field);
}
