// SCD2 merge: our per-member algorithm on keyed Parquet state in the lake vs the same merge as
// set-based DuckDB SQL.
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { BlobObjectStore } from '../shared/adapters/azure/blob-object-store.azure.js';
import { MemoryObjectStore } from '../shared/adapters/memory/memory-object-store.js';
import { DuckDbParquetLake } from '../shared/adapters/parquet/duckdb-parquet-lake.js';
import { STATE_CONTAINER } from '../shared/application/lake-state/keyed-lake-state.js';
import type { ObjectStore } from '../shared/application/ports/object-store.port.js';
import {
  mergeDimensionChanges,
  type Scd2MergeDeps,
  type Scd2MergeReport,
} from '../shared/application/use-cases/scd2-merge.use-case.js';
import { systemClock } from '../shared/application/ports/clock.port.js';
import { silentLogger } from '../shared/application/ports/logger.port.js';
import type { DimensionChange, DimensionSpec } from '../shared/domain/scd2/dimension.js';
import { startAzurite } from '../shared/runtime/local/azurite.js';
import { peakMemorySampler, scaled, timed, type BenchReport } from './bench-report.js';

const spec = (table: string): DimensionSpec => ({
  name: 'patient',
  table,
  trackedAttributes: ['sex', 'age_band', 'ethnic_category', 'lsoa', 'gp_practice'],
  untracked: 'type1',
  deleteMode: 'new-record',
});
const BANDS = ['0-4', '5-17', '18-29', '30-44', '45-59', '60-74', '75-84', '85+'];
const ETHNIC = 'ABCDEFGHJKLMNPRS';
const pad = (n: number, w: number) => String(n).padStart(w, '0');
const keyOf = (i: number) => `tok_${pad(i, 8)}`;
/** Member i's attributes in generation g (g = 0 at seed time; g = 1 moves the member to another LSOA). */
function attributes(i: number, g: number) {
  return {
    sex: i % 2 === 0 ? '1' : '2',
    age_band: BANDS[i % 8]!,
    ethnic_category: ETHNIC[i % 16]!,
    lsoa: `E01${pad((i + g * 7) % 32000, 6)}`,
    gp_practice: `M8${pad(i % 5000, 4)}`,
    source: g === 0 ? 'apc' : 'ecds',
  };
}
const seedChange = (i: number): DimensionChange => ({
  key: keyOf(i),
  changeId: `seed-${i}`,
  effectiveAt: '2024-01-01',
  recordedAt: '2024-01-02T03:00:00Z',
  kind: 'upsert',
  attributes: attributes(i, 0),
});

/** The deltas: 70 % move LSOA, 20 % repeat what is current (no-op), 10 % new members. */
function deltas(members: number, count: number): DimensionChange[] {
  const out: DimensionChange[] = [];
  const stride = Math.max(1, Math.floor(members / count));
  for (let d = 0; d < count; d++) {
    const kind = d % 10;
    const i = kind === 9 ? members + d : (d * stride) % members;
    out.push({
      key: keyOf(i),
      changeId: `delta-${d}`,
      effectiveAt: '2024-02-01',
      recordedAt: '2024-02-02T03:00:00Z',
      kind: 'upsert',
      attributes: attributes(i, kind < 7 ? 1 : 0),
    });
  }
  return out;
}

/** Members merged per seed batch: the initial state is built in a few large merges. */
const SEED_BATCH = 250_000;

/** The merge's dependencies: the DuckDB Parquet lake over `lake`, scratch files under `scratch`. */
function lakeDeps(lake: ObjectStore, scratch: string): Scd2MergeDeps & { parquet: DuckDbParquetLake } {
  return {
    lake,
    parquet: new DuckDbParquetLake(lake, scratch),
    clock: systemClock,
    logger: silentLogger,
  };
}

async function seed(deps: Scd2MergeDeps, s: DimensionSpec, members: number): Promise<Scd2MergeReport[]> {
  const reports: Scd2MergeReport[] = [];
  for (let from = 0; from < members; from += SEED_BATCH) {
    const changes = Array.from({ length: Math.min(SEED_BATCH, members - from) }, (_, j) =>
      seedChange(from + j),
    );
    reports.push(await mergeDimensionChanges(s, changes, deps));
  }
  return reports;
}

/** Lake work of a merge: bucket reads, runs written and lost races. */
function lakeWork(report: Scd2MergeReport): string {
  return `${report.bucketsRead} buckets read, ${report.runsWritten} runs written, ${report.retries} retries`;
}

/** Bytes of the keyed state objects in an in-memory lake. */
function stateBytes(lake: MemoryObjectStore): number {
  let bytes = 0;
  for (const [key, body] of lake.objects) if (key.startsWith(`${STATE_CONTAINER}/`)) bytes += body.length;
  return bytes;
}

async function duckdbMerge(members: number, changes: readonly DimensionChange[]) {
  const db = await DuckDBInstance.create(':memory:', { threads: '1' });
  const c = await db.connect();
  const hashOf = (p: string) =>
    `sha256(concat_ws('|', ${['sex', 'age_band', 'ethnic_category', 'lsoa', 'gp_practice']
      .map((a) => `coalesce(${p}${a}, '\\N')`)
      .join(', ')}))`;
  const build = await timed(async () => {
    await c.run(`CREATE TABLE dim AS
      SELECT md5('patient|' || k || '|2024-01-01|seed-' || i) AS surrogate_key, k AS business_key,
        sex, age_band, ethnic_category, lsoa, gp_practice, 'apc' AS source,
        ${hashOf('')} AS row_hash, TIMESTAMP '2024-01-01' AS valid_from, TIMESTAMP '9999-12-31' AS valid_to,
        true AS is_current, false AS is_deleted, 'seed-' || i AS change_id
      FROM (SELECT i, 'tok_' || lpad(i::VARCHAR, 8, '0') AS k,
        CASE WHEN i % 2 = 0 THEN '1' ELSE '2' END AS sex,
        ['0-4','5-17','18-29','30-44','45-59','60-74','75-84','85+'][i % 8 + 1] AS age_band,
        substr('${ETHNIC}', i % 16 + 1, 1) AS ethnic_category,
        'E01' || lpad((i % 32000)::VARCHAR, 6, '0') AS lsoa,
        'M8' || lpad((i % 5000)::VARCHAR, 4, '0') AS gp_practice
        FROM range(${members}) t(i))`);
    await c.run(
      `CREATE TABLE staging (business_key VARCHAR, change_id VARCHAR, effective_at TIMESTAMP, sex VARCHAR, age_band VARCHAR, ethnic_category VARCHAR, lsoa VARCHAR, gp_practice VARCHAR, source VARCHAR)`,
    );
    const appender = await c.createAppender('staging');
    for (const ch of changes) {
      if (ch.kind !== 'upsert') continue;
      const a = ch.attributes;
      for (const v of [
        ch.key,
        ch.changeId,
        `${ch.effectiveAt} 00:00:00`,
        a.sex,
        a.age_band,
        a.ethnic_category,
        a.lsoa,
        a.gp_practice,
        a.source,
      ])
        appender.appendVarchar(String(v));
      appender.endRow();
    }
    appender.closeSync();
  });
  // The merge: hash the staging rows, close changed current versions, insert new versions.
  const merge = await timed(async () => {
    await c.run('BEGIN');
    await c.run(`CREATE TEMP TABLE stg AS SELECT *, ${hashOf('')} AS row_hash FROM staging`);
    await c.run(`UPDATE dim SET valid_to = s.effective_at, is_current = false
      FROM stg s WHERE dim.business_key = s.business_key AND dim.is_current AND dim.row_hash <> s.row_hash`);
    await c.run(`INSERT INTO dim SELECT md5('patient|' || s.business_key || '|' || s.effective_at || '|' || s.change_id),
        s.business_key, s.sex, s.age_band, s.ethnic_category, s.lsoa, s.gp_practice, s.source, s.row_hash,
        s.effective_at, TIMESTAMP '9999-12-31', true, false, s.change_id
      FROM stg s WHERE NOT EXISTS (SELECT 1 FROM dim d WHERE d.business_key = s.business_key AND d.is_current)`);
    await c.run('COMMIT');
  });
  const counts = await c.runAndReadAll(
    `SELECT count(*)::INTEGER AS n, count(*) FILTER (WHERE is_current)::INTEGER AS current FROM dim`,
  );
  const [rows, current] = counts.getRows()[0] as [number, number];
  c.closeSync();
  return { buildMs: build.ms, mergeMs: merge.ms, rows, current };
}

/** Collects the seed's garbage before a timed merge, so a merge is not charged for it (run with --expose-gc). */
function collectGarbage(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

export async function run(report: BenchReport): Promise<void> {
  const members = scaled(1_000_000);
  const deltaCount = scaled(10_000);
  report.section(
    'SCD2 merge',
    `Merge of ${deltaCount.toLocaleString('en-GB')} deltas (70 % LSOA changes, 20 % no-ops, 10 % new members; one business date, in order) into a ${members.toLocaleString('en-GB')}-member patient dimension. ` +
      `"ours" = mergeDimensionChanges (hash change detection, change log, full-history fold per touched member) on keyed Parquet state in the lake: 16 hash buckets; the touched buckets move together: their heads read at once, their members' rows out of one engine scan over their runs (semi-join on the batch's members), one create-only run per bucket written by one partitioned COPY, the heads committed at once. ` +
      `It runs on the DuckDB Parquet lake (DuckDbParquetLake, 1 DuckDB thread) over an in-memory object store (MemoryObjectStore), so it measures the algorithm, Parquet encode/decode and the lake bookkeeping, not network I/O; runs the lake wrote itself are read back from its local scratch cache. ` +
      `The initial state is built by merging one first version per member in batches of ${SEED_BATCH.toLocaleString('en-GB')}. ` +
      `"DuckDB" = the set-based merge in DuckDB SQL (1 thread) on an in-memory table: sha256 of staging, UPDATE to close changed current rows, INSERT new versions; it has no idempotency by change id, no late-arrival stitching and no concurrency control, and persists nothing. ` +
      `Seeding and staging loads are timed separately and excluded from both merge times. Azurite rows: the same merge with the state as blobs in Azurite on loopback (BlobObjectStore).`,
  );
  report.metric(
    'machine load average (1 min) at start',
    loadavg()[0] ?? 0,
    'runnable tasks',
    '2 cores shared with other work: every wall time below stretches with it',
  );
  const scratch = mkdtempSync(join(tmpdir(), 'nhsflows-bench-scd2-'));
  const opened: DuckDbParquetLake[] = [];
  try {
    // 1. Ours with the state as blobs in Azurite (loopback), same sizes and deltas.
    const azurite = await startAzurite();
    try {
      const blobs = BlobObjectStore.fromConnectionString(azurite.connectionString);
      await blobs.ensureContainers([STATE_CONTAINER]);
      const deps = lakeDeps(blobs, join(scratch, 'azurite'));
      opened.push(deps.parquet);
      const as = spec('patientbench');
      const azSeed = await timed(() => seed(deps, as, members));
      collectGarbage();
      report.metric(
        'Azurite: seed',
        members / (azSeed.ms / 1000),
        'members/s',
        `${members.toLocaleString('en-GB')} members in ${(azSeed.ms / 1000).toFixed(1)} s, ${azSeed.result.length} merges`,
      );
      const azBatch = deltas(members, deltaCount);
      const az = await timed(() => mergeDimensionChanges(as, azBatch, deps));
      report.metric(
        'Azurite: merge throughput',
        deltaCount / (az.ms / 1000),
        'changes/s',
        `${deltaCount.toLocaleString('en-GB')} changes into ${members.toLocaleString('en-GB')} members in ${(az.ms / 1000).toFixed(1)} s; ${lakeWork(az.result)}`,
      );
    } finally {
      await azurite.stop();
    }

    const memory = peakMemorySampler();

    // 2. Ours on the DuckDB Parquet lake over an in-memory object store at full size.
    const lake = new MemoryObjectStore();
    const deps = lakeDeps(lake, join(scratch, 'memory'));
    opened.push(deps.parquet);
    const s = spec('patientdim');
    const seeded = await timed(() => seed(deps, s, members));
    report.metric(
      'ours: seed (merge of one first version per member)',
      members / (seeded.ms / 1000),
      'members/s',
      `${members.toLocaleString('en-GB')} members in ${(seeded.ms / 1000).toFixed(1)} s, ${seeded.result.length} merges; state ${(stateBytes(lake) / 1024 / 1024).toFixed(1)} MiB of Parquet`,
    );
    const batch = deltas(members, deltaCount);
    collectGarbage();
    const ours = await timed(() => mergeDimensionChanges(s, batch, deps));
    const r = ours.result;
    report.metric(
      'ours: merge time',
      ours.ms,
      'ms',
      `inserted ${r.inserted}, updated ${r.updated}, unchanged ${r.unchanged}, type-1 ${r.type1Overwritten}; ${lakeWork(r)}`,
    );
    report.metric('ours: merge throughput', deltaCount / (ours.ms / 1000), 'changes/s');
    collectGarbage();
    const rerun = await timed(() => mergeDimensionChanges(s, batch, deps));
    report.metric(
      'ours: redelivery of the same batch (all duplicates)',
      rerun.ms,
      'ms',
      `${rerun.result.duplicates} duplicates; ${lakeWork(rerun.result)}${rerun.result.runsWritten === 0 ? ' (nothing written)' : ' (EXPECTED 0 runs written)'}`,
    );
    const lateBatch = batch.slice(0, Math.max(1, Math.floor(deltaCount / 10))).map((c, i) => ({
      ...c,
      changeId: `late-${i}`,
      effectiveAt: '2024-01-15',
    }));
    collectGarbage();
    const late = await timed(() => mergeDimensionChanges(s, lateBatch, deps));
    report.metric(
      'ours: late arrivals (stitched before the current version)',
      lateBatch.length / (late.ms / 1000),
      'changes/s',
      `${lateBatch.length.toLocaleString('en-GB')} changes in ${late.ms.toFixed(0)} ms, ${late.result.lateStitched} stitched; ${lakeWork(late.result)}`,
    );

    // 3. DuckDB SQL, same sizes, same deltas.
    const duck = await duckdbMerge(members, batch);
    report.metric(
      'DuckDB: merge time',
      duck.mergeMs,
      'ms',
      `dimension after: ${duck.rows.toLocaleString('en-GB')} rows, ${duck.current.toLocaleString('en-GB')} current (build + staging load ${(duck.buildMs / 1000).toFixed(1)} s, excluded)`,
    );
    report.ratio(
      'merge time ours / DuckDB SQL',
      ours.ms / duck.mergeMs,
      { op: '<=', value: 1.0 },
      'target: ours ≤ 1.0× DuckDB SQL; > 1 means ours is slower',
    );
    report.metric('machine load average (1 min) at end', loadavg()[0] ?? 0, 'runnable tasks');
    report.metric('peak RSS (seed + both merges)', memory.stop(), 'MiB');
  } finally {
    for (const parquet of opened) await parquet.close().catch(() => undefined);
    rmSync(scratch, { recursive: true, force: true });
  }
}
