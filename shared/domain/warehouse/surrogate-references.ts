import type { SurrogateReference } from '../gold/gold-tables.js';

/**
 * Facts resolve their surrogate keys in the warehouse (ADR 0009): the SQL both warehouses run after
 * a batch's change sets are applied. Pure text, shared by the DuckDB adapter and the Synapse
 * generator so the two dialects cannot disagree.
 *
 * A fact names its dimension member (`member` columns, e.g. project + patient_token) and the
 * business date it happened (`at`); its surrogate key is the key of the member's version with
 * `valid_from <= at < valid_to`, or NULL when no version covers that date. A late change that re-cuts
 * a member's versions replaces the member's dimension rows whole; the facts of that member are then
 * re-keyed in the same step, so no fact keeps the key of a version that no longer exists.
 *
 * Scope of one batch (set-based, never one statement per row): the facts the batch loaded and every
 * fact of a member whose dimension rows the batch loaded.
 */
export interface ReferenceSqlSpec {
  readonly dialect: 'duckdb' | 'tsql';
  /** Quoted fact and dimension tables. */
  readonly fact: string;
  readonly dimension: string;
  /** The fact table's key columns. */
  readonly factKey: readonly string[];
  readonly reference: SurrogateReference;
  readonly batchId: string;
  readonly ident: (name: string) => string;
}

const literal = (value: string): string => `'${value.replace(/'/g, "''")}'`;

export function referenceResolutionSql(spec: ReferenceSqlSpec): { rekey: string; check: string } {
  const { ident, reference: r } = spec;
  const batch = literal(spec.batchId);
  const memberEq = (a: string, b: string): string =>
    r.member.map((c) => `${a}.${ident(c)} = ${b}.${ident(c)}`).join(' AND ');
  const covers = (d: string, f: string): string =>
    `${d}.${ident(r.validFrom)} <= ${f}.${ident(r.at)} AND ${f}.${ident(r.at)} < ${d}.${ident(r.validTo)}`;
  const memberKnown = (f: string): string =>
    r.member.map((c) => `${f}.${ident(c)} IS NOT NULL`).join(' AND ');
  // The batch's facts, and the facts of every member whose dimension rows the batch loaded.
  const inScope = (f: string): string =>
    `(${f}.${ident('batch_id')} = ${batch} OR EXISTS (SELECT 1 FROM ${spec.dimension} AS m WHERE m.${ident('batch_id')} = ${batch} AND ${memberEq('m', f)}))`;
  const column = ident(r.column);
  const keyList = spec.factKey.map((k) => `f.${ident(k)}`).join(', ');
  const resolved = [
    `SELECT ${keyList}, MIN(d.${ident(r.dimensionKey)}) AS ${ident('_resolved')}`,
    `  FROM ${spec.fact} AS f LEFT JOIN ${spec.dimension} AS d ON ${memberEq('d', 'f')} AND ${covers('d', 'f')}`,
    `  WHERE ${memberKnown('f')} AND ${inScope('f')}`,
    `  GROUP BY ${keyList}`,
  ].join('\n');
  const target = spec.fact;
  const keyJoin = spec.factKey.map((k) => `${target}.${ident(k)} = r.${ident(k)}`).join(' AND ');
  const differs = `(${target}.${column} <> r.${ident('_resolved')} OR (${target}.${column} IS NULL AND r.${ident('_resolved')} IS NOT NULL) OR (${target}.${column} IS NOT NULL AND r.${ident('_resolved')} IS NULL))`;
  const rekey = `UPDATE ${target} SET ${column} = r.${ident('_resolved')}\nFROM (\n${resolved}\n) AS r\nWHERE ${keyJoin} AND ${differs};`;
  const count = spec.dialect === 'tsql' ? 'COUNT_BIG(*)' : 'count(*)::BIGINT';
  const check = [
    'SELECT',
    `  (SELECT ${count} FROM ${spec.fact} AS f WHERE ${inScope('f')} AND f.${column} IS NOT NULL`,
    `     AND NOT EXISTS (SELECT 1 FROM ${spec.dimension} AS d WHERE d.${ident(r.dimensionKey)} = f.${column})) AS orphans,`,
    `  (SELECT ${count} FROM ${spec.fact} AS f WHERE ${inScope('f')} AND (`,
    `     (f.${column} IS NOT NULL AND EXISTS (SELECT 1 FROM ${spec.dimension} AS d WHERE d.${ident(r.dimensionKey)} = f.${column})`,
    `       AND NOT EXISTS (SELECT 1 FROM ${spec.dimension} AS d WHERE d.${ident(r.dimensionKey)} = f.${column} AND ${memberEq('d', 'f')} AND ${covers('d', 'f')}))`,
    `     OR (f.${column} IS NULL AND ${memberKnown('f')}`,
    `       AND EXISTS (SELECT 1 FROM ${spec.dimension} AS d WHERE ${memberEq('d', 'f')} AND ${covers('d', 'f')})))) AS mismatched;`,
  ].join('\n');
  return { rekey, check };
}
