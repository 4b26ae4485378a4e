import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  BATCH_LEDGER_TABLE,
  LANDING_LEDGER_PARTITION,
} from '../../../shared/application/use-cases/pipeline/batch-ledger.use-case.js';
import { pipelineStatus } from '../../../shared/application/use-cases/pipeline/pipeline-status.use-case.js';
import { renderStatus } from '../../../shared/cli/status.command.js';
import { SOURCE_TABLE_NAMES } from '../../../shared/domain/datasets/source-tables.js';
import type { BatchManifest, PipelineInput } from '../../../shared/domain/pipeline/pipeline-contracts.js';
import {
  csv,
  episode,
  ndjson,
  openPipelineHarness,
  testNhsNumber,
  waitUntil,
  EPISODE_COLUMNS,
  type PipelineHarness,
} from './pipeline-harness.js';

// Issue 9 items 5 and 6 on the real local host (blob trigger on Azurite, durable orchestrator,
// activities): a corpus of bad landing files with planted identifiers. Bad rows are reported and
// the rest loads; file-level problems reject the file at once (no retries) onto the pipeline's
// poison queue; nothing on any failure path carries an identifier.

let h: PipelineHarness;

/** Planted identifiers: NHS numbers, names, dates of birth, postcodes, local ids of the corpus rows. */
const planted: string[] = [];
function row(i: number, changes: Record<string, string | null> = {}) {
  const id = String(i).padStart(4, '0');
  const r = episode(i, {
    patient_name: `MARROWBY ${id}`,
    date_of_birth: `1929-0${(i % 9) + 1}-1${i % 10}`,
    postcode: `QX${i % 10} 7WV`,
    local_patient_id: `LPMARROW${id}`,
    ...changes,
  });
  for (const c of ['nhs_number', 'patient_name', 'date_of_birth', 'postcode', 'local_patient_id'])
    if (typeof r[c] === 'string') planted.push(r[c]);
  return r;
}
const headerless = csv([row(201), row(202)])
  .split('\n')
  .slice(1)
  .join('\n');
// No other quoted field in these rows (the clean row's secondary diagnoses hold a comma), so the
// stray quote stays open to the end of the file.
const unquoted = { secondary_diagnoses: 'E119' };
const unbalanced = csv([row(211, unquoted), row(212, unquoted), row(213, unquoted)]).replace(
  `,MARROWBY 0212`,
  `,"MARROWBY 0212`,
);
const junk = Buffer.concat([
  Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x00, 0x00]),
  Buffer.from(testNhsNumber(221)),
]);
planted.push(testNhsNumber(221));
const latin1 = Buffer.from(csv([row(231, { patient_name: 'RENÉE MARROWBY' })]), 'latin1');
planted.push('RENÉE MARROWBY');

const FILES = {
  headerless: 'sus_apc_episode/headerless.csv',
  unbalanced: 'sus_apc_episode/unbalanced.csv',
  binary: 'sus_apc_episode/binary.csv',
  latin1: 'sus_apc_episode/latin1.csv',
  headerOnly: 'sus_apc_episode/header-only.csv',
  empty: 'sus_apc_episode/empty.ndjson',
  ndjson: 'sus_apc_episode/broken.ndjson',
  unknownTable: 'not_a_table/x.csv',
} as const;

before(async () => {
  h = await openPipelineHarness();
  await h.drop(FILES.headerless, headerless);
  await h.drop(FILES.unbalanced, unbalanced);
  await h.drop(FILES.binary, junk);
  await h.drop(FILES.latin1, latin1);
  await h.drop(FILES.headerOnly, `\uFEFF${EPISODE_COLUMNS.join(',')}\r\n`);
  await h.drop(FILES.empty, '');
  await h.drop(
    FILES.ndjson,
    ndjson([row(241), `{"nhs_number": "${testNhsNumber(242)}", "patient_name": "MARROWBY`, row(243)]),
  );
  planted.push(testNhsNumber(242));
  await h.drop(FILES.unknownTable, csv([row(251)]));
});
after(async () => {
  await h?.close();
});

async function instanceFor(name: string): Promise<string> {
  const id = await waitUntil(
    `an orchestration for landing/${name}`,
    () =>
      h.host.durable.list().find((i) => (i.input as PipelineInput | null)?.batch.origin === name)?.instanceId,
  );
  await waitUntil(
    `the orchestration for ${name} to finish`,
    () => ['Completed', 'Failed'].includes(String(h.host.instance(id)?.runtimeStatus)),
    // Generous: the machine is shared, and a loaded one slows the durable runtime, not the rules.
    180_000,
  );
  return id;
}

async function poison(): Promise<Record<string, unknown>[]> {
  return h.peekQueue(h.env.settings.NHSFLOWS_POISON_QUEUE);
}

for (const [file, code] of [
  [FILES.headerless, 'FILE.HEADER_MISSING'],
  [FILES.binary, 'FILE.BINARY'],
  [FILES.latin1, 'FILE.NOT_UTF8'],
] as const)
  test(`${file} is rejected at once (${code}): one planChunks attempt, a poison message and a failed ledger row naming the file`, async () => {
    const id = await instanceFor(file);
    const status = h.host.durable.status(id, { showHistory: true });
    assert.equal(status?.runtimeStatus, 'Failed');
    const attempts = (status?.history ?? []).filter((e) => e.EventType === 4 && e.Name === 'planChunks');
    assert.equal(attempts.length, 1, 'a permanent failure: no retries');
    const message = (await poison()).find(
      (m) => (m.batch as { origin?: string } | undefined)?.origin === file,
    );
    assert.ok(message, 'on the pipeline poison queue');
    assert.match(
      String(message.reason),
      new RegExp(`landing file ${file.replace('.', '\\.')} rejected \\(${code}\\)`),
    );
    const ledger = await h.services.pipeline.state.get(BATCH_LEDGER_TABLE, 'sus_apc_episode', id);
    assert.equal(ledger?.value.status, 'failed');
    assert.ok(String(ledger?.value.failureReason).includes(code));
  });

test('an unbalanced quote costs one row: the batch completes with the other rows and the row reported with its line', async () => {
  const id = await instanceFor(FILES.unbalanced);
  assert.equal(h.host.instance(id)?.runtimeStatus, 'Completed');
  const manifest = h.host.instance(id)?.output as BatchManifest;
  assert.equal(manifest.status, 'succeeded');
  assert.deepEqual(
    { records: manifest.counts.records, unreadable: manifest.counts.unreadable },
    { records: 2, unreadable: 1 },
  );
  const reported = (await h.text('quarantine'))
    .split('\n')
    .filter((l) => l.includes(id) && l.includes('FILE.'));
  assert.equal(reported.length, 1);
  const record = JSON.parse(reported[0] ?? '{}') as Record<string, unknown>;
  assert.deepEqual(
    [record.row, record.line, record.rule, record.file],
    [2, 3, 'FILE.QUOTE_UNBALANCED', FILES.unbalanced],
  );
});

test('a broken NDJSON line costs one row; the others load', async () => {
  const id = await instanceFor(FILES.ndjson);
  const manifest = h.host.instance(id)?.output as BatchManifest;
  assert.equal(manifest.status, 'succeeded');
  assert.equal(manifest.counts.records + manifest.counts.unreadable, 3);
  assert.equal(manifest.counts.unreadable, 1);
});

for (const [file, code] of [
  [FILES.headerOnly, 'FILE.HEADER_ONLY'],
  [FILES.empty, 'FILE.EMPTY'],
] as const)
  test(`${file} is reported as empty (${code}) in the manifest, the ledger and the status, not as succeeded`, async () => {
    const id = await instanceFor(file);
    assert.equal(h.host.instance(id)?.runtimeStatus, 'Completed');
    const manifest = h.host.instance(id)?.output as BatchManifest;
    assert.equal(manifest.status, 'empty');
    assert.equal(manifest.notice?.code, code);
    const ledger = await h.services.pipeline.state.get(BATCH_LEDGER_TABLE, 'sus_apc_episode', id);
    assert.equal(ledger?.value.status, 'empty');
    assert.equal(ledger?.value.noticeCode, code);
    const status = await pipelineStatus(h.services.pipeline);
    assert.ok(status.notices.some((n) => n.batchId === id && n.reason.startsWith(code)));
    assert.match(renderStatus(status), new RegExp(`empty landing files: \\d+[\\s\\S]*${id}: ${code}`));
  });

test('a file under an unknown table goes to the pipeline poison queue and the status at once, not to the host blob poison queue', async () => {
  const message = await waitUntil('the rejected-file message', async () =>
    (await poison()).find((m) => m.kind === 'nhs-flows.rejected-file' && m.file === FILES.unknownTable),
  );
  assert.equal(message.code, 'FILE.UNKNOWN_TABLE');
  assert.match(String(message.reason), /^landing file not_a_table\/x\.csv rejected \(FILE\.UNKNOWN_TABLE\)/);
  await h.host.waitForIdle({ timeoutMs: 30_000 });
  assert.equal(
    h.host.status().functionFailures.filter((f) => f.function === 'landingFile').length,
    0,
    'the landing function did not fail, so the host retries nothing',
  );
  assert.deepEqual(await h.list('landing-deadletter'), [], 'no landing event was dead-lettered');
  const ledger: unknown[] = [];
  for await (const e of h.services.pipeline.state.list(BATCH_LEDGER_TABLE, LANDING_LEDGER_PARTITION))
    ledger.push(e.value);
  assert.equal(ledger.length, 1);
  const status = await pipelineStatus(h.services.pipeline);
  assert.ok(status.failures.some((f) => f.status === 'rejected' && f.reason.includes('FILE.UNKNOWN_TABLE')));
  assert.match(renderStatus(status), /\(no source table\)\s+1\s+1\s/);
});

test('no planted identifier reaches the poison queue, the ledger, the logs, the durable history, the status or quarantine', async () => {
  for (const f of Object.values(FILES)) if (f !== FILES.unknownTable) await instanceFor(f);
  await h.host.waitForIdle({ timeoutMs: 60_000 });
  const ledger: unknown[] = [];
  for (const partition of [...SOURCE_TABLE_NAMES, LANDING_LEDGER_PARTITION])
    for await (const e of h.services.pipeline.state.list(BATCH_LEDGER_TABLE, partition)) ledger.push(e);
  const history = h.host.durable
    .list()
    .map((i) => h.host.durable.status(i.instanceId, { showHistory: true }));
  const status = await pipelineStatus(h.services.pipeline);
  const haystacks: [string, string][] = [
    ['the poison queue', JSON.stringify(await poison())],
    ['the ledger', JSON.stringify(ledger)],
    ['the logs', h.logs()],
    ['the durable history', JSON.stringify(history)],
    ['the status', JSON.stringify(status) + renderStatus(status)],
    ['the host status', JSON.stringify(h.host.status())],
    ['quarantine', await h.text('quarantine')],
    ['gold manifests', await h.text('gold', 'manifests/')],
  ];
  assert.ok((await poison()).length >= 4, 'the rejections are on the queue');
  assert.ok(ledger.length >= 8, 'every file has a ledger row');
  for (const [where, text] of haystacks)
    for (const id of new Set(planted))
      assert.ok(!text.includes(id), `a planted identifier leaked into ${where}`);
});
