import assert from 'node:assert/strict';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { MemoryObjectStore } from '../../../shared/adapters/memory/memory-object-store.js';
import { openLineageHttpTransport } from '../../../shared/adapters/azure/openlineage-http.azure.js';
import type { Clock } from '../../../shared/application/ports/clock.port.js';
import { memoryLogger } from '../../../shared/application/ports/logger.port.js';
import {
  readBatchLineage,
  runWithLineage,
  type LineageDeps,
} from '../../../shared/application/use-cases/lineage/activity-lineage.use-case.js';
import { InfrastructureError, InputError } from '../../../shared/domain/errors.js';
import { ACTIVITY_LINEAGE } from '../../../shared/domain/lineage/activity-datasets.js';
import {
  lakeNamespaces,
  runEventSchema,
  type RunEvent,
} from '../../../shared/domain/lineage/openlineage-event.js';
import { permanentFailuresAsResults } from '../../../shared/domain/pipeline/activity-outcome.js';
import type { BatchDescriptor } from '../../../shared/domain/pipeline/batch-record.js';
import type {
  BuildGoldInput,
  BuildGoldResult,
  ChunkInput,
  LoadWarehouseResult,
  PseudonymiseChunkResult,
  ValidatePseudonymiseChunkResult,
} from '../../../shared/domain/pipeline/pipeline-contracts.js';
import { ACTIVITIES } from '../../../functions/function-names.js';

const batch: BatchDescriptor = {
  batchId: 'b-0001',
  table: 'sus_apc_episode',
  origin: 'cdc',
  bronzePath: 'cdc/2026/12/06/b-0001.ndjson',
  format: 'deltas',
  receivedAt: '2026-12-06T09:00:00.000Z',
};
const chunk: ChunkInput = { batch, chunk: { index: 3, path: '_work/b-0001/plan-00003.ndjson', records: 10 } };

function ticking(): Clock {
  let t = Date.parse('2026-12-06T10:00:00.000Z');
  return { now: () => new Date((t += 1000)) };
}

function deps(overrides: Partial<LineageDeps> = {}): LineageDeps & { lake: MemoryObjectStore } {
  return {
    lake: new MemoryObjectStore(),
    clock: ticking(),
    logger: memoryLogger(),
    namespaces: lakeNamespaces('https://lakeacct.blob.core.windows.net', 'synapse'),
    transport: null,
    ...overrides,
  } as LineageDeps & { lake: MemoryObjectStore };
}

test('every activity that completes leaves one lake object with START then COMPLETE, inputs and the outputs its use case reported', async () => {
  const d = deps();
  const result: PseudonymiseChunkResult = {
    chunk: 3,
    rows: 9,
    silverFiles: ['sus_apc/sus_apc_episode/period=2026-11/b-0001-00003.parquet'],
    dimensionChangesPath: '_work/b-0001/dimension-00003.ndjson',
  };
  const returned = await runWithLineage(
    'pseudonymiseChunk',
    { ...chunk, validate: {} },
    async () => result,
    d,
  );
  assert.equal(returned, result);
  const events = await readBatchLineage('b-0001', d);
  assert.deepEqual(
    events.map((e) => e.eventType),
    ['START', 'COMPLETE'],
  );
  for (const e of events) runEventSchema.parse(e);
  const [start, complete] = events as [RunEvent, RunEvent];
  assert.equal(start.run.runId, complete.run.runId);
  assert.equal(complete.job.name, 'pipeline.pseudonymiseChunk');
  assert.equal(complete.run.facets.nhsflows_batch.batchId, 'b-0001');
  assert.equal(complete.run.facets.nhsflows_batch.part, 'chunk-00003');
  assert.deepEqual(
    complete.inputs.map((i) => [i.namespace, i.name]),
    [['abfss://bronze@lakeacct.dfs.core.windows.net', '_work/b-0001/plan-00003.ndjson']],
  );
  const silver = complete.outputs.find((o) => o.namespace.startsWith('abfss://silver@'));
  assert.equal(silver?.name, 'sus_apc/sus_apc_episode/');
  assert.equal(silver?.outputFacets?.outputStatistics?.rowCount, 9);
  assert.deepEqual(silver?.facets?.nhsflows_files?.paths, result.silverFiles);
  assert.ok(silver?.facets?.schema?.fields.some((f) => f.name === 'patient_token'));
  // The schema facet names columns, never identifier columns pseudonymisation removed.
  assert.ok(!silver?.facets?.schema?.fields.some((f) => f.name === 'nhs_number'));
});

test('a thrown error and a returned permanent failure both end the run with FAIL carrying the code only, and the outcome is unchanged', async () => {
  const d = deps();
  await assert.rejects(
    runWithLineage(
      'validateChunk',
      chunk,
      async () => {
        throw new InfrastructureError('LAKE_DOWN', 'lake unavailable for file sus_apc_episode row 12');
      },
      d,
    ),
    /lake unavailable/,
  );
  const permanent = await runWithLineage(
    'buildGold',
    { batch, silverFiles: [] } satisfies BuildGoldInput,
    () =>
      permanentFailuresAsResults(async () => {
        throw new InputError('row 7 of the file is bad');
      }),
    d,
  );
  assert.ok('permanentFailure' in (permanent as object));
  const events = await readBatchLineage('b-0001', d);
  const fails = events.filter((e) => e.eventType === 'FAIL');
  assert.deepEqual(fails.map((e) => [e.job.name, e.run.facets.errorMessage?.message]).sort(), [
    ['pipeline.buildGold', 'failed with code INPUT_INVALID'],
    ['pipeline.validateChunk', 'failed with code LAKE_DOWN'],
  ]);
  assert.ok(!JSON.stringify(events).includes('row 12'));
  assert.equal(events.filter((e) => e.eventType === 'START').length, 2);
});

test('lineage trouble never changes the activity outcome: a lake that refuses writes is logged, the result returned', async () => {
  const d = deps();
  d.lake.put = async () => {
    throw new Error('boom');
  };
  const logger = d.logger as ReturnType<typeof memoryLogger>;
  const out = await runWithLineage(
    'planChunks',
    batch,
    async () => ({ permanentFailure: 'x', code: 'Y' }),
    d,
  );
  assert.deepEqual(out, { permanentFailure: 'x', code: 'Y' });
  assert.ok(logger.records.some((r) => r.message === 'lineage events not written to the lake'));
});

test('every registered activity is described: its run names the batch, and warehouse outputs carry table row counts', () => {
  for (const activity of Object.values(ACTIVITIES)) assert.ok(ACTIVITY_LINEAGE[activity], activity);
  const validated: ValidatePseudonymiseChunkResult = {
    validate: {
      chunk: 3,
      records: 10,
      accepted: 9,
      quarantined: 1,
      warnings: 0,
      rejectedPath: null,
      quarantinePath: 'sus_apc_episode/b-0001/chunk-00003.ndjson',
      dqStatePath: 'dq-state/sus_apc/sus_apc_episode/b-0001/chunk-00003.json',
    },
    pseudonymise: {
      chunk: 3,
      rows: 9,
      silverFiles: ['sus_apc/sus_apc_episode/period=2026-11/b-0001-00003.parquet'],
      dimensionChangesPath: '_work/b-0001/dimension-00003.ndjson',
    },
  };
  assert.deepEqual(
    ACTIVITY_LINEAGE.validatePseudonymiseChunk!.outputs(chunk, validated).map((o) => [
      o.container,
      o.name,
      o.rowCount,
    ]),
    [
      ['quarantine', validated.validate.quarantinePath, 1],
      ['gold', validated.validate.dqStatePath, undefined],
      ['silver', 'sus_apc/sus_apc_episode/', 9],
      ['bronze', '_work/b-0001/dimension-00003.ndjson', undefined],
    ],
  );
  const loaded: LoadWarehouseResult = {
    tables: [{ table: 'fact_activity', rowsInFiles: 5, deletesInFiles: 1, rowsInTable: 5 }],
  };
  const outputs = ACTIVITY_LINEAGE.loadWarehouse!.outputs(
    { batch, goldFiles: [{ table: 'fact_activity', path: 'fact_activity/batch=b-0001/part-00000.parquet' }] },
    loaded,
  );
  assert.deepEqual(
    outputs.map((o) => [o.store, o.name, o.rowCount]),
    [['warehouse', 'fact_activity', 5]],
  );
  const gold: BuildGoldResult = {
    factRows: 4,
    factDeletes: 1,
    goldFiles: [{ table: 'fact_activity', path: 'fact_activity/batch=b-0001/part-00000.parquet' }],
  };
  const built = ACTIVITY_LINEAGE.buildGold!.outputs({ batch, silverFiles: [] }, gold);
  assert.deepEqual(
    built.map((o) => [o.container, o.name, o.rowCount]),
    [['gold', 'fact_activity/', 5]],
  );
});

test('the HTTP transport posts each event as JSON to a loopback endpoint, and reports a refusal by its status', async () => {
  const received: { url: string | undefined; type: string | undefined; body: unknown }[] = [];
  let status = 201;
  const server = createServer((req: IncomingMessage, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      received.push({ url: req.url, type: req.headers['content-type'], body: JSON.parse(body) });
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/lineage`;
    const d = deps({ transport: openLineageHttpTransport({ url }) });
    await runWithLineage(
      'planChunks',
      batch,
      async () => ({
        batchId: 'b-0001',
        table: 'sus_apc_episode',
        records: 0,
        chunks: [],
        unreadable: 0,
        unreadablePath: null,
      }),
      d,
    );
    assert.deepEqual(
      received.map((r) => [r.url, r.type, (r.body as RunEvent).eventType]),
      [
        ['/api/v1/lineage', 'application/json', 'START'],
        ['/api/v1/lineage', 'application/json', 'COMPLETE'],
      ],
    );
    for (const r of received) runEventSchema.parse(r.body);
    status = 400;
    await assert.rejects(
      openLineageHttpTransport({ url }).send([received[0]!.body as RunEvent]),
      (e: unknown) =>
        e instanceof InfrastructureError &&
        e.code === 'LINEAGE_ENDPOINT_REFUSED' &&
        /HTTP 400/.test(e.message),
    );
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
});
