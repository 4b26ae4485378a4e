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
 * Scope of one batch (set-based, never one statement per row or per member): the facts the batch
 * loaded and every fact of a member whose dimension rows the batch loaded. The work is done once per
 * batch, not once per reference:
 * 1. `members`: per dimension, the members the batch loaded, read once into a scratch table (one
 *    scan of the dimension's `batch_id`, however many fact tables and references point at it);
 * 2. per fact table, `scope`: the facts in scope (the batch's own facts, and the facts joined to any
 *    of the members tables) with every reference resolved in the same statement (a range join per
 *    reference), into a scratch table;
 * 3. per fact table, one `UPDATE … FROM` the scope table sets every reference column whose resolved
 *    key differs (only rows whose key changes are written), and one `check` query counts orphans and
 *    mismatches per reference over the scope, read from the fact table after the update.
 * Before this, each reference of each fact table had its own UPDATE and check, and each of those
 * statements evaluated the scope again (four reads of the fact table per reference, 22 references).
 */

/**
 * Members whose versions a batch changed (ADR 0009, docs/warehouse-apply.md). A versioned dimension
 * that facts reference (`dim_patient`) is re-loaded member by member whole, and most re-loads carry
 * the versions the warehouse already holds (a new record of a patient whose history it does not
 * change). Re-keying every fact of such a member changes nothing, so the dimension's apply records
 * in `<dimension>_changed_members` (batch id + member) only the members whose versions differ from
 * the table's before the apply (a version added, dropped, or with another key or validity; a
 * delete), in the apply's own transaction; the batch's resolution reads its members from there and
 * forgets them once its facts are re-keyed. A retried load finds no difference, but the rows its
 * first attempt recorded stay until the resolution ran, so a crash between the two loses nothing.
 */
export interface ChangedMembersSpec {
  readonly dimension: string;
  /** The member's columns as the dimension names them. */
  readonly members: readonly string[];
  /** Columns of a version that a fact's key depends on: the key and the validity columns. */
  readonly compare: readonly string[];
}

/** Name of the table recording a dimension's changed members per batch (contract: both warehouses). */
export function changedMembersTableName(dimension: string): string {
  return `${dimension}_changed_members`;
}

/** The versioned dimensions facts reference, with what a member is and what a change of it is. */
export function changedMembersSpecs(
  tables: readonly {
    readonly name: string;
    readonly kind: string;
    readonly version?: readonly string[];
    readonly references?: readonly SurrogateReference[];
  }[],
): Map<string, ChangedMembersSpec> {
  const specs = new Map<string, ChangedMembersSpec>();
  for (const fact of tables)
    for (const r of fact.references ?? []) {
      const dimension = tables.find((t) => t.name === r.dimension);
      if (!dimension || dimension.kind !== 'dimension' || !dimension.version) continue;
      const previous = specs.get(r.dimension);
      const members = dimensionMemberOf(r);
      if (previous && previous.members.join('|') !== members.join('|'))
        throw new Error(
          `dimension ${r.dimension}: references name its member differently (${previous.members.join(', ')} and ${members.join(', ')})`,
        );
      const compare = [...new Set([...(previous?.compare ?? []), r.dimensionKey, r.validFrom, r.validTo])];
      specs.set(r.dimension, { dimension: r.dimension, members, compare });
    }
  return specs;
}

/**
 * The statement, run first in the dimension's apply transaction, that records the batch's members
 * whose versions differ from the table's (`changes` is the change set's latest row per key, `s`).
 */
export function recordChangedMembersSql(options: {
  readonly spec: ChangedMembersSpec;
  /** Quoted dimension, changed-members table and change set. */
  readonly target: string;
  readonly changed: string;
  readonly changes: string;
  readonly key: readonly string[];
  readonly batchId: string;
  readonly ident: (name: string) => string;
}): string {
  const { spec, ident } = options;
  const eq = (a: string, b: string, columns: readonly string[]): string =>
    columns.map((c) => `${a}.${ident(c)} = ${b}.${ident(c)}`).join(' AND ');
  const version = [...new Set([...options.key, ...spec.compare])];
  const memberCols = spec.members.map(ident).join(', ');
  return [
    `INSERT INTO ${options.changed} (${ident('batch_id')}, ${memberCols})`,
    `SELECT DISTINCT ${literal(options.batchId)}, ${spec.members.map((c) => `s.${ident(c)}`).join(', ')} FROM ${options.changes} AS s`,
    `WHERE (s.${ident('_op')} = 'delete'`,
    `    OR NOT EXISTS (SELECT 1 FROM ${options.target} AS t WHERE ${eq('t', 's', version)})`,
    `    OR EXISTS (SELECT 1 FROM ${options.target} AS t WHERE ${eq('t', 's', spec.members)}`,
    `      AND NOT EXISTS (SELECT 1 FROM ${options.changes} AS s2 WHERE s2.${ident('_op')} = 'upsert' AND ${eq('s2', 't', version)})))`,
    `  AND NOT EXISTS (SELECT 1 FROM ${options.changed} AS m WHERE m.${ident('batch_id')} = ${literal(options.batchId)} AND ${eq('m', 's', spec.members)});`,
  ].join('\n');
}

/** A fact table whose references are resolved for a batch. */
export interface ReferencingFact {
  readonly name: string;
  /** The fact table's key columns. */
  readonly key: readonly string[];
  readonly references: readonly SurrogateReference[];
}

export interface BatchReferenceSqlSpec {
  readonly dialect: 'duckdb' | 'tsql';
  readonly batchId: string;
  readonly facts: readonly ReferencingFact[];
  readonly ident: (name: string) => string;
  /** Quoted warehouse table (`"fact_activity"`, `[gold].[fact_activity]`). */
  readonly table: (name: string) => string;
  /** Quoted scratch table of this batch (a DuckDB temp table, a Synapse staging table). */
  readonly scratch: (name: string) => string;
  /**
   * Dimensions whose changed members the apply records (`changedMembersSpecs`): their members in
   * scope are the recorded ones, not every member the batch loaded.
   */
  readonly changedMembers?: ReadonlySet<string>;
}

/** Create (in order, one request each) and drop a scratch table. */
export interface ScratchTableSql {
  readonly name: string;
  readonly create: readonly string[];
  readonly drop: string;
}

export interface FactReferenceSql {
  readonly table: string;
  readonly references: readonly SurrogateReference[];
  /** The scope with every reference resolved (`_r0`, `_r1`, … in `references` order). */
  readonly scope: ScratchTableSql;
  /** Reads `rekeyed_<i>`: facts in scope whose reference `i` the update will change. */
  readonly rekeyed: string;
  /** One `UPDATE … FROM` the scope for every reference column. */
  readonly rekey: string;
  /** Reads `orphans_<i>` and `mismatched_<i>` per reference, from the fact table after the update. */
  readonly check: string;
}

export interface BatchReferenceSql {
  /** Per dimension, the members the batch loaded; created before and dropped after `facts`. */
  readonly members: readonly ScratchTableSql[];
  readonly facts: readonly FactReferenceSql[];
  /** Run last, once every fact table is re-keyed: the batch's recorded changed members deleted. */
  readonly forget: readonly string[];
}

const literal = (value: string): string => `'${value.replace(/'/g, "''")}'`;

/** The dimension's member columns (`dimensionMember`, default the fact's names). */
function dimensionMemberOf(r: SurrogateReference): readonly string[] {
  return r.dimensionMember ?? r.member;
}

/** One members table per dimension and member columns (every reference to it shares it). */
function membersKey(r: SurrogateReference): string {
  return `${r.dimension}|${dimensionMemberOf(r).join('|')}`;
}

function ctas(spec: BatchReferenceSqlSpec, name: string, select: string): ScratchTableSql {
  const quoted = spec.scratch(name);
  if (spec.dialect === 'tsql') {
    const drop = `IF OBJECT_ID(N'${quoted.replace(/[[\]]/g, '').replace(/'/g, "''")}') IS NOT NULL DROP TABLE ${quoted};`;
    return {
      name: quoted,
      create: [drop, `CREATE TABLE ${quoted} WITH (DISTRIBUTION = ROUND_ROBIN, HEAP) AS\n${select};`],
      drop,
    };
  }
  return {
    name: quoted,
    create: [`CREATE OR REPLACE TEMP TABLE ${quoted} AS\n${select};`],
    drop: `DROP TABLE IF EXISTS ${quoted};`,
  };
}

export function batchReferenceSql(spec: BatchReferenceSqlSpec): BatchReferenceSql {
  const { ident } = spec;
  const batch = literal(spec.batchId);

  const members = new Map<string, ScratchTableSql>();
  for (const fact of spec.facts)
    for (const r of fact.references) {
      const key = membersKey(r);
      if (members.has(key)) continue;
      const columns = dimensionMemberOf(r).map(ident).join(', ');
      // A recorded dimension: the members whose versions the batch changed; else every member
      // whose rows the batch loaded (a reference dimension, replaced whole once per version).
      const from = spec.changedMembers?.has(r.dimension)
        ? spec.table(changedMembersTableName(r.dimension))
        : spec.table(r.dimension);
      members.set(
        key,
        ctas(
          spec,
          `${r.dimension}_members_${members.size}`,
          `SELECT DISTINCT ${columns} FROM ${from} WHERE ${ident('batch_id')} = ${batch}`,
        ),
      );
    }

  const facts = spec.facts.map((fact, factIndex): FactReferenceSql => {
    const refs = fact.references;
    // `d` is the dimension's alias, `f` the fact's: the dimension names the member its own way.
    const memberEq = (r: SurrogateReference, d: string, f: string): string =>
      r.member.map((c, i) => `${d}.${ident(dimensionMemberOf(r)[i] ?? c)} = ${f}.${ident(c)}`).join(' AND ');
    const covers = (r: SurrogateReference, d: string, f: string): string =>
      `${d}.${ident(r.validFrom)} <= ${f}.${ident(r.at)} AND ${f}.${ident(r.at)} < ${d}.${ident(r.validTo)}`;
    const memberKnown = (r: SurrogateReference, f: string): string =>
      r.member.map((c) => `${f}.${ident(c)} IS NOT NULL`).join(' AND ');
    const keys = fact.key.map(ident);
    const carried = [...new Set([...fact.key, ...refs.flatMap((r) => [...r.member, r.at, r.column])])].map(
      ident,
    );
    const pick = (f: string): string => carried.map((c) => `${f}.${c}`).join(', ');
    const factTable = spec.table(fact.name);
    // The scope: the batch's facts and the facts of every member the batch loaded, as a UNION of
    // key-selective reads (never `batch_id = X OR EXISTS (…)`, evaluated fact by fact).
    const reads = [
      `  SELECT ${pick('f')} FROM ${factTable} AS f WHERE f.${ident('batch_id')} = ${batch}`,
      ...[...new Set(refs.map(membersKey))].map((key) => {
        const r = refs.find((x) => membersKey(x) === key)!;
        const sharing = refs.filter((x) => membersKey(x) === key);
        const on = [...new Set(sharing.map((x) => memberEq(x, 'm', 'f')))].join(' OR ');
        return `  SELECT ${pick('f')} FROM ${factTable} AS f\n    JOIN ${members.get(membersKey(r))!.name} AS m ON ${on}`;
      }),
    ];
    const resolvedColumns = refs.map(
      (r, i) =>
        `CASE WHEN ${memberKnown(r, 's')} THEN MIN(d${i}.${ident(r.dimensionKey)}) ELSE s.${ident(r.column)} END AS ${ident(`_r${i}`)}`,
    );
    const joins = refs.map(
      (r, i) =>
        `  LEFT JOIN ${spec.table(r.dimension)} AS d${i} ON ${memberEq(r, `d${i}`, 's')} AND ${covers(r, `d${i}`, 's')}`,
    );
    const scope = ctas(
      spec,
      `${fact.name}_scope_${factIndex}`,
      [
        `SELECT ${pick('s')}, ${resolvedColumns.join(', ')}`,
        `FROM (\n${reads.join('\n  UNION\n')}\n) AS s`,
        ...joins,
        `GROUP BY ${pick('s')}`,
      ].join('\n'),
    );
    const differs = (a: string, b: string): string =>
      `(${a} <> ${b} OR (${a} IS NULL AND ${b} IS NOT NULL) OR (${a} IS NOT NULL AND ${b} IS NULL))`;
    const rekeyed = `SELECT ${refs
      .map(
        (r, i) =>
          `COALESCE(SUM(CASE WHEN ${differs(`s.${ident(r.column)}`, `s.${ident(`_r${i}`)}`)} THEN 1 ELSE 0 END), 0) AS ${ident(`rekeyed_${i}`)}`,
      )
      .join(', ')} FROM ${scope.name} AS s;`;
    const keyJoin = keys.map((k) => `${factTable}.${k} = r.${k}`).join(' AND ');
    const rekey = [
      `UPDATE ${factTable} SET ${refs.map((r, i) => `${ident(r.column)} = r.${ident(`_r${i}`)}`).join(', ')}`,
      `FROM ${scope.name} AS r`,
      `WHERE ${keyJoin} AND (${refs.map((r, i) => differs(`${factTable}.${ident(r.column)}`, `r.${ident(`_r${i}`)}`)).join(' OR ')});`,
    ].join('\n');
    // One pass over the facts in scope as they are now (after the update), each reference's key
    // looked up in its dimension by primary key (it names at most one row, d<i>): an orphan names no
    // row; a mismatch names a row that is not the member's version covering the fact's date, or is
    // NULL where the scope found a covering version (`_r<i>`, read from the same dimension rows).
    const sum = (condition: string): string => `COALESCE(SUM(CASE WHEN ${condition} THEN 1 ELSE 0 END), 0)`;
    const check =
      [
        'SELECT',
        refs
          .map((r, i) => {
            const column = `f.${ident(r.column)}`;
            const dk = `d${i}.${ident(r.dimensionKey)}`;
            return [
              `  ${sum(`${column} IS NOT NULL AND ${dk} IS NULL`)} AS ${ident(`orphans_${i}`)},`,
              `  ${sum(
                `(${dk} IS NOT NULL AND NOT (${memberEq(r, `d${i}`, 'f')} AND ${covers(r, `d${i}`, 'f')}))` +
                  ` OR (${column} IS NULL AND ${memberKnown(r, 'f')} AND x.${ident(`_r${i}`)} IS NOT NULL)`,
              )} AS ${ident(`mismatched_${i}`)}`,
            ].join('\n');
          })
          .join(',\n'),
        `FROM ${scope.name} AS x JOIN ${factTable} AS f ON ${keys.map((k) => `f.${k} = x.${k}`).join(' AND ')}`,
        ...refs.map(
          (r, i) =>
            `  LEFT JOIN ${spec.table(r.dimension)} AS d${i} ON d${i}.${ident(r.dimensionKey)} = f.${ident(r.column)}`,
        ),
      ].join('\n') + ';';
    return { table: fact.name, references: refs, scope, rekeyed, rekey, check };
  });
  const forget = [...new Set(spec.facts.flatMap((f) => f.references.map((r) => r.dimension)))]
    .filter((d) => spec.changedMembers?.has(d))
    .map(
      (d) => `DELETE FROM ${spec.table(changedMembersTableName(d))} WHERE ${ident('batch_id')} = ${batch};`,
    );
  return { members: [...members.values()], facts, forget };
}
