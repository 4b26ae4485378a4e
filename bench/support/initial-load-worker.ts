// One phase of the initial-load bench, in its own process so that peak memory belongs to that phase
// alone: `prepare` seeds the embedded source as `nhs-flows start` does and runs both baselines on
// it (the in-process domain chain and a DuckDB SQL bulk copy); `load` runs the real local host end to
// end over the seeded source, as `nhs-flows start` does, and measures it.
//
// Usage (from bench/initial-load.bench.ts): node --import tsx bench/support/initial-load-worker.ts
//   <prepare|load> <args.json>
import { mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { app, type PostInvocationContext, type PreInvocationContext } from '@azure/functions';
import { SOURCE_TABLES, SOURCE_TABLE_NAMES } from '../../shared/domain/datasets/source-tables.js';
import { CHAIN_STAGES, DomainChain } from './domain-chain.js';
import {
  STAGE_FUNCTIONS,
  procCpuSeconds,
  procMemoryMiB,
  unionLength,
  type CpuUse,
  type LoadResult,
  type PrepareResult,
  type StageTiming,
  type WorkerArgs,
} from './initial-load-protocol.js';
import { StageClock } from './stage-clock.js';

const [phase, argsFile] = process.argv.slice(2);
if ((phase !== 'prepare' && phase !== 'load') || !argsFile)
  throw new Error('usage: initial-load-worker.ts <prepare|load> <args.json>');
const args = JSON.parse(readFileSync(argsFile, 'utf8')) as WorkerArgs;

// The settings `nhs-flows start` would read, pointed at this size's data dir (logs at warn).
Object.assign(process.env, {
  NHSFLOWS_MODE: 'local',
  NHSFLOWS_DATA_DIR: args.dataDir,
  NHSFLOWS_LOCAL_SECRETS_FILE: join(args.dataDir, 'local-secrets.json'),
  NHSFLOWS_SYNTHETIC_PATIENTS: String(args.patients),
  NHSFLOWS_SEED: String(args.seed),
  NHSFLOWS_LOG_LEVEL: 'warn',
});

const result = phase === 'prepare' ? await prepare() : await load();
writeFileSync(args.out, JSON.stringify(result, null, 2));
process.exit(0);

async function prepare(): Promise<PrepareResult> {
  const { services, resetServices } = await import('../../functions/composition-root.js');
  const { openLocalEnvironment } = await import('../../shared/cli/local-environment.js');
  const { seedSyntheticSource } = await import('../../shared/cli/seed-source.js');
  const env = await openLocalEnvironment();
  writeFileSync(args.pidsFile, JSON.stringify({ azurite: env.azuritePid ?? null }));
  try {
    const s = await services();
    const capture = await s.capture();
    const source = capture.embedded;
    if (!source) throw new Error('the initial-load bench needs the embedded source');
    const seedStart = performance.now();
    const seeded = await seedSyntheticSource(source, {
      patients: args.patients,
      seed: args.seed,
      reportFile: join(env.dataDir, 'generation-report.json'),
      logger: s.logger,
    });
    const seedMs = performance.now() - seedStart;
    const recordsByTable: Record<string, number> = {};
    for (const table of SOURCE_TABLE_NAMES) recordsByTable[table] = await source.countRows(table);
    const sourceRecords = Object.values(recordsByTable).reduce((a, b) => a + b, 0);

    // Baseline (b): the floor for moving the bytes, in DuckDB SQL on the same source file.
    let duckdb: PrepareResult['duckdb'];
    try {
      const out = join(env.dataDir, 'duckdb-floor');
      mkdirSync(out, { recursive: true });
      const setting = (await source.querySql(`SELECT current_setting('threads') AS t`))[0]?.t;
      const threads = typeof setting === 'number' || typeof setting === 'string' ? String(setting) : '?';
      const q = (name: string) => `"${name.replace(/"/g, '""')}"`;
      const started = performance.now();
      for (const name of SOURCE_TABLE_NAMES) {
        const spec = SOURCE_TABLES[name];
        const kept = spec.columns.filter((c) => c.identifier === undefined).map((c) => q(c.name));
        const nhs = spec.columns.find((c) => c.identifier === 'nhs_number');
        const token = nhs ? `sha256(${q(nhs.name)})` : 'CAST(NULL AS VARCHAR)';
        // 'YYYY-MM' of the activity date, whatever its stored type (date, timestamp, offset text), as periodOf does.
        const month = `coalesce(substr(CAST(${q(spec.activityDateColumn)} AS VARCHAR), 1, 7), 'unknown')`;
        await source.executeSql(
          `COPY (SELECT ${kept.join(', ')}, ${token} AS nhs_token, ${month} AS month FROM ${q(name)}) ` +
            `TO '${join(out, name)}' (FORMAT parquet, PARTITION_BY (month))`,
        );
      }
      const wallMs = performance.now() - started;
      const files = walk(out);
      duckdb = {
        ok: true,
        rows: sourceRecords,
        wallMs,
        files: files.length,
        bytes: files.reduce((n, f) => n + f.size, 0),
        threads,
      };
    } catch (error) {
      duckdb = { ok: false, error: message(error) };
    }

    // Baseline (a): the in-process domain chain over the same rows, read back chunk by chunk.
    let chain: PrepareResult['chain'];
    try {
      const clock = new StageClock();
      const domain = new DomainChain({
        reference: s.pipeline.reference,
        keys: s.pipeline.keys,
        clock,
        // The activities validate against the day they run, as here.
        extractDate: new Date().toISOString().slice(0, 10),
      });
      let index = 0;
      for (const table of capture.tables) {
        let after: string[] | null = null;
        for (;;) {
          const rows = await clock.time('read', () =>
            source.readRows({
              table: table.spec.table,
              keyColumns: table.layout.keyColumns,
              after,
              limit: args.chainChunk,
            }),
          );
          if (rows.length === 0) break;
          await domain.processChunk(table.spec.table, rows, index++);
          if (rows.length < args.chainChunk) break;
          const last = rows[rows.length - 1]!;
          after = table.spec.key.map((k) => String(last[k]));
        }
      }
      const { linked } = domain.linkAll();
      const stages: Record<string, { wallMs: number; cpuMs: number }> = {};
      for (const stage of CHAIN_STAGES)
        stages[stage] = { wallMs: clock.wall(stage), cpuMs: clock.cpu(stage) };
      chain = {
        ok: true,
        records: domain.counts.processed,
        accepted: domain.counts.accepted,
        quarantined: domain.counts.quarantined,
        chunks: domain.counts.chunks,
        wallMs: CHAIN_STAGES.reduce((n, stage) => n + clock.wall(stage), 0),
        cpuMs: CHAIN_STAGES.reduce((n, stage) => n + clock.cpu(stage), 0),
        stages,
        readMs: clock.wall('read'),
        linked,
      };
    } catch (error) {
      chain = { ok: false, error: message(error) };
    }
    return { seedMs, seedSummary: seeded.summary, sourceRecords, recordsByTable, chain, duckdb };
  } finally {
    await resetServices().catch(() => undefined);
    await env.stop().catch(() => undefined);
  }
}

/**
 * A module of the host as the load runs it: from the built dist/ (what `npm start` and `nhs-flows
 * start` run; the bench builds it first), or from the sources through tsx when `args.hostFrom` says
 * so. The activity workers follow: they start from the folder their module was loaded from.
 */
async function hostModule<T>(path: string): Promise<T> {
  return (await import(`${args.hostFrom === 'dist' ? '../../dist/' : '../../'}${path}`)) as T;
}

async function load(): Promise<LoadResult> {
  const { services, resetServices } = await hostModule<typeof import('../../functions/composition-root.js')>(
    'functions/composition-root.js',
  );
  const { openLocalEnvironment } = await hostModule<typeof import('../../shared/cli/local-environment.js')>(
    'shared/cli/local-environment.js',
  );
  const { ONE_SHOT_TIMERS, openLocalFunctionsHost, runOneShot } = await hostModule<
    typeof import('../../shared/cli/local-functions-host.js')
  >('shared/cli/local-functions-host.js');
  const { seedSyntheticSource, simulateSourceChanges } =
    await hostModule<typeof import('../../shared/cli/seed-source.js')>('shared/cli/seed-source.js');
  const { pipelineStatus } = await hostModule<
    typeof import('../../shared/application/use-cases/pipeline/pipeline-status.use-case.js')
  >('shared/application/use-cases/pipeline/pipeline-status.use-case.js');
  const { LAKE_CONTAINERS } = await hostModule<typeof import('../../shared/domain/lake/lake-paths.js')>(
    'shared/domain/lake/lake-paths.js',
  );

  const bootStart = performance.now();
  const env = await openLocalEnvironment();
  writeFileSync(args.pidsFile, JSON.stringify({ azurite: env.azuritePid ?? null }));
  const azuritePid = env.azuritePid;
  let sampledSumPeakMiB = 0;
  let sampledPeakAt = Number.NaN;
  let mainHeapAtPeakMiB = Number.NaN;
  // NHSFLOWS_BENCH_TIMELINE=<file>: every sample too (<file>.memory: s from boot, node and Azurite
  // RSS, the main thread's V8 heap).
  const memorySeries: string[] = [];
  const sampler = setInterval(() => {
    const node = procMemoryMiB('self', 'VmRSS');
    const azurite = azuritePid ? procMemoryMiB(azuritePid, 'VmRSS') : 0;
    const sum = node + azurite;
    if (process.env.NHSFLOWS_BENCH_TIMELINE)
      memorySeries.push(
        `${((performance.now() - bootStart) / 1000).toFixed(2)}\t${node.toFixed(0)}\t${azurite.toFixed(0)}\t${(process.memoryUsage().heapTotal / 2 ** 20).toFixed(0)}`,
      );
    if (Number.isFinite(sum) && sum > sampledSumPeakMiB) {
      sampledSumPeakMiB = sum;
      sampledPeakAt = performance.now();
      // The main thread's own V8 heap (the triggers, orchestrators, warehouse and marts run there;
      // the activity workers' heaps are the rest of the process, with DuckDB's buffers).
      mainHeapAtPeakMiB = process.memoryUsage().heapTotal / 2 ** 20;
    }
  }, 250);
  sampler.unref();
  let stopHost: (() => Promise<void>) | undefined;
  const hooks: { dispose(): unknown }[] = [];
  try {
    const s = await services();
    const capture = await s.capture();
    if (!capture.embedded || !capture.eventLog)
      throw new Error('the initial-load bench needs the embedded default');
    // As `nhs-flows start` does: seed when empty (the prepare phase already did, so this only counts).
    await seedSyntheticSource(capture.embedded, {
      patients: args.patients,
      seed: args.seed,
      reportFile: join(env.dataDir, 'generation-report.json'),
      logger: s.logger,
    });
    let sourceRecords = 0;
    for (const table of SOURCE_TABLE_NAMES) sourceRecords += await capture.embedded.countRows(table);
    // Every invocation the host makes: triggers, main-thread activities and orchestrator replays
    // timed by @azure/functions' own pre/post invocation hooks (which the local host runs as the
    // worker does), and the activities its worker threads run, timed by the host (dispatch → result).
    const invocations = new Map<string, Invocation[]>();
    const record = (name: string, started: number, ended: number, failed: boolean, cpuMs?: number): void => {
      const list = invocations.get(name) ?? [];
      list.push({ started, ended, failed, ...(cpuMs !== undefined && { cpuMs }) });
      invocations.set(name, list);
    };
    const { host, registry } = await openLocalFunctionsHost(env, {
      logger: s.logger,
      eventLog: capture.eventLog,
      disabledFunctions: ONE_SHOT_TIMERS,
      onActivityInvocation: (i) => record(i.name, i.startedAt, i.endedAt, i.failed, i.cpuMs),
    });
    // Hooks after the registrations are captured (a hook added earlier puts @azure/functions in its
    // test mode, where it registers nothing).
    hooks.push(
      app.hook.preInvocation((context: PreInvocationContext) => {
        context.hookData.benchStartedAt = performance.now();
      }),
      app.hook.postInvocation((context: PostInvocationContext) => {
        const started = context.hookData.benchStartedAt;
        if (typeof started !== 'number') return;
        const failed = context.error !== undefined && context.error !== null;
        record(context.invocationContext.functionName, started, performance.now(), failed);
      }),
    );

    await host.start();
    stopHost = () => host.stop();
    const bootMs = performance.now() - bootStart;
    const stateBefore = s.stateOperations();
    const loadStart = performance.now();
    const cpuBefore = {
      node: procCpuSeconds('self'),
      azurite: azuritePid ? procCpuSeconds(azuritePid) : NaN,
      loop: performance.eventLoopUtilization(),
    };
    let outcome: LoadResult['outcome'] = 'completed';
    let error: string | undefined;
    let times: { pollMs: number; pipelineMs: number; martsMs: number } | undefined;
    try {
      times = await runOneShot(host, registry, { deadline: args.deadline });
    } catch (thrown) {
      error = message(thrown);
      outcome = /still busy/.test(error) ? 'timed out' : 'failed';
    }
    const loadMs = performance.now() - loadStart;
    const cpu = {
      nodeSeconds: procCpuSeconds('self') - cpuBefore.node,
      azuriteSeconds: azuritePid ? procCpuSeconds(azuritePid) - cpuBefore.azurite : Number.NaN,
      mainThreadBusy: performance.eventLoopUtilization(cpuBefore.loop).utilization,
    };
    const stateAfter = s.stateOperations();
    const memory = {
      nodePeakMiB: procMemoryMiB('self', 'VmHWM'),
      azuritePeakMiB: azuritePid ? procMemoryMiB(azuritePid, 'VmHWM') : Number.NaN,
      sampledSumPeakMiB,
      sampledPeakAtS: (sampledPeakAt - loadStart) / 1000,
      // Which work was in flight when memory peaked: where to look first to lower the peak.
      stagesAtPeak: stagesRunningAt(invocations, sampledPeakAt),
      mainHeapAtPeakMiB,
    };
    clearInterval(sampler);
    const loadEnd = performance.now();
    // The batch ledger first (a load stopped at its deadline is still moving).
    const status = await pipelineStatus(s.pipeline);
    const stages = stageTimings(invocations, 0, loadEnd);
    // NHSFLOWS_BENCH_TIMELINE=<file>: the load's invocations too, in <file>.load (as the round's below).
    if (process.env.NHSFLOWS_BENCH_TIMELINE) {
      writeFileSync(
        `${process.env.NHSFLOWS_BENCH_TIMELINE}.load`,
        invocationTimeline(invocations, loadStart),
      );
      writeFileSync(
        `${process.env.NHSFLOWS_BENCH_TIMELINE}.memory`,
        `# s since boot (load started at ${((loadStart - bootStart) / 1000).toFixed(2)})\tnode RSS MiB\tAzurite RSS MiB\tmain thread heap MiB\n${memorySeries.join('\n')}\n`,
      );
    }

    // The lake after the load: objects and bytes per container, silver files per (table × period).
    const lake: Record<string, { objects: number; bytes: number; workObjects: number }> = {};
    const silverFiles = new Map<string, number>();
    for (const container of LAKE_CONTAINERS) {
      const entry = { objects: 0, bytes: 0, workObjects: 0 };
      for await (const object of s.pipeline.lake.list(container, '')) {
        entry.objects += 1;
        entry.bytes += object.size;
        if (object.path.startsWith('_work/')) entry.workObjects += 1;
        if (container === 'silver' && object.path.endsWith('.parquet')) {
          const partition = silverPartitionOf(object.path);
          silverFiles.set(partition, (silverFiles.get(partition) ?? 0) + 1);
        }
      }
      lake[container] = entry;
    }
    let worst = '';
    let maxFiles = 0;
    for (const [partition, files] of silverFiles)
      if (files > maxFiles) {
        maxFiles = files;
        worst = partition;
      }

    // A 1 % change round on the loaded source (issue 8: reaches the warehouse in ≤ 30 s), measured
    // after every figure above so it changes none of them.
    let changeRound: LoadResult['changeRound'] = null;
    if (outcome === 'completed') {
      const applyStart = performance.now();
      let summary = '';
      try {
        summary = await simulateSourceChanges(capture.embedded, {
          patients: args.patients,
          seed: args.seed,
          rate: 0.01,
          dataDir: env.dataDir,
        });
        const applyMs = performance.now() - applyStart;
        const roundStart = performance.now();
        const roundCpu = {
          node: procCpuSeconds('self'),
          azurite: azuritePid ? procCpuSeconds(azuritePid) : Number.NaN,
          loop: performance.eventLoopUtilization(),
        };
        let roundCpuSeconds: CpuUse | null = null;
        const round = await runOneShot(host, registry, {
          deadline: Date.now() + 10 * 60_000,
          // The CPU to the warehouse, before the marts refresh that follows.
          onPipelineIdle: () => {
            roundCpuSeconds = {
              nodeSeconds: procCpuSeconds('self') - roundCpu.node,
              azuriteSeconds: azuritePid ? procCpuSeconds(azuritePid) - roundCpu.azurite : Number.NaN,
              mainThreadBusy: performance.eventLoopUtilization(roundCpu.loop).utilization,
            };
          },
        });
        const roundStages = stageTimings(invocations, roundStart, performance.now());
        // NHSFLOWS_BENCH_TIMELINE=<file>: every invocation of the round (start, end in s from the
        // poller fired, function name), tab-separated, to see what its critical path waits for.
        const timeline = process.env.NHSFLOWS_BENCH_TIMELINE;
        if (timeline) writeFileSync(timeline, invocationTimeline(invocations, roundStart));
        const after = await pipelineStatus(s.pipeline);
        const batches = (st: typeof status) => st.tables.reduce((n, t) => n + t.batches, 0);
        changeRound = {
          summary,
          applyMs,
          pollMs: round.pollMs,
          toWarehouseMs: round.pipelineMs,
          martsMs: round.martsMs,
          batches: batches(after) - batches(status),
          cpu: roundCpuSeconds,
          stages: roundStages,
        };
      } catch (thrown) {
        changeRound = {
          summary,
          applyMs: performance.now() - applyStart,
          pollMs: null,
          toWarehouseMs: null,
          martsMs: null,
          batches: 0,
          cpu: null,
          stages: {},
          error: message(thrown),
        };
      }
    }

    const hostStatus = host.status();
    return {
      changeRound,
      sourceRecords,
      outcome,
      ...(error ? { error } : {}),
      bootMs,
      loadMs,
      pollMs: times?.pollMs ?? null,
      pipelineMs: times?.pipelineMs ?? null,
      martsMs: times?.martsMs ?? null,
      stages,
      memory,
      cpu,
      lake,
      silverPartitions: {
        partitions: silverFiles.size,
        maxFiles,
        overTwo: [...silverFiles.values()].filter((n) => n > 2).length,
        worst,
      },
      state: {
        total: stateAfter.total - stateBefore.total,
        byKind: difference(stateAfter.byKind, stateBefore.byKind),
        byTable: difference(stateAfter.byTable, stateBefore.byTable),
        transactedEntities: stateAfter.transactedEntities - stateBefore.transactedEntities,
      },
      ledger: {
        batches: status.tables.reduce((n, t) => n + t.batches, 0),
        failedBatches: status.tables.reduce((n, t) => n + t.failed, 0),
        records: status.tables.reduce((n, t) => n + t.records, 0),
        accepted: status.tables.reduce((n, t) => n + t.accepted, 0),
        quarantined: status.tables.reduce((n, t) => n + t.quarantined, 0),
      },
      orchestrations: { ...hostStatus.instances },
      failures: [
        ...hostStatus.lastFailures.map((f) => `${f.name}: ${f.message}`.slice(0, 300)),
        ...hostStatus.functionFailures.map((f) => `${f.function}: ${f.message}`.slice(0, 300)),
      ].slice(0, 10),
    };
  } finally {
    clearInterval(sampler);
    for (const hook of hooks) hook.dispose();
    await stopHost?.().catch(() => undefined);
    await resetServices().catch(() => undefined);
    await env.stop().catch(() => undefined);
  }
}

/**
 * The silver partition (table × period) an object belongs to: `<dataset>/<table>` and its
 * `period=` folder; provider folders (and any others) are merged, so the count is per table × period.
 */
function silverPartitionOf(path: string): string {
  const parts = path.split('/');
  const period = parts.find((p) => p.startsWith('period=')) ?? parts.slice(2, -1).join('/');
  return `${parts[0]}/${parts[1]}/${period}`;
}

function difference(after: Readonly<Record<string, number>>, before: Readonly<Record<string, number>>) {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(after)) if (v - (before[k] ?? 0) !== 0) out[k] = v - (before[k] ?? 0);
  return out;
}

function walk(dir: string): { path: string; size: number }[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((p) => join(dir, p))
    .map((path) => ({ path, stat: statSync(path) }))
    .filter((f) => f.stat.isFile())
    .map((f) => ({ path: f.path, size: f.stat.size }));
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The invocations that started at or after `from`, in start order: start, end (s from `from`), name. */
function invocationTimeline(invocations: ReadonlyMap<string, readonly Invocation[]>, from: number): string {
  const rows = [...invocations]
    .flatMap(([name, list]) => list.filter((i) => i.started >= from).map((i) => ({ name, ...i })))
    .sort((a, b) => a.started - b.started);
  const s = (ms: number) => ((ms - from) / 1000).toFixed(2);
  return rows.map((r) => `${s(r.started)}\t${s(r.ended)}\t${r.name}\n`).join('');
}

/** One invocation the host made: when it started and ended (performance.now ms), and whether it failed. */
interface Invocation {
  readonly started: number;
  readonly ended: number;
  readonly failed: boolean;
  /** For an activity on a worker thread: that thread's CPU share of it (ms; see ActivityInvocation). */
  readonly cpuMs?: number;
}

/** The stages (as `stageTimings` names them) with an invocation running at `at`, and how many. */
function stagesRunningAt(
  invocations: ReadonlyMap<string, readonly Invocation[]>,
  at: number,
): Record<string, number> {
  const stageOf = new Map<string, string>();
  for (const [stage, names] of STAGE_FUNCTIONS) for (const n of names) stageOf.set(n, stage);
  const running: Record<string, number> = {};
  if (!Number.isFinite(at)) return running;
  for (const [name, list] of invocations)
    for (const i of list)
      if (i.started <= at && at <= i.ended) {
        const stage = stageOf.get(name) ?? `other: ${name}`;
        running[stage] = (running[stage] ?? 0) + 1;
      }
  return running;
}

/**
 * The stages (STAGE_FUNCTIONS, then any other registration on its own) of the invocations that
 * started in [from, until): how many, busy time summed, wall time covered, failures.
 */
function stageTimings(
  invocations: ReadonlyMap<string, readonly Invocation[]>,
  from: number,
  until: number,
): Record<string, StageTiming> {
  const stages: Record<string, StageTiming> = {};
  const claimed = new Set<string>();
  const timing = (names: readonly string[]): StageTiming => {
    const intervals: [number, number][] = [];
    let failures = 0;
    let workerCpuMs: number | undefined;
    for (const n of names) {
      claimed.add(n);
      for (const i of invocations.get(n) ?? [])
        if (i.started >= from && i.started < until) {
          intervals.push([i.started, i.ended]);
          if (i.failed) failures += 1;
          if (i.cpuMs !== undefined) workerCpuMs = (workerCpuMs ?? 0) + i.cpuMs;
        }
    }
    return {
      invocations: intervals.length,
      busyMs: intervals.reduce((n, [a, b]) => n + (b - a), 0),
      wallMs: unionLength(intervals),
      failures,
      ...(workerCpuMs !== undefined && { workerCpuMs }),
    };
  };
  for (const [stage, names] of STAGE_FUNCTIONS) {
    const t = timing(names);
    if (t.invocations > 0) stages[stage] = t;
  }
  for (const name of invocations.keys())
    if (!claimed.has(name)) {
      const t = timing([name]);
      if (t.invocations > 0) stages[`other: ${name}`] = t;
    }
  return stages;
}
