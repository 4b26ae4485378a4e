// Issue 8, item 6: the initial load. A synthetic population of about 100k and 1M source records
// (every source table) goes through the real local host end to end, exactly as `nhs-flows start` runs
// it, and is compared with two baselines on the same records in the same run: the in-process domain
// chain (validate → pseudonymise → SCD2 → link, as pipeline-throughput.bench.ts runs it) and a plain
// DuckDB SQL bulk copy (the floor for moving the bytes).
//
// Each size runs in a fresh data dir with its own Azurite, in two processes of its own
// (bench/support/initial-load-worker.ts): `prepare` seeds the embedded source with the CLI's seeding
// and runs both baselines; `load` boots the embedded default as `start` does and runs the one-shot
// load, so its peak memory is the load's alone. A load still busy at its time budget is stopped and
// reported as MISSED, with what it had done by then.
import { spawn, spawnSync } from 'node:child_process';
import {
  createWriteStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { benchScale, scaled, type BenchReport } from './bench-report.js';
import type { LoadResult, PrepareResult, WorkerArgs } from './support/initial-load-protocol.js';

/** Source records per synthetic patient (the generator's default mix, seed 1: 3.73–3.80 from 2k to 100k patients). */
const RECORDS_PER_PATIENT = 3.77;
const SEED = 1;
/** Rows per chunk of the in-process chain (the orchestrator's default chunk size). */
const CHAIN_CHUNK = 50_000;
/**
 * The load runs the host from the built dist/, as `npm start` does (built by this bench first, the
 * way `npm start` builds it); NHSFLOWS_BENCH_HOST_FROM=sources runs it from the sources through tsx.
 */
const HOST_FROM: WorkerArgs['hostFrom'] =
  process.env.NHSFLOWS_BENCH_HOST_FROM === 'sources' ? 'sources' : 'dist';
const SIZES = [
  { label: '100k', records: scaled(100_000) },
  { label: '1M', records: scaled(1_000_000) },
] as const;
/** Issue 8 targets. */
const TARGETS = {
  realOverChain: 0.5,
  recordsPerSecondAt1M: 10_000,
  usPerRecordGrowth: 1.25,
  memoryGrowth: 1.5,
  memoryCeilingMiB: 2048,
  filesPerSilverPartition: 2,
  tableOpsPer1000: 1,
  changeRoundSeconds: 30,
} as const;

type Size = (typeof SIZES)[number];

interface SizeRun {
  readonly size: Size;
  readonly patients: number;
  readonly budgetMs: number;
  readonly prepare: PrepareResult | { readonly error: string };
  readonly load: LoadResult | { readonly error: string } | null;
}

/**
 * Time the real path may take per size before it counts as MISSED: NHSFLOWS_BENCH_INITIAL_LOAD_BUDGET_S,
 * or 10 minutes or 500 records/s (a twentieth of the target), whichever is longer.
 */
function budgetMs(records: number): number {
  const fromEnv = Number(process.env.NHSFLOWS_BENCH_INITIAL_LOAD_BUDGET_S);
  if (Number.isFinite(fromEnv) && fromEnv > 0) return fromEnv * 1000;
  return Math.max(10 * 60_000, (records / 500) * 1000);
}

export async function run(report: BenchReport): Promise<void> {
  const benchStart = performance.now();
  const loadStart = loadavg()[0]!;
  // NHSFLOWS_BENCH_INITIAL_LOAD_SIZES=100k runs one size only (e.g. the 100k size at full scale).
  const only = process.env.NHSFLOWS_BENCH_INITIAL_LOAD_SIZES?.split(',').map((s) => s.trim());
  if (HOST_FROM === 'dist') buildDist();
  const runs: SizeRun[] = [];
  for (const size of SIZES.filter((s) => !only || only.includes(s.label))) runs.push(await runSize(size));

  report.section(
    'Initial load: 100k and 1M source records through the real local host (issue 8)',
    [
      `A synthetic population (the CLI's seeding: \`seedSyntheticSource\`, every source table, defects on, seed ${SEED})`,
      `of about ${RECORDS_PER_PATIENT} source records per patient, sized for ~100k and ~1M records × scale ${benchScale()}.`,
      `Each size in a fresh data dir with its own Azurite and two processes of its own: **prepare** seeds and runs the`,
      `baselines; **load** runs the real path exactly as \`nhs-flows start\` does, ${HOST_FROM === 'dist' ? 'from the built dist/ (built by the bench first, as `npm start` builds it)' : 'from the sources through tsx (NHSFLOWS_BENCH_HOST_FROM=sources)'} (Azurite, services, the local Functions`,
      `host over the real \`functions/\` registrations with the poller and marts timers off, the CDC poller fired once,`,
      `wait for idle, the marts refresh fired, wait for idle: \`runOneShot\`), logs at warn. **Wall time** = poller fired →`,
      `idle after the marts refresh (boot given apart); **records/s** = source records ÷ that. **Stages**: every invocation`,
      `the host makes, timed by @azure/functions' pre/post invocation hooks in the main thread and, for the activities its`,
      `worker threads run, by the host from dispatch to result; "wall" = the union of a stage's invocation intervals`,
      `(stages overlap: batches of different tables run at once), "busy" = their sum; "worker-thread CPU" = for the`,
      `activities on worker threads, those threads' CPU time (/proc/thread-self) spent on them, shared equally among the`,
      `invocations in flight on a worker (their JavaScript and garbage collection; not DuckDB's, libuv's or V8's helper`,
      `threads); the change round's stages are its own invocations. **Peak RSS**: VmHWM of the`,
      `host's node process and of the Azurite child (/proc), the target on their sum. **Lake**: objects and bytes per`,
      `container after the load (\`_work/\` objects counted in). **Silver partition** = table × period (provider folders`,
      `merged). **Table operations**: requests through the state store (\`CountingStateStore\` in the composition root:`,
      `one per get/insert/upsert/delete/transaction, one per list page of up to 1,000, one per table ensured) during the`,
      `load, per 1,000 source records. **Baselines** on the same source file: (a) the in-process chain`,
      `(bench/support/domain-chain.ts: validate → pseudonymise → SCD2 → link over in-memory adapters, chunks of`,
      `${CHAIN_CHUNK.toLocaleString('en-GB')} read back from the embedded source table by table; rate = records ÷ the four stages' wall`,
      `time, reading apart); (b) DuckDB SQL: every source table read from the embedded source, identifier columns dropped, a`,
      `SHA-256 token of the NHS number added, \`COPY … TO … (FORMAT parquet, PARTITION_BY (month))\` per table. A load`,
      `still busy at its budget (NHSFLOWS_BENCH_INITIAL_LOAD_BUDGET_S; default max(10 min, records ÷ 500/s)) is stopped`,
      `and its targets reported MISSED with what it had loaded by then. Shared 2-core machine (load average below).`,
    ].join(' '),
  );

  for (const r of runs) reportSize(report, r);

  const byLabel = new Map(runs.map((r) => [r.size.label, r]));
  const small = loaded(byLabel.get('100k'));
  const large = loaded(byLabel.get('1M'));
  if (large) {
    report.ratio(
      '[1M] records/s through the real path',
      recordsPerSecond(large.load),
      { op: '>=', value: TARGETS.recordsPerSecondAt1M },
      `issue 8 target: ≥ ${TARGETS.recordsPerSecondAt1M.toLocaleString('en-GB')} records/s at 1M${scaleNote()}`,
    );
    report.ratio(
      '[1M] peak RSS, node + Azurite (MiB)',
      peakSum(large.load),
      { op: '<=', value: TARGETS.memoryCeilingMiB },
      'issue 8 target: ≤ 2 GiB (sum of both peaks)',
    );
  }
  if (small && large) {
    report.ratio(
      'µs/record at 1M ÷ at 100k',
      usPerRecord(large.load) / usPerRecord(small.load),
      { op: '<=', value: TARGETS.usPerRecordGrowth },
      `issue 8 target: ≤ ${TARGETS.usPerRecordGrowth} (${usPerRecord(large.load).toFixed(0)} vs ${usPerRecord(small.load).toFixed(0)} µs/record)`,
    );
    report.ratio(
      'peak RSS (node + Azurite) at 1M ÷ at 100k',
      peakSum(large.load) / peakSum(small.load),
      { op: '<=', value: TARGETS.memoryGrowth },
      `issue 8 target: ≤ ${TARGETS.memoryGrowth} (${peakSum(large.load).toFixed(0)} vs ${peakSum(small.load).toFixed(0)} MiB)`,
    );
  } else
    report.metric(
      'comparisons between sizes',
      0,
      '',
      `not made: ${runs.length < SIZES.length ? 'only some sizes were run (NHSFLOWS_BENCH_INITIAL_LOAD_SIZES)' : 'a size did not produce load figures'}`,
    );
  report.metric(
    'bench wall time (seeding, baselines, loads)',
    (performance.now() - benchStart) / 1000,
    's',
    `1-minute load average ${loadStart.toFixed(1)} at start, ${loadavg()[0]!.toFixed(1)} at end, ${cpus().length} cores`,
  );
}

function scaleNote(): string {
  return benchScale() === 1
    ? ''
    : `; run at scale ${benchScale()}, so this "1M" size is ${SIZES[1].records.toLocaleString('en-GB')} records`;
}

/** The size's load result, when the load phase produced one. */
function loaded(r: SizeRun | undefined): (SizeRun & { load: LoadResult }) | undefined {
  return r?.load && 'outcome' in r.load ? { ...r, load: r.load } : undefined;
}

/** Source records ÷ load wall time; for a load stopped at its budget, records through to the ledger ÷ time spent. */
function recordsPerSecond(load: LoadResult): number {
  const records = load.outcome === 'completed' ? load.sourceRecords : load.ledger.records;
  return (records * 1000) / load.loadMs;
}

function usPerRecord(load: LoadResult): number {
  return 1e6 / recordsPerSecond(load);
}

function peakSum(load: LoadResult): number {
  return load.memory.nodePeakMiB + load.memory.azuritePeakMiB;
}

function reportSize(report: BenchReport, r: SizeRun): void {
  const tag = `[${r.size.label}]`;
  const mib = (bytes: number) => bytes / (1024 * 1024);
  if ('error' in r.prepare) {
    report.metric(`${tag} prepare (seed + baselines)`, Number.NaN, '', `FAILED: ${r.prepare.error}`);
    return;
  }
  const p = r.prepare;
  report.metric(
    `${tag} source records`,
    p.sourceRecords,
    'records',
    `${r.patients.toLocaleString('en-GB')} patients, seeded in ${(p.seedMs / 1000).toFixed(1)} s: ${Object.entries(
      p.recordsByTable,
    )
      .map(([t, n]) => `${t} ${n}`)
      .join(', ')}`,
  );

  const chainRate = p.chain.ok ? (p.chain.records * 1000) / p.chain.wallMs : Number.NaN;
  if (p.chain.ok)
    report.metric(
      `${tag} baseline: in-process chain`,
      chainRate,
      'records/s',
      `${(p.chain.wallMs / 1000).toFixed(1)} s wall, ${(p.chain.cpuMs / 1000).toFixed(1)} s CPU; ${Object.entries(
        p.chain.stages,
      )
        .map(([s, t]) => `${s} ${(t.wallMs / 1000).toFixed(1)} s`)
        .join(
          ', ',
        )}; ${p.chain.accepted} accepted, ${p.chain.quarantined} quarantined, ${p.chain.chunks} chunks; reading ${(p.chain.readMs / 1000).toFixed(1)} s apart`,
    );
  else
    report.metric(`${tag} baseline: in-process chain`, Number.NaN, 'records/s', `FAILED: ${p.chain.error}`);
  const floorRate = p.duckdb.ok ? (p.duckdb.rows * 1000) / p.duckdb.wallMs : Number.NaN;
  if (p.duckdb.ok)
    report.metric(
      `${tag} baseline: DuckDB SQL bulk copy to Parquet`,
      floorRate,
      'records/s',
      `${(p.duckdb.wallMs / 1000).toFixed(2)} s, ${p.duckdb.files} files, ${mib(p.duckdb.bytes).toFixed(1)} MiB, ${p.duckdb.threads} threads`,
    );
  else
    report.metric(
      `${tag} baseline: DuckDB SQL bulk copy`,
      Number.NaN,
      'records/s',
      `FAILED: ${p.duckdb.error}`,
    );

  if (!r.load || !('outcome' in r.load)) {
    const why = r.load ? r.load.error : 'not run';
    report.ratio(`${tag} real path finished within its budget`, 0, { op: '>=', value: 1 }, `FAILED: ${why}`);
    return;
  }
  const l = r.load;
  const finished = l.outcome === 'completed';
  report.ratio(
    `${tag} real path finished within its budget`,
    finished ? 1 : 0,
    { op: '>=', value: 1 },
    finished
      ? `${(l.loadMs / 1000).toFixed(1)} s of ${(r.budgetMs / 1000).toFixed(0)} s`
      : `${l.outcome} after ${(l.loadMs / 1000).toFixed(0)} s (budget ${(r.budgetMs / 1000).toFixed(0)} s): ${l.ledger.records} of ${l.sourceRecords} records through to the ledger${l.error ? `; ${l.error.slice(0, 200)}` : ''}`,
  );
  const rate = recordsPerSecond(l);
  report.metric(
    `${tag} real path: wall time`,
    l.loadMs / 1000,
    's',
    `boot ${(l.bootMs / 1000).toFixed(1)} s apart; poll ${fmtS(l.pollMs)}, to idle ${fmtS(l.pipelineMs)}, marts ${fmtS(l.martsMs)}`,
  );
  report.metric(
    `${tag} real path: records/s`,
    rate,
    'records/s',
    `${Number.isFinite(usPerRecord(l)) ? usPerRecord(l).toFixed(0) : '—'} µs/record${finished ? '' : '; records through to the ledger by the deadline'}; ledger: ${l.ledger.batches} batches (${l.ledger.failedBatches} failed), ${l.ledger.accepted} accepted, ${l.ledger.quarantined} quarantined; orchestrations ${Object.entries(
      l.orchestrations,
    )
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}${l.failures.length ? `; failures: ${l.failures.slice(0, 3).join(' | ')}` : ''}`,
  );
  const stageRows = (prefix: string, stages: LoadResult['stages']) => {
    for (const [stage, t] of Object.entries(stages))
      if (t.invocations > 0)
        report.metric(
          `${prefix}: ${stage}`,
          t.wallMs / 1000,
          's wall',
          `${t.invocations} invocations, ${(t.busyMs / 1000).toFixed(1)} s busy${t.workerCpuMs !== undefined ? `, ${(t.workerCpuMs / 1000).toFixed(1)} s of worker-thread CPU` : ''}${t.failures ? `, ${t.failures} failed` : ''}`,
        );
  };
  stageRows(`${tag} stage`, l.stages);
  const round = l.changeRound;
  if (round) {
    if (round.toWarehouseMs === null)
      report.metric(`${tag} 1 % change round`, Number.NaN, '', `FAILED: ${round.error ?? 'unknown'}`);
    else {
      report.metric(
        `${tag} 1 % change round: poller fired → warehouse loaded`,
        round.toWarehouseMs / 1000,
        's',
        `${round.summary}; applied to the source in ${(round.applyMs / 1000).toFixed(1)} s (not counted); poll ${((round.pollMs ?? 0) / 1000).toFixed(1)} s; ${round.batches} batches; marts refresh after it ${((round.martsMs ?? 0) / 1000).toFixed(1)} s`,
      );
      if (r.size.label === '1M')
        report.ratio(
          `${tag} 1 % change round to the warehouse (s)`,
          round.toWarehouseMs / 1000,
          { op: '<=', value: TARGETS.changeRoundSeconds },
          `issue 8 target: ≤ ${TARGETS.changeRoundSeconds} s`,
        );
      if (round.cpu)
        report.metric(
          `${tag} 1 % change round CPU: node + Azurite`,
          round.cpu.nodeSeconds + round.cpu.azuriteSeconds,
          's',
          `node ${round.cpu.nodeSeconds.toFixed(1)} s, Azurite ${round.cpu.azuriteSeconds.toFixed(1)} s, poller fired → warehouse loaded (${(((round.cpu.nodeSeconds + round.cpu.azuriteSeconds) / (round.toWarehouseMs / 1000) / 2) * 100).toFixed(0)} % of both cores)`,
        );
      if (round.cpu)
        report.metric(
          `${tag} 1 % change round: host main thread busy`,
          round.cpu.mainThreadBusy * 100,
          '%',
          'event-loop utilisation of the thread running the triggers, orchestrators and warehouse activity',
        );
      stageRows(`${tag} change round stage`, round.stages);
    }
  }
  report.metric(
    `${tag} CPU during the load: node (host process)`,
    l.cpu.nodeSeconds,
    's',
    `${((l.cpu.nodeSeconds / (l.loadMs / 1000)) * 100).toFixed(0)} % of one core over the wall time`,
  );
  report.metric(
    `${tag} CPU during the load: Azurite`,
    l.cpu.azuriteSeconds,
    's',
    `${((l.cpu.azuriteSeconds / (l.loadMs / 1000)) * 100).toFixed(0)} % of one core`,
  );
  report.metric(
    `${tag} host main thread busy during the load`,
    l.cpu.mainThreadBusy * 100,
    '%',
    'event-loop utilisation of the thread running the triggers, orchestrators and warehouse activity',
  );
  report.metric(`${tag} peak RSS: node (host process)`, l.memory.nodePeakMiB, 'MiB');
  report.metric(`${tag} peak RSS: Azurite`, l.memory.azuritePeakMiB, 'MiB');
  report.metric(
    `${tag} peak RSS: node + Azurite`,
    peakSum(l),
    'MiB',
    `highest sampled concurrent sum ${l.memory.sampledSumPeakMiB.toFixed(0)} MiB${peakMoment(l)}`,
  );
  for (const [container, c] of Object.entries(l.lake))
    report.metric(
      `${tag} lake: ${container}`,
      c.objects,
      'objects',
      `${mib(c.bytes).toFixed(1)} MiB${c.workObjects ? `; ${c.workObjects} of them under _work/` : ''}`,
    );
  report.ratio(
    `${tag} most files in one silver partition (table × period)`,
    l.silverPartitions.maxFiles,
    { op: '<=', value: TARGETS.filesPerSilverPartition },
    `issue 8 target: ≤ ${TARGETS.filesPerSilverPartition}; ${l.silverPartitions.partitions} partitions, ${l.silverPartitions.overTwo} over 2; worst ${l.silverPartitions.worst}`,
  );
  const perThousand = (l.state.total * 1000) / Math.max(1, l.sourceRecords);
  report.ratio(
    `${tag} Table storage operations per 1,000 records`,
    perThousand,
    { op: '<=', value: TARGETS.tableOpsPer1000 },
    `issue 8 target: ≤ 1 on the bulk path; ${l.state.total} requests (${Object.entries(l.state.byKind)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}; ${l.state.transactedEntities} entities in transactions); by table: ${Object.entries(
      l.state.byTable,
    )
      .sort((a, b) => b[1] - a[1])
      .slice(0, 6)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
  );
  report.ratio(
    `${tag} real path ÷ in-process chain (records/s)`,
    rate / chainRate,
    { op: '>=', value: TARGETS.realOverChain },
    `issue 8 target: ≥ ${TARGETS.realOverChain}`,
  );
  report.ratio(
    `${tag} real path ÷ DuckDB bulk copy (records/s)`,
    rate / floorRate,
    undefined,
    'the floor for moving the bytes',
  );
}

function fmtS(ms: number | null): string {
  return ms === null ? '—' : `${(ms / 1000).toFixed(1)} s`;
}

async function runSize(size: Size): Promise<SizeRun> {
  const patients = Math.max(10, Math.round(size.records / RECORDS_PER_PATIENT));
  const budget = budgetMs(size.records);
  const dataDir = mkdtempSync(join(tmpdir(), `nhsflows-bench-initial-load-${size.label}-`));
  const logs = resolve('.bench-out');
  mkdirSync(logs, { recursive: true });
  console.log(
    `  [${size.label}] ${patients} patients in ${dataDir}; load budget ${(budget / 1000).toFixed(0)} s`,
  );
  const common = {
    dataDir,
    patients,
    seed: SEED,
    pidsFile: join(dataDir, 'pids.json'),
    chainChunk: CHAIN_CHUNK,
    hostFrom: HOST_FROM,
  };
  try {
    let prepare: SizeRun['prepare'];
    try {
      // Seeding (~56k rows/s) and the chain (~15k records/s) take minutes at 1M; allow plenty.
      const prepareMs = Math.max(30 * 60_000, size.records * 5);
      prepare = await worker<PrepareResult>(
        'prepare',
        size,
        { ...common, out: join(dataDir, 'prepare.json'), deadline: Date.now() + prepareMs },
        { hardTimeoutMs: prepareMs, nodeFlags: ['--max-old-space-size=8192'], logs },
      );
    } catch (error) {
      return { size, patients, budgetMs: budget, prepare: { error: message(error) }, load: null };
    }
    let load: SizeRun['load'];
    try {
      // The host process runs with node's default heap, as `npm start` does; the worker gives up
      // waiting at the deadline, and is killed if it is still running 5 minutes later.
      load = await worker<LoadResult>(
        'load',
        size,
        { ...common, out: join(dataDir, 'load.json'), deadline: Date.now() + budget },
        {
          hardTimeoutMs: budget + 5 * 60_000,
          // e.g. NHSFLOWS_BENCH_LOAD_NODE_FLAGS='--cpu-prof --cpu-prof-dir=.bench-out/prof' to profile the host.
          nodeFlags: (process.env.NHSFLOWS_BENCH_LOAD_NODE_FLAGS ?? '').split(' ').filter(Boolean),
          logs,
        },
      );
    } catch (error) {
      load = { error: message(error) };
    }
    return { size, patients, budgetMs: budget, prepare, load };
  } finally {
    if (process.env.NHSFLOWS_BENCH_KEEP !== '1') rmSync(dataDir, { recursive: true, force: true });
  }
}

/** Runs one worker phase; kills it (and the Azurite it started) if it outlives `hardTimeoutMs`. */
function worker<T>(
  phase: 'prepare' | 'load',
  size: Size,
  args: WorkerArgs,
  options: { hardTimeoutMs: number; nodeFlags: readonly string[]; logs: string },
): Promise<T> {
  const argsFile = join(args.dataDir, `${phase}-args.json`);
  writeFileSync(argsFile, JSON.stringify(args));
  const logFile = join(options.logs, `initial-load-${size.label}-${phase}.log`);
  const log = createWriteStream(logFile);
  const started = performance.now();
  const child = spawn(
    process.execPath,
    [...options.nodeFlags, '--import', 'tsx', 'bench/support/initial-load-worker.ts', phase, argsFile],
    // The thread pool size bin/nhs-flows.js gives the CLI (an explicit UV_THREADPOOL_SIZE wins).
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, UV_THREADPOOL_SIZE: process.env.UV_THREADPOOL_SIZE ?? '16' },
    },
  );
  child.stdout.pipe(log, { end: false });
  child.stderr.pipe(log, { end: false });
  let killed = false;
  const timer = setTimeout(() => {
    killed = true;
    child.kill('SIGKILL');
  }, options.hardTimeoutMs);
  return new Promise<T>((resolvePromise, reject) => {
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      log.end();
      const seconds = ((performance.now() - started) / 1000).toFixed(1);
      console.log(`  [${size.label}] ${phase}: exit ${code ?? signal} after ${seconds} s (log: ${logFile})`);
      if (code === 0 && existsSync(args.out)) {
        resolvePromise(JSON.parse(readFileSync(args.out, 'utf8')) as T);
        return;
      }
      // A worker that did not finish may have left its Azurite running.
      stopLeftoverAzurite(args.pidsFile);
      reject(
        new Error(
          `${phase} ${killed ? `killed after ${seconds} s (hard timeout)` : `exited ${code ?? signal}`}: ${tail(logFile)}`,
        ),
      );
    });
  });
}

/** `npm run build` (tsc into dist/), as `npm start` runs it before the CLI. */
function buildDist(): void {
  const started = performance.now();
  const built = spawnSync(
    process.execPath,
    [resolve('node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'],
    {
      stdio: 'inherit',
    },
  );
  if (built.status !== 0)
    throw new Error(`building dist/ for the load failed (tsc exit ${built.status ?? built.signal})`);
  console.log(
    `  dist/ built in ${((performance.now() - started) / 1000).toFixed(1)} s (the load runs it, as npm start does)`,
  );
}

/** Stops the Azurite a worker started and left behind (its pid is in the pids file; checked to be Azurite still). */
function stopLeftoverAzurite(pidsFile: string): void {
  try {
    const { azurite } = JSON.parse(readFileSync(pidsFile, 'utf8')) as { azurite: number | null };
    if (azurite && readFileSync(`/proc/${azurite}/cmdline`, 'utf8').includes('azurite'))
      process.kill(azurite, 'SIGTERM');
  } catch {
    // Nothing started, or it is already gone.
  }
}

function tail(file: string): string {
  try {
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    return lines.slice(-3).join(' ').slice(-400);
  } catch {
    return 'no log';
  }
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** When the sampled peak was taken and what was running then, for the peak's note. */
function peakMoment(l: LoadResult): string {
  const at = l.memory.sampledPeakAtS;
  if (at === undefined || !Number.isFinite(at)) return '';
  const running = Object.entries(l.memory.stagesAtPeak ?? {})
    .sort((a, b) => b[1] - a[1])
    .map(([stage, n]) => `${stage} ×${n}`);
  const heap = l.memory.mainHeapAtPeakMiB;
  const main = heap !== undefined && Number.isFinite(heap) ? `; main thread heap ${heap.toFixed(0)} MiB` : '';
  return `, ${at.toFixed(0)} s after the poller fired${running.length > 0 ? ` (running: ${running.join(', ')})` : ''}${main}`;
}
