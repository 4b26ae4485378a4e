import type { FieldRule, RowRule } from './contract-engine.js';
import type {
  ColumnSpec,
  DatasetId,
  IdentifierKind,
  SourceTableName,
  SourceTableSpec,
  SqlType,
} from './source-tables.js';

/**
 * The declaration of a dataset: its source tables, each table's columns with everything known
 * about them (SQL type and size, nullability, key, identifier kind, NHS name, description, field
 * rules with their code lists and reference lookups, data-quality defaults), and its within-row
 * rules. Everything else is derived from it:
 * - the SQL column spec (`SOURCE_TABLES` in source-tables.ts): capture, embedded source, hashing;
 * - the zod wire schema used at boundaries (`wireSchemaOf` in wire-schema.ts);
 * - the row contract run on the hot path (`contractFor` in contracts.ts);
 * - the DQ items (shared/domain/dq/dq-items.ts);
 * - docs/datasets/<dataset>.md (`renderDatasetDoc` in dataset-docs.ts, `npm run docs:datasets`).
 *
 * A new column is one entry in its table's `columns` (and a value in the synthetic row builder).
 * Cross-row (batch) rules stay in shared/domain/validate/rules/<dataset>.rules.ts: they run on the
 * batch engine there, whose builders read the derived spec; the dataset doc lists them beside
 * the fields.
 */

/**
 * The name a field has in the NHS's own publications, as ../shared/nhs/REFERENCE.md gives it:
 * an NHS Data Dictionary data element where the reference names one, else the field name in the
 * national dataset or extract (NCDR SUS, the MHSDS/CSDS tables, the DIDS schema, the EPD file).
 */
export interface NhsFieldName {
  readonly name: string;
  /** Where the name is used: 'NHS DD', 'NCDR SUS', 'MHSDS MHS101', 'DIDS v1 schema', 'EPD', … */
  readonly source: string;
  /** The reference's tag: V verified, P partially verified, K background knowledge (unverified). */
  readonly verified: 'V' | 'P' | 'K';
}

/** How a column counts in the data-quality scorecard (DQMI, REFERENCE.md §10.1). */
export interface DqDeclaration {
  /** Values meaning "not known / not stated" (exact match). */
  readonly defaults?: readonly string[];
  /** Value prefixes meaning "not known" (postcode ZZ99 …). */
  readonly prefixes?: readonly string[];
  /** Share of records allowed to use a default before the item is penalised (0.02 = 2 %); 1 when absent. */
  readonly threshold?: number;
  /** Whether the item counts towards the dataset's DQMI score. */
  readonly index?: boolean;
}

/** One column of a source table: its SQL spec plus what the contract, DQ and docs need. */
export interface ColumnDeclaration extends ColumnSpec {
  /** The NHS name of the field, or null where the reference gives none (shown as unverified). */
  readonly nhsName: NhsFieldName | null;
  /** One line: what the column holds. */
  readonly description: string;
  /**
   * Single-field rules, run in order (the first failure says why). Code lists and reference
   * lookups are rules too (`codeList('sex')`, `knownOrganisation`), so the docs read them here.
   */
  readonly rules: readonly FieldRule[];
  /** Data-quality defaults and DQMI membership; absent for system columns. */
  readonly dq?: DqDeclaration;
  /** Source-system bookkeeping (change version, modified at): not a DQ item. */
  readonly system?: true;
}

/** One source table of a dataset. */
export interface TableDeclaration {
  readonly table: SourceTableName;
  readonly dataset: DatasetId;
  /** One line, in words (the SQL spec's description). */
  readonly description: string;
  /** Business key columns, in key order. */
  readonly key: readonly string[];
  readonly changeVersionColumn: string;
  readonly providerColumn: string;
  readonly activityDateColumn: string;
  readonly columns: readonly ColumnDeclaration[];
  /** Within-row rules (date order, consistency between fields). */
  readonly rowRules: readonly RowRule[];
  /** Paragraphs of Markdown for the dataset doc (grain, list formats, what is not checked here). */
  readonly notes: readonly string[];
}

/** One dataset: its names, rule-id prefix and tables (parents before children). */
export interface DatasetDeclaration {
  readonly dataset: DatasetId;
  /** Title of the dataset doc ('SUS+ APC (admitted patient care)'). */
  readonly title: string;
  /** The dataset in words, in contract messages ('SUS+ APC'). */
  readonly name: string;
  /** Rule-id prefix: SUS, PRESCRIBING, MHSDS, ECDS, CSDS, DIDS. */
  readonly rulePrefix: string;
  /** The docs/datasets file name without '.md' (and the folder under shared/domain/datasets). */
  readonly slug: string;
  readonly tables: readonly TableDeclaration[];
}

// ---------- column builders ----------

/** What a column says besides its name and type. */
export interface ColumnOptions {
  readonly nullable?: boolean;
  readonly identifier?: IdentifierKind;
  readonly nhs?: NhsFieldName;
  readonly rules?: readonly FieldRule[];
  readonly dq?: DqDeclaration;
}

/** An NHS name with its source and verification tag (see {@link NhsFieldName}). */
export const nhsName = (
  name: string,
  source: string,
  verified: NhsFieldName['verified'] = 'V',
): NhsFieldName => ({ name, source, verified });

function build(
  spec: { name: string; type: SqlType; length?: number; precision?: number; scale?: number },
  description: string,
  o: ColumnOptions,
): ColumnDeclaration {
  // Key order matters: the projected ColumnSpec keeps the order the SQL spec always had.
  return {
    ...spec,
    nullable: o.nullable ?? false,
    ...(o.identifier ? { identifier: o.identifier } : {}),
    nhsName: o.nhs ?? null,
    description,
    rules: o.rules ?? [],
    ...(o.dq ? { dq: o.dq } : {}),
  };
}

/** Column builders, one per SQL type: `col.varchar('episode_id', 20, 'words', { … })`. */
export const col = {
  varchar: (name: string, length: number, description: string, o: ColumnOptions = {}) =>
    build({ name, type: 'varchar', length }, description, o),
  char: (name: string, length: number, description: string, o: ColumnOptions = {}) =>
    build({ name, type: 'char', length }, description, o),
  date: (name: string, description: string, o: ColumnOptions = {}) =>
    build({ name, type: 'date' }, description, o),
  datetimeoffset: (name: string, description: string, o: ColumnOptions = {}) =>
    build({ name, type: 'datetimeoffset' }, description, o),
  int: (name: string, description: string, o: ColumnOptions = {}) =>
    build({ name, type: 'int' }, description, o),
  decimal: (name: string, precision: number, scale: number, description: string, o: ColumnOptions = {}) =>
    build({ name, type: 'decimal', precision, scale }, description, o),
  datetime2: (name: string, description: string, o: ColumnOptions = {}) =>
    build({ name, type: 'datetime2' }, description, o),
  bigint: (name: string, description: string, o: ColumnOptions = {}) =>
    build({ name, type: 'bigint' }, description, o),
  /** true / false (SQL bit). */
  bit: (name: string, description: string, o: ColumnOptions = {}) =>
    build({ name, type: 'bit' }, description, o),
};

/** The two source-system columns every table ends with (excluded from DQ; change version from the row hash). */
export const systemColumns: readonly ColumnDeclaration[] = [
  {
    name: 'modified_at',
    type: 'datetime2',
    nullable: false,
    nhsName: null,
    description: 'When the source system last changed the row (UTC)',
    rules: [],
    system: true,
  },
  {
    name: 'change_version',
    type: 'bigint',
    nullable: false,
    nhsName: null,
    description: 'The source change version (SQL Server rowversion), excluded from the row hash',
    rules: [],
    system: true,
  },
];

// ---------- derivations ----------

/** The SQL column spec of a declared column (the exact shape SOURCE_TABLES has always had). */
export function columnSpecOf(c: ColumnDeclaration): ColumnSpec {
  const size =
    c.length !== undefined
      ? { length: c.length }
      : c.precision !== undefined
        ? { precision: c.precision, scale: c.scale ?? 0 }
        : {};
  return {
    name: c.name,
    type: c.type,
    ...size,
    nullable: c.nullable,
    ...(c.identifier ? { identifier: c.identifier } : {}),
  };
}

/** The SQL table spec of a declared table. */
export function sourceTableSpecOf(t: TableDeclaration): SourceTableSpec {
  return {
    table: t.table,
    dataset: t.dataset,
    description: t.description,
    key: t.key,
    changeVersionColumn: t.changeVersionColumn,
    providerColumn: t.providerColumn,
    activityDateColumn: t.activityDateColumn,
    columns: t.columns.map(columnSpecOf),
  };
}

/**
 * Checks a table declaration names only its own columns (key, provider, activity date, change
 * version, row rules) and no column twice; throws naming the first problem.
 */
export function checkTableDeclaration(t: TableDeclaration): void {
  const names = new Set<string>();
  for (const c of t.columns) {
    if (names.has(c.name)) throw new Error(`table ${t.table} declares column '${c.name}' twice`);
    names.add(c.name);
  }
  const named: [string, string][] = [
    ...t.key.map((k): [string, string] => ['key', k]),
    ['change version column', t.changeVersionColumn],
    ['provider column', t.providerColumn],
    ['activity date column', t.activityDateColumn],
    ...t.rowRules.flatMap((r) => r.fields.map((f): [string, string] => [`row rule ${r.rule}`, f])),
  ];
  for (const [what, name] of named)
    if (!names.has(name)) throw new Error(`table ${t.table}: ${what} '${name}' is not a declared column`);
}
