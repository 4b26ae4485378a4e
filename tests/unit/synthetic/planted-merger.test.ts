import assert from 'node:assert/strict';
import { test } from 'node:test';
import { organisationSuccession } from '../../../shared/domain/reference/organisation-succession.js';
import { catalogue, generateAll, reference } from './synthetic-fixture.js';

// The reference data plants one trust merger (RZZ, synthetic, taken over by RRK on 2024-04-01):
// the generator records the successor's activity that ended before the merger under the
// predecessor, as the predecessor submitted it, so the marts have a merger to roll up.

const { rows, report } = generateAll({ patients: 400, seed: 5, defects: { rate: 0 } });

test('the merger the generator plants comes from the reference successor columns', () => {
  assert.deepEqual(
    catalogue.mergers.map((m) => [m.predecessor, m.successor]),
    [['RZZ', 'RRK']],
  );
  assert.equal(organisationSuccession(reference.organisations()).rollUp('RZZ'), 'RRK');
  assert.ok(
    catalogue.areas.every((a) => a.acuteProviders.every((p) => p.code !== 'RZZ')),
    'a closed trust is never drawn as a provider',
  );
  const [merger] = report.mergers;
  assert.ok(merger && merger.rows > 0, 'the population has activity under the predecessor');
  assert.equal(merger.from, '2024-04-01');
});

test('every row under the predecessor ended before the merger, has no site, and its spell and episodes agree', () => {
  const under = (table: keyof typeof rows) => rows[table].filter((r) => r.provider_code === 'RZZ');
  const spells = under('sus_apc_spell');
  const episodes = under('sus_apc_episode');
  assert.ok(spells.length > 0 && episodes.length > 0 && under('ecds_attendance').length > 0);
  for (const spell of spells) {
    assert.ok(typeof spell.discharge_date === 'string' && spell.discharge_date < '2024-04-01');
    assert.equal(spell.site_code, null);
  }
  const spellNumbers = new Set(spells.map((s) => s.hospital_provider_spell_number));
  for (const episode of episodes) assert.ok(spellNumbers.has(episode.hospital_provider_spell_number));
  for (const a of under('ecds_attendance')) assert.ok(String(a.arrival_at) < '2024-04-01');
  for (const t of under('dids_imaging_test')) assert.ok(String(t.test_date) < '2024-04-01');
  // The successor keeps everything from the merger on, and spells still open on the day.
  assert.ok(
    rows.sus_apc_spell.some((s) => s.provider_code === 'RRK' && String(s.admission_date) >= '2024-04-01'),
  );
  assert.equal(
    spells.length + episodes.length + under('ecds_attendance').length + under('dids_imaging_test').length,
    report.mergers[0]?.rows,
  );
});
