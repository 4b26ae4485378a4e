import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LINK_COLUMNS, confidenceOf } from '../../../shared/domain/link/link-quality.js';
import { PersonLinker, linkRows, linkViaParent } from '../../../shared/domain/link/person-linker.js';
import { GuardError } from '../../../shared/domain/errors.js';
import { invertRekeyTable } from '../../../shared/domain/pseudonymise/rekey.js';
import { CAREFLOW, COMMUNITY360 } from '../../support/projects.js';

const T1 = '1'.repeat(64);
const T2 = '2'.repeat(64);
const T3 = '3'.repeat(64);
const FA = 'a'.repeat(64);
const FB = 'b'.repeat(64);
const FC = 'c'.repeat(64);
const opts = { project: CAREFLOW, keyVersion: 'v1' };
const row = (id: string, token: string | null, fallback: string | null, version = 'v1') => ({
  id,
  patient_token: token,
  token_key_version: version,
  fallback_link_key: fallback,
});

test('records with the same token link deterministically to one person whatever their fallback key', () => {
  const linked = linkRows([row('a', T1, FA), row('b', T1, null), row('c', T1, FB)], opts);
  assert.equal(new Set(linked.map((r) => r.person_id)).size, 1);
  for (const r of linked) {
    assert.equal(r.link_quality, 'deterministic');
    assert.equal(r.link_confidence, 1);
  }
  assert.match(linked[0]!.person_id!, /^P[0-9a-f]{24}$/);
});

test('a record without a token links to the one tokened person with its fallback key at 0.95', () => {
  const linked = linkRows([row('a', T1, FA), row('b', null, FA)], opts);
  assert.equal(linked[1]!.person_id, linked[0]!.person_id);
  assert.equal(linked[1]!.link_quality, 'probabilistic-0.95');
  assert.equal(linked[1]!.link_confidence, 0.95);
});

test('a fallback key shared by two tokened persons is ambiguous: the untokened record is unlinked', () => {
  const linked = linkRows([row('a', T1, FA), row('b', T2, FA), row('c', null, FA)], opts);
  assert.equal(linked[2]!.person_id, null);
  assert.equal(linked[2]!.link_quality, 'unlinked');
  assert.equal(linked[2]!.link_confidence, 0);
  assert.notEqual(linked[0]!.person_id, linked[1]!.person_id);
});

test('untokened records sharing a fallback key no tokened person has form one person at 0.80', () => {
  const linked = linkRows([row('a', T1, FA), row('b', null, FB), row('c', null, FB)], opts);
  assert.equal(linked[1]!.person_id, linked[2]!.person_id);
  assert.match(linked[1]!.person_id!, /^F[0-9a-f]{24}$/);
  assert.equal(linked[1]!.link_quality, 'probabilistic-0.80');
  assert.equal(confidenceOf(linked[1]!.link_quality), 0.8);
});

test('a record with neither token nor fallback key is unlinked', () => {
  const [r] = linkRows([row('a', null, null)], opts);
  assert.deepEqual([r!.person_id, r!.link_quality], [null, 'unlinked']);
});

test('person ids are stable: the same input in another order gives the same ids', () => {
  const rows = [row('a', T1, FA), row('b', null, FA), row('c', T3, FC), row('d', null, FB)];
  const first = new Map(linkRows(rows, opts).map((r) => [r.id, r.person_id]));
  const second = new Map(linkRows([...rows].reverse(), opts).map((r) => [r.id, r.person_id]));
  assert.deepEqual(first, second);
});

test('person ids differ between projects for the same token', () => {
  const a = new PersonLinker(opts).personIdOfToken(T1);
  const b = new PersonLinker({ ...opts, project: COMMUNITY360 }).personIdOfToken(T1);
  assert.notEqual(a, b);
});

test('a record at an older key version without a re-key table stops linkage with KEY_VERSION_MISMATCH', () => {
  assert.throws(
    () => linkRows([row('a', T1, null, 'v0')], opts),
    (e: unknown) =>
      e instanceof GuardError && e.code === 'KEY_VERSION_MISMATCH' && /key version 'v0'/.test(e.message),
  );
});

test('re-key tables are chained: v1 → v2 → v3 records link with v3 records', () => {
  const v1v2 = {
    project: CAREFLOW,
    fromVersion: 'v1',
    toVersion: 'v2',
    tokens: new Map([[T1, T2]]),
    fallbackKeys: new Map([[FA, FB]]),
  };
  const v2v3 = {
    project: CAREFLOW,
    fromVersion: 'v2',
    toVersion: 'v3',
    tokens: new Map([[T2, T3]]),
    fallbackKeys: new Map([[FB, FC]]),
  };
  const linked = linkRows(
    [row('old', T1, null, 'v1'), row('new', T3, FC, 'v3'), row('fb-old', null, FA, 'v1')],
    {
      ...opts,
      keyVersion: 'v3',
      rekey: [v2v3, v1v2],
    },
  );
  assert.equal(linked[0]!.person_id, linked[1]!.person_id);
  assert.equal(linked[2]!.person_id, linked[1]!.person_id);
  assert.equal(linked[2]!.link_quality, 'probabilistic-0.95');
});

test('anchored at the old version, records at newer versions link back through the tables read backwards (two rotations)', () => {
  const v1v2 = {
    project: CAREFLOW,
    fromVersion: 'v1',
    toVersion: 'v2',
    tokens: new Map([[T1, T2]]),
    fallbackKeys: new Map([[FA, FB]]),
  };
  const v2v3 = {
    project: CAREFLOW,
    fromVersion: 'v2',
    toVersion: 'v3',
    tokens: new Map([[T2, T3]]),
    fallbackKeys: new Map([[FB, FC]]),
  };
  const linker = new PersonLinker({
    ...opts,
    keyVersion: 'v1',
    rekey: [v1v2, invertRekeyTable(v1v2), v2v3, invertRekeyTable(v2v3)],
  });
  const rows = [row('at-v1', T1, FA, 'v1'), row('at-v3', T3, FC, 'v3'), row('fb-at-v2', null, FB, 'v2')];
  for (const r of rows) linker.observe(r);
  const [a, b, c] = rows.map((r) => linker.link(r));
  assert.equal(a!.person_id, b!.person_id);
  assert.equal(c!.person_id, a!.person_id);
  assert.equal(c!.link_quality, 'probabilistic-0.95');
  assert.deepEqual(linker.linkTokens(rows[1]!), { token: T1, fallback: FA, version: 'v1' });
});

test('a person first seen after a rotation (unknown to the re-key table) keeps the token of the version they were first seen at', () => {
  const v1v2 = {
    project: CAREFLOW,
    fromVersion: 'v1',
    toVersion: 'v2',
    tokens: new Map([[T1, T2]]),
    fallbackKeys: new Map<string, string>(),
  };
  const T4 = '4'.repeat(64);
  const linker = new PersonLinker({ ...opts, keyVersion: 'v1', rekey: [v1v2, invertRekeyTable(v1v2)] });
  assert.deepEqual(linker.linkTokens(row('new-person', T4, null, 'v2')), {
    token: T4,
    fallback: null,
    version: 'v2',
  });
  assert.equal(
    linker.link(row('new-person', T4, null, 'v2')).person_id,
    linker.link(row('again', T4, null, 'v2')).person_id,
  );
  assert.notEqual(linker.link(row('new-person', T4, null, 'v2')).person_id, linker.personIdOfToken(T1));
});

test('contacts take the person of their referral; an orphan contact is unlinked', () => {
  const [referral] = linkRows([row('R1', T1, FA)], opts);
  const parents = new Map([['R1', referral!]]);
  assert.equal(linkViaParent('R1', parents).person_id, referral!.person_id);
  assert.equal(linkViaParent('R404', parents).link_quality, 'unlinked');
  assert.equal(linkViaParent(null, parents).person_id, null);
});

test('the link columns are person_id, link_quality and link_confidence', () => {
  assert.deepEqual(
    LINK_COLUMNS.map((c) => `${c.name}:${c.type}`),
    ['person_id:string', 'link_quality:string', 'link_confidence:double'],
  );
});
