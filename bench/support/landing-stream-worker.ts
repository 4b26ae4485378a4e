// One size of the landing-stream benchmark, in its own process (peak RSS is per process): writes a
// synthetic SUS+ APC CSV of N rows to a temporary file, then streams it from disk through the
// landing path's two passes (the manifest check's scan: SHA-256 + row count; planning's read:
// every record parsed), and prints {"rows":…, "bytes":…, "peakMiB":…, "baselineMiB":…, "ms":…}.
import { createReadStream, createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { scanLandingFile } from '../../shared/application/use-cases/pipeline/ingest-landing-file.use-case.js';
import { readLandingFile } from '../../shared/application/use-cases/pipeline/landing-file-reader.js';
import { SOURCE_TABLES } from '../../shared/domain/datasets/source-tables.js';
import type { BatchDescriptor } from '../../shared/domain/pipeline/batch-record.js';
import { peakMemorySampler } from '../bench-report.js';

const rows = Number(process.argv[2]);
const spec = SOURCE_TABLES.sus_apc_episode;
const columns = spec.columns.map((c) => c.name);
const dir = mkdtempSync(join(tmpdir(), 'nhsflows-landing-bench-'));
const file = join(dir, 'episodes.csv');
try {
  const out = createWriteStream(file);
  out.write(`${columns.join(',')}\n`);
  for (let i = 0; i < rows; i++) {
    // Synthetic values only; one quoted field with a comma per row exercises the quote path.
    const line = columns
      .map((c, k) =>
        c === 'patient_name'
          ? `"SYNTH, ${i}"`
          : c.endsWith('_date')
            ? '2026-11-0' + ((i % 9) + 1)
            : `v${k}-${i % 997}`,
      )
      .join(',');
    if (!out.write(`${line}\n`)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  global.gc?.();
  const baselineMiB = process.memoryUsage().rss / (1024 * 1024);
  const batch: BatchDescriptor = {
    batchId: 'bench',
    table: spec.table,
    origin: 'sus_apc_episode/bench.csv',
    bronzePath: 'bench.csv',
    format: 'csv',
    receivedAt: '2026-12-01T00:00:00.000Z',
  };
  const sampler = peakMemorySampler(20);
  const started = performance.now();
  const scan = await scanLandingFile(createReadStream(file) as AsyncIterable<Buffer>, { batch, spec });
  let read = 0;
  for await (const item of readLandingFile(batch, spec, createReadStream(file))) if ('n' in item) read += 1;
  const ms = performance.now() - started;
  const peakMiB = sampler.stop();
  if (scan.rows !== rows || read !== rows)
    throw new Error(`expected ${rows} rows, scanned ${scan.rows}, read ${read}`);
  console.log(JSON.stringify({ rows, bytes: statSync(file).size, peakMiB, baselineMiB, ms }));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
