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
import { nhsNumberCheckDigit } from '../../../shared/domain/nhs/nhs-number.js';
import { decodeRecords, type BatchDescriptor } from '../../../shared/domain/pipeline/batch-record.js';
import { permanentFailuresAsResults } from '../../../shared/domain/pipeline/activity-outcome.js';
import type { ChunkPlan, PipelineInput } from '../../../shared/domain/pipeline/pipeline-contracts.js';
import { CLEAN_ROWS } from '../datasets/clean-rows.js';

// Issue 9 items 5 and 6: a corpus of bad landing files through the real use cases (landing →
// planChunks → reportFailure, as the landing function and the orchestrator call them) on the
// memory twins. Every data row ends as a record (accepted or quarantined later) or an unreadable row
// with its line number; only file-level problems reject the file, at once, with a code; no failure
// path carries an identifier planted in the corpus.

const COLUMNS = SOURCE_TABLES.sus_apc_episode.columns.map((c) => c.name);

/** A valid 999-range NHS number, distinct per `i` (the planted identifiers of this corpus). */
function nhsNumber(i: number): string {
  for (let k = 700_000 + i * 17; ; k += 1) {
    const first9 = `999${String(k).padStart(6, '0')}`;
    const check = nhsNumberCheckDigit(first9);
    if (check !== null) return `${first9}${check}`;
  }
}

const planted: string[] = [];
/** Episode `i` with planted identifiers (NHS number, name, date of birth, postcode, local id). */
function episode(i: number, changes: SourceRow = {}): SourceRow {
  const id = String(i).padStart(4, '0');
  const row: SourceRow = {
    ...CLEAN_ROWS.sus_apc_episode,
    episode_id: `EPL00${id}`,
    hospital_provider_spell_number: `SPL00${id}`,
    nhs_number: nhsNumber(i),
    local_patient_id: `LPLANT${id}`,
    patient_name: `QUILLFEATHER ${id}`,
    date_of_birth: `1937-0${(i % 9) + 1}-2${i % 10}`,
    postcode: `ZX${i % 10} 9QJ`,
    ...changes,
  };
  for (const c of ['nhs_number', 'local_patient_id', 'patient_name', 'date_of_birth', 'postcode'])
    if (typeof row[c] === 'string') planted.push(row[c]);
  return row;
}

function field(value: SourceRow[string] | undefined): string {
  if (value === null || value === undefined) return '';
  const text = String(value);
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}
const line = (row: SourceRow): string => COLUMNS.map((c) => field(row[c])).join(',');
const HEADER = COLUMNS.join(',');
function csv(lines: readonly string[], eol = '\n'): string {
  return `${lines.join(eol)}${eol}`;
}

interface Case {
  readonly name: string;
  readonly body: Buffer | string;
  /** Data rows a person would count in the file (records + unreadable must add up to this). */
  readonly dataRows: number;
  readonly expect:
    | { readonly outcome: 'loaded'; readonly records: number; readonly unreadable: readonly Unreadable[] }
    | { readonly outcome: 'empty'; readonly code: 'FILE.EMPTY' | 'FILE.HEADER_ONLY' }
    | { readonly outcome: 'rejected'; readonly code: string; readonly at: 'landing' | 'plan' };
}
interface Unreadable {
  readonly row: number;
  readonly line: number;
  readonly rule: string;
}

const e = (i: number, changes?: SourceRow) => line(episode(i, changes));
/** A row with no quoted field at all (the clean row's secondary diagnoses hold a comma). */
const ONE_DIAGNOSIS: SourceRow = { secondary_diagnoses: 'E119' };
const latin1Name = Buffer.from(csv([HEADER, e(60, { patient_name: 'JOSÉ QUILLFEATHER' })]), 'latin1');
const junk = Buffer.from(Array.from({ length: 600 }, (_, i) => (i * 7919 + 13) % 256));
junk.write(nhsNumber(70), 100, 'latin1');
planted.push(nhsNumber(70));

const corpus: readonly Case[] = [
  {
    name: 'sus_apc_episode/clean-bom-crlf.csv',
    body: `\uFEFF${csv([HEADER, e(1), e(2), e(3)], '\r\n')}`,
    dataRows: 3,
    expect: { outcome: 'loaded', records: 3, unreadable: [] },
  },
  {
    name: 'sus_apc_episode/headerless.csv',
    body: csv([e(4), e(5), e(6)]),
    dataRows: 3,
    expect: { outcome: 'rejected', code: 'FILE.HEADER_MISSING', at: 'plan' },
  },
  {
    name: 'sus_apc_episode/wrong-header.csv',
    body: csv([HEADER.replace('nhs_number', 'nhs_no'), e(7)]),
    dataRows: 1,
    expect: { outcome: 'rejected', code: 'FILE.HEADER_UNKNOWN_COLUMN', at: 'plan' },
  },
  {
    name: 'sus_apc_episode/header-lacks-column.csv',
    body: csv([COLUMNS.filter((c) => c !== 'admission_date').join(','), e(8)]),
    dataRows: 1,
    expect: { outcome: 'rejected', code: 'FILE.HEADER_MISSING_COLUMNS', at: 'plan' },
  },
  {
    name: 'sus_apc_episode/unbalanced-quote.csv',
    // Row 2's last field opens a quote that the next line's quoted field seems to close: only row 2
    // is unreadable, rows 3 and 4 are read again as rows and load.
    body: csv([HEADER, e(9), e(10).replace(/,([^,]*)$/, ',"$1'), e(11), e(12)]),
    dataRows: 4,
    expect: {
      outcome: 'loaded',
      records: 3,
      unreadable: [{ row: 2, line: 3, rule: 'FILE.QUOTE_UNBALANCED' }],
    },
  },
  {
    name: 'sus_apc_episode/unbalanced-quote-to-the-end.csv',
    // No other quote in the file: the open field runs to the end; still only row 2 is lost.
    body: csv([
      HEADER,
      e(23, ONE_DIAGNOSIS),
      e(24, ONE_DIAGNOSIS).replace(',QUILLFEATHER', ',"QUILLFEATHER'),
      e(25, ONE_DIAGNOSIS),
      e(26, ONE_DIAGNOSIS),
    ]),
    dataRows: 4,
    expect: {
      outcome: 'loaded',
      records: 3,
      unreadable: [{ row: 2, line: 3, rule: 'FILE.QUOTE_UNBALANCED' }],
    },
  },
  {
    name: 'sus_apc_episode/stray-quote-mid-line.csv',
    // The stray quote "closes" at the next quoted field of the same line: broken quoting, one row.
    body: csv([HEADER, e(27).replace(',QUILLFEATHER', ',"QUILLFEATHER'), e(28)]),
    dataRows: 2,
    expect: {
      outcome: 'loaded',
      records: 1,
      unreadable: [{ row: 1, line: 2, rule: 'FILE.QUOTE_MALFORMED' }],
    },
  },
  {
    name: 'sus_apc_episode/text-after-closing-quote.csv',
    // csv-parse: `Invalid Closing Quote: … value is "<nhs number>"`.
    body: csv([HEADER, e(13).replace(nhsNumber(13), `"${nhsNumber(13)}"x`), e(14)]),
    dataRows: 2,
    expect: {
      outcome: 'loaded',
      records: 1,
      unreadable: [{ row: 1, line: 2, rule: 'FILE.QUOTE_MALFORMED' }],
    },
  },
  {
    name: 'sus_apc_episode/quote-inside-field.csv',
    body: csv([HEADER, e(15), e(16).replace('QUILLFEATHER', 'QUILL"FEATHER')]),
    dataRows: 2,
    expect: {
      outcome: 'loaded',
      records: 1,
      unreadable: [{ row: 2, line: 3, rule: 'FILE.QUOTE_MALFORMED' }],
    },
  },
  {
    name: 'sus_apc_episode/short-row-and-multiline.csv',
    // Row 1 is a field short; row 2 holds a quoted line break (legal CSV), row 3 follows it.
    body: csv([HEADER, e(17).replace(/,[^,]*$/, ''), e(18, { patient_name: 'QUILL\nFEATHER' }), e(19)]),
    dataRows: 3,
    expect: { outcome: 'loaded', records: 2, unreadable: [{ row: 1, line: 2, rule: 'FILE.COLUMN_COUNT' }] },
  },
  {
    name: 'sus_apc_episode/injection.csv',
    body: csv([
      HEADER,
      e(20, { patient_name: "=cmd|' /C calc'!A0" }),
      e(21, { patient_name: '+SUM(1,2)', site_code: '@A1' }),
      e(22, { patient_name: '-2+3' }),
    ]),
    dataRows: 3,
    expect: { outcome: 'loaded', records: 3, unreadable: [] },
  },
  {
    name: 'sus_apc_episode/latin1.csv',
    body: latin1Name,
    dataRows: 1,
    expect: { outcome: 'rejected', code: 'FILE.NOT_UTF8', at: 'plan' },
  },
  {
    name: 'sus_apc_episode/declared.latin1.csv',
    body: latin1Name,
    dataRows: 1,
    expect: { outcome: 'loaded', records: 1, unreadable: [] },
  },
  {
    name: 'sus_apc_episode/binary.csv',
    body: junk,
    dataRows: 0,
    expect: { outcome: 'rejected', code: 'FILE.BINARY', at: 'plan' },
  },
  {
    name: 'sus_apc_episode/empty.csv',
    body: '',
    dataRows: 0,
    expect: { outcome: 'empty', code: 'FILE.EMPTY' },
  },
  {
    name: 'sus_apc_episode/blank-lines.csv',
    body: '\r\n\r\n',
    dataRows: 0,
    expect: { outcome: 'empty', code: 'FILE.EMPTY' },
  },
  {
    name: 'sus_apc_episode/header-only.csv',
    body: `\uFEFF${HEADER}\r\n`,
    dataRows: 0,
    expect: { outcome: 'empty', code: 'FILE.HEADER_ONLY' },
  },
  {
    name: 'sus_apc_episode/broken-lines.ndjson',
    body: `\uFEFF${[
      JSON.stringify(episode(30)),
      `{"episode_id": "EPL000031", "nhs_number": "${nhsNumber(31)}", `,
      '',
      JSON.stringify(episode(32)),
      `["${nhsNumber(33)}"]`,
    ].join('\r\n')}\r\n`,
    dataRows: 4,
    expect: {
      outcome: 'loaded',
      records: 2,
      unreadable: [
        { row: 2, line: 2, rule: 'FILE.JSON_MALFORMED' },
        { row: 4, line: 5, rule: 'FILE.NOT_AN_OBJECT' },
      ],
    },
  },
  {
    name: 'sus_apc_episode/empty.ndjson',
    body: '\n',
    dataRows: 0,
    expect: { outcome: 'empty', code: 'FILE.EMPTY' },
  },
  {
    name: 'not_a_table/x.csv',
    body: csv([HEADER, e(40)]),
    dataRows: 1,
    expect: { outcome: 'rejected', code: 'FILE.UNKNOWN_TABLE', at: 'landing' },
  },
  {
    name: 'stray.csv',
    body: csv([HEADER, e(41)]),
    dataRows: 1,
    expect: { outcome: 'rejected', code: 'FILE.WRONG_FOLDER', at: 'landing' },
  },
  {
    name: 'sus_apc_episode/export.xlsx',
    body: csv([HEADER, e(42)]),
    dataRows: 1,
    expect: { outcome: 'rejected', code: 'FILE.UNSUPPORTED_FORMAT', at: 'landing' },
  },
];

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
  | { kind: 'rejected'; at: 'landing' | 'plan'; code: string; reason: string };

/** Lands one file and, when a batch starts, plans it as the orchestrator does (failures reported). */
async function land(world: ReturnType<typeof openDeps>, c: Case): Promise<Outcome> {
  const bytes = typeof c.body === 'string' ? Buffer.from(c.body, 'utf8') : c.body;
  const before = world.starts.length;
  const landed = (await ingestLandingFile(c.name, bytes, {
    ...world.deps,
    starter: world.starter,
    orchestration: 'pipelineOrchestrator',
  })) as { batchId: string; started: boolean; rejected?: { code: string; reason: string } };
  if (landed.rejected) return { kind: 'rejected', at: 'landing', ...landed.rejected };
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
      assert.ok(outcome.kind !== 'rejected');
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
  await ingestLandingFile('sus_apc_episode/late-bad-bytes.csv', bytes, {
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
