// A FHIR bulk export (.fhir.ndjson) read through the landing path's two streaming passes, at N and
// 10×N attendances, each size in its own process: peak RSS of the larger against the smaller.
import { spawnSync } from 'node:child_process';
import { scaled, type BenchReport } from './bench-report.js';

interface Run {
  rows: number;
  lines: number;
  bytes: number;
  peakMiB: number;
  baselineMiB: number;
  ms: number;
}

function measure(attendances: number, mode: 'streamed' | 'held'): Run {
  const r = spawnSync(
    process.execPath,
    [
      '--expose-gc',
      '--import',
      'tsx',
      'bench/support/landing-stream-fhir-worker.ts',
      String(attendances),
      mode,
    ],
    { encoding: 'utf8' },
  );
  if (r.status !== 0) throw new Error(`landing-stream-fhir worker failed (${attendances}): ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '{}') as Run;
}

export async function run(report: BenchReport): Promise<void> {
  report.section(
    'Landing files: FHIR bulk NDJSON in two streaming passes',
    'A synthetic ECDS bulk export (a Patient per 3 attendances, each attendance an EMER Encounter and one Condition, lines grouped by type) read from disk by the landing reader: the first pass keeps what rows join to (Patients, Conditions) and a skeleton of every other line, the second maps each attendance as its line is read again. At N and 10×N attendances, each in a fresh process, and the 10× file held whole (no second read) for comparison. Target: peak RSS of the 10× file within 1.2× the smaller.',
  );
  const small = scaled(3_000);
  const a = measure(small, 'streamed');
  const b = measure(small * 10, 'streamed');
  const c = measure(small * 10, 'held');
  const mib = (n: number) => n / (1024 * 1024);
  report.metric(`file of ${a.lines} resources (${a.rows} attendances)`, mib(a.bytes), 'MiB');
  report.metric(
    `peak RSS, ${a.rows} attendances`,
    a.peakMiB,
    'MiB',
    `process baseline ${a.baselineMiB.toFixed(1)} MiB`,
  );
  report.metric(`file of ${b.lines} resources (${b.rows} attendances)`, mib(b.bytes), 'MiB');
  report.metric(
    `peak RSS, ${b.rows} attendances`,
    b.peakMiB,
    'MiB',
    `process baseline ${b.baselineMiB.toFixed(1)} MiB`,
  );
  report.metric(
    `peak RSS, ${c.rows} attendances held whole`,
    c.peakMiB,
    'MiB',
    `process baseline ${c.baselineMiB.toFixed(1)} MiB`,
  );
  report.metric('read throughput (10×, two passes)', b.lines / (b.ms / 1000), 'resources/s');
  report.ratio('peak RSS, 10× file / 1× file', b.peakMiB / a.peakMiB, { op: '<=', value: 1.2 });
}
