import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { LocalSecretStore } from '../../../shared/adapters/local/local-secret-store.js';
import { loadReferenceData } from '../../../shared/adapters/local/reference-data.loader.js';
import { MemoryObjectStore } from '../../../shared/adapters/memory/memory-object-store.js';
import { MemoryParquetLake } from '../../../shared/adapters/memory/memory-parquet-lake.js';
import { MemoryStateStore } from '../../../shared/adapters/memory/memory-state-store.js';
import { fixedClock } from '../../../shared/application/ports/clock.port.js';
import { memoryLogger } from '../../../shared/application/ports/logger.port.js';
import { memoryTelemetry } from '../../../shared/application/ports/telemetry.port.js';
import type { MessageQueue } from '../../../shared/application/ports/message-queue.port.js';
import type { PipelineDeps } from '../../../shared/application/use-cases/pipeline/pipeline-deps.js';
import { pseudonymiseChunk } from '../../../shared/application/use-cases/pipeline/pseudonymise-chunk.use-case.js';
import { validateChunk } from '../../../shared/application/use-cases/pipeline/validate-chunk.use-case.js';
import { validatePseudonymiseChunk } from '../../../shared/application/use-cases/pipeline/validate-pseudonymise-chunk.use-case.js';
import { writeWorkRecords } from '../../../shared/application/use-cases/pipeline/work-files.js';
import { ProjectKeyRing } from '../../../shared/application/use-cases/pseudonymise-keys.js';
import { loadSettings } from '../../../shared/config/settings.schema.js';
import type { BatchDescriptor, BatchRecord } from '../../../shared/domain/pipeline/batch-record.js';
import type { ChunkInput } from '../../../shared/domain/pipeline/pipeline-contracts.js';
import { episode, testNhsNumber, withWrongCheckDigit } from './pipeline-harness.js';

// Pipeline version 2 takes a chunk from bronze to silver in one activity; version 1 in two. The
// same chunk through each, in two lakes, must leave the same objects (but version 1's rejected
// record numbers) and report the same counts: silver, quarantine, DQ counts, dimension changes,
// identity register, content and referral indexes.

const KEY = 'pseudonymisation-master-key';
const secrets = new LocalSecretStore({
  file: join(mkdtempSync(join(tmpdir(), 'nhsflows-steps-')), 'secrets.json'),
  logger: memoryLogger(),
  createIfMissing: [KEY],
});
const reference = loadReferenceData();

function world() {
  const lake = new MemoryObjectStore();
  const deps = {
    settings: loadSettings({}),
    lake,
    state: new MemoryStateStore(),
    parquet: new MemoryParquetLake(lake),
    warehouse: () => Promise.reject(new Error('no warehouse in this test')),
    secrets,
    keys: new ProjectKeyRing(secrets, KEY),
    // Neither step reports to the poison queue (the orchestrator does).
    poisonQueue: {} as MessageQueue,
    reference,
    clock: fixedClock('2026-12-07T09:00:00.000Z'),
    logger: memoryLogger(),
    telemetry: memoryTelemetry(),
    scratchDir: mkdtempSync(join(tmpdir(), 'nhsflows-steps-scratch-')),
  } satisfies PipelineDeps;
  return { lake, deps };
}

const batch: BatchDescriptor = {
  batchId: 'sus_apc_episode-steps',
  table: 'sus_apc_episode',
  origin: 'cdc',
  bronzePath: 'cdc-sus_apc_episode/steps.ndjson',
  format: 'deltas',
  receivedAt: '2026-12-07T08:59:00.000Z',
};

/** 40 episodes: clean ones, some with a wrong NHS check digit, an exact duplicate, and deletes. */
function records(): BatchRecord[] {
  const out: BatchRecord[] = [];
  const add = (op: BatchRecord['op'], row: BatchRecord['row'], key: string) =>
    out.push({
      n: out.length + 1,
      seq: out.length + 1,
      op,
      eventId: `event-${out.length + 1}`,
      key: [key],
      row,
      sourceVersion: String(1000 + out.length),
      capturedAt: `2026-12-07T08:${String(10 + (out.length % 40)).padStart(2, '0')}:00.000Z`,
    });
  for (let i = 0; i < 36; i++) {
    const nhs = testNhsNumber(i % 12);
    const row = episode(i, { nhs_number: i % 9 === 4 ? withWrongCheckDigit(nhs) : nhs });
    add('insert', row, String(row.episode_id));
  }
  const duplicate = out[3]!;
  add('update', duplicate.row, duplicate.key[0]!);
  for (const i of [1, 2, 30]) add('delete', null, String(episode(i).episode_id));
  return out;
}

/**
 * Every object of the lake by path, its bytes as text. A keyed-state run is named by its writer (a
 * random suffix, `run-<n>-<writer>.parquet`), in its path and its head: the suffix is left out.
 */
async function objects(lake: MemoryObjectStore): Promise<Map<string, string>> {
  const writer = /(run-\d+)-[0-9a-f]{8}(\.parquet)/g;
  const all = new Map<string, string>();
  for (const container of ['bronze', 'silver', 'gold', 'quarantine', 'state', 'identity'])
    for await (const o of lake.list(container, ''))
      all.set(
        `${container}/${o.path}`.replace(writer, '$1$2'),
        (await lake.get(container, o.path))!.toString('latin1').replace(writer, '$1$2'),
      );
  return all;
}

test('one activity (version 2) leaves what validate then pseudonymise (version 1) leave, but the rejected numbers file', async () => {
  const chunkPath = '_work/sus_apc_episode-steps/chunk-00000.ndjson';
  const input: ChunkInput = { batch, chunk: { index: 0, path: chunkPath, records: 40 }, version: 2 };
  const v1 = world();
  const v2 = world();
  for (const w of [v1, v2]) await writeWorkRecords(w.lake, chunkPath, records());

  const validate = await validateChunk(input, v1.deps);
  const pseudonymise = await pseudonymiseChunk({ ...input, validate }, v1.deps);
  const both = await validatePseudonymiseChunk(input, v2.deps);

  assert.ok(validate.quarantined >= 4, `some records quarantined (${validate.quarantined})`);
  assert.equal(validate.records, validate.accepted + validate.quarantined);
  assert.ok(validate.rejectedPath, 'version 1 writes the rejected numbers');
  assert.deepEqual(both.validate, { ...validate, rejectedPath: null });
  assert.deepEqual(both.pseudonymise, pseudonymise);
  assert.equal(pseudonymise.rows, validate.accepted);

  const left = await objects(v1.lake);
  const right = await objects(v2.lake);
  left.delete(`bronze/${validate.rejectedPath}`);
  assert.deepEqual([...right.keys()].sort(), [...left.keys()].sort());
  for (const [path, body] of left) assert.equal(right.get(path), body, path);
  assert.ok([...right.keys()].some((p) => p.startsWith('silver/')));
  assert.ok([...right.keys()].some((p) => p.startsWith('quarantine/')));
});
