import type { SurrogateReference } from '../gold/gold-tables.js';
import type { PortableType } from '../gold/portable-types.js';
import {
  batchReferenceSql,
  changedMembersTableName,
  recordChangedMembersSql,
  type ChangedMembersSpec,
} from './surrogate-references.js';
import { synapseColumnType, synapseCreateTableSql } from './synapse-ddl.js';
import { deleteWhereChangeSql, joinSql, tombstoneTableName, versionedApplySql } from './version-guard.js';

/**
 * T-SQL for the Synapse dedicated SQL pool: DDL, `COPY INTO` a staging table from the gold
 * Parquet change set, then an idempotent apply (delete keys, insert latest upserts) and a
 * row-count check. Generated here as text (tested as text: Synapse does not run here).
 *
 * Each string a generator returns is one request, sent as it is. The apply of a batch is one
 * request holding `SET XACT_ABORT ON; BEGIN TRANSACTION; …; COMMIT TRANSACTION;`, so all of its
 * statements run on one connection in one transaction and any error rolls all of them back
 * (separate requests could land on different pooled connections).
 *
 * For a table with `version` columns the apply keeps the newer row in any arrival or replay order
 * and keeps delete tombstones (`<table>_tombstones`): see `version-guard.ts`, which DuckDB shares.
 *
 * Synapse guidance applied: Parquet via COPY INTO with managed identity; hash-distributed facts on
 * the key, replicated small dimensions; staging as a ROUND_ROBIN heap (fastest load target).
 */
export interface SynapseTableSpec {
  readonly name: string;
  readonly columns: readonly { name: string; type: PortableType; nullable: boolean; maxLength?: number }[];
  readonly key: readonly string[];
  readonly kind: 'dimension' | 'fact' | 'mart';
  readonly replaceBy?: readonly string[];
  /** Columns saying how new a row is, compared in order (see version-guard.ts). */
  readonly version?: readonly string[];
  /** Surrogate keys resolved against their dimension after each batch (surrogate-references.ts). */
  readonly references?: readonly SurrogateReference[];
}

const ident = (name: string): string => `[${name.replace(/]/g, ']]')}]`;
const literal = (value: string): string => `'${value.replace(/'/g, "''")}'`;

/** The table's CREATE TABLE (typed columns, distribution, partitioning: synapse-ddl.ts). */
export function createTableSql(table: SynapseTableSpec, schema = 'gold'): string {
  return synapseCreateTableSql(table, schema);
}

/**
 * For a versioned table: the version columns added to a table created before they existed (NULL =
 * oldest), and its tombstone table (the replace-group columns, the version and the batch id).
 */
export function versionSupportSql(table: SynapseTableSpec, schema = 'gold'): string[] {
  if (!table.version || table.kind === 'mart') return [];
  const typeOf = (name: string): string => {
    const column = table.columns.find((c) => c.name === name);
    return synapseColumnType(column ?? { type: 'string' });
  };
  const group = table.replaceBy ?? table.key;
  const tombstones = tombstoneTableName(table.name);
  const cols = [...group, ...table.version, 'batch_id'].map(
    (name) => `  ${ident(name)} ${typeOf(name)} ${group.includes(name) ? 'NOT NULL' : 'NULL'}`,
  );
  return [
    ...table.version.map(
      (name) =>
        `IF COL_LENGTH(N'${schema}.${table.name}', N'${name}') IS NULL ALTER TABLE ${ident(schema)}.${ident(table.name)} ADD ${ident(name)} ${typeOf(name)} NULL;`,
    ),
    [
      `IF OBJECT_ID(N'${schema}.${tombstones}') IS NULL`,
      `CREATE TABLE ${ident(schema)}.${ident(tombstones)} (`,
      cols.join(',\n'),
      `) WITH (DISTRIBUTION = HASH(${ident(group[0] ?? 'id')}), CLUSTERED COLUMNSTORE INDEX);`,
    ].join('\n'),
  ];
}

/**
 * The table recording a referenced dimension's changed members per batch (`changedMembersSpecs`,
 * surrogate-references.ts): batch id + member columns, typed as the dimension's.
 */
export function changedMembersSupportSql(
  spec: ChangedMembersSpec,
  dimension: SynapseTableSpec,
  schema = 'gold',
): string {
  const name = changedMembersTableName(spec.dimension);
  const cols = [
    `  [batch_id] ${synapseColumnType({ type: 'string', maxLength: 64 })} NOT NULL`,
    ...spec.members.map((m) => {
      const column = dimension.columns.find((c) => c.name === m);
      return `  ${ident(m)} ${synapseColumnType(column ?? { type: 'string' })} NOT NULL`;
    }),
  ];
  return [
    `IF OBJECT_ID(N'${schema}.${name}') IS NULL`,
    `CREATE TABLE ${ident(schema)}.${ident(name)} (`,
    cols.join(',\n'),
    `) WITH (DISTRIBUTION = HASH(${ident(spec.members.at(-1) ?? 'batch_id')}), HEAP);`,
  ].join('\n');
}

/** How `COPY INTO` treats rows it cannot load. */
export interface CopyRejectOptions {
  /** MAXERRORS (NHSFLOWS_SYNAPSE_COPY_MAX_ERRORS); 0 = the first rejected row fails the COPY. */
  readonly maxErrors?: number;
  /**
   * Folder in the gold container for rejected rows (`lakePaths.goldRejected`), used when
   * `maxErrors` > 0. Synapse documents ERRORFILE for CSV only: for Parquet it may write nothing,
   * so the rejected count is reconciled from row counts, not from these files.
   */
  readonly rejectedPath?: string;
}

/**
 * One transaction as one request: every statement runs on the same connection, and with
 * XACT_ABORT ON a run-time error in any of them rolls back all of them.
 */
export function transactionBatchSql(statements: readonly string[]): string {
  return ['SET XACT_ABORT ON;', 'BEGIN TRANSACTION;', ...statements, 'COMMIT TRANSACTION;'].join('\n');
}

/** `COPY INTO` from gold Parquet files with the managed identity; MAXERRORS and ERRORFILE when rows may be rejected. */
export function copyIntoSql(
  target: string,
  goldUrl: string,
  files: readonly string[],
  reject: CopyRejectOptions = {},
): string {
  const base = goldUrl.replace(/\/+$/, '');
  const fileList = files.map((f) => literal(`${base}/${f}`)).join(',\n  ');
  const maxErrors = Math.max(0, Math.floor(reject.maxErrors ?? 0));
  // AUTO_CREATE_TABLE is left at its default (OFF): the COPY docs say MAXERRORS cannot be used with it.
  const withs = [`FILE_TYPE = 'PARQUET'`, `CREDENTIAL = (IDENTITY = 'Managed Identity')`];
  if (maxErrors > 0) {
    withs.push(`MAXERRORS = ${maxErrors}`);
    if (reject.rejectedPath)
      withs.push(
        `ERRORFILE = ${literal(`${base}/${reject.rejectedPath}`)}`,
        `ERRORFILE_CREDENTIAL = (IDENTITY = 'Managed Identity')`,
      );
  }
  return `COPY INTO ${target}\nFROM ${fileList}\nWITH (${withs.join(', ')});`;
}

/** The requests that load one batch's gold change set into a table, in order (one string = one request). */
export function loadBatchSql(options: {
  table: SynapseTableSpec;
  batchId: string;
  /** Base URL of the gold container, e.g. https://<account>.dfs.core.windows.net/gold */
  goldUrl: string;
  files: readonly string[];
  schema?: string;
  reject?: CopyRejectOptions;
  /** For a referenced versioned dimension: record the members whose versions the apply changes. */
  changedMembers?: ChangedMembersSpec;
}): string[] {
  const schema = options.schema ?? 'gold';
  const { table } = options;
  if (table.kind === 'mart') return replaceMartSql({ ...options, schema });
  const stagingName = `${table.name}_${options.batchId.replace(/[^A-Za-z0-9]/g, '_')}`;
  const staging = `${ident('staging')}.${ident(stagingName)}`;
  const target = `${ident(schema)}.${ident(table.name)}`;
  const stagingCols = [
    ...table.columns.map((c) => `  ${ident(c.name)} ${synapseColumnType(c)} NULL`),
    `  [_op] NVARCHAR(10) NOT NULL`,
    `  [_seq] BIGINT NOT NULL`,
  ];
  const copy = copyIntoSql(staging, options.goldUrl, options.files, options.reject);
  const keyJoin = table.key.map((k) => `t.${ident(k)} = s.${ident(k)}`).join(' AND ');
  const keyCols = table.key.map(ident).join(', ');
  const colList = table.columns.map((c) => ident(c.name)).join(', ');
  if (table.version) {
    // Newer always wins: the latest row per key of the change set (CTAS, the fast path), then the
    // guarded set-based apply in one transaction.
    const latestName = `${stagingName}_latest`;
    const latest = `${ident('staging')}.${ident(latestName)}`;
    const guarded = versionedApplySql({
      dialect: 'tsql',
      target,
      tombstones: `${ident(schema)}.${ident(tombstoneTableName(table.name))}`,
      changes: latest,
      key: table.key,
      replaceBy: table.replaceBy ?? table.key,
      version: table.version,
      columns: table.columns.map((c) => c.name),
      ident,
    });
    return [
      `IF OBJECT_ID(N'staging.${stagingName}') IS NOT NULL DROP TABLE ${staging};`,
      `CREATE TABLE ${staging} (\n${stagingCols.join(',\n')}\n) WITH (DISTRIBUTION = ROUND_ROBIN, HEAP);`,
      copy,
      `IF OBJECT_ID(N'staging.${latestName}') IS NOT NULL DROP TABLE ${latest};`,
      `CREATE TABLE ${latest} WITH (DISTRIBUTION = HASH(${ident(table.key[0] ?? 'id')}), HEAP) AS\nSELECT ${colList}, [_op], [_seq] FROM (\n  SELECT *, ROW_NUMBER() OVER (PARTITION BY ${keyCols} ORDER BY [_seq] DESC) AS [_rn] FROM ${staging}\n) AS l WHERE l.[_rn] = 1;`,
      transactionBatchSql([
        ...(options.changedMembers
          ? [
              recordChangedMembersSql({
                spec: options.changedMembers,
                target,
                changed: `${ident(schema)}.${ident(changedMembersTableName(table.name))}`,
                changes: latest,
                key: table.key,
                batchId: options.batchId,
                ident,
              }),
            ]
          : []),
        ...guarded.apply,
      ]),
      guarded.counts,
      `DROP TABLE ${latest};`,
      `DROP TABLE ${staging};`,
    ];
  }
  return [
    `IF OBJECT_ID(N'staging.${stagingName}') IS NOT NULL DROP TABLE ${staging};`,
    `CREATE TABLE ${staging} (\n${stagingCols.join(',\n')}\n) WITH (DISTRIBUTION = ROUND_ROBIN, HEAP);`,
    copy,
    transactionBatchSql([
      deleteWhereChangeSql(
        { dialect: 'tsql', changes: staging, ident },
        target,
        't',
        table.replaceBy ?? table.key,
        (t) => joinSql(t, 's', table.replaceBy ?? table.key, ident),
      ),
      `INSERT INTO ${target} (${colList})\nSELECT ${colList} FROM (\n  SELECT *, ROW_NUMBER() OVER (PARTITION BY ${keyCols} ORDER BY [_seq] DESC) AS [_rn] FROM ${staging}\n) AS s WHERE s.[_rn] = 1 AND s.[_op] = 'upsert';`,
    ]),
    `SELECT\n  (SELECT COUNT_BIG(*) FROM (SELECT ${keyCols}, [_op], ROW_NUMBER() OVER (PARTITION BY ${keyCols} ORDER BY [_seq] DESC) AS [_rn] FROM ${staging}) AS l WHERE l.[_rn] = 1 AND l.[_op] = 'upsert') AS rows_in_files,\n  (SELECT COUNT_BIG(*) FROM (SELECT ${keyCols}, [_op], ROW_NUMBER() OVER (PARTITION BY ${keyCols} ORDER BY [_seq] DESC) AS [_rn] FROM ${staging}) AS l WHERE l.[_rn] = 1 AND l.[_op] = 'delete') AS deletes_in_files,\n  (SELECT COUNT_BIG(*) FROM ${target} AS t WHERE EXISTS (SELECT 1 FROM ${staging} AS s WHERE ${keyJoin} AND s.[_op] = 'upsert')) AS rows_in_table;`,
    `DROP TABLE ${staging};`,
  ];
}

/** Marts are rebuilt whole: COPY INTO the table itself after emptying it (one transaction is not
 *  possible around COPY INTO, so the mart is briefly empty; readers see the previous or new mart). */
export function replaceMartSql(options: {
  table: SynapseTableSpec;
  goldUrl: string;
  files: readonly string[];
  schema: string;
  reject?: CopyRejectOptions;
}): string[] {
  const target = `${ident(options.schema)}.${ident(options.table.name)}`;
  return [
    `TRUNCATE TABLE ${target};`,
    copyIntoSql(target, options.goldUrl, options.files, options.reject),
    `SELECT COUNT_BIG(*) AS rows_in_files, 0 AS deletes_in_files, COUNT_BIG(*) AS rows_in_table FROM ${target};`,
  ];
}

/**
 * The requests that resolve the surrogate references of `tables` for one batch (ADR 0009; the SQL
 * DuckDB runs too): per dimension its loaded members as a staging table (CTAS), then per fact table
 * its scope with every reference resolved (CTAS), the re-key `UPDATE` (one request, its own
 * transaction) and the check that reads `orphans_<i>` and `mismatched_<i>`; the staging tables are
 * dropped after. Staging tables are named after the batch, so concurrent batches do not collide.
 */
export function resolveReferencesSql(options: {
  tables: readonly SynapseTableSpec[];
  batchId: string;
  schema?: string;
  /** Dimensions whose changed members their apply records (see `loadBatchSql`). */
  changedMembers?: ReadonlySet<string>;
}): {
  members: { create: readonly string[]; drop: string }[];
  facts: {
    table: string;
    references: readonly SurrogateReference[];
    before: readonly string[];
    rekey: string;
    check: string;
    drop: string;
  }[];
  /** After every fact table: the batch's changed members deleted (one transaction request). */
  forget: string[];
} {
  const schema = options.schema ?? 'gold';
  const batch = options.batchId.replace(/[^A-Za-z0-9]/g, '_');
  const sql = batchReferenceSql({
    dialect: 'tsql',
    batchId: options.batchId,
    facts: options.tables.flatMap((t) =>
      (t.references ?? []).length > 0 ? [{ name: t.name, key: t.key, references: t.references ?? [] }] : [],
    ),
    ident,
    table: (name) => `${ident(schema)}.${ident(name)}`,
    scratch: (name) => `${ident('staging')}.${ident(`${name}_${batch}`)}`,
    ...(options.changedMembers ? { changedMembers: options.changedMembers } : {}),
  });
  return {
    members: sql.members.map((m) => ({ create: m.create, drop: m.drop })),
    facts: sql.facts.map((f) => ({
      table: f.table,
      references: f.references,
      before: f.scope.create,
      rekey: transactionBatchSql([f.rekey]),
      check: f.check,
      drop: f.scope.drop,
    })),
    forget: sql.forget.length > 0 ? [transactionBatchSql(sql.forget)] : [],
  };
}
