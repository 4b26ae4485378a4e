import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { type SourceTableName, type SourceTableSpec } from '../../../domain/datasets/source-tables.js';
import {
  ColumnMapError,
  INFRASTRUCTURE_CODES,
  InfrastructureError,
  toError,
  LandingFileRejectedError,
  type LandingRejectionCode,
} from '../../../domain/errors.js';
import { lakePaths } from '../../../domain/lake/lake-paths.js';
import { parseColumnMap, type ColumnMap } from '../../../domain/landing/column-map.js';
import { LANDING_EVENTS, landingBlob, landingSidecars } from '../../../domain/landing/landing-blob.js';
import { LANDING_MANIFEST_POLICY, type ManifestPolicy } from '../../../domain/landing/landing-policy.js';
import {
  manifestMismatch,
  parseSupplierManifest,
  type SupplierManifest,
} from '../../../domain/landing/supplier-manifest.js';
import type { BatchDescriptor } from '../../../domain/pipeline/batch-record.js';
import { shortId } from '../../../domain/pipeline/ids.js';
import { landingTarget, printableName } from '../../../domain/pipeline/landing-file.js';
import { pipelineInput } from '../../../domain/pipeline/pipeline-contracts.js';
import type { OrchestrationStarter } from '../../ports/orchestration-starter.port.js';
import { reportRejectedFile } from './batch-ledger.use-case.js';
import { readLandingFile } from './landing-file-reader.js';
import {
  claimContent,
  landingFileEntry,
  quarantineRejectedFile,
  recordLandingFile,
} from './landing-register.js';
import type { PipelineDeps } from './pipeline-deps.js';

/** What became of a landing blob. */
export type LandingOutcome =
  /** A batch was started for the file. */
  | 'started'
  /** The file's batch was already known (the same file delivered again): nothing new. */
  | 'known'
  /** The file was rejected whole (reported: poison queue, ledger, alert). */
  | 'rejected'
  /** The file's bytes were loaded before under another name: reported, not loaded again. */
  | 'duplicate'
  /** The table requires a manifest and none is beside the file yet. */
  | 'awaiting-manifest'
  /** A manifest or column map arrived before its data file (the file's arrival loads it). */
  | 'awaiting-file'
  /** A column map arrived (read when its data file is). */
  | 'control-file'
  /** The blob was no longer in landing/ when its event was handled: nothing to load. */
  | 'gone';

/** What became of a landing blob: a batch (new or already known), a rejection, a duplicate, a wait. */
export interface LandingResult {
  /** The batch id, the rejection id when the file was rejected, or the id it waits under. */
  readonly batchId: string;
  readonly started: boolean;
  readonly outcome: LandingOutcome;
  readonly rejected?: { readonly code: LandingRejectionCode; readonly reason: string };
  /** For a duplicate: the batch that loaded these bytes first, and its file. */
  readonly duplicateOf?: { readonly batchId: string; readonly origin: string };
}

export type LandingDeps = PipelineDeps & {
  readonly starter: OrchestrationStarter;
  readonly orchestration: string;
  /** Which tables require a manifest (default: the declaration, landing-policy.ts). */
  readonly manifestPolicy?: Readonly<Record<SourceTableName, ManifestPolicy>>;
};

/**
 * The ids a landing file has, from its name and bytes (a stream, read in flat memory): its batch id
 * and its rejection id.
 */
export async function landingFileIdsOf(
  name: string,
  bytes: AsyncIterable<Buffer>,
  table: string,
): Promise<{ batchId: string; rejectionId: string }> {
  const { contentHash } = await scanLandingFile(bytes);
  return landingIdsOf(name, contentHash, table);
}

function landingIdsOf(
  name: string,
  contentHash: string,
  table: string,
): { batchId: string; rejectionId: string } {
  const contentId = shortId([name, contentHash], 20);
  return { batchId: `${table}-file-${contentId}`, rejectionId: `landing-${contentId}` };
}

/**
 * The blob-drop use case. A supplier drops `landing/<source table>/<file>.csv|.ndjson`, optionally
 * with control files beside it: `<file>.manifest.json` (row count, SHA-256, table, period,
 * supplier) and `<file>.map.csv|.map.json` (a column map). Every blob under landing/ comes here.
 *
 * For a data file: the manifest (when there is one) is checked first, against the file's SHA-256
 * and row count (a mismatch rejects the whole file: poison queue, ledger, a quarantine record and
 * the `nhsflows.landing.integrityFailed` alert); a table that requires a manifest
 * (landing-policy.ts) and has none yet waits for it (`awaiting-manifest`; the manifest's arrival
 * loads the file, the sweep rejects it after NHSFLOWS_LANDING_MANIFEST_WAIT_MINUTES). Bytes already
 * loaded under another name are reported as a duplicate and not loaded again. Otherwise the exact
 * bytes (and the manifest and map) are copied to bronze (create-only) under a batch id derived from
 * the name and content (the same file dropped twice is one batch) and one orchestration is started.
 *
 * A file whose name alone rejects it (wrong folder, unknown table, unsupported format) is reported
 * at once through `reportRejectedFile` and resolves: a permanent failure, so the host must not
 * retry it into its own blob poison queue. Problems in the content are found while planning.
 */
export async function ingestLandingFile(name: string, deps: LandingDeps): Promise<LandingResult> {
  const blob = landingBlob(name);
  if (blob.kind === 'column-map') return { batchId: '', started: false, outcome: 'control-file' };
  if (blob.kind === 'manifest') {
    const manifestBytes = await deps.lake.get('landing', name);
    if (!manifestBytes) return gone(name, deps);
    if (!(await deps.lake.exists('landing', blob.dataName))) {
      deps.logger.info('landing manifest waits for its file', { file: printableName(blob.dataName) });
      return { batchId: '', started: false, outcome: 'awaiting-file' };
    }
    return ingestDataFile(blob.dataName, manifestBytes, deps);
  }
  return ingestDataFile(name, undefined, deps);
}

/** An event for a blob no longer in landing/ (deleted, or moved by its supplier): nothing to load. */
function gone(name: string, deps: LandingDeps): LandingResult {
  deps.logger.warn('landing blob is gone; nothing to load', { file: printableName(name) });
  return { batchId: '', started: false, outcome: 'gone' };
}

/**
 * The landing blob's bytes as a stream, read again for each pass (hash and count, then the copy to
 * bronze): memory holds one chunk at a time whatever the file's size.
 */
function landingBytes(name: string, deps: LandingDeps): () => Promise<AsyncIterable<Buffer> | undefined> {
  return async () => {
    const stream = await deps.lake.getStream('landing', name);
    return stream ? asBuffers(stream) : undefined;
  };
}

async function* asBuffers(stream: NodeJS.ReadableStream): AsyncIterable<Buffer> {
  for await (const chunk of stream) yield typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
}

async function ingestDataFile(
  name: string,
  givenManifest: Buffer | undefined,
  deps: LandingDeps,
): Promise<LandingResult> {
  const file = printableName(name);
  const open = landingBytes(name, deps);
  let target;
  try {
    target = landingTarget(name);
  } catch (error) {
    if (!(error instanceof LandingFileRejectedError)) throw error;
    const bytes = await open();
    if (!bytes) return gone(name, deps);
    const { rejectionId } = await landingFileIdsOf(name, bytes, 'landing');
    const [folder] = name.split('/');
    return reject(
      rejectionId,
      file,
      error.code === 'FILE.UNSUPPORTED_FORMAT' ? (folder ?? null) : null,
      error,
      deps,
    );
  }
  const { spec, format, encoding } = target;
  const now = deps.clock.now();
  const sidecars = landingSidecars(name);
  const manifestBytes = givenManifest ?? (await deps.lake.get('landing', sidecars.manifest));
  const policy = (deps.manifestPolicy ?? LANDING_MANIFEST_POLICY)[spec.table];
  // The control files are read and checked before the data file's one pass, so that pass can count
  // its rows (through the column map) for the manifest; a problem in them rejects the file after it.
  let columnMap: { map: ColumnMap; bytes: Buffer; suffix: '.map.csv' | '.map.json' } | undefined;
  let manifest: SupplierManifest | undefined;
  let problem: Error | undefined;
  try {
    for (const candidate of sidecars.columnMaps) {
      const mapBytes = await deps.lake.get('landing', candidate.name);
      if (!mapBytes) continue;
      columnMap = {
        map: parseColumnMap(printableName(candidate.name), mapBytes.toString('utf8'), candidate.format, spec),
        bytes: mapBytes,
        suffix: candidate.format === 'csv' ? '.map.csv' : '.map.json',
      };
      break;
    }
    if (manifestBytes)
      manifest = parseSupplierManifest(printableName(sidecars.manifest), manifestBytes.toString('utf8'));
  } catch (error) {
    problem = toError(error);
  }
  const bronzePath = (batchId: string): string =>
    lakePaths.bronzeBatch(`file-${spec.table}`, batchId, now).replace(/\.ndjson$/, `.${format}`);
  const describe = (batchId: string): BatchDescriptor => ({
    batchId,
    table: spec.table,
    origin: name,
    bronzePath: bronzePath(batchId),
    format,
    receivedAt: now.toISOString(),
    ...(encoding ? { encoding } : {}),
  });
  const bytes = await open();
  if (!bytes) return gone(name, deps);
  // One pass: the SHA-256, the content id and, for a manifest, the rows as the pipeline will read
  // them. The batch descriptor it reads with needs the batch id, which needs this pass: rows are
  // read under a provisional id (the reader names the batch only in its own errors, not in rows).
  let scan: LandingFileScan;
  try {
    scan = await scanLandingFile(
      bytes,
      manifest && !problem
        ? {
            batch: describe(`${spec.table}-file-scan`),
            spec,
            ...(columnMap ? { columnMap: columnMap.map } : {}),
          }
        : undefined,
    );
  } catch (error) {
    problem ??= toError(error);
    const again = await open();
    if (!again) return gone(name, deps);
    scan = await scanLandingFile(again);
  }
  const { sha256 } = scan;
  const { batchId, rejectionId } = landingIdsOf(name, scan.contentHash, spec.table);
  if (!manifestBytes && policy === 'required' && !problem) {
    const existing = await landingFileEntry(deps.state, spec.table, batchId);
    if (existing?.status !== 'awaiting-manifest') {
      const deadline = new Date(
        now.getTime() + deps.settings.NHSFLOWS_LANDING_MANIFEST_WAIT_MINUTES * 60_000,
      );
      await recordLandingFile(deps.state, spec.table, batchId, {
        status: 'awaiting-manifest',
        origin: file,
        sha256,
        arrivedAt: now.toISOString(),
        manifestDeadline: deadline.toISOString(),
      });
    }
    deps.logger.info('landing file waits for its manifest', { batchId, table: spec.table, file });
    return { batchId, started: false, outcome: 'awaiting-manifest' };
  }
  const batch = describe(batchId);
  try {
    if (problem) throw problem;
    if (manifest) {
      const mismatch = manifestMismatch(manifest, { table: spec.table, sha256, rows: scan.rows ?? 0 }, file);
      if (mismatch) throw mismatch;
    }
  } catch (error) {
    const rejection =
      error instanceof ColumnMapError
        ? new LandingFileRejectedError('FILE.COLUMN_MAP_INVALID', file, error.message)
        : error;
    if (!(rejection instanceof LandingFileRejectedError)) throw error;
    deps.telemetry.event(LANDING_EVENTS.integrityFailed, {
      rejectionId,
      table: spec.table,
      code: rejection.code,
      ...(manifest ? { supplier: manifest.supplier, period: manifest.period } : {}),
    });
    return reject(rejectionId, file, spec.table, rejection, deps, spec);
  }
  // A FHIR file is read for its folder's table (ADR 0015): the same Bundle dropped for spells and
  // for episodes is two batches, so its bytes are claimed per table; any other file whatever its folder.
  const contentKey = format === 'fhir' ? `${sha256}.${spec.table}` : sha256;
  const first = await claimContent(deps.state, contentKey, { batchId, origin: file, table: spec.table });
  if (first) {
    await recordLandingFile(deps.state, spec.table, batchId, {
      status: 'duplicate',
      origin: file,
      sha256,
      arrivedAt: now.toISOString(),
      duplicateOf: first.batchId,
      duplicateOrigin: first.origin,
    });
    deps.telemetry.event(LANDING_EVENTS.duplicate, {
      batchId,
      table: spec.table,
      duplicateOf: first.batchId,
    });
    deps.telemetry.metric(LANDING_EVENTS.duplicate, 1, { table: spec.table });
    deps.logger.warn('landing file is a duplicate of a loaded file; not loaded again', {
      batchId,
      table: spec.table,
      file,
      duplicateOf: first.batchId,
      duplicateOrigin: first.origin,
    });
    return { batchId, started: false, outcome: 'duplicate', duplicateOf: first };
  }
  const copied = await copyToBronze(name, batch.bronzePath, sha256, deps);
  if (!copied) return gone(name, deps);
  if (manifestBytes)
    await deps.lake.put(
      'bronze',
      lakePaths.bronzeSidecar(batch.bronzePath, '.manifest.json'),
      manifestBytes,
      {
        ifNoneMatch: '*',
      },
    );
  let described = batch;
  if (columnMap) {
    const mapPath = lakePaths.bronzeSidecar(batch.bronzePath, columnMap.suffix);
    await deps.lake.put('bronze', mapPath, columnMap.bytes, { ifNoneMatch: '*' });
    described = { ...batch, columnMap: mapPath };
  }
  await recordLandingFile(deps.state, spec.table, batchId, {
    status: 'ingested',
    origin: file,
    sha256,
    arrivedAt: now.toISOString(),
  });
  const { started } = await deps.starter.start(
    deps.orchestration,
    batchId,
    pipelineInput(described, { waveSize: deps.settings.NHSFLOWS_MAX_FANOUT }),
  );
  deps.logger.info('landing file ingested', {
    batchId,
    table: spec.table,
    bytes: copied.bytes,
    format,
    manifest: manifest !== undefined,
    columnMap: columnMap !== undefined,
  });
  return { batchId, started, outcome: started ? 'started' : 'known' };
}

/** What one streaming pass over a landing file finds: its SHA-256 and, when asked, its data rows. */
export interface LandingFileScan {
  readonly sha256: string;
  /** The hash its batch id is made from (the SHA-256 of the bytes read as Latin-1 text, UTF-8 encoded). */
  readonly contentHash: string;
  /** Data rows as the pipeline will read them (records and unreadable rows), when counted. */
  readonly rows: number | undefined;
}

/**
 * One pass over a landing file's bytes, streaming (memory holds one chunk and at most one open CSV
 * record, whatever the file's size): the SHA-256 of the bytes, the content hash of its batch id and,
 * with `read`, the data rows the reader finds (a file-level problem throws its
 * `LandingFileRejectedError`). `bench/landing-stream.bench.ts` measures its peak memory against the
 * file's size.
 */
export async function scanLandingFile(
  bytes: AsyncIterable<Buffer | string> | Iterable<Buffer | string>,
  read?: { readonly batch: BatchDescriptor; readonly spec: SourceTableSpec; readonly columnMap?: ColumnMap },
): Promise<LandingFileScan> {
  const hash = createHash('sha256');
  // `hashHex(bytes.toString('latin1'))`, a chunk at a time: Latin-1 maps each byte to one character.
  const content = createHash('sha256');
  async function* hashed(): AsyncIterable<Buffer> {
    for await (const chunk of bytes) {
      const buffer = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
      hash.update(buffer);
      content.update(buffer.toString('latin1'), 'utf8');
      yield buffer;
    }
  }
  let rows: number | undefined;
  if (read) {
    rows = 0;
    for await (const item of readLandingFile(read.batch, read.spec, Readable.from(hashed()), read.columnMap))
      if (!('notice' in item) && !('report' in item)) rows += 1;
  } else for await (const chunk of hashed()) void chunk;
  return { sha256: hash.digest('hex'), contentHash: content.digest('hex'), rows };
}

/**
 * Streams the landing blob into bronze (create-only), hashing it on the way: bytes that are not the
 * ones the checks passed (the supplier replaced the blob meanwhile) are removed from bronze and the
 * delivery fails, so it is retried, and the new version's own event loads the new bytes.
 */
async function copyToBronze(
  name: string,
  bronzePath: string,
  sha256: string,
  deps: LandingDeps,
): Promise<{ bytes: number } | undefined> {
  const stream = await deps.lake.getStream('landing', name);
  if (!stream) return undefined;
  const hash = createHash('sha256');
  let bytes = 0;
  async function* counted(): AsyncIterable<Buffer> {
    for await (const chunk of asBuffers(stream!)) {
      hash.update(chunk);
      bytes += chunk.length;
      yield chunk;
    }
  }
  const { created } = await deps.lake.putStream('bronze', bronzePath, counted(), { ifNoneMatch: '*' });
  // An earlier delivery copied it already (create-only): bronze holds the checked bytes.
  if (!created) return { bytes };
  if (hash.digest('hex') !== sha256) {
    await deps.lake.delete('bronze', bronzePath);
    throw new InfrastructureError(
      INFRASTRUCTURE_CODES.landingFileChanged,
      `landing file ${printableName(name)} changed while it was copied to bronze; the delivery is retried`,
    );
  }
  return { bytes };
}

/**
 * Reports a file rejected whole: the rejected-file report (poison queue, ledger, the batch-failed
 * alert) and, when its table is known, one record in quarantine naming the file and the reason
 * (row 0, field `(file)`), so `nhs-flows quarantine` lists it with the rows rejected.
 */
async function reject(
  rejectionId: string,
  file: string,
  table: string | null,
  error: LandingFileRejectedError,
  deps: LandingDeps,
  spec?: SourceTableSpec,
): Promise<LandingResult> {
  await reportRejectedFile({ rejectionId, file, table, code: error.code, reason: error.message }, deps);
  if (spec) await quarantineRejectedFile(deps.lake, spec, rejectionId, file, error);
  return {
    batchId: rejectionId,
    started: false,
    outcome: 'rejected',
    rejected: { code: error.code, reason: error.message },
  };
}
