// Synthetic generator benchmark: SUS+ episodes into NDJSON files and into the embedded DuckDB
// source, rows/s and peak memory, and peak memory at 250k vs 1M episodes (flat is the target).
//
// Each measurement runs in a child process of its own (this file, started with `--generate-child`),
// so peak RSS is not inherited from an earlier, larger run.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { peakMemorySampler, scaled, type BenchReport } from './bench-report.js';

type Target = 'ndjson' | 'duckdb';
interface ChildRequest {
  readonly target: Target;
  readonly episodes: number;
  readonly susOnly: boolean;
  readonly dir: string;
}
interface ChildResult {
  readonly rows: number;
  readonly episodes: number;
  readonly patients: number;
  readonly ms: number;
  readonly cpuMs: number;
  readonly peakMiB: number;
}

/**
 * The benchmark cohort: three financial years with tariffs in the reference data, and admission
 * rates raised (a high-utilisation cohort) so that 1M episodes fit in the ~909k 999-range NHS numbers.
 */
const POPULATION = {
  seed: 1,
  patients: 900_000,
  startDate: '2023-04-01',
  endDate: '2026-03-31',
  batchSize: 10_000,
  rates: { emergencyAdmissionsPerPersonYear: 0.12, electiveAdmissionsPerPersonYear: 0.16 },
} as const;

async function child(request: ChildRequest): Promise<ChildResult> {
  const { loadReferenceData } = await import('../shared/adapters/local/reference-data.loader.js');
  const { generatePopulation, sourceWriterSink } =
    await import('../shared/application/use-cases/generate-population.use-case.js');
  const { openSyntheticFileSink } =
    await import('../shared/adapters/local/synthetic-files/synthetic-file-sink.js');
  const { openEmbeddedSource } = await import('../shared/adapters/local/embedded-source/embedded-source.js');
  const { systemClock } = await import('../shared/application/ports/clock.port.js');
  const reference = loadReferenceData();
  const config = {
    ...POPULATION,
    maxEpisodes: request.episodes,
    ...(request.susOnly ? { tables: ['sus_apc_episode' as const] } : {}),
  };
  const memory = peakMemorySampler(25);
  const start = performance.now();
  const cpu = process.cpuUsage();
  let report;
  if (request.target === 'ndjson') {
    report = await generatePopulation(config, {
      reference,
      sink: openSyntheticFileSink({ dir: request.dir, format: 'ndjson' }),
    });
  } else {
    const source = await openEmbeddedSource({ path: join(request.dir, 'source.duckdb'), clock: systemClock });
    try {
      report = await generatePopulation(config, { reference, sink: sourceWriterSink(source) });
    } finally {
      await source.close();
    }
  }
  const ms = performance.now() - start;
  const used = process.cpuUsage(cpu);
  return {
    rows: Object.values(report.rows).reduce((s, n) => s + n, 0),
    episodes: report.rows.sus_apc_episode,
    patients: report.patients,
    ms,
    cpuMs: (used.user + used.system) / 1000,
    peakMiB: memory.stop(),
  };
}

function measure(target: Target, episodes: number, susOnly: boolean): ChildResult {
  const dir = mkdtempSync(join(tmpdir(), 'nhsflows-generate-bench-'));
  try {
    const request: ChildRequest = { target, episodes, susOnly, dir };
    const run = spawnSync(
      process.execPath,
      ['--import', 'tsx', fileURLToPath(import.meta.url), '--generate-child', JSON.stringify(request)],
      { encoding: 'utf8', maxBuffer: 1 << 20 },
    );
    if (run.status !== 0) throw new Error(`generate bench child failed (${run.status}): ${run.stderr}`);
    const line = run.stdout.trim().split('\n').pop() ?? '';
    return JSON.parse(line) as ChildResult;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function run(report: BenchReport): Promise<void> {
  const large = scaled(1_000_000);
  const small = scaled(250_000);
  const mixed = scaled(100_000);
  // The DuckDB insert path costs about as much CPU again as generation; 1M episodes took 170 s wall
  // (56 s CPU) on the loaded shared machine, over the 3-minute budget, so the bench inserts 500k.
  const db = scaled(500_000);
  report.section(
    'Synthetic population generator',
    `\`--episodes n\` generates patients until at least n SUS+ episodes exist. The 1M and 250k runs emit SUS+ episodes only ` +
      `(\`tables: ['sus_apc_episode']\`: the same SUS rows as a full run, other datasets not built); the mixed run emits all source ` +
      `tables alongside (${mixed.toLocaleString('en-GB')} episodes). Cohort: 2023-04-01 to 2026-03-31, emergency 0.12 and elective ` +
      `0.16 admissions per person-year, all defect classes on at 0.4 %, batches of 10k rows. Each measurement in a fresh process; ` +
      `peak = peak RSS of that process. Files are NDJSON; the embedded source is a DuckDB file through SourceWriter ` +
      `(${db.toLocaleString('en-GB')} episodes: a 1M run took 170 s wall, 56 s CPU, peak 411 MiB on the shared 2-core machine).`,
  );
  const filesSmall = measure('ndjson', small, true);
  const filesLarge = measure('ndjson', large, true);
  const dbLarge = measure('duckdb', db, true);
  const filesMixed = measure('ndjson', mixed, false);
  const rate = (r: ChildResult): number => r.rows / (r.ms / 1000);
  report.metric(
    `SUS episodes → NDJSON (${filesLarge.episodes.toLocaleString('en-GB')} episodes)`,
    rate(filesLarge),
    'rows/s',
    `${Math.round(filesLarge.ms)} ms wall, ${Math.round(filesLarge.cpuMs)} ms CPU, ${filesLarge.patients.toLocaleString('en-GB')} patients`,
  );
  report.metric('peak memory, NDJSON at the large size', filesLarge.peakMiB, 'MiB');
  report.metric(
    `SUS episodes → embedded DuckDB source (${dbLarge.episodes.toLocaleString('en-GB')} episodes)`,
    rate(dbLarge),
    'rows/s',
    `${Math.round(dbLarge.ms)} ms wall, ${Math.round(dbLarge.cpuMs)} ms CPU`,
  );
  report.metric('peak memory, embedded source', dbLarge.peakMiB, 'MiB');
  report.metric(
    `SUS episodes → NDJSON (${filesSmall.episodes.toLocaleString('en-GB')} episodes)`,
    rate(filesSmall),
    'rows/s',
  );
  report.metric('peak memory, NDJSON at the small size', filesSmall.peakMiB, 'MiB');
  report.ratio('peak memory large / small (4× the episodes)', filesLarge.peakMiB / filesSmall.peakMiB, {
    op: '<=',
    value: 1.5,
  });
  report.metric(
    `every source table → NDJSON (${filesMixed.episodes.toLocaleString('en-GB')} episodes, ${filesMixed.rows.toLocaleString('en-GB')} rows)`,
    rate(filesMixed),
    'rows/s',
    `${Math.round(filesMixed.ms)} ms wall, ${Math.round(filesMixed.cpuMs)} ms CPU; ${(filesMixed.rows / filesMixed.episodes).toFixed(1)} rows per episode`,
  );
  report.metric('peak memory, every source table', filesMixed.peakMiB, 'MiB');
}

if (process.argv[2] === '--generate-child') {
  const request = JSON.parse(process.argv[3] ?? '{}') as ChildRequest;
  const result = await child(request);
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exit(0);
}
