import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  SOURCE_TABLE_NAMES,
  SOURCE_TABLES,
  type SourceRow,
} from '../../../shared/domain/datasets/source-tables.js';
import { AGE_BANDS, ageAtActivity, ageBand } from '../../../shared/domain/pseudonymise/age-band.js';
import {
  IDENTIFIER_COLUMN_NAMES,
  pseudonymiseRow,
  silverColumns,
  type PseudonymiseContext,
} from '../../../shared/domain/pseudonymise/silver-row.js';
import { projectForTable } from '../../../shared/domain/pseudonymise/projects.js';
import { apcRow, careflowKey, community360Key, ecdsRow, postcodes, prescribingRow } from './row-fixtures.js';
import { CAREFLOW, COMMUNITY360 } from '../../support/projects.js';

const careflow = (): PseudonymiseContext => ({
  project: CAREFLOW,
  key: careflowKey(),
  postcodeToLsoa: postcodes,
});
const c360 = (): PseudonymiseContext => ({
  project: COMMUNITY360,
  key: community360Key(),
  postcodeToLsoa: postcodes,
});

const ageCases = [
  ['day before the 18th birthday', '2008-05-10', '2026-05-09', 17, '5-17'],
  ['on the 18th birthday', '2008-05-10', '2026-05-10', 18, '18-24'],
  ['a newborn on the day of birth', '2026-01-01', '2026-01-01', 0, '0-4'],
  ['on the 5th birthday', '2021-03-01', '2026-03-01', 5, '5-17'],
  ['the day before the 5th birthday', '2021-03-02', '2026-03-01', 4, '0-4'],
  ['a 29 February birthday in a non-leap year, on 28 February', '2000-02-29', '2026-02-28', 25, '25-34'],
  ['a 29 February birthday in a non-leap year, on 1 March', '1980-02-29', '2026-03-01', 46, '45-54'],
  ['on the 85th birthday', '1941-06-01', '2026-06-01', 85, '85+'],
  ['the day before the 85th birthday', '1941-06-02', '2026-06-01', 84, '75-84'],
  ['activity before birth', '2026-06-02', '2026-06-01', null, null],
  ['a malformed date of birth', '2026/06/02', '2026-06-01', null, null],
] as const;
for (const [name, dob, at, age, band] of ageCases) {
  test(`age at activity and band: ${name}`, () => {
    const a = ageAtActivity(dob, at);
    assert.equal(a, age);
    assert.equal(ageBand(a), band);
  });
}

test('every whole age from 0 to 120 falls in exactly one age band', () => {
  for (let age = 0; age <= 120; age++) {
    const hits = AGE_BANDS.filter((b) => age >= b.from && age <= b.to);
    assert.equal(hits.length, 1, `age ${age}`);
    assert.equal(ageBand(age), hits[0]!.label);
  }
});

test('silver columns drop every identifier and add the pseudonym columns in place, for every table', () => {
  for (const table of SOURCE_TABLE_NAMES) {
    const names = silverColumns(table).map((c) => c.name);
    for (const id of IDENTIFIER_COLUMN_NAMES) assert.ok(!names.includes(id), `${table} keeps ${id}`);
    const has = (column: string) => SOURCE_TABLES[table].columns.some((c) => c.name === column);
    const hasNhs = has('nhs_number');
    for (const added of ['patient_token', 'token_key_version', 'fallback_link_key'])
      assert.equal(names.includes(added), hasNhs, `${table} ${added}`);
    for (const added of ['age_at_activity', 'age_band'])
      assert.equal(names.includes(added), hasNhs && has('date_of_birth'), `${table} ${added}`);
    // A table without the postcode (the SUS spell: its episodes carry the address) has no LSOA.
    assert.equal(names.includes('lsoa'), hasNhs && has('postcode'), `${table} lsoa`);
    assert.equal(new Set(names).size, names.length, `${table} has duplicate columns`);
  }
});

test('silver columns of SUS+ APC keep source order with the identity block replaced', () => {
  const names = silverColumns('sus_apc_episode').map((c) => c.name);
  assert.deepEqual(names.slice(0, 13), [
    'episode_id',
    'provider_code',
    'site_code',
    'hospital_provider_spell_number',
    'episode_number',
    'patient_token',
    'token_key_version',
    'fallback_link_key',
    'age_at_activity',
    'age_band',
    'sex',
    'ethnic_category',
    'lsoa',
  ]);
  const types = Object.fromEntries(silverColumns('sus_apc_episode').map((c) => [c.name, c.type]));
  assert.equal(silverColumns('sus_apc_spell').find((c) => c.name === 'tariff_gbp')?.type, 'decimal(10,2)');
  assert.equal(types.admission_date, 'date');
  assert.equal(types.modified_at, 'timestamp');
  assert.equal(types.change_version, 'bigint');
  assert.equal(types.age_at_activity, 'int');
  assert.equal(silverColumns('ecds_attendance').find((c) => c.name === 'arrival_at')?.type, 'string');
});

test('a pseudonymised row has exactly its silver columns, in order', () => {
  const row = pseudonymiseRow('sus_apc_episode', apcRow(), careflow());
  assert.deepEqual(
    Object.keys(row),
    silverColumns('sus_apc_episode').map((c) => c.name),
  );
});

test('a pseudonymised row carries token, key version, age at the activity date, band and LSOA', () => {
  const row = pseudonymiseRow('sus_apc_episode', apcRow(), careflow());
  assert.equal(row.patient_token, 'e106dc8836c4292538ec75b1970eff324208588bf318a81ff58df261c013ab73');
  assert.equal(row.token_key_version, 'v1');
  assert.equal(row.age_at_activity, 46); // born 1980-02-29, episode starts 2026-03-01
  assert.equal(row.age_band, '45-54');
  assert.equal(row.lsoa, 'E01090077');
  assert.equal(row.episode_hrg, 'EB03E');
  assert.equal(row.primary_diagnosis, 'I219');
});

test('the age uses the local date of a datetimeoffset activity column', () => {
  // Arrival 2026-03-01 00:30 +01:00 is 2026-02-28 in UTC; the person turns 46 on the local date.
  const row = pseudonymiseRow('ecds_attendance', ecdsRow(), c360());
  assert.equal(row.age_at_activity, 46);
});

test('a fixed activity date in the context overrides the row activity date', () => {
  const ctx: PseudonymiseContext = { ...careflow(), activityDate: '2026-02-28' };
  assert.equal(pseudonymiseRow('sus_apc_episode', apcRow(), ctx).age_at_activity, 45);
});

test('the postcode is dropped and an unknown postcode gives a null LSOA', () => {
  const row = pseudonymiseRow('sus_apc_episode', apcRow({ postcode: 'ZZ99 3VZ' }), careflow());
  assert.ok(!('postcode' in row));
  assert.equal(row.lsoa, null);
  assert.equal(row.fallback_link_key, null);
});

test('a postcode in another spacing or case still finds its LSOA', () => {
  assert.equal(
    pseudonymiseRow('sus_apc_episode', apcRow({ postcode: 'b10dh' }), careflow()).lsoa,
    'E01090077',
  );
});

test('a row without a usable NHS number gets a null token and a fallback link key', () => {
  const row = pseudonymiseRow('sus_apc_episode', apcRow({ nhs_number: '9990000019' }), careflow());
  assert.equal(row.patient_token, null);
  assert.equal(row.token_key_version, 'v1');
  assert.match(String(row.fallback_link_key), /^[0-9a-f]{64}$/);
});

test('the same patient gets the same token in SUS+ APC and prescribing within careflow', () => {
  const ctx = careflow();
  const a = pseudonymiseRow('sus_apc_episode', apcRow(), ctx);
  const b = pseudonymiseRow('prescribing_item', prescribingRow(), ctx);
  assert.equal(a.patient_token, b.patient_token);
  assert.equal(a.fallback_link_key, b.fallback_link_key);
});

test('the same patient gets different tokens in careflow and community360', () => {
  const a = pseudonymiseRow('sus_apc_episode', apcRow(), careflow());
  const b = pseudonymiseRow('ecds_attendance', ecdsRow(), c360());
  assert.notEqual(a.patient_token, b.patient_token);
  assert.notEqual(a.fallback_link_key, b.fallback_link_key);
});

test('a table is refused under the other project or with the other project key', () => {
  assert.throws(
    () => pseudonymiseRow('ecds_attendance', ecdsRow(), careflow()),
    /belongs to project 'community360'/,
  );
  assert.throws(
    () => pseudonymiseRow('sus_apc_episode', apcRow(), { ...careflow(), key: community360Key() }),
    /key for project 'community360'/,
  );
});

test('tables with only a local patient id lose it and gain no pseudonym columns', () => {
  const row = pseudonymiseRow(
    'csds_care_contact',
    {
      care_contact_id: 'CC1',
      referral_id: 'R1',
      provider_code: 'RYW',
      local_patient_id: 'LOC-1',
      contact_date: '2026-03-03',
      activity_location_type: 'A01',
      attend_or_dna: '5',
      care_activity_type: '01',
      modified_at: '2026-03-03T10:00:00.000Z',
      change_version: '9',
    },
    c360(),
  );
  assert.deepEqual(
    Object.keys(row),
    silverColumns('csds_care_contact').map((c) => c.name),
  );
  assert.ok(!('local_patient_id' in row));
});

test('a scan of a pseudonymised sample finds no NHS number, date of birth, postcode, name or local id', () => {
  const nhs = ['9990000018', '9990000026', '9990001235', '9990000034'];
  const dobs = ['1980-02-29', '1955-07-14', '2019-11-30', '1990-01-01'];
  const pcs = ['B1 0DH', 'B1 0SA', 'NR1 1AA', 'ZZ99 3VZ'];
  const sample: { table: 'sus_apc_episode' | 'prescribing_item'; row: SourceRow }[] = [];
  for (let i = 0; i < 40; i++) {
    const k = i % 4;
    const identity = {
      nhs_number: k === 3 ? null : nhs[k]!,
      date_of_birth: dobs[k]!,
      postcode: pcs[k]!,
      local_patient_id: `LOC-SECRET-${i}`,
      patient_name: `NAME SECRET ${i}`,
    };
    sample.push({ table: 'sus_apc_episode', row: apcRow({ ...identity, episode_id: `EP${i}` }) });
    const rx = {
      nhs_number: identity.nhs_number,
      date_of_birth: identity.date_of_birth,
      postcode: identity.postcode,
    };
    sample.push({ table: 'prescribing_item', row: prescribingRow({ ...rx, item_id: `IT${i}` }) });
  }
  const ctx = careflow();
  const text = sample.map((s) => JSON.stringify(pseudonymiseRow(s.table, s.row, ctx))).join('\n');
  const forbidden = [...nhs, '999 000 0018', ...dobs, ...pcs, 'B10DH', 'LOC-SECRET', 'NAME SECRET'];
  for (const value of forbidden) assert.ok(!text.includes(value), `silver sample contains ${value}`);
  assert.ok(!/\b999\d{7}\b/.test(text), 'silver sample contains a 999-range number');
  assert.ok(!/"(nhs_number|date_of_birth|postcode|local_patient_id|patient_name)"/.test(text));
});

test('every table belongs to one of the two projects', () => {
  for (const table of SOURCE_TABLE_NAMES)
    assert.ok(['careflow', 'community360'].includes(projectForTable(table)));
});
