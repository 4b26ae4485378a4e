import type { KeyRange, KeyValues } from '../../../application/ports/change-source.port.js';
import type { CanonicalType, HashColumn, RowHashLayout } from '../../../domain/capture/row-hash.js';
import type { ColumnSpec } from '../../../domain/datasets/source-tables.js';

/**
 * DuckDB SQL for the embedded source: type mapping, wire-form projections and the canonical row
 * hash of docs/row-hash-spec.md (spec version 1) written in SQL, so the source can hash and checksum
 * key ranges itself exactly as `rowHash` does in TypeScript (tests/integration/capture prove they
 * agree).
 */

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

export function quoteLiteral(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/** The DuckDB type a source column is stored as. datetimeoffset is kept as its ISO text so the offset survives. */
export function duckdbType(col: Pick<ColumnSpec, 'type' | 'precision' | 'scale'>): string {
  switch (col.type) {
    case 'varchar':
    case 'char':
    case 'datetimeoffset':
      return 'VARCHAR';
    case 'date':
      return 'DATE';
    case 'datetime2':
      return 'TIMESTAMP';
    case 'int':
      return 'INTEGER';
    case 'bigint':
      return 'BIGINT';
    case 'decimal':
      return `DECIMAL(${col.precision ?? 18},${col.scale ?? 0})`;
    case 'bit':
      return 'BOOLEAN';
  }
}

/** The column comment recording the source SQL type (introspection reads it back). */
export function sqlTypeComment(col: ColumnSpec): string {
  if (col.type === 'varchar' || col.type === 'char') return `${col.type}(${col.length ?? 'max'})`;
  if (col.type === 'decimal') return `decimal(${col.precision ?? 18},${col.scale ?? 0})`;
  return col.type;
}

/** Physical DuckDB type family of a stored column, as introspected. */
export type StoredKind =
  | 'varchar'
  | 'date'
  | 'timestamp'
  | 'timestamptz'
  | 'integer'
  | 'bigint'
  | 'decimal'
  | 'boolean'
  | 'blob'
  | 'other';

export function storedKind(duckdbTypeName: string): StoredKind {
  const t = duckdbTypeName.toUpperCase();
  if (t === 'VARCHAR' || t.startsWith('VARCHAR')) return 'varchar';
  if (t === 'DATE') return 'date';
  if (t === 'TIMESTAMP' || t === 'TIMESTAMP_NS' || t === 'TIMESTAMP_MS' || t === 'TIMESTAMP_S')
    return 'timestamp';
  if (t === 'TIMESTAMP WITH TIME ZONE') return 'timestamptz';
  if (t === 'INTEGER' || t === 'SMALLINT' || t === 'TINYINT') return 'integer';
  if (t === 'BIGINT' || t === 'HUGEINT') return 'bigint';
  if (t.startsWith('DECIMAL')) return 'decimal';
  if (t === 'BOOLEAN') return 'boolean';
  if (t === 'BLOB') return 'blob';
  return 'other';
}

const isoMillis = `'%Y-%m-%dT%H:%M:%S.%gZ'`;

/**
 * A projection giving the wire form (`SourceRow`) of a stored column: integers and booleans stay
 * native; bigint and decimal become exact text; dates and datetimes ISO text.
 */
export function wireProjection(name: string, kind: StoredKind, alias?: string): string {
  const c = alias ? `${alias}.${quoteIdent(name)}` : quoteIdent(name);
  switch (kind) {
    case 'varchar':
    case 'integer':
    case 'boolean':
      return c;
    case 'date':
      return `strftime(${c}, '%Y-%m-%d')`;
    case 'timestamp':
      return `strftime(${c}, ${isoMillis})`;
    case 'timestamptz':
      return `strftime(timezone('UTC', ${c}), ${isoMillis})`;
    case 'blob':
      return `lower(hex(${c}))`;
    case 'bigint':
    case 'decimal':
    case 'other':
      return `CAST(${c} AS VARCHAR)`;
  }
}

/**
 * A projection giving a whole row's wire form as one JSON object text (`json_object` of every
 * column's `wireProjection`, in the order given): the host reads one value per row and parses it
 * with `JSON.parse`, instead of one native read and one text decode per value (a 350k-row scan of
 * 22 columns: 1.8 s of CPU against 8.5 s). The wire values are text, 32-bit integers, booleans and
 * NULL, which JSON carries exactly.
 */
export function wireRowJson(columns: Iterable<readonly [string, StoredKind]>, alias?: string): string {
  const members = [...columns].map(
    ([name, kind]) => `${quoteLiteral(name)}, ${wireProjection(name, kind, alias)}`,
  );
  return members.length === 0 ? `'{}'` : `CAST(json_object(${members.join(', ')}) AS VARCHAR)`;
}

/** SQL for the canonical text of a column (before escaping), NULL when the value is NULL. */
export function canonicalExpression(col: HashColumn, kind: StoredKind, alias?: string): string {
  const c = alias ? `${alias}.${quoteIdent(col.name)}` : quoteIdent(col.name);
  const asText = kind === 'varchar' ? c : `CAST(${c} AS VARCHAR)`;
  switch (col.type) {
    case 'varchar':
    case 'char':
      return asText;
    case 'int':
    case 'bigint':
      return kind === 'integer' || kind === 'bigint'
        ? `CAST(${c} AS VARCHAR)`
        : `CAST(CAST(${c} AS HUGEINT) AS VARCHAR)`;
    case 'decimal': {
      const s = asText;
      const trimmed = `CASE WHEN strpos(${s}, '.') > 0 THEN rtrim(rtrim(${s}, '0'), '.') ELSE ${s} END`;
      return `(CASE WHEN ${trimmed} = '-0' THEN '0' ELSE ${trimmed} END)`;
    }
    case 'date':
      // Text that names no real date (2023-02-29) is hashed as itself, as the spec says.
      return kind === 'date'
        ? `strftime(${c}, '%Y-%m-%d')`
        : `COALESCE(strftime(TRY_CAST(${c} AS DATE), '%Y-%m-%d'), CAST(${c} AS VARCHAR))`;
    case 'datetime2':
      if (kind === 'timestamp') return `strftime(${c}, ${isoMillis})`;
      return utcInstant(c);
    case 'datetimeoffset':
      return utcInstant(c);
    case 'bit':
      // A searched CASE would turn NULL into '0'; the simple form keeps NULL (the `\N` sentinel).
      return `(CASE CAST(${c} AS BOOLEAN) WHEN true THEN '1' WHEN false THEN '0' END)`;
    case 'binary':
      return `lower(hex(${c}))`;
  }
}

/**
 * The UTC instant of a value with an offset, milliseconds truncated. Formatting the UTC timestamp
 * truncates within the day, as `Date.toISOString` does; `epoch_ms` would truncate towards zero and
 * move a sub-millisecond instant before 1970 up by one millisecond.
 */
function utcInstant(c: string): string {
  // Text that names no real instant (2065-02-29T10:00+00:00) is hashed as itself, as the spec says.
  return `COALESCE(strftime(timezone('UTC', TRY_CAST(${c} AS TIMESTAMPTZ)), ${isoMillis}), CAST(${c} AS VARCHAR))`;
}

const stringTypes: ReadonlySet<CanonicalType> = new Set(['varchar', 'char']);

/** SQL for the full canonical row text of a layout (docs/row-hash-spec.md). */
export function canonicalRowSql(
  columns: readonly HashColumn[],
  kindOf: (column: string) => StoredKind,
  alias?: string,
): string {
  if (columns.length === 0) return "''";
  const fields = columns.map((col) => {
    const expr = canonicalExpression(col, kindOf(col.name), alias);
    // Escaping only the values that hold a backslash or `|` (rare) halves the cost of the text: two
    // `replace` calls copy every string, `contains` only reads it.
    const escaped = stringTypes.has(col.type)
      ? `CASE WHEN contains(${expr}, '\\') OR contains(${expr}, '|') THEN replace(replace(${expr}, '\\', '\\\\'), '|', '\\|') ELSE ${expr} END`
      : expr;
    return `coalesce(${escaped}, '\\N')`;
  });
  // Every field is non-NULL after coalesce, so concat_ws joins all of them, in one allocation.
  return fields.length === 1 ? fields[0]! : `concat_ws('|', ${fields.join(', ')})`;
}

/** `sha256(<canonical row text>)`: lowercase hex, identical to `rowHash`. */
export function rowHashSql(
  layout: RowHashLayout,
  kindOf: (column: string) => StoredKind,
  alias?: string,
): string {
  return `sha256(${canonicalRowSql(layout.hashColumns, kindOf, alias)})`;
}

/**
 * SQL for a row's key in the capture state's byte-comparable encoding (state-key.ts), as hex text:
 * a string key's UTF-8 bytes, an integer key's 8 big-endian bytes with the sign bit flipped. Null
 * for a composite key (encoded in TypeScript instead).
 */
export function encodedKeyHexSql(
  keyColumns: readonly HashColumn[],
  kindOf: (column: string) => StoredKind,
  alias?: string,
): { hex: string; bytes: string } | null {
  if (keyColumns.length !== 1) return null;
  const col = keyColumns[0]!;
  const kind = kindOf(col.name);
  const c = alias ? `${alias}.${quoteIdent(col.name)}` : quoteIdent(col.name);
  if ((col.type === 'int' || col.type === 'bigint') && (kind === 'integer' || kind === 'bigint'))
    return {
      hex: `printf('%016x', CAST(CAST(${c} AS HUGEINT) + 9223372036854775808 AS UBIGINT))`,
      bytes: '8',
    };
  if ((col.type === 'varchar' || col.type === 'char') && kind === 'varchar')
    return { hex: `hex(${c})`, bytes: `strlen(${c})` };
  return null;
}

/**
 * The full scan's query: one row per page of `pageSize` rows in key order, each page one BLOB of
 * packed rows `keyLength:u16be key hash:32 bytes` (row-hash-page.ts), built as hex text and decoded
 * in SQL, so a page crosses into JavaScript as one value instead of two per row.
 */
export function rowHashPagesSql(
  layout: RowHashLayout,
  kindOf: (column: string) => StoredKind,
  key: { hex: string; bytes: string },
  where: string,
  pageSize: number,
): string {
  const order = keyOrderBy(layout.keyColumns);
  const packed = `printf('%04x', ${key.bytes}) || ${key.hex} || ${rowHashSql(layout, kindOf)}`;
  const size = Math.max(1, Math.floor(pageSize));
  return `SELECT unhex(string_agg(nhsflows_row, '' ORDER BY ${order})) FROM (
  SELECT ${order}, ${packed} AS nhsflows_row, (row_number() OVER (ORDER BY ${order}) - 1) // ${size} AS nhsflows_page
  FROM ${quoteIdent(layout.table)}${where}
) GROUP BY nhsflows_page ORDER BY nhsflows_page`;
}

/** The signed 64-bit prefix of a hex hash column, as HUGEINT (summed without overflow). */
export function prefix64Sql(hashExpr: string): string {
  return `(CAST(CAST(('0x' || substr(${hashExpr}, 1, 16)) AS UBIGINT) AS HUGEINT) - CASE WHEN substr(${hashExpr}, 1, 1) >= '8' THEN CAST('18446744073709551616' AS HUGEINT) ELSE 0 END)`;
}

/** A typed literal for a key value (canonical text) compared against a stored column. */
export function keyLiteral(col: HashColumn, value: string, kind: StoredKind): string {
  if ((col.type === 'int' || col.type === 'bigint') && /^-?\d+$/.test(value)) return value;
  if (col.type === 'decimal' && /^-?\d+(?:\.\d+)?$/.test(value)) return value;
  if (kind === 'date') return `DATE ${quoteLiteral(value)}`;
  if (kind === 'timestamp') return `CAST(${quoteLiteral(value)} AS TIMESTAMP)`;
  return quoteLiteral(value);
}

/**
 * `key <op> bound` for a composite key, expanded column by column (lexicographic):
 * `(a, b) > (x, y)` ⇔ `a > x OR (a = x AND b > y)`.
 */
export function keyComparison(
  keyColumns: readonly HashColumn[],
  op: '>' | '>=' | '<',
  bound: KeyValues,
  kindOf: (column: string) => StoredKind,
): string {
  const strict = op === '>=' ? '>' : op;
  const parts: string[] = [];
  for (let i = 0; i < keyColumns.length; i++) {
    const eqs = keyColumns
      .slice(0, i)
      .map((col, j) => `${quoteIdent(col.name)} = ${keyLiteral(col, bound[j] ?? '', kindOf(col.name))}`);
    const col = keyColumns[i]!;
    const last = i === keyColumns.length - 1;
    const cmp = last && op === '>=' ? '>=' : strict;
    eqs.push(`${quoteIdent(col.name)} ${cmp} ${keyLiteral(col, bound[i] ?? '', kindOf(col.name))}`);
    parts.push(eqs.length === 1 ? eqs[0]! : `(${eqs.join(' AND ')})`);
  }
  return parts.length === 1 ? parts[0]! : `(${parts.join(' OR ')})`;
}

export function keyOrderBy(keyColumns: readonly HashColumn[]): string {
  return keyColumns.map((col) => quoteIdent(col.name)).join(', ');
}

/** WHERE conditions for a range (from inclusive, to exclusive), or 'TRUE'. */
export function rangePredicate(
  keyColumns: readonly HashColumn[],
  range: KeyRange,
  kindOf: (column: string) => StoredKind,
): string {
  const conds: string[] = [];
  if (range.from) conds.push(keyComparison(keyColumns, '>=', range.from, kindOf));
  if (range.to) conds.push(keyComparison(keyColumns, '<', range.to, kindOf));
  return conds.length === 0 ? 'TRUE' : conds.join(' AND ');
}

/**
 * A bucket expression for sorted, non-overlapping ranges: a balanced tree of CASEs over the cut
 * points (O(log n) comparisons per row), yielding the range index or -1 for rows in no range.
 */
export function bucketExpression(
  keyColumns: readonly HashColumn[],
  ranges: readonly KeyRange[],
  kindOf: (column: string) => StoredKind,
): string {
  // Intervals between consecutive cut points, each mapped to a range index or -1 (a gap).
  const cuts: KeyValues[] = [];
  const labels: number[] = [];
  let openLabel = -1;
  ranges.forEach((range, index) => {
    if (range.from) {
      if (cuts.length === 0 || !sameKey(cuts[cuts.length - 1]!, range.from)) {
        labels.push(openLabel);
        cuts.push(range.from);
      }
    } else if (cuts.length > 0) {
      throw new Error('range checksums: only the first range may be open below');
    }
    openLabel = index;
    if (range.to) {
      labels.push(openLabel);
      cuts.push(range.to);
      openLabel = -1;
    }
  });
  labels.push(openLabel);
  // labels[i] is the label of the interval before cuts[i]; labels[cuts.length] after the last cut.
  const build = (lo: number, hi: number): string => {
    // Intervals lo..hi (inclusive); interval i lies below cuts[i].
    if (lo === hi) return String(labels[lo]);
    const mid = (lo + hi) >> 1;
    return `(CASE WHEN ${keyComparison(keyColumns, '<', cuts[mid]!, kindOf)} THEN ${build(lo, mid)} ELSE ${build(mid + 1, hi)} END)`;
  };
  return build(0, cuts.length);
}

function sameKey(a: KeyValues, b: KeyValues): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}
