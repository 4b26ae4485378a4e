import assert from 'node:assert/strict';
import { test } from 'node:test';
import { renderLineage } from '../../../shared/cli/lineage.command.js';

test('the lineage chain prints one hop a line, gold to source key, with the lake containers named', () => {
  assert.equal(
    renderLineage({
      gold: {
        table: 'fact_activity',
        key: 'sus_apc_episode:EP1',
        batchId: 'b1',
        files: ['fact_activity/batch=b1/part-00000.parquet'],
      },
      silver: { files: ['sus_apc/sus_apc_episode/period=2026-09/b1-00000.parquet'], batchId: 'b1' },
      bronze: { path: 'cdc-sus_apc_episode/2026/12/06/b1.ndjson', batchId: 'b1', line: 4 },
      origin: { kind: 'source', table: 'sus_apc_episode', keyColumns: ['episode_id'], key: 'EP1' },
    }),
    [
      'gold       fact_activity sus_apc_episode:EP1: batch b1, gold/fact_activity/batch=b1/part-00000.parquet',
      'silver     silver/sus_apc/sus_apc_episode/period=2026-09/b1-00000.parquet (batch b1)',
      'bronze     bronze/cdc-sus_apc_episode/2026/12/06/b1.ndjson line 4 (batch b1)',
      'source     sus_apc_episode episode_id = EP1',
    ].join('\n'),
  );
});

test('a landing-file record ends at the file and its row; missing hops say so rather than print nothing', () => {
  const text = renderLineage({
    gold: { table: 'fact_activity', key: 'sus_apc_episode:EP2', batchId: 'b2', files: [] },
    silver: { files: [], batchId: null },
    bronze: { path: null, batchId: 'b2', line: null },
    origin: { kind: 'landing-file', file: 'sus_apc_episode/2026-11.csv', table: 'sus_apc_episode', row: 7 },
  });
  assert.deepEqual(text.split('\n'), [
    'gold       fact_activity sus_apc_episode:EP2: batch b2, (change-set file not found)',
    'silver     (not found)',
    'bronze     (no lineage recorded for the batch) (batch b2)',
    'landing    sus_apc_episode/2026-11.csv (sus_apc_episode) row 7',
  ]);
});
