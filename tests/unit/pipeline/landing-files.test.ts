import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { MemoryObjectStore } from '../../../shared/adapters/memory/memory-object-store.js';
import { MemoryStateStore } from '../../../shared/adapters/memory/memory-state-store.js';
import { fixedClock } from '../../../shared/application/ports/clock.port.js';
import { memoryLogger } from '../../../shared/application/ports/logger.port.js';
import type { MessageQueue, QueueMessage } from '../../../shared/application/ports/message-queue.port.js';
import { memoryTelemetry } from '../../../shared/application/ports/telemetry.port.js';
import type { OrchestrationStarter } from '../../../shared/application/ports/orchestration-starter.port.js';
import {
  BATCH_LEDGER_TABLE,
  reportFailure,
} from '../../../shared/application/use-cases/pipeline/batch-ledger.use-case.js';
import { ingestLandingFile } from '../../../shared/application/use-cases/pipeline/ingest-landing-file.use-case.js';
import type { PipelineDeps } from '../../../shared/application/use-cases/pipeline/pipeline-deps.js';
import { planChunks } from '../../../shared/application/use-cases/pipeline/plan-chunks.use-case.js';
import { pipelineStatus } from '../../../shared/application/use-cases/pipeline/pipeline-status.use-case.js';
import { loadSettings } from '../../../shared/config/settings.schema.js';
import {
  SOURCE_TABLES,
  SOURCE_TABLE_NAMES,
  type SourceRow,
} from '../../../shared/domain/datasets/source-tables.js';
import { decodeRecords, type BatchDescriptor } from '../../../shared/domain/pipeline/batch-record.js';
import { permanentFailuresAsResults } from '../../../shared/domain/pipeline/activity-outcome.js';
import type { ChunkPlan, PipelineInput } from '../../../shared/domain/pipeline/pipeline-contracts.js';
import {
  COLUMNS,
  HEADER,
  corpus,
  csv,
  e,
  episode,
  field,
  planted,
  type Case,
} from '../../support/landing-corpus.js';

// Issue 9 items 5 and 6: a corpus of bad landing files through the real use cases (landing →
// planChunks → reportFailure, as the landing function and the orchestrator call them) on the
// memory twins. Every data row ends as a record (accepted or quarantined later) or an unreadable row
// with its line number; only file-level problems reject the file, at once, with a code; no failure
// path carries an identifier planted in the corpus.

class MemoryQueue implements MessageQueue {
  readonly name = 'nhs-flows-batches-poison';
  readonly messages: Record<string, unknown>[] = [];
  async ensure(): Promise<void> {}
  async send(message: Readonly<Record<string, unknown>>): Promise<void> {
    this.messages.push(JSON.parse(JSON.stringify(message)) as Record<string, unknown>);
  }
  async receive(): Promise<QueueMessage[]> {
    return [];
  }
  async delete(): Promise<void> {}
  async release(): Promise<void> {}
  async count(): Promise<number> {
    return this.messages.length;
  }
}

function openDeps() {
  const lake = new MemoryObjectStore();
  const state = new MemoryStateStore();
  const poisonQueue = new MemoryQueue();
  const logger = memoryLogger();
  const telemetry = memoryTelemetry();
  const starts: { instanceId: string; input: PipelineInput }[] = [];
  const starter: OrchestrationStarter = {
    start: async (_orchestration, instanceId, input) => {
      starts.push({ instanceId, input: input as PipelineInput });
      return { started: true };
    },
  };
  const deps = {
    settings: { ...loadSettings({}), NHSFLOWS_CHUNK_SIZE: 2 },
    lake,
    state,
    poisonQueue,
    clock: fixedClock('2026-11-30T10:00:00.000Z'),
    logger,
    telemetry,
  } as unknown as PipelineDeps;
  return { deps, lake, state, poisonQueue, logger, telemetry, starts, starter };
}

type Outcome =
  | { kind: 'loaded' | 'empty'; plan: ChunkPlan & { notice?: { code: string; message: string } } }
  | { kind: 'rejected'; at: 'landing' | 'plan'; code: string; reason: string }
  | { kind: 'duplicate' };

/** Lands one file and, when a batch starts, plans it as the orchestrator does (failures reported). */
async function land(world: ReturnType<typeof openDeps>, c: Case): Promise<Outcome> {
  const bytes = typeof c.body === 'string' ? Buffer.from(c.body, 'utf8') : c.body;
  const before = world.starts.length;
  await world.lake.put('landing', c.name, bytes);
  const landed = (await ingestLandingFile(c.name, {
    ...world.deps,
    starter: world.starter,
    orchestration: 'pipelineOrchestrator',
  })) as { batchId: string; started: boolean; outcome: string; rejected?: { code: string; reason: string } };
  if (landed.rejected) return { kind: 'rejected', at: 'landing', ...landed.rejected };
  // The same bytes under another name are reported as a duplicate, not loaded again (docs/landing.md).
  if (landed.outcome === 'duplicate') return { kind: 'duplicate' };
  const start = world.starts[before];
  assert.ok(start, `${c.name}: a batch was started`);
  const batch: BatchDescriptor = start.input.batch;
  const plan = await permanentFailuresAsResults(() => planChunks(batch, world.deps));
  if ('permanentFailure' in plan) {
    const reason = `planChunks: ${plan.permanentFailure}`;
    await reportFailure({ batch, reason, failedChunks: [] }, world.deps);
    return { kind: 'rejected', at: 'plan', code: plan.code, reason };
  }
  const p = plan as ChunkPlan & { notice?: { code: string; message: string } };
  return { kind: p.notice ? 'empty' : 'loaded', plan: p };
}

describe('landing corpus: bad rows, not bad files', () => {
  for (const c of corpus) {
    test(`${c.name}: ${c.expect.outcome}${'code' in c.expect ? ` (${c.expect.code})` : ''}`, async () => {
      const world = openDeps();
      const outcome = await land(world, c);
      const expect = c.expect;
      if (expect.outcome === 'rejected') {
        assert.equal(outcome.kind, 'rejected', JSON.stringify(outcome));
        assert.ok(outcome.kind === 'rejected');
        assert.equal(outcome.code, expect.code);
        assert.equal(outcome.at, expect.at);
        assert.ok(outcome.reason.includes(c.name), `the reason names the file: ${outcome.reason}`);
        assert.ok(outcome.reason.includes(expect.code), `the reason carries the code: ${outcome.reason}`);
        assert.match(outcome.reason, /^[\x20-\x7e]*$/, 'the reason is printable ASCII, no raw bytes');
        const poison = world.poisonQueue.messages;
        assert.equal(poison.length, 1, 'one message on the pipeline poison queue');
        assert.ok(String(poison[0]?.reason).includes(expect.code));
        const status = await pipelineStatus(world.deps);
        assert.equal(status.failures.length, 1, 'the rejection shows in the status failures');
        assert.ok(status.failures[0]?.reason.includes(expect.code));
        assert.ok(
          world.telemetry.events.some((ev) => ev.name === 'nhsflows.batch.failed'),
          'the failure metric fires',
        );
        return;
      }
      assert.notEqual(outcome.kind, 'rejected', JSON.stringify(outcome));
      assert.ok(outcome.kind !== 'rejected' && outcome.kind !== 'duplicate');
      const plan = outcome.plan;
      if (expect.outcome === 'empty') {
        assert.equal(plan.notice?.code, expect.code);
        assert.ok(plan.notice?.message.includes(c.name));
        assert.equal(plan.records, 0);
        return;
      }
      assert.equal(plan.notice, undefined);
      assert.equal(plan.records, expect.records);
      assert.equal(plan.unreadable, expect.unreadable.length);
      assert.equal(plan.records + plan.unreadable, c.dataRows, 'every data row is a record or unreadable');
      assert.equal(
        plan.chunks.reduce((n, ch) => n + ch.records, 0),
        plan.records,
        'chunk files hold every record',
      );
      const quarantine = plan.unreadablePath
        ? ((await world.lake.get('quarantine', plan.unreadablePath))?.toString('utf8') ?? '')
        : '';
      const reported = quarantine
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      assert.deepEqual(
        reported.map((r) => ({ row: r.row, line: r.line, rule: r.rule })),
        expect.unreadable,
      );
      for (const r of reported) {
        assert.equal(r.file, c.name);
        assert.ok(String(r.message).startsWith(`${c.name} row ${String(r.row)}`), String(r.message));
      }
      assert.equal(world.poisonQueue.messages.length, 0, 'a file with bad rows is not a failed batch');
    });
  }

  test('a declared encoding decodes the bytes; undeclared Latin-1 is never mangled into U+FFFD', async () => {
    const world = openDeps();
    const c = corpus.find((x) => x.name === 'sus_apc_episode/declared.latin1.csv');
    assert.ok(c);
    const outcome = await land(world, c);
    assert.ok(outcome.kind === 'loaded');
    const chunk = outcome.plan.chunks[0];
    assert.ok(chunk);
    const [record] = decodeRecords((await world.lake.get('bronze', chunk.path))?.toString('utf8') ?? '');
    assert.equal(record?.row?.patient_name, 'JOSÉ QUILLFEATHER');
  });

  test('no planted identifier reaches a failure reason, poison message, ledger row, log, telemetry, quarantine record or plan', async () => {
    const world = openDeps();
    const outputs: unknown[] = [];
    for (const c of corpus) outputs.push(await land(world, c));
    const ledger: unknown[] = [];
    for (const partition of [...SOURCE_TABLE_NAMES, 'landing'])
      for await (const entity of world.state.list(BATCH_LEDGER_TABLE, partition)) ledger.push(entity);
    const quarantine = [...world.lake.objects.entries()]
      .filter(([k]) => k.startsWith('quarantine/'))
      .map(([, v]) => v.toString('utf8'));
    const haystacks: [string, string][] = [
      ['failure reasons and plans', JSON.stringify(outputs)],
      ['the poison queue', JSON.stringify(world.poisonQueue.messages)],
      ['the ledger', JSON.stringify(ledger)],
      ['the logs', JSON.stringify(world.logger.records)],
      ['telemetry', JSON.stringify([world.telemetry.events, world.telemetry.metrics])],
      ['quarantine', quarantine.join('\n')],
      ['the status', JSON.stringify(await pipelineStatus(world.deps))],
    ];
    assert.ok(world.poisonQueue.messages.length >= 8, 'the corpus produced rejections');
    assert.ok(ledger.length >= 8, 'the corpus produced ledger rows');
    assert.ok(planted.length > 50);
    for (const [where, text] of haystacks)
      for (const id of new Set(planted)) assert.ok(!text.includes(id), `${id} leaked into ${where}`);
  });
});

test('a file-level problem found while streaming is a permanent failure: it is returned, never thrown for retries', async () => {
  const world = openDeps();
  const body = csv([HEADER, e(50), e(51)]);
  const bytes = Buffer.concat([Buffer.from(body, 'utf8'), Buffer.from([0xff, 0xfe, 0x41, 0x0a])]);
  await world.lake.put('landing', 'sus_apc_episode/late-bad-bytes.csv', bytes);
  await ingestLandingFile('sus_apc_episode/late-bad-bytes.csv', {
    ...world.deps,
    starter: world.starter,
    orchestration: 'pipelineOrchestrator',
  });
  const batch = world.starts[0]?.input.batch;
  assert.ok(batch);
  // The bytes come in small pieces: the decoder must carry multi-byte characters across them.
  const stream = world.deps.lake;
  const original = stream.getStream.bind(stream);
  stream.getStream = async (container, path) => {
    const whole = await original(container, path);
    if (!whole) return undefined;
    const chunks: Buffer[] = [];
    for await (const part of whole as AsyncIterable<Buffer>) chunks.push(part);
    const all = Buffer.concat(chunks);
    return Readable.from(
      Array.from({ length: Math.ceil(all.length / 7) }, (_, i) => all.subarray(i * 7, i * 7 + 7)),
    );
  };
  const result = await permanentFailuresAsResults(() => planChunks(batch, world.deps));
  assert.ok('permanentFailure' in result, JSON.stringify(result));
  assert.equal(result.code, 'FILE.NOT_UTF8');
  assert.match(result.permanentFailure, /sus_apc_episode\/late-bad-bytes\.csv/);
  assert.match(result.permanentFailure, /line 4/);
});

test('property: any RFC 4180 file (quotes, commas, CR LF and LF inside fields, BOM, multi-byte text) in any chunking reads back exactly', async () => {
  let seed = 20261130;
  const random = () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;
  const alphabet = ['a', 'Z', '9', ',', '"', '\n', '\r\n', ' ', 'é', '€', '=', "'"];
  const value = () => Array.from({ length: 1 + Math.floor(random() * 8) }, () => pick(alphabet)).join('');
  const quoted = (v: string) => (/[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
  for (let iteration = 0; iteration < 150; iteration += 1) {
    const eol = pick(['\n', '\r\n']);
    const rows = Array.from({ length: 1 + Math.floor(random() * 4) }, (_, i) =>
      episode(900 + i, { patient_name: value(), secondary_diagnoses: value() }),
    );
    const text = `${random() < 0.5 ? '\uFEFF' : ''}${[HEADER, ...rows.map((r) => COLUMNS.map((c) => (c === 'patient_name' || c === 'secondary_diagnoses' ? quoted(String(r[c])) : field(r[c]))).join(','))].join(eol)}${random() < 0.7 ? eol : ''}`;
    const bytes = Buffer.from(text, 'utf8');
    const pieces: Buffer[] = [];
    for (let at = 0; at < bytes.length;) {
      const size = 1 + Math.floor(random() * 40);
      pieces.push(bytes.subarray(at, at + size));
      at += size;
    }
    const batch: BatchDescriptor = {
      batchId: 'b-property',
      table: 'sus_apc_episode',
      origin: 'sus_apc_episode/property.csv',
      bronzePath: 'x.csv',
      format: 'csv',
      receivedAt: '2026-11-30T10:00:00.000Z',
    };
    const { readLandingFile } =
      await import('../../../shared/application/use-cases/pipeline/landing-file-reader.js');
    const read: unknown[] = [];
    for await (const item of readLandingFile(batch, SOURCE_TABLES.sus_apc_episode, Readable.from(pieces)))
      read.push(item);
    const got = read.map((item) =>
      'row' in (item as object) && 'n' in (item as object)
        ? {
            patient_name: (item as { row: SourceRow }).row.patient_name,
            secondary_diagnoses: (item as { row: SourceRow }).row.secondary_diagnoses,
          }
        : item,
    );
    assert.deepEqual(
      got,
      rows.map((r) => ({ patient_name: r.patient_name, secondary_diagnoses: r.secondary_diagnoses })),
      JSON.stringify(text),
    );
  }
});
