import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  BATCH_LEDGER_TABLE,
  LANDING_LEDGER_PARTITION,
} from '../../../shared/application/use-cases/pipeline/batch-ledger.use-case.js';
import { pipelineStatus } from '../../../shared/application/use-cases/pipeline/pipeline-status.use-case.js';
import { SOURCE_TABLE_NAMES } from '../../../shared/domain/datasets/source-tables.js';
import type { BatchManifest } from '../../../shared/domain/pipeline/pipeline-contracts.js';
import type { PipelineInput } from '../../../shared/domain/pipeline/pipeline-contracts.js';
import {
  csv,
  episode,
  ndjson,
  openPipelineHarness,
  testNhsNumber,
  waitUntil,
  withWrongCheckDigit,
  EPISODE_COLUMNS,
  type PipelineHarness,
} from './pipeline-harness.js';

// Supplier files dropped in landing/ on the embedded default: the real blob trigger (polling
// Azurite), the real orchestrator and activities, the real DuckDB warehouse.

let h: PipelineHarness;
before(async () => {
  h = await openPipelineHarness();
});
after(async () => {
  await h?.close();
});

const CSV_NAME = 'sus_apc_episode/2026-11-mixed.csv';
const badCheckDigit = withWrongCheckDigit(testNhsNumber(4));
const dischargeBeforeAdmission = testNhsNumber(5);
const wrongFieldCount = testNhsNumber(6);
const rows = [
  episode(1),
  episode(2),
  episode(3),
  episode(4, { nhs_number: badCheckDigit }),
  episode(5, { discharge_date: '2026-08-30', episode_end_date: null, episode_status: null }),
  // Row 6: the last column dropped (a field too few).
  EPISODE_COLUMNS.slice(0, -1).map((c) => {
    const value = episode(6)[c];
    return value === null || value === undefined ? '' : String(value);
  }),
  episode(7),
];
const CSV_TEXT = csv(rows);
const badNumbers = [badCheckDigit, dischargeBeforeAdmission, wrongFieldCount];

/** The batch (instance) started for a landing file, once the blob trigger has picked it up. */
async function batchOf(name: string): Promise<string> {
  const id = await waitUntil(
    `an orchestration for landing/${name}`,
    () =>
      h.host.durable
        .list()
        .find(
          (i) =>
            i.name === 'pipelineOrchestrator' && (i.input as PipelineInput | null)?.batch.origin === name,
        )?.instanceId,
  );
  await h.host.waitForIdle({ timeoutMs: 60_000 });
  return id;
}

async function manifest(batchId: string): Promise<BatchManifest> {
  const body = await h.blobs
    .getContainerClient('gold')
    .getBlobClient(`manifests/${batchId}.json`)
    .downloadToBuffer();
  return JSON.parse(body.toString('utf8')) as BatchManifest;
}

async function quarantineRecords(batchId: string): Promise<Record<string, unknown>[]> {
  const names = (await h.list('quarantine')).filter((n) => n.includes(batchId));
  const records: Record<string, unknown>[] = [];
  for (const n of names)
    for (const line of (await h.text('quarantine', n)).split('\n'))
      if (line.trim() !== '') records.push(JSON.parse(line) as Record<string, unknown>);
  return records;
}

async function warehouseCounts(): Promise<{ facts: number; ids: number; patients: number }> {
  const warehouse = await h.services.pipeline.warehouse();
  const [facts] = await warehouse.query(
    "SELECT count(*)::INTEGER AS facts, count(DISTINCT activity_id)::INTEGER AS ids FROM fact_activity WHERE source_table = 'sus_apc_episode'",
  );
  const [dim] = await warehouse.query('SELECT count(*)::INTEGER AS patients FROM dim_patient');
  return {
    facts: Number(facts?.facts),
    ids: Number(facts?.ids),
    patients: Number(dim?.patients),
  };
}

let csvBatch = '';

test('a CSV dropped in landing reconciles: 6 readable records = 4 accepted + 2 quarantined, the short row reported unreadable', async () => {
  await h.drop(CSV_NAME, CSV_TEXT);
  csvBatch = await batchOf(CSV_NAME);
  assert.equal(h.host.instance(csvBatch)?.runtimeStatus, 'Completed', JSON.stringify(h.host.status()));
  const m = await manifest(csvBatch);
  assert.equal(m.status, 'succeeded');
  assert.equal(m.origin, CSV_NAME);
  assert.equal(m.table, 'sus_apc_episode');
  assert.deepEqual(
    {
      records: m.counts.records,
      unreadable: m.counts.unreadable,
      accepted: m.counts.accepted,
      quarantined: m.counts.quarantined,
      silverRows: m.counts.silverRows,
      factRows: m.counts.factRows,
    },
    { records: 6, unreadable: 1, accepted: 4, quarantined: 2, silverRows: 4, factRows: 4 },
  );
  assert.equal(m.counts.records, m.counts.accepted + m.counts.quarantined);
  assert.equal(m.counts.records + m.counts.unreadable, rows.length, 'every data row is accounted for');
  assert.equal(m.chunks.total, 1);
  assert.deepEqual(m.chunks.failed, []);
  const counts = await warehouseCounts();
  assert.equal(counts.facts, 4);
  assert.equal(counts.ids, 4);
});

test('each bad row of the CSV is quarantined with its batch, row number, field and rule, and no values', async () => {
  const records = await quarantineRecords(csvBatch);
  const rejected = records
    .filter((r) => r.severity === 'reject')
    .map((r) => ({ row: r.row, field: r.field, rule: r.rule }))
    .sort((a, b) => Number(a.row) - Number(b.row) || String(a.field).localeCompare(String(b.field)));
  assert.deepEqual(rejected, [
    { row: 4, field: 'nhs_number', rule: 'SUS.NHS_NUMBER.CHECK_DIGIT' },
    { row: 5, field: 'discharge_date', rule: 'SUS.DISCHARGE_DATE.BEFORE_ADMISSION' },
    // Discharge before admission also puts the episode's start after its discharge.
    { row: 5, field: 'episode_start_date', rule: 'SUS.EPISODE_START_DATE.AFTER_DISCHARGE' },
    { row: 6, field: '(record)', rule: 'FILE.COLUMN_COUNT' },
  ]);
  for (const r of records) {
    assert.equal(r.batchId, csvBatch);
    assert.equal(r.table, 'sus_apc_episode');
    assert.equal(typeof r.message, 'string');
  }
  const unreadable = records.find((r) => r.rule === 'FILE.COLUMN_COUNT');
  assert.equal(unreadable?.file, CSV_NAME);
  assert.equal(
    unreadable?.message,
    `${CSV_NAME} row 6: expected ${EPISODE_COLUMNS.length} fields, received ${EPISODE_COLUMNS.length - 1}`,
  );
});

test('every quarantine record of a dropped file names the file it came from', async () => {
  const records = await quarantineRecords(csvBatch);
  assert.ok(records.length >= 3);
  for (const r of records) assert.equal(r.file, CSV_NAME, `${String(r.rule)} names the file`);
});

test("no quarantine object, silver or gold object, poison message, ledger row or log line holds a bad row's NHS number", async () => {
  const ledger: unknown[] = [];
  for (const partition of [...SOURCE_TABLE_NAMES, LANDING_LEDGER_PARTITION])
    for await (const e of h.services.pipeline.state.list(BATCH_LEDGER_TABLE, partition)) ledger.push(e);
  const haystacks: [string, string][] = [
    ['quarantine', await h.text('quarantine')],
    ['gold', await h.text('gold', 'manifests/')],
    ['logs', h.logs()],
    ['poison queue', JSON.stringify(await h.peekQueue('nhs-flows-batches-poison'))],
    ['the ledger', JSON.stringify(ledger)],
  ];
  assert.ok(h.logs().includes('batch manifest written'), 'the logs were captured');
  for (const [where, text] of haystacks)
    for (const n of [...badNumbers, testNhsNumber(1), testNhsNumber(2)])
      assert.ok(!text.includes(n), `an NHS number leaked into ${where}`);
  const silver = await h.list('silver');
  assert.ok(silver.length > 0 && silver.every((p) => p.endsWith('.parquet')));
});

test('dropping the same file again starts no second batch and changes no warehouse count', async () => {
  const before = await warehouseCounts();
  const instances = h.host.durable.list().length;
  const manifests = await h.list('gold', 'manifests/');
  const bronze = await h.list('bronze', 'file-sus_apc_episode/');
  await h.drop(CSV_NAME, CSV_TEXT);
  // The trigger fires again for the new blob version (a new ETag): wait for its second receipt.
  await waitUntil('a second blob receipt for the re-dropped file', async () =>
    (await h.list('azure-webjobs-hosts', 'blobreceipts/')).filter((r) => r.endsWith(`landing/${CSV_NAME}`))
      .length === 2
      ? true
      : undefined,
  );
  await h.host.waitForIdle({ timeoutMs: 60_000 });
  assert.equal(h.host.durable.list().length, instances, 'no new orchestration');
  assert.deepEqual(await h.list('gold', 'manifests/'), manifests);
  assert.deepEqual(await h.list('bronze', 'file-sus_apc_episode/'), bronze);
  assert.deepEqual(await warehouseCounts(), before);
  assert.match(h.logs(), new RegExp(`landing file batch ${csvBatch} already known`));
});

const NDJSON_NAME = 'sus_apc_episode/2026-11-feed.ndjson';

test('an NDJSON file with a malformed line reports that line as unreadable with its row number and loads the rest', async () => {
  const text = ndjson([
    episode(11),
    '{"episode_id": "EPT000012", "provider_code": ',
    '',
    episode(13),
    '[1, 2]',
  ]);
  await h.drop(NDJSON_NAME, text);
  const batchId = await batchOf(NDJSON_NAME);
  assert.equal(h.host.instance(batchId)?.runtimeStatus, 'Completed');
  const m = await manifest(batchId);
  assert.equal(m.status, 'succeeded');
  assert.deepEqual(
    {
      records: m.counts.records,
      unreadable: m.counts.unreadable,
      accepted: m.counts.accepted,
      quarantined: m.counts.quarantined,
      factRows: m.counts.factRows,
    },
    { records: 2, unreadable: 2, accepted: 2, quarantined: 0, factRows: 2 },
  );
  // The file's unreadable lines (FILE.*); its episodes may also carry warnings of their own (an
  // episode whose spell the pipeline never received: SUS.SPELL_NOT_FOUND), which are not the subject here.
  const unreadable = (await quarantineRecords(batchId))
    .filter((r) => String(r.rule).startsWith('FILE.'))
    .map((r) => ({
      file: r.file,
      row: r.row,
      field: r.field,
      rule: r.rule,
      message: r.message,
    }));
  assert.deepEqual(unreadable, [
    {
      file: NDJSON_NAME,
      row: 2,
      field: '(record)',
      rule: 'FILE.JSON_MALFORMED',
      message: `${NDJSON_NAME} row 2: not valid JSON`,
    },
    {
      file: NDJSON_NAME,
      row: 4,
      field: '(record)',
      rule: 'FILE.NOT_AN_OBJECT',
      message: `${NDJSON_NAME} row 4: expected a JSON object`,
    },
  ]);
});

test('a file under an unknown table is rejected at once onto the pipeline poison queue, naming the table, and writes nothing to bronze or silver', async () => {
  const silverBefore = await h.list('silver');
  const bronzeBefore = await h.list('bronze');
  await h.drop('not_a_table/x.csv', csv([episode(21)]));
  const message = await waitUntil('the rejected-file message on the pipeline poison queue', async () =>
    (await h.peekQueue('nhs-flows-batches-poison')).find((m) => m.file === 'not_a_table/x.csv'),
  );
  assert.equal(message.kind, 'nhs-flows.rejected-file');
  assert.equal(message.code, 'FILE.UNKNOWN_TABLE');
  assert.match(String(message.reason), /not_a_table\/x\.csv rejected \(FILE\.UNKNOWN_TABLE\)/);
  // The log line is written after the message is queued: wait for it rather than race it.
  await waitUntil('the rejection log line', async () =>
    /"msg":"landing file rejected".*"file":"not_a_table\/x\.csv"/.test(h.logs()) ? true : undefined,
  );
  await h.host.waitForIdle({ timeoutMs: 30_000 });
  assert.equal(
    h.host.status().functionFailures.filter((f) => f.function === 'landingFile').length,
    0,
    'a permanent rejection: the host does not retry it',
  );
  assert.deepEqual(
    await h.list('landing-deadletter'),
    [],
    'its event was not dead-lettered (a delivery failure), which no status shows',
  );
  assert.deepEqual(await h.list('silver'), silverBefore);
  assert.deepEqual(await h.list('bronze'), bronzeBefore);
});

test('the rejection of a file under an unknown table shows in the status failures and the ledger, naming the landing file', async () => {
  const status = await pipelineStatus(h.services.pipeline);
  const failure = status.failures.find((f) => f.reason.includes('not_a_table/x.csv'));
  assert.equal(failure?.status, 'rejected');
  assert.equal(failure?.table, LANDING_LEDGER_PARTITION);
  assert.ok(status.poisonQueue >= 1);
});

const CORRECTED_NAME = 'sus_apc_episode/2026-11-corrected.csv';

test('a file that carries the same episode twice (a correction later in the file) loads one fact for it, from the later row', async () => {
  const text = csv([
    episode(71),
    episode(72),
    episode(71, { episode_start_date: '2026-09-02', modified_at: '2026-10-31T10:00:00.000Z' }),
  ]);
  await h.drop(CORRECTED_NAME, text);
  const batchId = await batchOf(CORRECTED_NAME);
  const status = h.host.instance(batchId);
  assert.equal(status?.runtimeStatus, 'Completed', String(status?.output));
  const m = await manifest(batchId);
  assert.equal(m.status, 'succeeded');
  assert.equal(m.counts.records, 3);
  const warehouse = await h.services.pipeline.warehouse();
  const rows = await warehouse.query(
    "SELECT record_key, strftime(activity_date, '%Y-%m-%d') AS activity_date FROM fact_activity WHERE record_key IN ('EPT000071', 'EPT000072') ORDER BY record_key",
  );
  assert.deepEqual(rows, [
    { record_key: 'EPT000071', activity_date: '2026-09-02' },
    { record_key: 'EPT000072', activity_date: '2026-09-01' },
  ]);
});
