import type { Delta } from '../../../domain/capture/delta.js';
import type { SourceTableName } from '../../../domain/datasets/source-tables.js';
import {
  deltaFileBronzePath,
  deltaFileEventId,
  encodeDeltaLines,
  type DeltaFileReference,
} from '../../../domain/events/delta-file.js';
import type { EventPublisher, PublishReceipt } from '../../ports/event-publisher.port.js';
import type { ObjectStore } from '../../ports/object-store.port.js';

export interface DeltaFileOptions {
  /** A publish of at least this many deltas goes to bronze as delta files; fewer go inline (0: never). */
  readonly minDeltas: number;
  /** Deltas per file at most (the pipeline's chunk size, so a file is read in place as one chunk). */
  readonly deltasPerFile: number;
}

/** Deltas encoded per piece of a file's upload (flat memory however large the file). */
const LINES_PER_PIECE = 1_000;

/**
 * The poller's publisher for large publishes (the claim-check pattern, docs/adr/0019): a publish of
 * at least `minDeltas` deltas is written to bronze as delta files, one table's deltas of at most
 * `deltasPerFile` each in publish order (create-only, at the path the reference derives), and then
 * one small reference event per file goes through the transport. A smaller publish, or a transport
 * that cannot carry references, goes inline as before. `publish` resolves, as the port promises,
 * only when every file is written and every reference acknowledged; a retry of the same deltas finds
 * the files it wrote (same event ids, same paths) and sends the same references, which sinks drop
 * as seen.
 *
 * It sits under the poll's other publishers (content claims, referral records), which see every
 * delta either way.
 */
export function publishingDeltaFiles(
  transport: EventPublisher,
  lake: ObjectStore,
  options: DeltaFileOptions,
): EventPublisher {
  const publishFiles = transport.publishFiles?.bind(transport);
  if (!publishFiles || options.minDeltas <= 0) return transport;
  if (!Number.isInteger(options.deltasPerFile) || options.deltasPerFile < 1)
    throw new RangeError(
      `deltasPerFile: expected a positive whole number, received ${options.deltasPerFile}`,
    );
  return {
    publish: async (deltas) => {
      if (deltas.length < options.minDeltas) return transport.publish(deltas);
      const files: DeltaFileReference[] = [];
      for (const [table, list] of byTable(deltas))
        for (let i = 0; i < list.length; i += options.deltasPerFile)
          files.push(await writeDeltaFile(lake, table, list.slice(i, i + options.deltasPerFile)));
      const receipt = await publishFiles(files);
      return { ...receipt, deltas: deltas.length } satisfies PublishReceipt;
    },
    publishFiles,
    close: () => transport.close(),
  };
}

/** Deltas by table, each table's in publish order, tables in the order they first appear. */
function byTable(deltas: readonly Delta[]): Map<SourceTableName, Delta[]> {
  const tables = new Map<SourceTableName, Delta[]>();
  for (const delta of deltas) {
    let list = tables.get(delta.sourceTable);
    if (!list) tables.set(delta.sourceTable, (list = []));
    list.push(delta);
  }
  return tables;
}

async function writeDeltaFile(
  lake: ObjectStore,
  table: SourceTableName,
  deltas: readonly Delta[],
): Promise<DeltaFileReference> {
  let earliestMs = Infinity;
  for (const d of deltas) earliestMs = Math.min(earliestMs, Date.parse(d.capturedAt));
  const ref: DeltaFileReference = {
    eventId: deltaFileEventId(deltas.map((d) => d.eventId)),
    sourceTable: table,
    records: deltas.length,
    capturedAt: new Date(earliestMs).toISOString(),
  };
  // Create-only: an object already there holds these very deltas (its name is their event ids), as
  // a retried poll wrote it; it is kept.
  await lake.putStream('bronze', deltaFileBronzePath(ref), pieces(deltas), {
    ifNoneMatch: '*',
    contentType: 'application/x-ndjson',
  });
  return ref;
}

async function* pieces(deltas: readonly Delta[]): AsyncGenerator<Buffer> {
  for (let i = 0; i < deltas.length; i += LINES_PER_PIECE)
    yield Buffer.from(encodeDeltaLines(deltas.slice(i, i + LINES_PER_PIECE)), 'utf8');
}
