import { test } from 'node:test';
import assert from 'node:assert/strict';
import { linkProject } from '../../../shared/application/use-cases/link-project.use-case.js';
import type { SourceTableName } from '../../../shared/domain/datasets/source-tables.js';
import { OptOutFilter } from '../../../shared/domain/opt-out/opt-out-tokens.js';
import type { PathwayRow } from '../../../shared/domain/pathways/pathway-time.js';
import { CAREFLOW } from '../../support/projects.js';

// The marts judge the opt-out on linked rows: a record with no token that the fallback key links to
// an opted-out person is withheld with the person's other records, and only in the opt-out period.

const OPTED = 'a'.repeat(64);
const OTHER = 'b'.repeat(64);
const KEY = 'f'.repeat(64);

const episode = (id: string, token: string | null, fallback: string | null, start: string): PathwayRow => ({
  episode_id: id,
  provider_code: 'RRK',
  hospital_provider_spell_number: `S${id}`,
  episode_start_date: start,
  patient_token: token,
  token_key_version: 'v1',
  fallback_link_key: fallback,
});

test('a fallback-linked record of an opted-out person is withheld with the person, by its own activity date', () => {
  const rows = new Map<SourceTableName, PathwayRow[]>([
    [
      'sus_apc_episode',
      [
        episode('E1', OPTED, KEY, '2026-09-01'), // the opted-out patient, by token
        episode('E2', null, KEY, '2026-09-02'), // no valid NHS number: linked to E1's person by the fallback key
        episode('E3', null, KEY, '2026-01-15'), // the same person, before the opt-out took effect
        episode('E4', OTHER, 'e'.repeat(64), '2026-09-01'), // someone else
      ],
    ],
  ]);
  const filter = new OptOutFilter(CAREFLOW, ['v1'], [{ tokens: [OPTED], from: '2026-03-01', until: null }]);
  const result = linkProject(CAREFLOW, rows, {
    keyVersion: 'v1',
    withhold: (_table, row) => filter.withholds(row, row.episode_start_date),
  });
  assert.equal(result.withheld.get('sus_apc_episode'), 2);
  assert.deepEqual(
    (result.linked.get('sus_apc_episode') ?? []).map((r) => r.episode_id),
    ['E3', 'E4'],
  );
  // The link-quality counts describe what is published: the withheld rows are not in them.
  const counted = Object.values(result.quality.get('sus_apc_episode') ?? {}).reduce((a, b) => a + b, 0);
  assert.equal(counted, 2);
});

test('without a withhold option every linked row is kept and no withheld count is made', () => {
  const rows = new Map<SourceTableName, PathwayRow[]>([
    ['sus_apc_episode', [episode('E1', OPTED, KEY, '2026-09-01')]],
  ]);
  const result = linkProject(CAREFLOW, rows, { keyVersion: 'v1' });
  assert.equal(result.withheld.size, 0);
  assert.equal(result.linked.get('sus_apc_episode')?.length, 1);
});
