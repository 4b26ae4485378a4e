import { EventEmitter } from 'node:events';
import { mkdir, open, readdir, readFile, rename, rm, writeFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { Clock } from '../../../application/ports/clock.port.js';
import { systemClock } from '../../../application/ports/clock.port.js';
import type {
  Checkpoint,
  EventConsumer,
  ReceiveBatchOptions,
  ReceivedEvent,
} from '../../../application/ports/event-consumer.port.js';
import type { EventPublisher, PublishReceipt } from '../../../application/ports/event-publisher.port.js';
import type { Logger } from '../../../application/ports/logger.port.js';
import { silentLogger } from '../../../application/ports/logger.port.js';
import type { Delta } from '../../../domain/capture/delta.js';
import { DELTA_ENVELOPE_CONTENT_TYPE } from '../../../domain/events/delta-envelope.js';
import { deltaFileEvents, type DeltaFileReference } from '../../../domain/events/delta-file.js';
import {
  DEFAULT_KEY_BUCKETS,
  EVENT_HUBS_MAX_EVENT_BYTES,
  fnv1a32,
  packDeltas,
} from '../../../domain/events/delta-packer.js';
import { InfrastructureError } from '../../../domain/errors.js';
import { decodeRecord, encodeRecord, type LogRecord } from './log-record.js';

/**
 * The durable local event log: the event transport of the embedded default, standing in for Event
 * Hubs (see docs/events.md for the design and why it is files, not Azurite queues).
 *
 * Guarantees:
 * - `publish`/`append` resolve only after every record is written and fsync'd (group commit: one
 *   fsync per touched partition per call); a killed process loses nothing that was acknowledged.
 * - Partition = FNV-1a(partition key) mod N, so one key always lands in one partition and keeps its
 *   order. N is fixed when the log is created (meta.json) and checked on every open.
 * - A torn append at the end of a segment (crash mid-write) is detected by magic/length/CRC when a
 *   writer opens the log, and truncated, never parsed.
 * - Consumer groups keep one checkpoint per partition in a file replaced atomically
 *   (write, fsync, rename, fsync dir); a new consumer resumes after its checkpoint, so events
 *   received but not checkpointed before a crash are delivered again (at-least-once).
 * - One writer at a time (writer.lock holding its pid); readers may live in other processes.
 */
export interface LocalEventLogOptions {
  /** Folder of this log (e.g. `<data dir>/event-log/<hub name>`). */
  readonly directory: string;
  /** Partitions when the log is created (default 4); must match an existing log when given. */
  readonly partitions?: number;
  /** Largest event body in bytes (default 1,000,000, as Event Hubs). */
  readonly maxEventBytes?: number;
  /** Key buckets used by the packer (default 32). */
  readonly keyBuckets?: number;
  /** A segment file rolls over once it holds this many bytes (default 64 MiB). */
  readonly segmentBytes?: number;
  /** How often a waiting consumer looks for records appended by another process (default 50 ms). */
  readonly pollIntervalMs?: number;
  readonly clock?: Clock;
  readonly logger?: Logger;
}

/** One event to append: its transport partition key and body. */
export interface LogEventInput {
  readonly partitionKey: string | null;
  readonly body: Buffer | string;
  readonly contentType?: string | null;
}

export interface AppendedEvent {
  readonly partitionId: string;
  readonly offset: string;
  readonly sequenceNumber: number;
}

interface Segment {
  readonly file: string;
  readonly baseOffset: number;
  readonly baseSequence: number;
}

interface PartitionWriter {
  handle: FileHandle;
  segmentBase: number;
  segmentSize: number;
  nextOffset: number;
  nextSequence: number;
  /** End offset of what is fsync'd: in-process readers see nothing past it. */
  durableOffset: number;
}

const META_FILE = 'meta.json';
const LOCK_FILE = 'writer.lock';
const heldLocks = new Set<string>();

export class LocalEventLog implements EventPublisher {
  private writers: PartitionWriter[] | undefined;
  private writerOpening: Promise<PartitionWriter[]> | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private broken: Error | undefined;
  private closed = false;
  private readonly appended = new EventEmitter();
  private readonly consumers = new Set<LocalEventLogConsumer>();

  private constructor(
    readonly directory: string,
    readonly partitionCount: number,
    private readonly options: LocalEventLogOptions,
    readonly clock: Clock,
    readonly logger: Logger,
  ) {
    this.appended.setMaxListeners(0);
  }

  /** Opens (creating if needed) a log. Takes no writer lock until the first append. */
  static async open(options: LocalEventLogOptions): Promise<LocalEventLog> {
    const logger = (options.logger ?? silentLogger).child({ component: 'local-event-log' });
    await mkdir(options.directory, { recursive: true });
    const metaPath = join(options.directory, META_FILE);
    const existing = await readFile(metaPath, 'utf8').catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return undefined;
      throw error;
    });
    let partitions: number;
    if (existing !== undefined) {
      const meta = JSON.parse(existing) as { partitions?: unknown };
      if (typeof meta.partitions !== 'number' || !Number.isInteger(meta.partitions) || meta.partitions < 1)
        throw new InfrastructureError(
          'EVENT_LOG_CORRUPT',
          `${metaPath}: expected a positive integer "partitions", received ${JSON.stringify(meta.partitions)}`,
        );
      partitions = meta.partitions;
      if (options.partitions !== undefined && options.partitions !== partitions)
        throw new InfrastructureError(
          'EVENT_LOG_PARTITIONS_MISMATCH',
          `${options.directory}: the log has ${partitions} partitions, the settings ask for ${options.partitions}; partition counts cannot change without moving keys`,
        );
    } else {
      partitions = options.partitions ?? 4;
      if (!Number.isInteger(partitions) || partitions < 1 || partitions > 1024)
        throw new RangeError(`partitions: expected an integer in 1..1024, received ${partitions}`);
      await writeDurably(
        metaPath,
        JSON.stringify({ format: 'nhs-flows.event-log', version: 1, partitions }, null, 2),
      );
    }
    return new LocalEventLog(options.directory, partitions, options, options.clock ?? systemClock, logger);
  }

  /** The partition a transport partition key maps to (null keys go round-robin like Event Hubs; here: 0). */
  partitionOf(partitionKey: string | null): number {
    return partitionKey === null ? 0 : fnv1a32(partitionKey) % this.partitionCount;
  }

  async publish(deltas: readonly Delta[]): Promise<PublishReceipt> {
    if (deltas.length === 0) return { deltas: 0, events: 0, bytes: 0 };
    const events = packDeltas(deltas, {
      maxEventBytes: this.options.maxEventBytes ?? EVENT_HUBS_MAX_EVENT_BYTES,
      keyBuckets: this.options.keyBuckets ?? DEFAULT_KEY_BUCKETS,
    });
    await this.append(
      events.map((e) => ({
        partitionKey: e.partitionKey,
        body: e.body,
        contentType: DELTA_ENVELOPE_CONTENT_TYPE,
      })),
    );
    return { deltas: deltas.length, events: events.length, bytes: events.reduce((n, e) => n + e.bytes, 0) };
  }

  async publishFiles(files: readonly DeltaFileReference[]): Promise<PublishReceipt> {
    if (files.length === 0) return { deltas: 0, events: 0, bytes: 0 };
    const events = deltaFileEvents(files, this.options.keyBuckets ?? DEFAULT_KEY_BUCKETS);
    await this.append(
      events.map((e) => ({
        partitionKey: e.partitionKey,
        body: e.body,
        contentType: DELTA_ENVELOPE_CONTENT_TYPE,
      })),
    );
    return {
      deltas: events.reduce((n, e) => n + e.records, 0),
      events: events.length,
      bytes: events.reduce((n, e) => n + e.bytes, 0),
    };
  }

  /** Appends events (in order per partition) and resolves once they are durable. */
  append(events: readonly LogEventInput[]): Promise<AppendedEvent[]> {
    const run = this.queue.then(() => this.appendNow(events));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async appendNow(events: readonly LogEventInput[]): Promise<AppendedEvent[]> {
    if (this.closed)
      throw new InfrastructureError('EVENT_LOG_CLOSED', `${this.directory}: the log is closed`);
    if (this.broken)
      throw new InfrastructureError(
        'EVENT_LOG_BROKEN',
        `${this.directory}: an earlier append failed; reopen the log to recover`,
        { cause: this.broken },
      );
    const writers = await this.openWriters();
    const touched = new Set<number>();
    const result: AppendedEvent[] = [];
    const enqueuedMs = this.clock.now().getTime();
    try {
      for (const event of events) {
        const p = this.partitionOf(event.partitionKey);
        const writer = writers[p]!;
        if (writer.segmentSize >= (this.options.segmentBytes ?? 64 * 1024 * 1024)) {
          await writer.handle.datasync();
          await writer.handle.close();
          writer.handle = await this.startSegment(p, writer.nextOffset, writer.nextSequence);
          writer.segmentBase = writer.nextOffset;
          writer.segmentSize = 0;
        }
        const record: LogRecord = {
          sequenceNumber: writer.nextSequence,
          enqueuedMs,
          partitionKey: event.partitionKey,
          contentType: event.contentType ?? null,
          body: typeof event.body === 'string' ? Buffer.from(event.body, 'utf8') : event.body,
        };
        const bytes = encodeRecord(record);
        await writeFully(writer.handle, bytes, writer.segmentSize);
        result.push({
          partitionId: String(p),
          offset: String(writer.nextOffset),
          sequenceNumber: writer.nextSequence,
        });
        writer.segmentSize += bytes.length;
        writer.nextOffset += bytes.length;
        writer.nextSequence += 1;
        touched.add(p);
      }
      await Promise.all([...touched].map((p) => writers[p]!.handle.datasync()));
    } catch (error) {
      this.broken = error instanceof Error ? error : new Error(String(error));
      throw new InfrastructureError('EVENT_LOG_APPEND_FAILED', `${this.directory}: append failed`, {
        cause: error,
      });
    }
    for (const p of touched) {
      const writer = writers[p]!;
      writer.durableOffset = writer.nextOffset;
      this.appended.emit('appended', p);
    }
    return result;
  }

  /** Takes the writer lock and recovers every partition's last segment (truncating a torn tail). */
  private openWriters(): Promise<PartitionWriter[]> {
    if (this.writers) return Promise.resolve(this.writers);
    this.writerOpening ??= (async () => {
      await this.takeLock();
      const writers: PartitionWriter[] = [];
      try {
        for (let p = 0; p < this.partitionCount; p++) writers.push(await this.recoverPartition(p));
      } catch (error) {
        for (const writer of writers) await writer.handle.close();
        await this.releaseLock();
        throw error;
      }
      this.writers = writers;
      return writers;
    })();
    // A refused lock is retried by the next append rather than cached.
    this.writerOpening.catch(() => (this.writerOpening = undefined));
    return this.writerOpening;
  }

  private async takeLock(): Promise<void> {
    const path = join(this.directory, LOCK_FILE);
    if (heldLocks.has(path))
      throw new InfrastructureError(
        'EVENT_LOG_LOCKED',
        `${this.directory}: another writer in this process holds the log`,
      );
    try {
      await writeFile(path, String(process.pid), { flag: 'wx' });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = Number((await readFile(path, 'utf8')).trim());
      if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && isAlive(holder))
        throw new InfrastructureError(
          'EVENT_LOG_LOCKED',
          `${this.directory}: process ${holder} is writing to this log; one writer at a time`,
        );
      this.logger.warn('taking over a stale event log writer lock', { stalePid: holder });
      await writeFile(path, String(process.pid));
    }
    heldLocks.add(path);
  }

  private async recoverPartition(p: number): Promise<PartitionWriter> {
    const dir = partitionDir(this.directory, p);
    await mkdir(dir, { recursive: true });
    const segments = await listSegments(dir);
    const last = segments.at(-1);
    if (!last) {
      const handle = await this.startSegment(p, 0, 0);
      return { handle, segmentBase: 0, segmentSize: 0, nextOffset: 0, nextSequence: 0, durableOffset: 0 };
    }
    const path = join(dir, last.file);
    const content = await readFile(path);
    let at = 0;
    let nextSequence = last.baseSequence;
    for (;;) {
      const decoded = decodeRecord(content, at);
      if (decoded.kind !== 'record') break;
      if (decoded.record.sequenceNumber !== nextSequence)
        throw new InfrastructureError(
          'EVENT_LOG_CORRUPT',
          `${path} at byte ${at}: expected sequence ${nextSequence}, received ${decoded.record.sequenceNumber}`,
        );
      nextSequence += 1;
      at += decoded.bytes;
    }
    const handle = await open(path, 'r+');
    if (at < content.length) {
      await handle.truncate(at);
      await handle.sync();
      this.logger.warn('torn append truncated', {
        code: 'EVENT_LOG_TORN_TAIL',
        partition: p,
        segment: last.file,
        keptBytes: at,
        droppedBytes: content.length - at,
      });
    }
    return {
      handle,
      segmentBase: last.baseOffset,
      segmentSize: at,
      nextOffset: last.baseOffset + at,
      nextSequence,
      durableOffset: last.baseOffset + at,
    };
  }

  /** Creates the segment file starting at this offset and sequence number. */
  private async startSegment(p: number, baseOffset: number, baseSequence: number): Promise<FileHandle> {
    const dir = partitionDir(this.directory, p);
    const handle = await open(join(dir, segmentName(baseOffset, baseSequence)), 'wx+');
    await syncDirectory(dir);
    return handle;
  }

  /** The end offset readers in this process may read up to (undefined: no writer here, read the file). */
  durableEnd(partition: number): number | undefined {
    return this.writers?.[partition]?.durableOffset;
  }

  /** Resolves on the next append to `partition` in this process, or after `ms`. */
  waitForAppend(partition: number, ms: number): Promise<void> {
    return new Promise((resolve) => {
      const onAppend = (p: number) => {
        if (p !== partition) return;
        clearTimeout(timer);
        this.appended.off('appended', onAppend);
        resolve();
      };
      const timer = setTimeout(() => {
        this.appended.off('appended', onAppend);
        resolve();
      }, ms);
      this.appended.on('appended', onAppend);
    });
  }

  /** A consumer of this log for one consumer group (Event Hubs' `$Default` unless named). */
  consumer(consumerGroup = '$Default'): LocalEventLogConsumer {
    const consumer = new LocalEventLogConsumer(this, consumerGroup, this.options.pollIntervalMs ?? 50);
    this.consumers.add(consumer);
    return consumer;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.queue;
    for (const consumer of this.consumers) await consumer.close();
    if (this.writers) {
      for (const writer of this.writers) await writer.handle.close();
      await this.releaseLock();
    }
  }

  private async releaseLock(): Promise<void> {
    const lock = join(this.directory, LOCK_FILE);
    heldLocks.delete(lock);
    await rm(lock, { force: true });
  }
}

/**
 * Reads one consumer group's view of the log. Read positions live in memory; checkpoints on disk.
 */
export class LocalEventLogConsumer implements EventConsumer {
  private readonly positions = new Map<number, number>();
  private readonly handles = new Map<string, FileHandle>();
  private readonly warned = new Set<string>();

  constructor(
    private readonly log: LocalEventLog,
    readonly consumerGroup: string,
    private readonly pollIntervalMs: number,
  ) {}

  async partitionIds(): Promise<readonly string[]> {
    return Array.from({ length: this.log.partitionCount }, (_, i) => String(i));
  }

  async receiveBatch(partitionId: string, options: ReceiveBatchOptions): Promise<ReceivedEvent[]> {
    const p = this.partitionIndex(partitionId);
    const deadline = Date.now() + Math.max(0, options.maxWaitMs);
    for (;;) {
      const events = await this.readAvailable(p, Math.max(1, options.maxEvents));
      if (events.length > 0) return events;
      const left = deadline - Date.now();
      if (left <= 0) return [];
      await this.log.waitForAppend(p, Math.min(left, this.pollIntervalMs));
    }
  }

  async checkpoint(
    partitionId: string,
    event: Pick<ReceivedEvent, 'offset' | 'sequenceNumber'>,
  ): Promise<void> {
    const p = this.partitionIndex(partitionId);
    const current = await this.lastCheckpoint(partitionId);
    if (current && current.sequenceNumber >= event.sequenceNumber) return;
    const dir = join(this.log.directory, 'checkpoints', encodeURIComponent(this.consumerGroup));
    await mkdir(dir, { recursive: true });
    await writeDurably(
      join(dir, `${p}.json`),
      JSON.stringify({
        offset: event.offset,
        sequenceNumber: event.sequenceNumber,
        updatedAt: this.log.clock.now().toISOString(),
      }),
    );
  }

  async lastCheckpoint(partitionId: string): Promise<Checkpoint | undefined> {
    const p = this.partitionIndex(partitionId);
    const path = join(this.log.directory, 'checkpoints', encodeURIComponent(this.consumerGroup), `${p}.json`);
    try {
      const value = JSON.parse(await readFile(path, 'utf8')) as Partial<Checkpoint>;
      if (typeof value.offset !== 'string' || typeof value.sequenceNumber !== 'number')
        throw new InfrastructureError('EVENT_LOG_CORRUPT', `${path}: expected { offset, sequenceNumber }`);
      return { offset: value.offset, sequenceNumber: value.sequenceNumber };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  async rewind(partitionId: string): Promise<void> {
    this.positions.delete(this.partitionIndex(partitionId));
  }

  /**
   * Events appended in this process past this consumer's read position. Before this consumer has
   * read the partition at all, anything appended counts (its next receive settles it); false when
   * this process has not appended to the partition (unknown).
   */
  async hasUnread(partitionId: string): Promise<boolean> {
    const p = this.partitionIndex(partitionId);
    const end = this.log.durableEnd(p);
    if (end === undefined) return false;
    const position = this.positions.get(p);
    return position === undefined ? end > 0 : position < end;
  }

  async close(): Promise<void> {
    for (const handle of this.handles.values()) await handle.close();
    this.handles.clear();
  }

  private partitionIndex(partitionId: string): number {
    const p = Number(partitionId);
    if (!Number.isInteger(p) || p < 0 || p >= this.log.partitionCount)
      throw new RangeError(
        `partitionId: expected one of 0..${this.log.partitionCount - 1}, received ${JSON.stringify(partitionId)}`,
      );
    return p;
  }

  /** The next offset to read: in memory, else just after the checkpoint, else the start. */
  private async position(p: number, segments: readonly Segment[]): Promise<number> {
    const known = this.positions.get(p);
    if (known !== undefined) return known;
    const checkpoint = await this.lastCheckpoint(String(p));
    let start = segments[0]?.baseOffset ?? 0;
    if (checkpoint) {
      const offset = Number(checkpoint.offset);
      const found = await this.readAt(p, segments, offset);
      if (!found || found.record.sequenceNumber !== checkpoint.sequenceNumber)
        throw new InfrastructureError(
          'EVENT_LOG_CORRUPT',
          `partition ${p}: checkpoint of group ${this.consumerGroup} names offset ${checkpoint.offset} / sequence ${checkpoint.sequenceNumber}, which the log does not hold`,
        );
      start = offset + found.bytes;
    }
    this.positions.set(p, start);
    return start;
  }

  private async readAt(
    p: number,
    segments: readonly Segment[],
    offset: number,
  ): Promise<{ record: LogRecord; bytes: number } | undefined> {
    const segment = segments.findLast((s) => s.baseOffset <= offset);
    if (!segment) return undefined;
    const handle = await this.handle(p, segment);
    const header = Buffer.alloc(12);
    const { bytesRead } = await handle.read(header, 0, 12, offset - segment.baseOffset);
    if (bytesRead < 12) return undefined;
    const length = header.readUInt32BE(4);
    const buffer = Buffer.alloc(12 + length);
    await handle.read(buffer, 0, buffer.length, offset - segment.baseOffset);
    const decoded = decodeRecord(buffer, 0);
    return decoded.kind === 'record' ? decoded : undefined;
  }

  private async readAvailable(p: number, maxEvents: number): Promise<ReceivedEvent[]> {
    // Caught up with everything this process has appended: nothing to list, stat or read. (An idle
    // receive loop listed and stat'ed every partition each poll: 8 s of the host's main thread in a
    // 100k-record load.)
    const appended = this.log.durableEnd(p);
    const at = this.positions.get(p);
    if (appended !== undefined && at !== undefined && at >= appended) return [];
    const dir = partitionDir(this.log.directory, p);
    const segments = await listSegments(dir).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return [] as Segment[];
      throw error;
    });
    if (segments.length === 0) return [];
    let offset = await this.position(p, segments);
    const limit = this.log.durableEnd(p);
    const events: ReceivedEvent[] = [];
    let index = segments.findLastIndex((s) => s.baseOffset <= offset);
    if (index < 0) {
      this.log.logger.warn('read position is before the oldest segment; starting there', { partition: p });
      index = 0;
      offset = segments[0]!.baseOffset;
    }
    while (events.length < maxEvents && index < segments.length) {
      const segment = segments[index]!;
      const handle = await this.handle(p, segment);
      let end = (await handle.stat()).size + segment.baseOffset;
      if (limit !== undefined) end = Math.min(end, limit);
      if (offset >= end) {
        const next = segments[index + 1];
        if (!next || (limit !== undefined && next.baseOffset >= limit)) break;
        index += 1;
        offset = next.baseOffset;
        continue;
      }
      let chunk = Buffer.alloc(Math.min(end - offset, 4 * 1024 * 1024));
      await readFully(handle, chunk, offset - segment.baseOffset);
      let at = 0;
      while (events.length < maxEvents) {
        const decoded = decodeRecord(chunk, at);
        if (decoded.kind === 'record') {
          const { record } = decoded;
          events.push({
            partitionId: String(p),
            body: record.body,
            partitionKey: record.partitionKey,
            offset: String(offset + at),
            sequenceNumber: record.sequenceNumber,
            enqueuedTimeUtc: new Date(record.enqueuedMs).toISOString(),
            contentType: record.contentType,
          });
          at += decoded.bytes;
          continue;
        }
        if (decoded.kind === 'incomplete' && offset + at + decoded.needBytes <= end) {
          // The record is on disk, just longer than this chunk: read it whole.
          offset += at;
          at = 0;
          chunk = Buffer.alloc(Math.max(decoded.needBytes, Math.min(end - offset, 4 * 1024 * 1024)));
          await readFully(handle, chunk, offset - segment.baseOffset);
          continue;
        }
        if (decoded.kind === 'invalid') this.warnOnce(p, segment.file, offset + at, decoded.reason);
        break;
      }
      offset += at;
      if (at === 0 || events.length >= maxEvents) break;
    }
    this.positions.set(p, offset);
    return events;
  }

  private warnOnce(p: number, file: string, offset: number, reason: string): void {
    const key = `${p}:${offset}`;
    if (this.warned.has(key)) return;
    this.warned.add(key);
    this.log.logger.warn('unreadable bytes at the end of the log; waiting for the writer to recover them', {
      code: 'EVENT_LOG_TORN_TAIL',
      partition: p,
      segment: file,
      offset,
      reason,
    });
  }

  private async handle(p: number, segment: Segment): Promise<FileHandle> {
    const key = `${p}/${segment.file}`;
    let handle = this.handles.get(key);
    if (!handle) {
      handle = await open(join(partitionDir(this.log.directory, p), segment.file), 'r');
      this.handles.set(key, handle);
    }
    return handle;
  }
}

function partitionDir(directory: string, p: number): string {
  return join(directory, `p${p}`);
}

function segmentName(baseOffset: number, baseSequence: number): string {
  return `${String(baseOffset).padStart(20, '0')}-${String(baseSequence).padStart(20, '0')}.seg`;
}

async function listSegments(dir: string): Promise<Segment[]> {
  const names = await readdir(dir);
  return names
    .map((file) => /^(\d{20})-(\d{20})\.seg$/.exec(file))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ file: m[0], baseOffset: Number(m[1]), baseSequence: Number(m[2]) }))
    .sort((a, b) => a.baseOffset - b.baseOffset);
}

async function writeFully(handle: FileHandle, bytes: Buffer, position: number): Promise<void> {
  let done = 0;
  while (done < bytes.length) {
    const { bytesWritten } = await handle.write(bytes, done, bytes.length - done, position + done);
    done += bytesWritten;
  }
}

async function readFully(handle: FileHandle, into: Buffer, position: number): Promise<void> {
  let done = 0;
  while (done < into.length) {
    const { bytesRead } = await handle.read(into, done, into.length - done, position + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
}

/** Replaces a small file atomically and durably: write a temp file, fsync, rename, fsync the folder. */
async function writeDurably(path: string, text: string): Promise<void> {
  const temp = `${path}.${process.pid}.tmp`;
  const handle = await open(temp, 'w');
  try {
    await handle.writeFile(text, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temp, path);
  await syncDirectory(join(path, '..'));
}

async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } catch (error) {
    // Some file systems refuse fsync on a directory; the rename is still atomic there.
    if (
      (error as NodeJS.ErrnoException).code !== 'EINVAL' &&
      (error as NodeJS.ErrnoException).code !== 'EISDIR'
    )
      throw error;
  } finally {
    await handle.close();
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Where the local log of an event hub lives under the data dir: `<dataDir>/event-log/<hub>`. */
export function localEventLogDirectory(dataDir: string, eventHubName: string): string {
  return join(dataDir, 'event-log', encodeURIComponent(eventHubName));
}
