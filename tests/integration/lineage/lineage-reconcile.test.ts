import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { test } from 'node:test';
import { resetServices, services } from '../../../functions/composition-root.js';
import { readBatchLineage } from '../../../shared/application/use-cases/lineage/activity-lineage.use-case.js';
import { traceGoldRow } from '../../../shared/application/use-cases/lineage/trace-gold-row.use-case.js';
import { BATCH_LEDGER_TABLE } from '../../../shared/application/use-cases/pipeline/batch-ledger.use-case.js';
import { reconcileLayers } from '../../../shared/application/use-cases/reconcile/reconcile-layers.use-case.js';
import { memoryTelemetry } from '../../../shared/application/ports/telemetry.port.js';
import type { CliIo } from '../../../shared/cli/cli-io.js';
import { fireTimer } from '../../../shared/cli/local-functions-host.js';
import { reconcileCommand } from '../../../shared/cli/reconcile.command.js';
import { SOURCE_TABLES } from '../../../shared/domain/datasets/source-tables.js';
import { lakePaths } from '../../../shared/domain/lake/lake-paths.js';
import type { BatchManifest } from '../../../shared/domain/pipeline/pipeline-contracts.js';
import { allRegistrations } from '../../../shared/runtime/local/registration-capture.js';
import {
  episode,
  openPipelineHarness,
  testNhsNumber,
  waitUntil,
  withWrongCheckDigit,
} from '../pipeline/pipeline-harness.js';

// Issue 13 items 6 and 7 through the real local host (timer, event log, orchestrator, every
// activity, Azurite, the embedded source and warehouse): lineage events of every activity run, a
// gold fact traced to its source key, and source-to-gold reconciliation clean, then not.

function captureIo(): CliIo & { stdout: () => string; stderr: () => string } {
  let out = '';
  let err = '';
  return {
    out: (text: string) => void (out += `${text}\n`),
    err: (text: string) => void (err += `${text}\n`),
    stdout: () => out,
    stderr: () => err,
  };
}

test('every activity run leaves START and COMPLETE, a fact traces to its source key, and reconcile finds a row deleted behind the pipeline', async () => {
  process.env.NHSFLOWS_CDC_TABLES = 'sus_apc_episode';
  const h = await openPipelineHarness();
  const dataDir = h.dataDir;
  try {
    const capture = await h.services.capture();
    await capture.embedded!.createTables(Object.values(SOURCE_TABLES));
    const rows = Array.from({ length: 8 }, (_, i) =>
      episode(
        i,
        i < 4
          ? {}
          : {
              admission_date: '2026-10-01',
              episode_start_date: '2026-10-01',
              episode_end_date: '2026-10-05',
              discharge_date: '2026-10-05',
            },
      ),
    );
    // One record validation rejects: quarantined, so legitimately absent downstream.
    rows.push(episode(8, { nhs_number: withWrongCheckDigit(testNhsNumber(8)) }));
    await capture.embedded!.insertRows('sus_apc_episode', rows);
    await fireTimer(h.host, allRegistrations(), 'cdcPoller');
    // The consumer may cut the captured events into more than one batch: wait for all nine records.
    const manifests = await waitUntil(
      'the captured batches to finish',
      async () => {
        const found: BatchManifest[] = [];
        for (const path of await h.list('gold', 'manifests/')) {
          const m = JSON.parse(await h.text('gold', path)) as BatchManifest;
          if (m.table === 'sus_apc_episode' && m.status !== 'failed') found.push(m);
        }
        return found.reduce((n, m) => n + m.counts.records, 0) >= 9 ? found : undefined;
      },
      90_000,
    );
    assert.equal(
      manifests.reduce((n, m) => n + m.counts.quarantined, 0),
      1,
      'the wrong check digit is quarantined',
    );

    // A batch's manifest is written by its last activity; that activity's lineage record follows it.
    await h.host.waitForIdle({ timeoutMs: 60_000 });

    // Lineage: every activity of every batch has one run with START then COMPLETE, with datasets.
    let warehouseRows = 0;
    let silverRows = 0;
    for (const manifest of manifests) {
      const events = await readBatchLineage(manifest.batchId, h.services.pipeline);
      const runs = new Map<string, string[]>();
      for (const e of events)
        runs.set(e.run.runId, [...(runs.get(e.run.runId) ?? []), `${e.job.name}:${e.eventType}`]);
      const jobs = [...runs.values()].map((r) => r[0]!.split(':')[0]!).sort();
      assert.deepEqual(jobs, [
        'pipeline.buildGold',
        'pipeline.loadWarehouse',
        'pipeline.mergePatientDimension',
        'pipeline.planChunks',
        'pipeline.validatePseudonymiseChunk',
        'pipeline.writeManifest',
      ]);
      for (const sequence of runs.values())
        assert.deepEqual(
          sequence.map((s) => s.split(':')[1]),
          ['START', 'COMPLETE'],
        );
      const complete = (job: string) => events.find((e) => e.job.name === job && e.eventType === 'COMPLETE')!;
      assert.equal(complete('pipeline.planChunks').inputs[0]?.namespace.startsWith('abfss://bronze@'), true);
      silverRows +=
        complete('pipeline.validatePseudonymiseChunk').outputs.find((o) =>
          o.namespace.startsWith('abfss://silver@'),
        )?.outputFacets?.outputStatistics?.rowCount ?? 0;
      const loaded = complete('pipeline.loadWarehouse').outputs;
      assert.ok(loaded.every((o) => o.namespace === 'duckdb://nhs-flows-warehouse'));
      warehouseRows +=
        loaded.find((o) => o.name === 'fact_activity')?.outputFacets?.outputStatistics?.rowCount ?? 0;
      const lineageText = await h.text('gold', `lineage/batch=${manifest.batchId}/`);
      for (const r of rows) {
        assert.ok(!lineageText.includes(String(r.nhs_number)), 'no NHS number in lineage');
        assert.ok(!lineageText.includes(String(r.local_patient_id)), 'no local patient id in lineage');
      }
    }
    assert.equal(silverRows, 8, 'silver row counts of the pseudonymise runs');
    assert.equal(warehouseRows, 8, 'warehouse row counts of the load runs');

    // A gold fact traced back to its source key and its line in the bronze batch.
    const traced = await traceGoldRow('fact_activity', 'sus_apc_episode:EPT000003', h.services.pipeline);
    assert.ok(traced);
    assert.deepEqual(traced.origin, {
      kind: 'source',
      table: 'sus_apc_episode',
      keyColumns: ['episode_id'],
      key: 'EPT000003',
    });
    assert.ok(manifests.some((m) => m.batchId === traced.gold.batchId));
    assert.equal(traced.gold.files.length, 1);
    assert.match(traced.silver.files[0] ?? '', /^sus_apc\/sus_apc_episode\/period=2026-09\//);
    assert.ok(traced.bronze.path && traced.bronze.line !== null && traced.bronze.line >= 1);
    // The dataset fact of the star schema, keyed by the source key, traces to the same record.
    const fromStar = await traceGoldRow('fact_apc_episode', 'EPT000003', h.services.pipeline);
    assert.deepEqual(fromStar?.origin, traced.origin);
    assert.deepEqual(fromStar?.silver.files, traced.silver.files);
    assert.equal(await traceGoldRow('fact_activity', 'sus_apc_episode:NOPE', h.services.pipeline), null);

    // Reconciliation of the honest run is clean and the counts add up.
    const telemetry = memoryTelemetry();
    const deps = { ...h.services.pipeline, telemetry, source: capture.deps.source };
    const clean = await reconcileLayers({ tables: ['sus_apc_episode'] }, deps);
    assert.deepEqual(clean.differences, []);
    assert.deepEqual(
      { ...clean.tables[0]!.counts },
      {
        source: 9,
        quarantined: 1,
        silverFromSource: 8,
        silverFromFiles: 0,
        gold: { fact_activity: 8, fact_apc_episode: 8 },
        warehouse: { fact_activity: 8, fact_apc_episode: 8 },
      },
    );
    assert.deepEqual(
      telemetry.metrics.filter((m) => m.name === 'nhsflows.reconcile.differences').map((m) => m.value),
      [0],
    );
    // Every bronze batch of the run finished with a manifest: none is left unrun.
    assert.deepEqual(clean.unrunBronzeBatches, []);

    // A delta file a poller wrote two days ago and never published (a crash before the reference),
    // and one written today (it may still be running): only the old one is listed, with its size;
    // a chunk under it is not a batch.
    const source = lakePaths.bronzeCdcSource('sus_apc_episode');
    const old = lakePaths.bronzeBatch(
      source,
      'sus_apc_episode-orphan',
      new Date(Date.now() - 2 * 86_400_000),
    );
    const fresh = lakePaths.bronzeBatch(source, 'sus_apc_episode-running', new Date());
    await h.services.pipeline.lake.put('bronze', old, '{"never":"published"}\n');
    await h.services.pipeline.lake.put('bronze', fresh, '{"still":"running"}\n');
    await h.services.pipeline.lake.put('bronze', lakePaths.bronzeChunk(old, 0), '{}\n');
    // An old batch that failed: the ledger knows it and the poison queue holds it for replay.
    const failed = lakePaths.bronzeBatch(
      source,
      'sus_apc_episode-failed',
      new Date(Date.now() - 3 * 86_400_000),
    );
    await h.services.pipeline.lake.put('bronze', failed, '{"failed":true}\n');
    await h.services.pipeline.state.upsert(BATCH_LEDGER_TABLE, 'sus_apc_episode', 'sus_apc_episode-failed', {
      status: 'failed',
    });
    const withOrphan = await reconcileLayers({ tables: ['sus_apc_episode'] }, deps);
    assert.deepEqual(withOrphan.differences, []);
    assert.deepEqual(withOrphan.unrunBronzeBatches, [
      { table: 'sus_apc_episode', batchId: 'sus_apc_episode-orphan', path: old, bytes: 22 },
    ]);

    // The CLI over the same lake and warehouse, once the host is gone: clean (exit 0), then a row
    // deleted from the warehouse behind the pipeline's back (exit 1, table, period and key range).
    await h.host.stop();
    await resetServices();
    await h.env.stop();
    // A new Azurite on new ports for each command, as a fresh CLI process would have.
    const forgetAzurite = () => {
      for (const key of ['NHSFLOWS_LAKE_CONNECTION', 'NHSFLOWS_STATE_CONNECTION', 'AzureWebJobsStorage'])
        delete process.env[key];
    };
    forgetAzurite();
    const first = captureIo();
    assert.equal(await reconcileCommand.run({ values: {}, positionals: [] }, first), 0, first.stderr());
    assert.match(first.stdout(), /sus_apc_episode: source 9 = silver 8 \+ quarantined 1;/);
    assert.match(first.stdout(), /every table reconciles/);
    assert.match(
      first.stdout(),
      /1 bronze batch\(es\) no batch finished or failed with[^\n]*\n {2}sus_apc_episode bronze\/cdc-sus_apc_episode\/\d{4}\/\d{2}\/\d{2}\/sus_apc_episode-orphan\.ndjson \(22 bytes\)/,
    );

    forgetAzurite();
    const { openLocalEnvironment } = await import('../../../shared/cli/local-environment.js');
    const env = await openLocalEnvironment();
    try {
      const warehouse = await (await services()).pipeline.warehouse();
      await warehouse.query(`DELETE FROM fact_activity WHERE activity_id = 'sus_apc_episode:EPT000005'`);
    } finally {
      await resetServices();
      await env.stop();
    }
    forgetAzurite();
    const second = captureIo();
    assert.equal(await reconcileCommand.run({ values: {}, positionals: [] }, second), 1);
    const out = second.stdout();
    assert.match(
      out,
      /sus_apc_episode gold→warehouse \(fact_activity\) period 2026-10: expected 4 records \(checksum -?\d+\), found 3/,
    );
    const range = /keys from (\S+) to (\S+) \(exclusive\): expected (\d+), found (\d+)/.exec(out);
    assert.ok(range, out);
    const [, from, to, expected, found] = range;
    // Narrowed by bisection to at most two records, the deleted one among them.
    assert.ok(Number(expected) <= 2 && Number(found) === Number(expected) - 1, out);
    assert.ok(from === '(start)' || from! <= 'EPT000005', `from ${from}`);
    assert.ok(to === '(end)' || 'EPT000005' < to!, `to ${to}`);
    assert.doesNotMatch(out, /period 2026-09/);
  } finally {
    delete process.env.NHSFLOWS_CDC_TABLES;
    await h.close().catch(() => undefined);
    rmSync(dataDir, { recursive: true, force: true });
  }
});
