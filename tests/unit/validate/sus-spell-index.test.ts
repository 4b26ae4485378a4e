import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { EventPublisher } from '../../../shared/application/ports/event-publisher.port.js';
import {
  recordingReferrals,
  type ReferralRecorder,
} from '../../../shared/application/use-cases/poll-sources.use-case.js';
import type { Delta } from '../../../shared/domain/capture/delta.js';
import type { SourceRow, SourceTableName } from '../../../shared/domain/datasets/source-tables.js';
import { MemoryReferralIndex, spellIndexId } from '../../../shared/domain/validate/referral-index.js';
import { row, validate } from './validate-fixtures.js';

const delta = (sourceTable: SourceTableName, op: Delta['op'], r: SourceRow | null): Delta => ({
  eventId: `e-${Math.random()}`,
  op,
  sourceTable,
  businessKey: ['k'],
  rowHash: null,
  previousHash: null,
  hashSpecVersion: 1,
  sourceVersion: null,
  capturedAt: '2026-11-01T00:00:00.000Z',
  snapshot: false,
  row: r,
});

test('a spell is known in the parent index by provider + hospital provider spell number', () => {
  assert.equal(spellIndexId(row('sus_apc_spell')), 'RRK|SP0000000001');
  assert.equal(
    spellIndexId(row('sus_apc_episode')),
    spellIndexId(row('sus_apc_spell')),
    'the episode names it the same way',
  );
  assert.notEqual(
    spellIndexId(row('sus_apc_spell', { provider_code: 'RM1' })),
    spellIndexId(row('sus_apc_spell')),
    'the same spell number at another provider is another spell',
  );
  assert.equal(spellIndexId(row('sus_apc_spell', { hospital_provider_spell_number: null })), undefined);
});

test('capture records published spells (inserts and updates, not deletes) in the parent index before forwarding', async () => {
  const recorded: { table: string; ids: string[] }[] = [];
  const recorder: ReferralRecorder = {
    record: async (table, referrals) => {
      recorded.push({ table, ids: referrals.map((r) => r.id) });
    },
  };
  const forwarded: Delta[] = [];
  const inner: EventPublisher = {
    publish: async (deltas) => {
      forwarded.push(...deltas);
      return { deltas: deltas.length, events: 1, bytes: 0 };
    },
    close: async () => {},
  };
  const deltas = [
    delta('sus_apc_spell', 'insert', row('sus_apc_spell')),
    delta('sus_apc_spell', 'update', row('sus_apc_spell', { hospital_provider_spell_number: 'SP2' })),
    delta('sus_apc_spell', 'delete', null),
    delta('sus_apc_episode', 'insert', row('sus_apc_episode', { hospital_provider_spell_number: 'SP9' })),
  ];
  await recordingReferrals(inner, recorder).publish(deltas);
  assert.deepEqual(recorded, [{ table: 'sus_apc_spell', ids: ['RRK|SP0000000001', 'RRK|SP2'] }]);
  assert.equal(forwarded.length, deltas.length);
});

test('SUS.SPELL_NOT_FOUND reports an episode whose spell was never received, keeps it, and passes one whose spell was', async () => {
  const spells = new MemoryReferralIndex().addSpellRows([row('sus_apc_spell')]);
  const episodes = [
    row('sus_apc_episode', { episode_id: 'E1' }),
    row('sus_apc_episode', { episode_id: 'E2', hospital_provider_spell_number: 'SP0000000002' }),
    // the same spell number at another provider is another, unknown spell
    row('sus_apc_episode', { episode_id: 'E3', provider_code: 'RM1', site_code: null }),
  ];
  const result = await validate('sus_apc_episode', episodes, { referralIndex: spells });
  const orphans = result.records.filter((r) => r.rule === 'SUS.SPELL_NOT_FOUND');
  assert.deepEqual(
    orphans.map((r) => [r.recordKey, r.field, r.severity]),
    [
      ['E2', 'hospital_provider_spell_number', 'warn'],
      ['E3', 'hospital_provider_spell_number', 'warn'],
    ],
  );
  assert.ok(orphans.every((r) => r.message.includes('orphan episode')));
  assert.equal(result.counts.accepted, 3, 'an orphan episode is reported, not quarantined');
});

test('without a parent index the orphan rule does not judge (it has nothing to judge against)', async () => {
  const result = await validate('sus_apc_episode', [row('sus_apc_episode')]);
  assert.equal(result.records.filter((r) => r.rule === 'SUS.SPELL_NOT_FOUND').length, 0);
});
