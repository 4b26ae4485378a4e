import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { DuckDBInstance } from '@duckdb/node-api';
import { FACT_ACTIVITY, GOLD_TABLES } from '../../../shared/domain/gold/gold-tables.js';
import {
  changedMembersSpecs,
  recordChangedMembersSql,
  type ChangedMembersSpec,
} from '../../../shared/domain/warehouse/surrogate-references.js';

/**
 * The dimension apply records a member as changed exactly when the batch's change set would give
 * its facts other keys: its versions (key, valid_from, valid_to) differ from the table's, or it is
 * deleted. An unchanged re-load (same versions, a newer change log) is not recorded. Run in DuckDB
 * (the statement is the same text in both dialects but for quoting) over random histories.
 */

const quote = (name: string): string => `"${name.replace(/"/g, '""')}"`;
const spec: ChangedMembersSpec = {
  dimension: 'dim',
  members: ['member'],
  compare: ['sk', 'valid_from', 'valid_to'],
};

test('only the versioned dimensions facts reference record changed members, compared on the key and validity', () => {
  const specs = changedMembersSpecs(GOLD_TABLES);
  assert.deepEqual([...specs.keys()], ['dim_patient']);
  assert.deepEqual(specs.get('dim_patient'), {
    dimension: 'dim_patient',
    members: FACT_ACTIVITY.references![0]!.member,
    compare: ['patient_sk', 'valid_from', 'valid_to'],
  });
});

test('a member is recorded as changed exactly when its versions differ or it is deleted, once per batch', async () => {
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  // A member's versions: up to 3 of 4 possible cuts, each with one of 2 ends.
  const version = fc.record({ from: fc.integer({ min: 1, max: 4 }), to: fc.integer({ min: 5, max: 6 }) });
  const versions = fc.uniqueArray(version, { maxLength: 3, selector: (v) => v.from });
  const member = fc.record({
    before: versions,
    change: fc.oneof(
      fc.constant<'none' | 'same' | 'delete' | 'other'>('none'),
      fc.constant<'none' | 'same' | 'delete' | 'other'>('same'),
      fc.constant<'none' | 'same' | 'delete' | 'other'>('delete'),
      fc.constant<'none' | 'same' | 'delete' | 'other'>('other'),
    ),
    after: versions,
  });
  let run = 0;
  await fc.assert(
    fc.asyncProperty(fc.array(member, { maxLength: 6 }), async (members) => {
      const schema = `s${run++}`;
      await c.run(`CREATE SCHEMA ${schema}`);
      await c.run(
        `CREATE TABLE ${schema}.dim (sk VARCHAR, member VARCHAR, valid_from INTEGER, valid_to INTEGER)`,
      );
      await c.run(
        `CREATE TABLE ${schema}.changes (sk VARCHAR, member VARCHAR, valid_from INTEGER, valid_to INTEGER, _op VARCHAR)`,
      );
      await c.run(`CREATE TABLE ${schema}.changed (batch_id VARCHAR, member VARCHAR)`);
      const expected: string[] = [];
      const row = (m: number, v: { from: number; to: number }) =>
        `('m${m}:${v.from}', 'm${m}', ${v.from}, ${v.to}`;
      for (const [m, x] of members.entries()) {
        for (const v of x.before) await c.run(`INSERT INTO ${schema}.dim VALUES ${row(m, v)})`);
        const sent = x.change === 'same' ? x.before : x.change === 'other' ? x.after : [];
        for (const v of sent) await c.run(`INSERT INTO ${schema}.changes VALUES ${row(m, v)}, 'upsert')`);
        if (x.change === 'delete')
          await c.run(`INSERT INTO ${schema}.changes VALUES ('m${m}:0', 'm${m}', 0, 0, 'delete')`);
        const key = (vs: { from: number; to: number }[]) =>
          JSON.stringify([...vs].sort((a, b) => a.from - b.from));
        // A member is in the change set only with rows (it is replaced whole or deleted).
        const differs = x.change === 'delete' || (sent.length > 0 && key(sent) !== key(x.before));
        if (differs) expected.push(`m${m}`);
      }
      const sql = recordChangedMembersSql({
        spec,
        target: `${schema}.${quote('dim')}`,
        changed: `${schema}.${quote('changed')}`,
        changes: `${schema}.${quote('changes')}`,
        key: ['sk'],
        batchId: 'b1',
        ident: quote,
      });
      await c.run(sql);
      await c.run(sql); // a retried apply records nothing twice
      const recorded = (
        await c.runAndReadAll(`SELECT batch_id, member FROM ${schema}.changed ORDER BY member`)
      ).getRowObjectsJson();
      assert.deepEqual(
        recorded.map((r) => r.member as string),
        expected.sort(),
      );
      assert.ok(recorded.every((r) => r.batch_id === 'b1'));
    }),
    { numRuns: 60 },
  );
  c.closeSync();
  db.closeSync();
});
