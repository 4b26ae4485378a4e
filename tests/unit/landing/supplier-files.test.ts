import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { MemoryObjectStore } from '../../../shared/adapters/memory/memory-object-store.js';
import { MemoryStateStore } from '../../../shared/adapters/memory/memory-state-store.js';
import type { Clock } from '../../../shared/application/ports/clock.port.js';
import { memoryLogger } from '../../../shared/application/ports/logger.port.js';
import type { MessageQueue, QueueMessage } from '../../../shared/application/ports/message-queue.port.js';
import { memoryTelemetry } from '../../../shared/application/ports/telemetry.port.js';
import type { OrchestrationStarter } from '../../../shared/application/ports/orchestration-starter.port.js';
import { BATCH_LEDGER_TABLE } from '../../../shared/application/use-cases/pipeline/batch-ledger.use-case.js';
import {
  ingestLandingFile,
  type LandingResult,
} from '../../../shared/application/use-cases/pipeline/ingest-landing-file.use-case.js';
import { LANDING_REGISTER_TABLE } from '../../../shared/application/use-cases/pipeline/landing-register.js';
import type { PipelineDeps } from '../../../shared/application/use-cases/pipeline/pipeline-deps.js';
import { planChunks } from '../../../shared/application/use-cases/pipeline/plan-chunks.use-case.js';
import { replayLandingDeadLetters } from '../../../shared/application/use-cases/pipeline/replay-landing-dead-letters.use-case.js';
import { rejectOverdueLandingFiles } from '../../../shared/application/use-cases/pipeline/reject-overdue-landing-files.use-case.js';
import { loadSettings } from '../../../shared/config/settings.schema.js';
import { SOURCE_TABLE_NAMES, type SourceTableName } from '../../../shared/domain/datasets/source-tables.js';
import {
  LANDING_MANIFEST_POLICY,
  type ManifestPolicy,
} from '../../../shared/domain/landing/landing-policy.js';
import { decodeRecords, type BatchDescriptor } from '../../../shared/domain/pipeline/batch-record.js';
import type { PipelineInput } from '../../../shared/domain/pipeline/pipeline-contracts.js';
import { COLUMNS, HEADER, csv, episode, line, planted } from '../../support/landing-corpus.js';

// Issue 13 item 2: supplier manifests (count and checksum), duplicates by content, the wait for a
// required manifest, and column maps, through the real landing use case on the memory twins.

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

function world(options: { required?: readonly SourceTableName[] } = {}) {
  const lake = new MemoryObjectStore();
  const state = new MemoryStateStore();
  const poisonQueue = new MemoryQueue();
  const logger = memoryLogger();
  const telemetry = memoryTelemetry();
  let now = Date.parse('2026-12-01T09:00:00.000Z');
  const clock: Clock = { now: () => new Date(now) };
  const starts: { instanceId: string; input: PipelineInput }[] = [];
  const known = new Set<string>();
  const starter: OrchestrationStarter = {
    start: async (_orchestration, instanceId, input) => {
      if (known.has(instanceId)) return { started: false };
      known.add(instanceId);
      starts.push({ instanceId, input: input as PipelineInput });
      return { started: true };
    },
  };
  const manifestPolicy = Object.fromEntries(
    SOURCE_TABLE_NAMES.map((t) => [
      t,
      options.required?.includes(t) ? 'required' : LANDING_MANIFEST_POLICY[t],
    ]),
  ) as Record<SourceTableName, ManifestPolicy>;
  const deps = {
    settings: { ...loadSettings({}), NHSFLOWS_CHUNK_SIZE: 100, NHSFLOWS_LANDING_MANIFEST_WAIT_MINUTES: 30 },
    lake,
    state,
    poisonQueue,
    clock,
    logger,
    telemetry,
    manifestPolicy,
  } as unknown as PipelineDeps & { manifestPolicy: Record<SourceTableName, ManifestPolicy> };
  /** A blob arriving in landing/: stored there (as the trigger's container holds it), then ingested. */
  const drop = async (name: string, body: string | Buffer): Promise<LandingResult> => {
    const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
    await lake.put('landing', name, bytes);
    return ingestLandingFile(name, { ...deps, starter, orchestration: 'pipelineOrchestrator' });
  };
  const advance = (minutes: number) => {
    now += minutes * 60_000;
  };
  return { deps, lake, state, poisonQueue, logger, telemetry, starts, starter, drop, advance };
}

const sha256 = (text: string | Buffer) => createHash('sha256').update(text).digest('hex');
const manifestFor = (body: string, rows: number, table = 'sus_apc_episode') =>
  JSON.stringify({ rows, sha256: sha256(body), table, period: '2026-11', supplier: 'RRK' });

const FILE = csv([HEADER, ...[1, 2, 3, 4, 5, 6].map((i) => line(episode(i)))]);

/** Everything a rejection leaves where operators and suppliers look, as text. */
async function reported(w: ReturnType<typeof world>): Promise<string> {
  const ledger: unknown[] = [];
  for (const p of [...SOURCE_TABLE_NAMES, 'landing'])
    for await (const e of w.state.list(BATCH_LEDGER_TABLE, p)) ledger.push(e);
  const quarantine = [...w.lake.objects.entries()]
    .filter(([k]) => k.startsWith('quarantine/'))
    .map(([, v]) => v.toString());
  return JSON.stringify([w.poisonQueue.messages, ledger, w.logger.records, w.telemetry.events, quarantine]);
}

describe('a file checked against its manifest', () => {
  // Truncations at many byte positions (mid-row, at a row end, mid multi-byte character) and an
  // altered byte: each is rejected whole, before anything is loaded.
  const cuts = [
    FILE.length - 1,
    FILE.length - 40,
    Math.floor(FILE.length / 2),
    FILE.indexOf('\n', 300) + 1,
    HEADER.length + 1,
  ];
  for (const cut of cuts)
    test(`a file truncated to ${cut} of ${FILE.length} bytes is rejected whole with FILE.CHECKSUM_MISMATCH and an alert`, async () => {
      const w = world();
      await w.drop('sus_apc_episode/2026-11.csv.manifest.json', manifestFor(FILE, 6));
      const result = await w.drop('sus_apc_episode/2026-11.csv', FILE.slice(0, cut));
      assert.equal(result.outcome, 'rejected');
      assert.equal(result.rejected?.code, 'FILE.CHECKSUM_MISMATCH');
      assert.match(result.rejected?.reason ?? '', /sus_apc_episode\/2026-11\.csv/);
      assert.equal(w.starts.length, 0, 'no batch started');
      assert.equal(
        [...w.lake.objects.keys()].filter((k) => k.startsWith('bronze/')).length,
        0,
        'nothing in bronze',
      );
      assert.equal(w.poisonQueue.messages.length, 1);
      assert.equal(w.poisonQueue.messages[0]?.code, 'FILE.CHECKSUM_MISMATCH');
      const alert = w.telemetry.events.filter((e) => e.name === 'nhsflows.landing.integrityFailed');
      assert.equal(alert.length, 1);
      assert.equal(alert[0]?.properties.supplier, 'RRK');
      assert.ok(w.telemetry.events.some((e) => e.name === 'nhsflows.batch.failed'));
      const quarantine = [...w.lake.objects.entries()].filter(([k]) => k.startsWith('quarantine/'));
      assert.equal(quarantine.length, 1);
      const record = JSON.parse(quarantine[0]![1].toString()) as Record<string, unknown>;
      assert.deepEqual(
        [record.rule, record.field, record.row, record.file],
        ['FILE.CHECKSUM_MISMATCH', '(file)', 0, 'sus_apc_episode/2026-11.csv'],
      );
      const text = await reported(w);
      for (const id of new Set(planted)) assert.ok(!text.includes(id), `${id} leaked`);
    });

  test('a manifest whose row count differs from the file (same bytes) is rejected with FILE.ROW_COUNT_MISMATCH naming both counts', async () => {
    for (const declared of [5, 7, 0]) {
      const w = world();
      await w.drop('sus_apc_episode/a.csv.manifest.json', manifestFor(FILE, declared));
      const result = await w.drop('sus_apc_episode/a.csv', FILE);
      assert.equal(result.rejected?.code, 'FILE.ROW_COUNT_MISMATCH');
      assert.match(
        result.rejected?.reason ?? '',
        new RegExp(`holds 6 rows, the manifest declares ${declared}`),
      );
      assert.equal(w.starts.length, 0);
    }
  });

  test('a file that matches its manifest loads, and the manifest is kept beside it in bronze', async () => {
    const w = world();
    await w.drop(
      'sus_apc_episode/ok.csv.manifest.json',
      manifestFor(FILE.toUpperCase() === FILE ? FILE : FILE, 6).replace(
        /"sha256":"([0-9a-f]+)"/,
        (_m, h: string) => `"sha256":"${h.toUpperCase()}"`,
      ),
    );
    const result = await w.drop('sus_apc_episode/ok.csv', FILE);
    assert.equal(result.outcome, 'started');
    const batch = w.starts[0]?.input.batch;
    assert.ok(batch);
    assert.ok(w.lake.objects.has(`bronze/${batch.bronzePath.replace(/\.csv$/, '.manifest.json')}`));
  });

  test('the manifest may come before or after its file: either order loads the file once', async () => {
    const before = world();
    assert.equal(
      (await before.drop('sus_apc_episode/b.csv.manifest.json', manifestFor(FILE, 6))).outcome,
      'awaiting-file',
    );
    assert.equal((await before.drop('sus_apc_episode/b.csv', FILE)).outcome, 'started');
    const after = world({ required: ['sus_apc_episode'] });
    assert.equal((await after.drop('sus_apc_episode/b.csv', FILE)).outcome, 'awaiting-manifest');
    assert.equal(after.starts.length, 0, 'a required manifest is waited for');
    assert.equal(
      (await after.drop('sus_apc_episode/b.csv.manifest.json', manifestFor(FILE, 6))).outcome,
      'started',
    );
    assert.equal(after.starts.length, 1);
  });

  test('a file of a table that requires a manifest is rejected with FILE.MANIFEST_MISSING once the wait is over, not before', async () => {
    const w = world({ required: ['sus_apc_episode'] });
    await w.drop('sus_apc_episode/late.csv', FILE);
    w.advance(29);
    assert.deepEqual(await rejectOverdueLandingFiles(w.deps), []);
    w.advance(2);
    const rejected = await rejectOverdueLandingFiles(w.deps);
    assert.equal(rejected.length, 1);
    assert.equal(w.poisonQueue.messages[0]?.code, 'FILE.MANIFEST_MISSING');
    assert.ok(
      w.telemetry.events.some(
        (e) => e.name === 'nhsflows.landing.integrityFailed' && e.properties.code === 'FILE.MANIFEST_MISSING',
      ),
    );
    assert.deepEqual(await rejectOverdueLandingFiles(w.deps), [], 'rejected once');
    const entry = await w.state.get(LANDING_REGISTER_TABLE, 'sus_apc_episode', rejected[0]!);
    assert.equal(entry?.value.status, 'manifest-missing');
  });

  const invalid: [string, string, RegExp][] = [
    ['not JSON', '{rows: 6', /not valid JSON/],
    [
      'a missing field',
      JSON.stringify({ rows: 6, sha256: sha256(FILE), table: 'sus_apc_episode', period: '2026-11' }),
      /supplier/,
    ],
    [
      'a short checksum',
      JSON.stringify({
        rows: 6,
        sha256: 'abc',
        table: 'sus_apc_episode',
        period: '2026-11',
        supplier: 'RRK',
      }),
      /sha256: expected 64 hexadecimal digits/,
    ],
    [
      'an unknown key',
      JSON.stringify({
        rows: 6,
        sha256: sha256(FILE),
        table: 'sus_apc_episode',
        period: '2026-11',
        supplier: 'RRK',
        md5: 'x',
      }),
      /md5/,
    ],
    [
      'a period that is no month',
      JSON.stringify({
        rows: 6,
        sha256: sha256(FILE),
        table: 'sus_apc_episode',
        period: '2026-13',
        supplier: 'RRK',
      }),
      /period: expected a month/,
    ],
  ];
  for (const [what, body, reason] of invalid)
    test(`a manifest with ${what} rejects the file with FILE.MANIFEST_INVALID naming the manifest and the field`, async () => {
      const w = world();
      await w.drop('sus_apc_episode/c.csv.manifest.json', body);
      const result = await w.drop('sus_apc_episode/c.csv', FILE);
      assert.equal(result.rejected?.code, 'FILE.MANIFEST_INVALID');
      assert.match(result.rejected?.reason ?? '', reason);
      assert.match(result.rejected?.reason ?? '', /c\.csv\.manifest\.json/);
    });

  test('a manifest for another table than the folder is rejected with FILE.MANIFEST_TABLE_MISMATCH', async () => {
    const w = world();
    await w.drop('sus_apc_episode/d.csv.manifest.json', manifestFor(FILE, 6, 'sus_apc_spell'));
    assert.equal(
      (await w.drop('sus_apc_episode/d.csv', FILE)).rejected?.code,
      'FILE.MANIFEST_TABLE_MISMATCH',
    );
  });
});

describe('duplicates by content', () => {
  test('the same bytes under another name (and another folder) are reported as a duplicate and not loaded again', async () => {
    const w = world();
    const first = await w.drop('sus_apc_episode/2026-11.csv', FILE);
    assert.equal(first.outcome, 'started');
    for (const name of [
      'sus_apc_episode/2026-11-resent.csv',
      'sus_apc_episode/copy of 2026-11.csv',
      'sus_apc_spell/2026-11.csv',
    ]) {
      const again = await w.drop(name, FILE);
      assert.equal(again.outcome, 'duplicate', name);
      assert.equal(again.started, false);
      assert.deepEqual(again.duplicateOf, { batchId: first.batchId, origin: 'sus_apc_episode/2026-11.csv' });
    }
    assert.equal(w.starts.length, 1, 'one batch for the content');
    assert.equal(w.telemetry.events.filter((e) => e.name === 'nhsflows.landing.duplicate').length, 3);
    assert.equal(w.logger.records.filter((r) => r.message.includes('duplicate')).length, 3);
    assert.equal(
      [...w.lake.objects.keys()].filter((k) => k.startsWith('bronze/')).length,
      1,
      'one bronze copy',
    );
  });

  test('the same file delivered again under its own name is the same batch, not a duplicate', async () => {
    const w = world();
    const first = await w.drop('sus_apc_episode/x.csv', FILE);
    const again = await w.drop('sus_apc_episode/x.csv', FILE);
    assert.equal(again.batchId, first.batchId);
    assert.equal(again.outcome, 'known');
    assert.equal(w.telemetry.events.filter((e) => e.name === 'nhsflows.landing.duplicate').length, 0);
  });

  test('one changed byte is new content: it loads', async () => {
    const w = world();
    await w.drop('sus_apc_episode/y.csv', FILE);
    const changed = FILE.replace('EPL000006', 'EPL000007');
    assert.equal((await w.drop('sus_apc_episode/y2.csv', changed)).outcome, 'started');
  });
});

describe('column maps', () => {
  // The supplier names its columns its own way: every column renamed, plus a sex recode.
  const supplierName = (c: string) => `Supplier ${c.replace(/_/g, ' ')}`;
  const MAP = [
    'supplier_column,column,supplier_value,value',
    ...COLUMNS.map((c) => `${supplierName(c)},${c},,`),
    `${supplierName('sex')},sex,M,1`,
    `${supplierName('sex')},sex,F,2`,
  ].join('\n');
  const rows = [1, 2, 3].map((i) => episode(i, { sex: i === 2 ? 'F' : 'M' }));
  const SUPPLIER_FILE = csv([COLUMNS.map(supplierName).join(','), ...rows.map(line)]);

  async function plannedRows(w: ReturnType<typeof world>, batch: BatchDescriptor) {
    const plan = await planChunks(batch, w.deps);
    return plan.chunks.flatMap((c) => decodeRecords(w.lake.objects.get(`bronze/${c.path}`)!.toString()));
  }

  test("a CSV whose headers are the supplier's own names loads with only a column map, recodes applied; a replay reads it the same way", async () => {
    const w = world();
    await w.drop('sus_apc_episode/supplier.csv.map.csv', MAP);
    const result = await w.drop('sus_apc_episode/supplier.csv', SUPPLIER_FILE);
    assert.equal(result.outcome, 'started');
    const batch = w.starts[0]!.input.batch;
    assert.ok(batch.columnMap?.endsWith('.map.csv'));
    assert.ok(w.lake.objects.has(`bronze/${batch.columnMap}`), 'the map is stored beside the file in bronze');
    const records = await plannedRows(w, batch);
    assert.equal(records.length, 3);
    for (const [i, r] of records.entries()) {
      assert.deepEqual(Object.keys(r.row ?? {}).sort(), [...COLUMNS].sort());
      assert.equal(r.row?.episode_id, rows[i]!.episode_id);
      assert.equal(r.row?.sex, i === 1 ? '2' : '1');
    }
    // Replay: the landing copy of the map is gone; the batch still reads with the bronze copy.
    await w.lake.delete('landing', 'sus_apc_episode/supplier.csv.map.csv');
    assert.deepEqual(await plannedRows(w, batch), records);
  });

  test('the same supplier file without its map is rejected: its header names no column of the table', async () => {
    const w = world();
    await w.drop('sus_apc_episode/nomap.csv', SUPPLIER_FILE);
    const batch = w.starts[0]!.input.batch;
    await assert.rejects(
      planChunks(batch, w.deps),
      (e: Error & { code?: string }) => e.code === 'FILE.HEADER_MISSING',
    );
  });

  test('a JSON map with recodes maps NDJSON keys too', async () => {
    const w = world();
    const map = {
      supplier: 'RRK',
      table: 'sus_apc_episode',
      columns: { EpisodeRef: 'episode_id', Gender: { column: 'sex', recode: { M: '1', F: '2' } } },
    };
    await w.drop('sus_apc_episode/s.ndjson.map.json', JSON.stringify(map));
    const row = { ...episode(9, { sex: 'F' }) } as Record<string, unknown>;
    row.EpisodeRef = row.episode_id;
    row.Gender = row.sex;
    delete row.episode_id;
    delete row.sex;
    await w.drop('sus_apc_episode/s.ndjson', `${JSON.stringify(row)}\n`);
    const records = await plannedRows(w, w.starts[0]!.input.batch);
    assert.equal(records[0]?.row?.episode_id, episode(9).episode_id);
    assert.equal(records[0]?.row?.sex, '2');
  });

  test('a bad map beside a file rejects the file with FILE.COLUMN_MAP_INVALID naming the map file and row', async () => {
    const w = world();
    await w.drop(
      'sus_apc_episode/bad.csv.map.csv',
      'supplier_column,column\nEpisode Ref,episode_id\nGender,gender_code\n',
    );
    const result = await w.drop('sus_apc_episode/bad.csv', SUPPLIER_FILE);
    assert.equal(result.rejected?.code, 'FILE.COLUMN_MAP_INVALID');
    assert.match(result.rejected?.reason ?? '', /bad\.csv\.map\.csv/);
    assert.match(result.rejected?.reason ?? '', /line 3: 'gender_code' is not a column of sus_apc_episode/);
    assert.equal(w.starts.length, 0);
  });
});

describe('delivery failures: the blob read twice, and dead-lettered landing events', () => {
  const NAME = 'sus_apc_episode/2026-11-delivery.csv';
  const letter = (name: string) =>
    JSON.stringify([
      {
        id: 'dl-1',
        subject: `/blobServices/default/containers/landing/blobs/${name}`,
        eventType: 'Microsoft.Storage.BlobCreated',
        eventTime: '2026-12-01T08:00:00Z',
        data: { api: 'PutBlockList', contentLength: 10 },
        deadLetterReason: 'MaxDeliveryAttemptsExceeded',
        deliveryAttempts: 5,
      },
    ]);

  test('a blob replaced between its checks and its copy is never loaded under the checked id, and the delivery fails for a retry', async () => {
    const w = world();
    const original = Buffer.from(FILE, 'utf8');
    const replaced = Buffer.from(csv([HEADER, line(episode(9))]), 'utf8');
    await w.lake.put('landing', NAME, original);
    let reads = 0;
    const getStream = w.lake.getStream.bind(w.lake);
    // The supplier overwrites the blob after the checking pass has read it.
    w.lake.getStream = async (container, path) => {
      if (container === 'landing' && path === NAME && ++reads === 2) await w.lake.put('landing', NAME, replaced);
      return getStream(container, path);
    };
    const deps = { ...w.deps, starter: w.starter, orchestration: 'pipelineOrchestrator' };
    await assert.rejects(ingestLandingFile(NAME, deps), /changed while it was copied to bronze/);
    assert.equal(w.starts.length, 0, 'no batch started');
    const bronze: string[] = [];
    for await (const o of w.lake.list('bronze', '')) bronze.push(o.path);
    assert.deepEqual(bronze, [], 'the copy holding other bytes than checked was removed');
    // The retry (or the new version's own event) loads the bytes it checks.
    const again = await ingestLandingFile(NAME, deps);
    assert.equal(again.outcome, 'started');
    const loaded = await w.lake.get('bronze', w.starts[0]!.input.batch.bronzePath);
    assert.deepEqual(loaded, replaced);
  });

  test('an event for a blob no longer in landing loads nothing and fails nothing', async () => {
    const w = world();
    const result = await ingestLandingFile(NAME, { ...w.deps, starter: w.starter, orchestration: 'p' });
    assert.equal(result.outcome, 'gone');
    assert.equal(w.starts.length, 0);
  });

  test('the sweep replays a dead-lettered landing event: kept and alerted while it fails, loaded once and removed when it works', async () => {
    const w = world();
    await w.lake.put('landing', NAME, FILE);
    await w.lake.put('landing-deadletter', 'LANDING-BLOB-CREATED/2026/12/01/08/dl-1.json', letter(NAME));
    await w.lake.put('landing-deadletter', 'LANDING-BLOB-CREATED/2026/12/01/08/dl-2.json', letter('../x'));
    const failing: OrchestrationStarter = {
      start: async () => {
        throw new Error('task hub unavailable');
      },
    };
    const first = await replayLandingDeadLetters({ ...w.deps, starter: failing, orchestration: 'p' });
    assert.deepEqual(first, { replayed: 1, failed: 1, ignored: 0 });
    assert.deepEqual(
      w.telemetry.metrics.filter((m) => m.name === 'nhsflows.landing.deliveryFailed').map((m) => m.value),
      [1],
    );
    const kept: string[] = [];
    for await (const o of w.lake.list('landing-deadletter', '')) kept.push(o.path);
    assert.deepEqual(kept, ['LANDING-BLOB-CREATED/2026/12/01/08/dl-1.json'], 'the failing one is kept');

    const second = await replayLandingDeadLetters({ ...w.deps, starter: w.starter, orchestration: 'p' });
    assert.deepEqual(second, { replayed: 1, failed: 0, ignored: 0 });
    assert.equal(w.starts.length, 1);
    assert.equal(w.starts[0]!.input.batch.origin, NAME);
    const left: string[] = [];
    for await (const o of w.lake.list('landing-deadletter', '')) left.push(o.path);
    assert.deepEqual(left, []);
    const third = await replayLandingDeadLetters({ ...w.deps, starter: w.starter, orchestration: 'p' });
    assert.deepEqual(third, { replayed: 0, failed: 0, ignored: 0 });
  });
});
