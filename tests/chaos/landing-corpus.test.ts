import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  BATCH_LEDGER_TABLE,
  LANDING_LEDGER_PARTITION,
} from '../../shared/application/use-cases/pipeline/batch-ledger.use-case.js';
import { pipelineStatus } from '../../shared/application/use-cases/pipeline/pipeline-status.use-case.js';
import { renderStatus } from '../../shared/cli/status.command.js';
import { SOURCE_TABLE_NAMES } from '../../shared/domain/datasets/source-tables.js';
import { GOLD_TABLES } from '../../shared/domain/gold/gold-tables.js';
import type { BatchManifest, PipelineInput } from '../../shared/domain/pipeline/pipeline-contracts.js';
import {
  openPipelineHarness,
  waitUntil,
  type PipelineHarness,
} from '../integration/pipeline/pipeline-harness.js';
import { corpus, planted, type Case } from '../support/landing-corpus.js';
import { CHAOS_FULL, renderSummary, type ChaosOutcome } from './support/chaos-run.js';

// Issue 9 item 8, the bad-input half of the chaos suite: the landing corpus (encodings, BOM, CRLF,
// broken quoting, wrong, missing and absent headers, empty and header-only files, huge fields,
// binary junk, broken NDJSON lines, impossible dates, injection payloads) dropped into landing on
// the real local host, end to end (blob trigger, orchestrator, every activity, the warehouse).
// Every data row is accepted, quarantined or reported; every file-level problem is a rejection
// with a code; no function crashes; no planted identifier reaches any output.

/** The short form (inside `npm test`): one file of each broad class. */
const SHORT = new Set([
  'sus_apc_episode/clean-bom-crlf.csv',
  'sus_apc_episode/headerless.csv',
  'sus_apc_episode/unbalanced-quote.csv',
  'sus_apc_episode/huge-fields.csv',
  'sus_apc_episode/impossible-dates.csv',
  'sus_apc_episode/sql-and-markup-injection.ndjson',
  'sus_apc_episode/broken-lines.ndjson',
  'sus_apc_episode/header-only.csv',
  'sus_apc_episode/binary.csv',
]);
const files: readonly Case[] = CHAOS_FULL ? corpus : corpus.filter((c) => SHORT.has(c.name));

let h: PipelineHarness;
const outcomes: ChaosOutcome[] = [];
const started = Date.now();
before(async () => {
  h = await openPipelineHarness();
  for (const c of files) await h.drop(c.name, c.body);
});
after(async () => {
  process.stdout.write(`\n${renderSummary('chaos suite: landing corpus', outcomes)}\n`);
  await h?.close();
});

const poison = () => h.peekQueue(h.env.settings.NHSFLOWS_POISON_QUEUE);

async function instanceFor(name: string): Promise<string> {
  const id = await waitUntil(
    `an orchestration for landing/${name}`,
    () =>
      h.host.durable.list().find((i) => (i.input as PipelineInput | null)?.batch.origin === name)?.instanceId,
    60_000,
  );
  await waitUntil(
    `the orchestration for ${name} to finish`,
    () => ['Completed', 'Failed'].includes(String(h.host.instance(id)?.runtimeStatus)),
    300_000,
  );
  return id;
}

for (const c of files)
  test(`${c.name}: every row accepted, quarantined or reported (${c.expect.outcome}${'code' in c.expect ? `, ${c.expect.code}` : ''})`, async () => {
    let outcome = 'failed';
    let passed = false;
    try {
      const expect = c.expect;
      if (expect.outcome === 'rejected' && expect.at === 'landing') {
        const message = await waitUntil(
          'the rejected-file message',
          async () => (await poison()).find((m) => m.kind === 'nhs-flows.rejected-file' && m.file === c.name),
          60_000,
        );
        assert.equal(message.code, expect.code);
        outcome = `rejected at landing (${expect.code})`;
        passed = true;
        return;
      }
      const id = await instanceFor(c.name);
      const instance = h.host.instance(id);
      if (expect.outcome === 'rejected') {
        assert.equal(instance?.runtimeStatus, 'Failed');
        const message = (await poison()).find(
          (m) => (m.batch as { origin?: string } | undefined)?.origin === c.name,
        );
        assert.ok(message, 'on the pipeline poison queue');
        assert.ok(String(message.reason).includes(expect.code), 'the reason carries the code');
        outcome = `rejected (${expect.code}), ${c.dataRows} rows reported with the file`;
        passed = true;
        return;
      }
      assert.equal(instance?.runtimeStatus, 'Completed', JSON.stringify(instance?.output).slice(0, 500));
      const manifest = instance?.output as BatchManifest;
      if (expect.outcome === 'empty') {
        assert.equal(manifest.status, 'empty');
        assert.equal(manifest.notice?.code, expect.code);
        outcome = `empty (${expect.code})`;
        passed = true;
        return;
      }
      const n = manifest.counts;
      assert.notEqual(manifest.status, 'failed', JSON.stringify(manifest.chunks.failed));
      assert.deepEqual(manifest.chunks.failed, [], 'no chunk failed');
      assert.equal(n.records + n.unreadable, c.dataRows, 'every data row is a record or reported unreadable');
      assert.equal(n.unreadable, expect.unreadable.length);
      assert.equal(n.accepted + n.quarantined, n.records, 'every record is accepted or quarantined');
      outcome = `${n.accepted} accepted, ${n.quarantined} quarantined, ${n.unreadable} reported`;
      passed = true;
    } finally {
      outcomes.push({ point: c.name, outcome, passed, seconds: (Date.now() - started) / 1000 });
    }
  });

test('nothing crashed: no landing function failure, nothing on the host blob poison queue', async () => {
  await h.host.waitForIdle({ timeoutMs: 120_000 });
  assert.deepEqual(
    h.host.status().functionFailures.map((f) => f.function),
    [],
    'no function invocation failed',
  );
  assert.deepEqual(await h.list('landing-deadletter'), [], 'no landing event was dead-lettered');
});

test('no planted identifier reaches the logs, poison queue, ledger, durable history, status, quarantine, manifests or warehouse', async () => {
  await h.host.waitForIdle({ timeoutMs: 120_000 });
  const ledger: unknown[] = [];
  for (const partition of [...SOURCE_TABLE_NAMES, LANDING_LEDGER_PARTITION])
    for await (const e of h.services.pipeline.state.list(BATCH_LEDGER_TABLE, partition)) ledger.push(e);
  const history = h.host.durable
    .list()
    .map((i) => h.host.durable.status(i.instanceId, { showHistory: true }));
  const status = await pipelineStatus(h.services.pipeline);
  const warehouse = await h.services.pipeline.warehouse();
  const tables: unknown[] = [];
  for (const t of GOLD_TABLES) tables.push(await warehouse.query(`SELECT * FROM ${t.name}`).catch(() => []));
  const haystacks: [string, string][] = [
    ['the logs', h.logs()],
    ['the poison queue', JSON.stringify(await poison())],
    ['the ledger', JSON.stringify(ledger)],
    ['the durable history', JSON.stringify(history)],
    ['the status', JSON.stringify(status) + renderStatus(status)],
    ['the host status', JSON.stringify(h.host.status())],
    ['quarantine', await h.text('quarantine')],
    ['gold manifests', await h.text('gold', 'manifests/')],
    ['the warehouse', JSON.stringify(tables, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v))],
  ];
  assert.ok(
    (tables as unknown[][]).some((t) => t.length > 0),
    'rows reached the warehouse',
  );
  let leaks = 0;
  for (const [where, text] of haystacks)
    for (const id of new Set(planted))
      if (text.includes(id)) {
        leaks++;
        assert.fail(`a planted identifier leaked into ${where}`);
      }
  outcomes.push({
    point: 'identifier scan (9 outputs)',
    outcome: `${leaks} leaks`,
    passed: leaks === 0,
    seconds: (Date.now() - started) / 1000,
  });
});
