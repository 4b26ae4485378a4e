import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { versionedApplySql } from '../../shared/domain/warehouse/version-guard.js';

/**
 * The Synapse apply (T-SQL dialect of version-guard.ts) must decide exactly what the DuckDB apply
 * (the reference behaviour) decides. Synapse cannot run here, so both dialects' statements run in
 * DuckDB with the same quoting: the only differences between them are the DELETE forms (T-SQL: an
 * unaliased target named by its table name inside EXISTS, the form Synapse dedicated pools
 * document; DuckDB: a semi-join on the replace group before the guarded EXISTS), and those must
 * not change a single row, over many random histories.
 */

const quote = (name: string): string => `"${name.replace(/"/g, '""')}"`;

/** A small deterministic PRNG so a failing case can be replayed from its seed. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

type Row = { k: string; g: string; v1: number | null; v2: number | null; val: number };

async function setUp(
  c: DuckDBConnection,
  schema: string,
  target: Row[],
  tombs: Row[],
  changes: (Row & { op: string; seq: number })[],
) {
  await c.run(`CREATE SCHEMA ${schema}`);
  await c.run(
    `CREATE TABLE ${schema}.fact (k VARCHAR, g VARCHAR, v1 INTEGER, v2 INTEGER, val INTEGER, batch_id VARCHAR)`,
  );
  await c.run(`CREATE TABLE ${schema}.fact_tombstones (g VARCHAR, v1 INTEGER, v2 INTEGER, batch_id VARCHAR)`);
  await c.run(
    `CREATE TABLE ${schema}.changes (k VARCHAR, g VARCHAR, v1 INTEGER, v2 INTEGER, val INTEGER, batch_id VARCHAR, _op VARCHAR, _seq BIGINT)`,
  );
  const lit = (v: number | null): string => (v === null ? 'NULL' : String(v));
  for (const r of target)
    await c.run(
      `INSERT INTO ${schema}.fact VALUES ('${r.k}', '${r.g}', ${lit(r.v1)}, ${lit(r.v2)}, ${r.val}, 'old')`,
    );
  for (const r of tombs)
    await c.run(`INSERT INTO ${schema}.fact_tombstones VALUES ('${r.g}', ${lit(r.v1)}, ${lit(r.v2)}, 'old')`);
  for (const r of changes)
    await c.run(
      `INSERT INTO ${schema}.changes VALUES ('${r.k}', '${r.g}', ${lit(r.v1)}, ${lit(r.v2)}, ${r.val}, 'new', '${r.op}', ${r.seq})`,
    );
}

async function rows(c: DuckDBConnection, sql: string): Promise<string> {
  return JSON.stringify((await c.runAndReadAll(sql)).getRowObjectsJson());
}

test('the T-SQL apply keeps exactly the rows and tombstones the DuckDB apply keeps, over 150 random histories', async () => {
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  try {
    for (let seed = 1; seed <= 150; seed += 1) {
      const rnd = prng(seed);
      const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
      const version = (): number | null => (rnd() < 0.15 ? null : Math.floor(rnd() * 4));
      const groups = ['g1', 'g2', 'g3', 'g4'];
      const target: Row[] = [];
      const tombs: Row[] = [];
      for (const g of groups) {
        const roll = rnd();
        if (roll < 0.5)
          for (let i = 0; i < 1 + Math.floor(rnd() * 2); i += 1)
            target.push({ k: `${g}-${i}`, g, v1: version(), v2: version(), val: Math.floor(rnd() * 100) });
        else if (roll < 0.75) tombs.push({ k: '', g, v1: version(), v2: version(), val: 0 });
      }
      // The change set is already the latest row per key (the CTAS step), one op per key.
      const changes: (Row & { op: string; seq: number })[] = [];
      let seq = 0;
      for (const g of groups) {
        if (rnd() < 0.3) continue;
        for (let i = 0; i < 1 + Math.floor(rnd() * 2); i += 1) {
          const v1 = version();
          const v2 = version();
          changes.push({
            k: `${g}-${i}`,
            g,
            v1,
            v2,
            val: Math.floor(rnd() * 100),
            op: pick(['upsert', 'upsert', 'delete']),
            seq: (seq += 1),
          });
        }
      }
      const results: string[] = [];
      for (const dialect of ['duckdb', 'tsql'] as const) {
        const schema = `s${seed}_${dialect}`;
        await setUp(c, schema, target, tombs, changes);
        const sql = versionedApplySql({
          dialect,
          target: `${quote(schema)}.${quote('fact')}`,
          tombstones: `${quote(schema)}.${quote('fact_tombstones')}`,
          changes: `${quote(schema)}.${quote('changes')}`,
          key: ['k'],
          replaceBy: ['g'],
          version: ['v1', 'v2'],
          columns: ['k', 'g', 'v1', 'v2', 'val', 'batch_id'],
          ident: quote,
        });
        await c.run('BEGIN TRANSACTION');
        for (const statement of sql.apply) await c.run(statement);
        await c.run('COMMIT');
        results.push(
          (await rows(c, `SELECT k, g, v1, v2, val, batch_id FROM ${schema}.fact ORDER BY ALL`)) +
            (await rows(c, `SELECT g, v1, v2, batch_id FROM ${schema}.fact_tombstones ORDER BY ALL`)),
        );
        if (dialect === 'tsql')
          assert.ok(
            sql.apply
              .filter((s) => s.startsWith('DELETE'))
              .every((s) => s.startsWith(`DELETE FROM "${schema}".`) && !/ AS [td] WHERE/.test(s)),
            'the T-SQL deletes name the target unaliased',
          );
      }
      assert.equal(results[1], results[0], `seed ${seed}: the T-SQL apply differs from the DuckDB apply`);
    }
  } finally {
    c.closeSync();
  }
});
