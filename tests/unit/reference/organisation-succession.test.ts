import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadReferenceData } from '../../../shared/adapters/local/reference-data.loader.js';
import {
  organisationSuccession,
  successionsOf,
  successorCodeOf,
} from '../../../shared/domain/reference/organisation-succession.js';

/** Organisation rows reduced to what succession reads. */
function orgs(...rows: [code: string, successor: string | null, date: string | null][]) {
  return rows.map(([code, successorCode, successorDate]) => ({ code, successorCode, successorDate }));
}

test('an organisation without a successor, or unknown to the reference data, rolls up to itself', () => {
  const s = organisationSuccession(orgs(['RAA', null, null], ['RBB', 'RCC', '2024-04-01']));
  assert.equal(s.rollUp('RAA'), 'RAA');
  assert.equal(s.rollUp('ZZZ'), 'ZZZ');
  assert.deepEqual(s.chain('RAA'), ['RAA']);
  assert.deepEqual(s.cycles, []);
});

test('successions are followed transitively to the last organisation of the chain', () => {
  const s = organisationSuccession(
    orgs(['RAA', 'RBB', '2022-04-01'], ['RBB', 'RCC', '2024-04-01'], ['RCC', null, null], ['RDD', 'RBB', '2023-10-01']),
  );
  for (const code of ['RAA', 'RBB', 'RDD', 'RCC']) assert.equal(s.rollUp(code), 'RCC', code);
  assert.deepEqual(s.chain('RAA'), ['RAA', 'RBB', 'RCC']);
  assert.equal(successorCodeOf(orgs(['RAA', 'RBB', null]), 'RAA'), 'RBB');
});

test('with asOf only successions in effect on that day apply (undated ones always do)', () => {
  const s = organisationSuccession(orgs(['RAA', 'RBB', '2022-04-01'], ['RBB', 'RCC', '2024-04-01'], ['REE', 'RFF', null]));
  assert.equal(s.rollUp('RAA', '2022-03-31'), 'RAA', 'the day before the merger');
  assert.equal(s.rollUp('RAA', '2022-04-01'), 'RBB', 'the merger day itself');
  assert.equal(s.rollUp('RAA', '2024-03-31T23:59:59Z'), 'RBB', 'a timestamp is read by its date');
  assert.equal(s.rollUp('RAA', '2024-04-01'), 'RCC');
  assert.equal(s.rollUp('REE', '1990-01-01'), 'RFF');
});

test('a succession naming the organisation itself is ignored', () => {
  const s = organisationSuccession(orgs(['RAA', 'RAA', '2022-04-01']));
  assert.equal(s.rollUp('RAA'), 'RAA');
  assert.equal(successionsOf(orgs(['RAA', 'RAA', null])).size, 0);
});

test('where versions of one organisation disagree, the latest-dated succession wins', () => {
  const rows = orgs(['RAA', 'RBB', null], ['RAA', 'RCC', '2023-01-01'], ['RAA', 'RDD', '2021-01-01']);
  assert.equal(organisationSuccession(rows).rollUp('RAA'), 'RCC');
  assert.equal(organisationSuccession([...rows].reverse()).rollUp('RAA'), 'RCC', 'order of rows does not matter');
});

// Every cycle shape: a self-contained loop, a three-loop, and chains that lead into a loop.
for (const [what, rows, members, entries] of [
  ['a two-organisation cycle', orgs(['RBB', 'RAA', null], ['RAA', 'RBB', null]), ['RAA', 'RBB'], []],
  [
    'a three-organisation cycle',
    orgs(['RCC', 'RAA', null], ['RAA', 'RBB', null], ['RBB', 'RCC', null]),
    ['RAA', 'RBB', 'RCC'],
    [],
  ],
  [
    'a chain leading into a cycle',
    orgs(['RXX', 'RYY', null], ['RYY', 'RCC', null], ['RCC', 'RBB', null], ['RBB', 'RCC', null]),
    ['RBB', 'RCC'],
    ['RXX', 'RYY'],
  ],
] as const) {
  test(`cycle-safe: ${what} ends, and every code in or into it rolls up to one code`, () => {
    const s = organisationSuccession(rows);
    const lowest = [...members].sort()[0];
    for (const code of [...members, ...entries]) {
      assert.equal(s.rollUp(code), lowest, code);
      const path = s.chain(code);
      assert.equal(new Set(path).size, path.length, `no code repeats in the chain from ${code}`);
    }
    assert.deepEqual(s.cycles, [[...members].sort()]);
  });
}

test('the shipped reference data has no succession cycle, and every successor is a known organisation', () => {
  const all = loadReferenceData().organisations();
  const s = organisationSuccession(all);
  assert.deepEqual(s.cycles, []);
  const known = new Set(all.map((o) => o.code));
  for (const succession of successionsOf(all).values()) assert.ok(known.has(succession.successor), succession.successor);
});
