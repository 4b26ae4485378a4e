import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { BlobObjectStore } from '../../../shared/adapters/azure/blob-object-store.azure.js';
import { loadReferenceData } from '../../../shared/adapters/local/reference-data.loader.js';
import {
  buildDqScorecard,
  renderDqScorecard,
} from '../../../shared/application/use-cases/dq-scorecard.use-case.js';
import {
  validateBatchChunk,
  type ValidateChunkSummary,
} from '../../../shared/application/use-cases/validate-batch.use-case.js';
import type { SourceRow } from '../../../shared/domain/datasets/source-tables.js';
import { lakePaths } from '../../../shared/domain/lake/lake-paths.js';
import { InputError } from '../../../shared/domain/errors.js';
import { CLEAN_ROWS, EXTRACT_DATE } from '../../unit/datasets/clean-rows.js';
import { testAzurite, uniqueName } from '../../support/azurite.js';

const azurite = await testAzurite();
after(() => azurite.stop());
const lake = BlobObjectStore.fromConnectionString(azurite.connectionString);
const reference = loadReferenceData();
before(() => lake.ensureContainers(['quarantine', 'gold']));

const ep = (id: string, changes: SourceRow = {}): SourceRow => ({
  ...CLEAN_ROWS.sus_apc_episode,
  episode_id: id,
  hospital_provider_spell_number: `S${id}`,
  ...changes,
});

test('a chunk is validated, its failures land in quarantine as NDJSON and the summary is small JSON', async () => {
  const batchId = uniqueName('b');
  const rows = [
    { n: 11, row: ep('E1') },
    { n: 12, row: ep('E2', { nhs_number: null }) },
    { n: 13, row: ep('E3', { nhs_number: '9990000019' }) },
  ];
  const { summary, accepted } = await validateBatchChunk(
    { table: 'sus_apc_episode', batchId, chunk: 3, extractDate: EXTRACT_DATE, rows },
    { lake, reference },
  );
  assert.deepEqual(
    accepted.map((r) => r.n),
    [11, 12],
  );
  assert.equal(summary.counts.in, 3);
  assert.equal(summary.counts.quarantined, 1);
  assert.equal(summary.quarantinePath, lakePaths.quarantine('sus_apc', 'sus_apc_episode', batchId, 3));
  const ndjson = (await lake.get('quarantine', summary.quarantinePath))?.toString() ?? '';
  const records = ndjson
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { row: number; rule: string; outcome: string; recordKey: string });
  assert.deepEqual(
    records.map((r) => [r.row, r.recordKey, r.rule, r.outcome]),
    [
      [12, 'E2', 'SUS.MISSING_NHS_NUMBER', 'accepted'],
      [13, 'E3', 'SUS.NHS_NUMBER.CHECK_DIGIT', 'quarantined'],
    ],
  );
  assert.ok(!ndjson.includes('9990000019'));
  const json = JSON.stringify(summary);
  assert.ok(json.length < 20_000, `summary is ${json.length} bytes`);
  assert.deepEqual(JSON.parse(json), summary);
});

test('a clean chunk writes no quarantine object', async () => {
  const { summary } = await validateBatchChunk(
    {
      table: 'sus_apc_episode',
      batchId: uniqueName('b'),
      chunk: 0,
      extractDate: EXTRACT_DATE,
      rows: [{ n: 1, row: ep('E1') }],
    },
    { lake, reference },
  );
  assert.equal(summary.quarantinePath, null);
});

test('chunk DQ states merge, with states stored in the lake, into one scorecard', async () => {
  const batchId = uniqueName('b');
  const summaries: ValidateChunkSummary[] = [];
  for (const [chunk, ids] of [
    [0, ['E1', 'E2']],
    [1, ['E3', 'E4']],
  ] as const) {
    const { summary } = await validateBatchChunk(
      {
        table: 'sus_apc_episode',
        batchId,
        chunk,
        extractDate: EXTRACT_DATE,
        rows: ids.map((id, i) => ({ n: chunk * 2 + i + 1, row: ep(id, id === 'E4' ? { sex: 'X' } : {}) })),
      },
      { lake, reference },
    );
    summaries.push(summary);
  }
  const previous = `dq-state/${batchId}/previous.json`;
  await lake.put('gold', previous, JSON.stringify(summaries[1]!.dq));
  const result = await buildDqScorecard(
    {
      states: [summaries[0]!.dq],
      statePaths: [{ container: 'gold', path: previous }],
      expected: [{ provider: 'RRK', dataset: 'sus_apc', period: '2026-09' }],
    },
    { lake },
  );
  const records = result.rows.find((r) => r.measure === 'records');
  assert.equal(records?.numerator, 4);
  const sexDefaults = result.rows.find((r) => r.field === 'sex' && r.measure === 'default_use');
  assert.equal(sexDefaults?.numerator, 1);
  const text = renderDqScorecard(result.rows);
  assert.match(text, /^RRK\s+sus_apc\s+2026-09\s+4\s+0\.0\s+100\s/m);

  await assert.rejects(
    buildDqScorecard(
      { statePaths: [{ container: 'gold', path: `dq-state/${batchId}/missing.json` }] },
      { lake },
    ),
    (e: unknown) => e instanceof InputError && /missing\.json does not exist/.test(e.message),
  );
});
