// Child process of the chaos suite (run with `node --import tsx`, NHSFLOWS_DATA_DIR set to a finished
// run's data dir): loads the warehouse again from every batch's gold files, as a redelivered or
// replayed `loadWarehouse` activity would.
//   argv[2] = 'redeliver': every batch, in the order the run completed them, loaded twice in a row;
//   argv[2] = 'replay-oldest': every batch once, then the oldest batches again after the newest.
// Prints one JSON line: { batches, loads }. Ids and counts only, never row values.
import { resetServices, services } from '../../../functions/composition-root.js';
import { openLocalEnvironment } from '../../../shared/cli/local-environment.js';
import { loadWarehouse } from '../../../shared/application/use-cases/pipeline/load-warehouse.use-case.js';
import type { BatchDescriptor } from '../../../shared/domain/pipeline/batch-record.js';
import type { BatchManifest } from '../../../shared/domain/pipeline/pipeline-contracts.js';

const mode = process.argv[2];
if (mode !== 'redeliver' && mode !== 'replay-oldest')
  throw new Error(`mode: expected 'redeliver' or 'replay-oldest', received '${String(mode)}'`);

const env = await openLocalEnvironment();
try {
  const s = await services();
  const lake = s.pipeline.lake;
  const manifests: BatchManifest[] = [];
  const goldFiles = new Map<string, { table: string; path: string }[]>();
  for await (const o of lake.list('gold', '')) {
    if (o.path.startsWith('manifests/')) {
      const body = await lake.get('gold', o.path);
      if (body) manifests.push(JSON.parse(body.toString('utf8')) as BatchManifest);
      continue;
    }
    const m = /^([a-z_]+)\/batch=([^/]+)\/part-\d+\.parquet$/.exec(o.path);
    if (!m?.[1] || !m[2]) continue;
    goldFiles.set(m[2], [...(goldFiles.get(m[2]) ?? []), { table: m[1], path: o.path }]);
  }
  const ordered = manifests
    .filter((m) => goldFiles.has(m.batchId))
    .sort((a, b) => a.finishedAt.localeCompare(b.finishedAt) || a.batchId.localeCompare(b.batchId));
  const load = async (m: BatchManifest): Promise<void> => {
    const batch = {
      batchId: m.batchId,
      table: m.table,
      origin: m.origin,
      bronzePath: '',
      format: 'deltas',
      receivedAt: m.startedAt,
    } as BatchDescriptor;
    await loadWarehouse({ batch, goldFiles: goldFiles.get(m.batchId) ?? [] }, s.pipeline);
  };
  let loads = 0;
  if (mode === 'redeliver')
    for (const m of ordered)
      for (let i = 0; i < 2; i++) {
        await load(m);
        loads++;
      }
  else {
    for (const m of ordered) {
      await load(m);
      loads++;
    }
    // The oldest third again, oldest first, after every newer batch was loaded.
    for (const m of ordered.slice(0, Math.max(1, Math.ceil(ordered.length / 3)))) {
      await load(m);
      loads++;
    }
  }
  process.stdout.write(`${JSON.stringify({ batches: ordered.length, loads })}\n`);
} finally {
  await resetServices();
  await env.stop();
}
