import { DATASET_DECLARATIONS, tableDeclaration } from './dataset-declarations.js';
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

/**
 * The source tables, parents before children (referrals before their contacts): capture order.
 * Written out for its literal type; it must list the declared tables in declaration order.
 */
export const SOURCE_TABLE_NAMES = [
  'sus_apc_spell',
  'sus_apc_episode',
  'prescribing_item',
  'mhsds_referral',
  'mhsds_care_contact',
  'mhsds_cluster_assessment',
  'mhsds_hospital_spell',
  'mhsds_ward_stay',
  'ecds_attendance',
  'csds_referral',
  'csds_care_contact',
  'dids_imaging_test',
] as const;
export type SourceTableName = (typeof SOURCE_TABLE_NAMES)[number];

{
  const declared = DATASET_DECLARATIONS.flatMap((d) => d.tables.map((t) => t.table)).join(', ');
  if (declared !== SOURCE_TABLE_NAMES.join(', '))
    throw new Error(
      `SOURCE_TABLE_NAMES (${SOURCE_TABLE_NAMES.join(', ')}) differ from the declared tables (${declared})`,
    );
}

/**
 * Every source table's SQL spec, derived from its declaration (shared/domain/datasets/<dataset>/),
 * in capture order.
 */
export const SOURCE_TABLES: Readonly<Record<SourceTableName, SourceTableSpec>> = Object.fromEntries(
  SOURCE_TABLE_NAMES.map((name) => [name, sourceTableSpecOf(tableDeclaration(name).table)]),
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
