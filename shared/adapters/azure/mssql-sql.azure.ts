import type { KeyRange, KeyValues } from '../../application/ports/change-source.port.js';
import type { CanonicalType, HashColumn, RowHashLayout } from '../../domain/capture/row-hash.js';

/**
 * The T-SQL the SQL Server change source sends, as pure functions of the request (tested as text in
 * tests/unit/capture/mssql-sql.test.ts; executed only by the opt-in live suite).
 *
 * The canonical row hash of docs/row-hash-spec.md is written in T-SQL below. Where SQL Server cannot
 * match it exactly, docs/capture.md § SQL Server says so; any mismatch only makes ranges and rows
 * look changed (they are fetched and re-hashed in TypeScript), it never produces a wrong delta.
 */

/** A column as `sys.columns` describes it. */
export interface MssqlColumn {
  /** The declared column name: what rows, keys and hashes use (the projection's alias). */
  readonly name: string;
  /** The column's name in the source when it differs (NHSFLOWS_SOURCE_MSSQL_TABLE_MAP); every reference uses it. */
  readonly sourceName?: string;
  /** `sys.types.name`: varchar, nvarchar, char, nchar, int, bigint, decimal, numeric, date, datetime2, datetime, datetimeoffset, bit, binary, varbinary, timestamp, … */
  readonly nativeType: string;
  readonly maxLength: number;
  readonly precision: number;
  readonly scale: number;
  readonly nullable: boolean;
  /** `sys.columns.collation_name` (text columns; null or absent otherwise). */
  readonly collation?: string | null;
  /**
   * A declared source feed's key prefix (source-feeds.ts): the value read is the prefix and the
   * column's value; key predicates still compare the bare column (its index), with the prefix
   * taken off their parameters, which keeps the order: a constant prefix does not reorder keys.
   */
  readonly valuePrefix?: string;
  /** A source feed's value recodes of a text column: exact text → declared text, others unchanged. */
  readonly recode?: ReadonlyMap<string, string>;
}

/** A parameter of a generated statement. */
export interface TsqlParam {
  readonly name: string;
  readonly type: 'varchar' | 'nvarchar' | 'bigint' | 'int' | 'date' | 'datetime2';
  readonly value: string | number | null;
}

export interface TsqlStatement {
  readonly text: string;
  readonly params: readonly TsqlParam[];
}

/**
 * Binary collation: comparisons by code point. Used inside the canonical row text (REPLACE must be
 * case- and accent-sensitive) and named in docs as the collation text key columns must have.
 */
export const KEY_COLLATION = 'Latin1_General_100_BIN2';

/**
 * True when a text column's collation orders and compares by code point (a `_BIN2` collation), as
 * the capture state orders keys. Key predicates compare the column as it is, so the key index is
 * usable for seeks; that is only the state's order when the column's own collation is BIN2.
 */
export function isBinaryKeyCollation(collation: string | null | undefined): boolean {
  return typeof collation === 'string' && /_BIN2(_|$)/i.test(collation);
}

/** Text key columns whose collation is not BIN2 (the change source refuses to page over them). */
export function nonBinaryKeyColumns(keyColumns: readonly MssqlColumn[]): MssqlColumn[] {
  return keyColumns.filter((c) => isText(c) && !isBinaryKeyCollation(c.collation));
}
/** UTF-8 collation used to turn the canonical nvarchar text into UTF-8 bytes for HASHBYTES (SQL Server 2019+). */
export const UTF8_COLLATION = 'Latin1_General_100_BIN2_UTF8';

export function bracket(name: string): string {
  return `[${name.replace(/]/g, ']]')}]`;
}

export function qualified(schema: string, table: string): string {
  return `${bracket(schema)}.${bracket(table)}`;
}

/** A reference to a column in the source (its source name), optionally table-qualified. */
function columnRef(col: MssqlColumn, alias = ''): string {
  return `${alias}${bracket(col.sourceName ?? col.name)}`;
}

/** A T-SQL Unicode string literal. */
function nLiteral(text: string): string {
  return `N'${text.replaceAll("'", "''")}'`;
}

/**
 * The column's value as the declaration sees it: with a source feed's key prefix put before it and
 * its recodes applied (`CASE … WHEN N'<source>' THEN N'<declared>' … ELSE <column> END`); the bare
 * column otherwise. Used for projections and row hashes, never for key predicates.
 */
function valueRef(col: MssqlColumn, alias = ''): string {
  const c = columnRef(col, alias);
  if (col.valuePrefix) return `(${nLiteral(col.valuePrefix)} + ${c})`;
  if (col.recode && col.recode.size > 0)
    return `CASE ${c} ${[...col.recode]
      .map(([from, to]) => `WHEN ${nLiteral(from)} THEN ${nLiteral(to)}`)
      .join(' ')} ELSE ${c} END`;
  return c;
}

/** A key value as the source column holds it: the feed's key prefix taken off. */
function sourceKeyValue(col: MssqlColumn, value: string | null): string | null {
  return col.valuePrefix && value !== null && value.startsWith(col.valuePrefix)
    ? value.slice(col.valuePrefix.length)
    : value;
}

const textTypes = new Set(['varchar', 'nvarchar', 'char', 'nchar']);
const intTypes = new Set(['int', 'bigint', 'smallint', 'tinyint']);

function isText(col: MssqlColumn): boolean {
  return textTypes.has(col.nativeType);
}

/** The portable SQL type of a SQL Server column (schema introspection). */
export function portableType(col: MssqlColumn): CanonicalType | 'unknown' {
  switch (col.nativeType) {
    case 'varchar':
    case 'nvarchar':
      return 'varchar';
    case 'char':
    case 'nchar':
      return 'char';
    case 'int':
    case 'smallint':
    case 'tinyint':
      return 'int';
    case 'bigint':
    case 'timestamp': // rowversion: read as bigint everywhere
      return 'bigint';
    case 'decimal':
    case 'numeric':
      return 'decimal';
    case 'date':
      return 'date';
    case 'datetime2':
    case 'datetime':
    case 'smalldatetime':
      return 'datetime2';
    case 'datetimeoffset':
      return 'datetimeoffset';
    case 'bit':
      return 'bit';
    case 'binary':
    case 'varbinary':
      return 'binary';
    default:
      return 'unknown';
  }
}

/** `yyyy-mm-ddThh:mi:ss.fff` of a datetime2 expression: style 121 gives seven digits; LEFT truncates to ms. */
function isoMillis(expr: string): string {
  return `STUFF(LEFT(CONVERT(varchar(27), CAST(${expr} AS datetime2(7)), 121), 23), 11, 1, 'T')`;
}

/** The wire-form (`SourceRow`) projection of a column; drivers would lose decimals and offsets otherwise. */
export function wireProjection(col: MssqlColumn, alias = ''): string {
  const c = valueRef(col, alias);
  const as = ` AS ${bracket(col.name)}`;
  switch (col.nativeType) {
    case 'decimal':
    case 'numeric':
    case 'bigint':
      return `CONVERT(varchar(50), ${c})${as}`;
    case 'timestamp':
      return `CONVERT(varchar(20), CAST(${c} AS bigint))${as}`;
    case 'date':
      return `CONVERT(char(10), ${c}, 23)${as}`;
    case 'datetime2':
    case 'datetime':
    case 'smalldatetime':
      return `${isoMillis(c)} + 'Z'${as}`;
    case 'datetimeoffset':
      return `${isoMillis(c)} + DATENAME(TZOFFSET, ${c})${as}`;
    case 'binary':
    case 'varbinary':
      return `LOWER(CONVERT(varchar(max), ${c}, 2))${as}`;
    default:
      return `${c}${as}`;
  }
}

/** T-SQL for the canonical text of a column (docs/row-hash-spec.md § 3), NULL when NULL, as nvarchar. */
export function canonicalExpression(hashType: CanonicalType, col: MssqlColumn, alias = ''): string {
  const c = valueRef(col, alias);
  switch (hashType) {
    case 'varchar':
    case 'char':
      return `CAST(${c} AS nvarchar(max))`;
    case 'int':
    case 'bigint':
      return col.nativeType === 'timestamp'
        ? `CONVERT(nvarchar(20), CAST(${c} AS bigint))`
        : `CONVERT(nvarchar(40), ${c})`;
    case 'decimal': {
      if (intTypes.has(col.nativeType) || col.scale === 0) return `CONVERT(nvarchar(40), ${c})`;
      // Trailing zeros → spaces → RTRIM → zeros again strips them; then a trailing point goes.
      const stripped = `REPLACE(RTRIM(REPLACE(CONVERT(nvarchar(50), ${c}), N'0', N' ')), N' ', N'0')`;
      const noPoint = `CASE WHEN RIGHT(${stripped}, 1) = N'.' THEN LEFT(${stripped}, LEN(${stripped}) - 1) ELSE ${stripped} END`;
      return `CASE WHEN ${c} IS NULL THEN NULL WHEN ${c} = 0 THEN N'0' ELSE ${noPoint} END`;
    }
    case 'date':
      return `CONVERT(nchar(10), ${c}, 23)`;
    case 'datetime2':
      return col.nativeType === 'datetimeoffset'
        ? `CAST(${isoMillis(`SWITCHOFFSET(${c}, '+00:00')`)} + 'Z' AS nvarchar(30))`
        : `CAST(${isoMillis(c)} + 'Z' AS nvarchar(30))`;
    case 'datetimeoffset':
      return col.nativeType === 'datetimeoffset'
        ? `CAST(${isoMillis(`SWITCHOFFSET(${c}, '+00:00')`)} + 'Z' AS nvarchar(30))`
        : `CAST(${isoMillis(c)} + 'Z' AS nvarchar(30))`;
    case 'bit':
      return `CONVERT(nchar(1), ${c})`;
    case 'binary':
      return `LOWER(CONVERT(nvarchar(max), ${c}, 2))`;
  }
}

function columnOf(columns: ReadonlyMap<string, MssqlColumn>, name: string): MssqlColumn {
  const col = columns.get(name);
  if (!col) throw new Error(`mssql change source: column '${name}' is not in the source table`);
  return col;
}

/** The canonical row text (nvarchar) of a layout: escaped fields joined by '|', NULL as `\N`. */
export function canonicalRowSql(
  hashColumns: readonly HashColumn[],
  columns: ReadonlyMap<string, MssqlColumn>,
  alias = '',
): string {
  if (hashColumns.length === 0) return `CAST(N'' AS nvarchar(max))`;
  return hashColumns
    .map((hc) => {
      const expr = canonicalExpression(hc.type, columnOf(columns, hc.name), alias);
      const escaped =
        hc.type === 'varchar' || hc.type === 'char'
          ? `REPLACE(REPLACE(${expr} COLLATE ${KEY_COLLATION}, N'\\', N'\\\\'), N'|', N'\\|')`
          : expr;
      return `COALESCE(${escaped}, N'\\N')`;
    })
    .map((field, i) => (i === 0 ? `CAST(${field} AS nvarchar(max))` : field))
    .join(` + N'|' + `);
}

/** `HASHBYTES('SHA2_256', <UTF-8 bytes of the canonical text>)` (binary(32)). */
export function rowHashBytesSql(
  layout: Pick<RowHashLayout, 'hashColumns'>,
  columns: ReadonlyMap<string, MssqlColumn>,
  alias = '',
): string {
  return `HASHBYTES('SHA2_256', CAST((${canonicalRowSql(layout.hashColumns, columns, alias)}) COLLATE ${UTF8_COLLATION} AS varchar(max)))`;
}

/** Builds statements with numbered parameters. */
class Params {
  readonly list: TsqlParam[] = [];
  add(type: TsqlParam['type'], value: TsqlParam['value']): string {
    const name = `p${this.list.length}`;
    this.list.push({ name, type, value });
    return `@${name}`;
  }
}

function keyParamType(col: MssqlColumn): TsqlParam['type'] {
  if (intTypes.has(col.nativeType)) return 'bigint';
  if (col.nativeType === 'nvarchar' || col.nativeType === 'nchar') return 'nvarchar';
  if (col.nativeType === 'date') return 'date';
  return 'varchar';
}

/**
 * A key column in a predicate or ORDER BY: the column as it is, never wrapped in COLLATE (a COLLATE
 * on the column side stops SQL Server seeking the key index). Text keys must have a BIN2 collation
 * (`nonBinaryKeyColumns`), so this is the state's byte order.
 */
function keyRef(col: MssqlColumn, alias = ''): string {
  return columnRef(col, alias);
}

/** Lexicographic comparison of a (composite) key with parameters, expanded column by column. */
function keyComparison(
  keyColumns: readonly MssqlColumn[],
  op: '>' | '>=' | '<',
  bound: KeyValues,
  params: Params,
  alias = '',
): string {
  const values = keyColumns.map((col, i) =>
    params.add(keyParamType(col), sourceKeyValue(col, bound[i] ?? null)),
  );
  const strict = op === '>=' ? '>' : op;
  const parts = keyColumns.map((col, i) => {
    const eqs = keyColumns.slice(0, i).map((prev, j) => `${keyRef(prev, alias)} = ${values[j]}`);
    const cmp = i === keyColumns.length - 1 && op === '>=' ? '>=' : strict;
    eqs.push(`${keyRef(col, alias)} ${cmp} ${values[i]}`);
    return eqs.length === 1 ? eqs[0]! : `(${eqs.join(' AND ')})`;
  });
  return parts.length === 1 ? parts[0]! : `(${parts.join(' OR ')})`;
}

function orderBy(keyColumns: readonly MssqlColumn[], alias = ''): string {
  return keyColumns.map((c) => keyRef(c, alias)).join(', ');
}

export interface TableShape {
  readonly schema: string;
  readonly table: string;
  /** Every column of the table in ordinal order (from `describeTableStatement`). */
  readonly columns: readonly MssqlColumn[];
  readonly keyColumns: readonly HashColumn[];
  /**
   * A Change Tracking table without its own version column: the declared version column this names
   * is read as the row's last Change Tracking version (`CHANGETABLE(VERSION …)`, 0 when unchanged
   * since tracking began), so rows read by pages carry a version as rows read by changes do.
   */
  readonly trackedVersionColumn?: string;
}

/** The projection of a Change Tracking table's row version (see `TableShape.trackedVersionColumn`). */
function trackedVersionProjection(t: TableShape, keys: readonly MssqlColumn[], alias: string): string[] {
  if (!t.trackedVersionColumn) return [];
  const from = qualified(t.schema, t.table);
  const outer = alias || `${from}.`;
  return [
    `CONVERT(varchar(20), ISNULL((SELECT cv.SYS_CHANGE_VERSION FROM CHANGETABLE(VERSION ${from}, (${keys
      .map((k) => keyRef(k))
      .join(
        ', ',
      )}), (${keys.map((k) => keyRef(k, outer)).join(', ')})) AS cv), 0)) AS ${bracket(t.trackedVersionColumn)}`,
  ];
}

function shape(t: TableShape): { byName: Map<string, MssqlColumn>; keys: MssqlColumn[]; from: string } {
  const byName = new Map(t.columns.map((c) => [c.name, c]));
  return {
    byName,
    keys: t.keyColumns.map((k) => columnOf(byName, k.name)),
    from: qualified(t.schema, t.table),
  };
}

/** Schema introspection (sys.columns + sys.types), ordinal order. */
export function describeTableStatement(schema: string, table: string): TsqlStatement {
  const params = new Params();
  const name = params.add('nvarchar', `${bracket(schema)}.${bracket(table)}`);
  return {
    text: `SELECT c.name AS name, t.name AS nativeType, c.max_length AS maxLength, c.precision AS precision, c.scale AS scale, c.is_nullable AS nullable, c.collation_name AS collation
FROM sys.columns AS c JOIN sys.types AS t ON t.user_type_id = c.user_type_id
WHERE c.object_id = OBJECT_ID(${name})
ORDER BY c.column_id;`,
    params: params.list,
  };
}

/**
 * A key-ordered page (keyset pagination) of full rows, or with `columns` of the key columns and
 * those only (in table order; a column the table lacks is not projected).
 */
export function readRowsStatement(
  t: TableShape,
  request: {
    after?: KeyValues | null;
    from?: KeyValues | null;
    before?: KeyValues | null;
    limit: number;
    columns?: readonly string[];
  },
): TsqlStatement {
  const { keys, from } = shape(t);
  const wanted = request.columns ? new Set([...t.keyColumns.map((k) => k.name), ...request.columns]) : null;
  const projected = (wanted ? t.columns.filter((c) => wanted.has(c.name)) : t.columns).map((c) =>
    wireProjection(c),
  );
  if (!wanted || (t.trackedVersionColumn && wanted.has(t.trackedVersionColumn)))
    projected.push(...trackedVersionProjection(t, keys, ''));
  const params = new Params();
  const where: string[] = [];
  if (request.after) where.push(keyComparison(keys, '>', request.after, params));
  if (request.from) where.push(keyComparison(keys, '>=', request.from, params));
  if (request.before) where.push(keyComparison(keys, '<', request.before, params));
  const top = params.add('int', Math.max(0, Math.floor(request.limit)));
  return {
    text: `SELECT TOP (${top}) ${projected.join(', ')}
FROM ${from}${where.length ? `\nWHERE ${where.join(' AND ')}` : ''}
ORDER BY ${orderBy(keys)};`,
    params: params.list,
  };
}

/** Full rows for a list of keys, passed as one JSON parameter (no 2,100-parameter limit). */
export function readRowsByKeysStatement(t: TableShape, keys: readonly KeyValues[]): TsqlStatement {
  const { keys: keyCols, from } = shape(t);
  const params = new Params();
  const json = params.add(
    'nvarchar',
    JSON.stringify(keys.map((k) => k.map((v, i) => (keyCols[i] ? sourceKeyValue(keyCols[i], v) : v)))),
  );
  const withClause = keyCols
    .map((c, i) => {
      const type = intTypes.has(c.nativeType)
        ? 'bigint'
        : `${c.nativeType === 'nvarchar' || c.nativeType === 'nchar' ? 'nvarchar' : 'varchar'}(${c.maxLength > 0 ? (c.nativeType.startsWith('n') ? c.maxLength / 2 : c.maxLength) : 'max'})`;
      return `${bracket(`k${i}`)} ${type} '$[${i}]'`;
    })
    .join(', ');
  const on = keyCols.map((c, i) => `${keyRef(c, 't.')} = v.${bracket(`k${i}`)}`).join(' AND ');
  return {
    text: `SELECT ${[...t.columns.map((c) => wireProjection(c, 't.')), ...trackedVersionProjection(t, keyCols, 't.')].join(', ')}
FROM ${from} AS t
JOIN OPENJSON(${json}) WITH (${withClause}) AS v ON ${on}
ORDER BY ${orderBy(keyCols, 't.')};`,
    params: params.list,
  };
}

/** The parts both keyset hash pages share: the key-after condition, TOP and the canonical key texts. */
function keysetPage(
  t: TableShape,
  layout: RowHashLayout,
  request: { after?: KeyValues | null; limit: number },
) {
  const { byName, keys, from } = shape(t);
  const params = new Params();
  const where = request.after ? `\nWHERE ${keyComparison(keys, '>', request.after, params)}` : '';
  const top = params.add('int', Math.max(0, Math.floor(request.limit)));
  const keyTexts = layout.keyColumns.map(
    (k, i) => `${canonicalExpression(k.type, columnOf(byName, k.name))} AS ${bracket(`k${i}`)}`,
  );
  return { byName, keys, from, params, where, top, keyTexts };
}

/** A key-ordered page of (canonical key text, version, canonical row hash), hashed in SQL Server. */
export function readRowHashesStatement(
  t: TableShape,
  layout: RowHashLayout,
  request: { after?: KeyValues | null; limit: number },
): TsqlStatement {
  const { byName, keys, from, params, where, top, keyTexts } = keysetPage(t, layout, request);
  const version = layout.versionColumn
    ? versionText(columnOf(byName, layout.versionColumn))
    : 'CAST(NULL AS varchar(20))';
  return {
    text: `SELECT TOP (${top}) ${keyTexts.join(', ')}, ${version} AS [version], LOWER(CONVERT(char(64), ${rowHashBytesSql(layout, byName)}, 2)) AS [hash]
FROM ${from}${where}
ORDER BY ${orderBy(keys)};`,
    params: params.list,
  };
}

/**
 * The full scan's keyset page: (canonical key text, row hash) in key order, the hash as HASHBYTES'
 * binary(32) (32 bytes on the wire, no hex text, no version: the full scan does not need it).
 */
export function scanRowHashesStatement(
  t: TableShape,
  layout: RowHashLayout,
  request: { after?: KeyValues | null; limit: number },
): TsqlStatement {
  const { byName, keys, from, params, where, top, keyTexts } = keysetPage(t, layout, request);
  return {
    text: `SELECT TOP (${top}) ${keyTexts.join(', ')}, ${rowHashBytesSql(layout, byName)} AS [hash]
FROM ${from}${where}
ORDER BY ${orderBy(keys)};`,
    params: params.list,
  };
}

function versionText(col: MssqlColumn, alias = ''): string {
  const c = columnRef(col, alias);
  return col.nativeType === 'timestamp'
    ? `CONVERT(varchar(20), CAST(${c} AS bigint))`
    : `CONVERT(varchar(20), ${c})`;
}

/**
 * Count and digest per key range: one UNION ALL branch per range, each a clustered-index range seek.
 * `prefix64` = first 8 bytes of the SHA-256 as a big-endian signed bigint, summed as decimal(38,0).
 */
export function rangeChecksumsStatement(
  t: TableShape,
  layout: RowHashLayout,
  ranges: readonly KeyRange[],
  countOnly = false,
): TsqlStatement {
  const { byName, keys, from } = shape(t);
  const params = new Params();
  const hash = rowHashBytesSql(layout, byName);
  const branches = ranges.map((range, i) => {
    const where: string[] = [];
    if (range.from) where.push(keyComparison(keys, '>=', range.from, params));
    if (range.to) where.push(keyComparison(keys, '<', range.to, params));
    const sum = countOnly
      ? `'0'`
      : `CONVERT(varchar(40), ISNULL(SUM(CAST(CAST(SUBSTRING(${hash}, 1, 8) AS bigint) AS decimal(38, 0))), 0))`;
    return `SELECT ${i} AS [range], COUNT_BIG(*) AS [count], ${sum} AS [sum] FROM ${from}${where.length ? ` WHERE ${where.join(' AND ')}` : ''}`;
  });
  return { text: `${branches.join('\nUNION ALL\n')};`, params: params.list };
}

/** How a table's change version is kept. */
export type VersionKind = 'rowversion' | 'bigint' | 'change-tracking';

/**
 * Changed rows since a version, the covering version and the row count, in one batch. With
 * `snapshot`, the batch runs under SNAPSHOT isolation (one consistent read) with XACT_ABORT ON (an
 * error ends the transaction instead of leaving it open on a pooled connection).
 *
 * The rule that no late commit is skipped (docs/capture.md § SQL Server adapter): the upper bound
 * is `MIN_ACTIVE_ROWVERSION() - 1` for rowversion, the highest value below which no open
 * transaction can still commit, so a transaction that commits a lower rowversion later is read by
 * the next poll; `CHANGE_TRACKING_CURRENT_VERSION()` for Change Tracking (versions are given at
 * commit). A writer-assigned bigint column has no such bound in SQL Server (a transaction holding a
 * lower number can commit after MAX() was read), so it has no statement here: the adapter answers
 * `truncated` for it and the engine runs a full scan. A `since` older than
 * `CHANGE_TRACKING_MIN_VALID_VERSION` reports `truncated` as well.
 */
export function readChangesStatement(
  t: TableShape,
  request: {
    versionColumn: string;
    versionKind: Exclude<VersionKind, 'bigint'>;
    sinceVersion: string | null;
    limit: number;
    snapshot: boolean;
  },
): TsqlStatement {
  const { byName, keys, from } = shape(t);
  const params = new Params();
  const since = params.add('bigint', request.sinceVersion);
  const limit = params.add('bigint', request.limit);
  const head = request.snapshot
    ? 'SET XACT_ABORT ON;\nSET TRANSACTION ISOLATION LEVEL SNAPSHOT;\nBEGIN TRANSACTION;\n'
    : '';
  const tail = request.snapshot ? '\nCOMMIT TRANSACTION;' : '';
  const cols = t.columns.map((c) => wireProjection(c, 't.')).join(', ');
  if (request.versionKind === 'change-tracking') {
    const ctKeys = keys.map((k) => `${keyRef(k, 't.')} = ${keyRef(k, 'ct.')}`).join(' AND ');
    return {
      text: `${head}DECLARE @upTo bigint = CHANGE_TRACKING_CURRENT_VERSION();
DECLARE @valid bit = CASE WHEN ${since} IS NULL OR ${since} >= CHANGE_TRACKING_MIN_VALID_VERSION(OBJECT_ID(N'${qualified(t.schema, t.table).replaceAll("'", "''")}')) THEN 1 ELSE 0 END;
SELECT CONVERT(varchar(20), @upTo) AS upToVersion, COUNT_BIG(*) AS [rowCount], @valid AS valid FROM ${from};
SELECT COUNT_BIG(*) AS changed FROM CHANGETABLE(CHANGES ${from}, ISNULL(${since}, 0)) AS ct WHERE ct.SYS_CHANGE_VERSION <= @upTo AND ct.SYS_CHANGE_OPERATION <> 'D';
IF @valid = 1 AND (SELECT COUNT_BIG(*) FROM CHANGETABLE(CHANGES ${from}, ISNULL(${since}, 0)) AS ct WHERE ct.SYS_CHANGE_VERSION <= @upTo AND ct.SYS_CHANGE_OPERATION <> 'D') <= ${limit}
  SELECT ${cols}, CONVERT(varchar(20), ct.SYS_CHANGE_VERSION) AS ${bracket(request.versionColumn)}
  FROM CHANGETABLE(CHANGES ${from}, ISNULL(${since}, 0)) AS ct
  JOIN ${from} AS t ON ${ctKeys}
  WHERE ct.SYS_CHANGE_VERSION <= @upTo
  ORDER BY ${orderBy(keys, 't.')};${tail}`,
      params: params.list,
    };
  }
  const v = columnRef(columnOf(byName, request.versionColumn), 't.');
  const sinceFilter = `(${since} IS NULL OR ${v} > CONVERT(binary(8), ${since})) AND ${v} <= CONVERT(binary(8), @upTo)`;
  return {
    text: `${head}DECLARE @upTo bigint = CAST(MIN_ACTIVE_ROWVERSION() AS bigint) - 1;
SELECT CONVERT(varchar(20), @upTo) AS upToVersion, COUNT_BIG(*) AS [rowCount], CAST(1 AS bit) AS valid FROM ${from};
SELECT COUNT_BIG(*) AS changed FROM ${from} AS t WHERE ${sinceFilter};
IF (SELECT COUNT_BIG(*) FROM ${from} AS t WHERE ${sinceFilter}) <= ${limit}
  SELECT ${cols}
  FROM ${from} AS t
  WHERE ${sinceFilter}
  ORDER BY ${orderBy(keys, 't.')};${tail}`,
    params: params.list,
  };
}

/** The highest committed change version. */
export function currentVersionStatement(
  t: Pick<TableShape, 'schema' | 'table'>,
  versionColumn: string,
  versionKind: VersionKind,
): TsqlStatement {
  const from = qualified(t.schema, t.table);
  if (versionKind === 'change-tracking')
    return { text: 'SELECT CONVERT(varchar(20), CHANGE_TRACKING_CURRENT_VERSION()) AS version;', params: [] };
  if (versionKind === 'rowversion')
    return {
      text: `SELECT CASE WHEN EXISTS (SELECT 1 FROM ${from}) THEN CONVERT(varchar(20), CAST(MIN_ACTIVE_ROWVERSION() AS bigint) - 1) END AS version;`,
      params: [],
    };
  return {
    text: `SELECT CONVERT(varchar(20), MAX(${bracket(versionColumn)})) AS version FROM ${from};`,
    params: [],
  };
}

export function countRowsStatement(t: Pick<TableShape, 'schema' | 'table'>): TsqlStatement {
  return { text: `SELECT COUNT_BIG(*) AS [count] FROM ${qualified(t.schema, t.table)};`, params: [] };
}
