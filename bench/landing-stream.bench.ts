// Landing files in flat memory: the manifest check's scan (SHA-256 + row count) and planning's read
// of a dropped CSV, streamed from disk, at N and 10×N rows, each size in its own process.
import { spawnSync } from 'node:child_process';
import { scaled, type BenchReport } from './bench-report.js';

interface Run {
  rows: number;
  bytes: number;
  peakMiB: number;
  baselineMiB: number;
  ms: number;
}

function measure(rows: number): Run {
  const r = spawnSync(
    process.execPath,
    ['--expose-gc', '--import', 'tsx', 'bench/support/landing-stream-worker.ts', String(rows)],
    { encoding: 'utf8' },
  );
  if (r.status !== 0) throw new Error(`landing-stream worker failed (${rows} rows): ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '{}') as Run;
}

export async function run(report: BenchReport): Promise<void> {
  report.section(
    'Landing files: streaming scan and read',
    "A synthetic SUS+ APC CSV streamed from disk through the landing path's two passes over a file (the supplier-manifest scan: SHA-256 and row count; planning's read: every record parsed), at N and 10×N rows, each size in a fresh process. Peak RSS of the larger must stay within 1.2× the smaller: memory holds one chunk and at most one open record, whatever the file's size.",
  );
  const small = scaled(50_000);
  const a = measure(small);
  const b = measure(small * 10);
  const mib = (n: number) => n / (1024 * 1024);
  report.metric(`file of ${a.rows} rows`, mib(a.bytes), 'MiB');
  report.metric(
    `peak RSS, ${a.rows} rows`,
    a.peakMiB,
    'MiB',
    `process baseline ${a.baselineMiB.toFixed(1)} MiB`,
  );
  report.metric(`file of ${b.rows} rows`, mib(b.bytes), 'MiB');
  report.metric(
    `peak RSS, ${b.rows} rows`,
    b.peakMiB,
    'MiB',
    `process baseline ${b.baselineMiB.toFixed(1)} MiB`,
  );
  report.metric('scan + read throughput (10×)', mib(b.bytes) / (b.ms / 1000), 'MiB/s');
  report.ratio('peak RSS, 10× file / 1× file', b.peakMiB / a.peakMiB, { op: '<=', value: 1.2 });
}
