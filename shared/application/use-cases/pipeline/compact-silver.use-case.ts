import { SOURCE_TABLES } from '../../../domain/datasets/source-tables.js';
import { lakePaths } from '../../../domain/lake/lake-paths.js';
import type { BatchManifest } from '../../../domain/pipeline/pipeline-contracts.js';
import type { PipelineDeps } from './pipeline-deps.js';

export interface CompactSilverResult {
  /** Partitions (table × period) compacted, files merged into them, and files left as they were. */
  readonly partitions: number;
  readonly filesMerged: number;
  readonly filesBefore: number;
  readonly filesAfter: number;
}

/** A partition is compacted when it holds more than this many files (docs/lake-layout.md). */
export const SILVER_FILES_PER_PARTITION = 2;

/**
 * Merges each silver partition (table × period) that holds more than two files into one file,
 * so Synapse `COPY INTO` and the marts scan read few, large files. Only files of batches whose
 * manifest says they succeeded are merged (a running or failed batch may still read or rewrite
 * its files). The merged file is written (create-only) before the small files are removed, so a
 * crash leaves duplicates for a moment, never a gap; every reader of silver takes the latest row per
 * key, so a duplicate row changes nothing.
 */
export async function compactSilver(
  deps: Pick<PipelineDeps, 'lake' | 'parquet' | 'clock' | 'logger'>,
): Promise<CompactSilverResult> {
  const finished = new Map<string, boolean>();
  const isFinished = async (batchId: string): Promise<boolean> => {
    let known = finished.get(batchId);
    if (known === undefined) {
      const body = await deps.lake.get('gold', lakePaths.manifest(batchId));
      known = body ? (JSON.parse(body.toString('utf8')) as BatchManifest).status === 'succeeded' : false;
      finished.set(batchId, known);
    }
    return known;
  };
  const generation = deps.clock
    .now()
    .toISOString()
    .replace(/[-:.TZ]/g, '');
  let partitions = 0;
  let filesMerged = 0;
  let filesBefore = 0;
  let filesAfter = 0;
  const partitionsToDo: {
    spec: (typeof SOURCE_TABLES)[keyof typeof SOURCE_TABLES];
    period: string;
    files: string[];
  }[] = [];
  for (const spec of Object.values(SOURCE_TABLES)) {
    const byPeriod = new Map<string, string[]>();
    for await (const object of deps.lake.list(
      'silver',
      lakePaths.silverTablePrefix(spec.dataset, spec.table),
    )) {
      const m = /\/period=([^/]+)\/([^/]+)\.parquet$/.exec(object.path);
      if (!m) continue;
      const list = byPeriod.get(m[1]!) ?? [];
      list.push(object.path);
      byPeriod.set(m[1]!, list);
    }
    for (const [period, files] of byPeriod) partitionsToDo.push({ spec, period, files });
  }
  const compactOne = async ({ spec, period, files }: (typeof partitionsToDo)[number]): Promise<void> => {
    filesBefore += files.length;
    if (files.length <= SILVER_FILES_PER_PARTITION) {
      filesAfter += files.length;
      return;
    }
    const mergeable: string[] = [];
    for (const file of files) {
      const name = file.slice(file.lastIndexOf('/') + 1);
      const batch = /^(.+)-\d{5}\.parquet$/.exec(name)?.[1];
      if (name.startsWith('compacted-') || (batch && (await isFinished(batch)))) mergeable.push(file);
    }
    if (mergeable.length < 2) {
      filesAfter += files.length;
      return;
    }
    const to = lakePaths.silverCompacted(spec.dataset, spec.table, period, generation);
    const done = await deps.parquet.compact(
      'silver',
      mergeable.map((path) => ({ path, rank: 0 })),
      null,
      to,
      { orderBy: ['_captured_at', '_seq'] },
    );
    if (!done.created) {
      filesAfter += files.length;
      return;
    }
    for (const file of mergeable) await deps.lake.delete('silver', file);
    partitions += 1;
    filesMerged += mergeable.length;
    filesAfter += files.length - mergeable.length + 1;
  };
  // A few partitions at a time: each is mostly waiting on the lake.
  let next = 0;
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      while (next < partitionsToDo.length) await compactOne(partitionsToDo[next++]!);
    }),
  );
  deps.logger.info('silver compacted', { partitions, filesMerged, filesBefore, filesAfter });
  return { partitions, filesMerged, filesBefore, filesAfter };
}
