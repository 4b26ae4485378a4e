import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BlobServiceClient } from '@azure/storage-blob';
import { QueueClient } from '@azure/storage-queue';
import { resetServices, services, type Services } from '../../../functions/composition-root.js';
import { openLocalEnvironment, type LocalEnvironment } from '../../../shared/cli/local-environment.js';
import { openLocalFunctionsHost } from '../../../shared/cli/local-functions-host.js';
import type { LocalHost } from '../../../shared/runtime/local/local-host.js';
import type { SourceRow } from '../../../shared/domain/datasets/source-tables.js';
import { nhsNumberCheckDigit } from '../../../shared/domain/nhs/nhs-number.js';
import { CLEAN_ROWS } from '../../unit/datasets/clean-rows.js';
import { SOURCE_TABLES } from '../../../shared/domain/datasets/source-tables.js';

/**
 * The embedded default in this test process, as `nhs-flows start` opens it: a private data dir and
 * secrets file, Azurite from node_modules, the composition root's services, and the local Functions
 * host over the real `functions/` registrations. Everything written to stderr (every structured log
 * line of the app and the host) is captured so tests can scan it for identifiers.
 */
export interface PipelineHarness {
  readonly env: LocalEnvironment;
  readonly services: Services;
  readonly host: LocalHost;
  readonly dataDir: string;
  readonly blobs: BlobServiceClient;
  /** Everything written to stderr since the harness opened. */
  logs(): string;
  /** Uploads a landing file (the supplier's drop) and returns its ETag. */
  drop(name: string, body: string | Buffer): Promise<string>;
  /** Messages on a queue, without hiding them (base64 JSON as the app and host write them). */
  peekQueue(name: string): Promise<Record<string, unknown>[]>;
  /** Text of every object under a prefix of a container, concatenated. */
  text(container: string, prefix?: string): Promise<string>;
  list(container: string, prefix?: string): Promise<string[]>;
  close(): Promise<void>;
}

export async function openPipelineHarness(options: { chunkSize?: number } = {}): Promise<PipelineHarness> {
  const dataDir = mkdtempSync(join(tmpdir(), 'nhsflows-pipeline-'));
  process.env.NHSFLOWS_DATA_DIR = dataDir;
  process.env.NHSFLOWS_LOCAL_SECRETS_FILE = join(dataDir, 'secrets.json');
  process.env.NHSFLOWS_CHUNK_SIZE = String(options.chunkSize ?? 50_000);
  // Keep the schedules out of the way: these tests drive the blob trigger and the durable API only.
  process.env.NHSFLOWS_CDC_SCHEDULE = '0 0 0 1 1 *';
  process.env.NHSFLOWS_MARTS_SCHEDULE = '0 0 0 1 1 *';
  process.env.NHSFLOWS_LOG_LEVEL = 'debug';

  let captured = '';
  const write = process.stderr.write.bind(process.stderr);
  const verbose = process.env.NHSFLOWS_TEST_VERBOSE === '1';
  process.stderr.write = (chunk: string | Uint8Array, ...rest: unknown[]) => {
    captured += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    return verbose ? write(chunk, ...(rest as [])) : true;
  };

  let env: LocalEnvironment | undefined;
  let s: Services;
  let host: LocalHost;
  try {
    env = await openLocalEnvironment();
    s = await services();
    const capture = await s.capture();
    if (!capture.eventLog) throw new Error('the harness needs NHSFLOWS_EVENTS_KIND=local');
    ({ host } = await openLocalFunctionsHost(env, { logger: s.logger, eventLog: capture.eventLog }));
    await host.start();
  } catch (error) {
    process.stderr.write = write;
    await resetServices().catch(() => undefined);
    await env?.stop();
    process.stderr.write(captured.slice(-5000));
    throw error;
  }
  const blobs = BlobServiceClient.fromConnectionString(env.connectionString);

  const list = async (container: string, prefix = ''): Promise<string[]> => {
    const names: string[] = [];
    const client = blobs.getContainerClient(container);
    if (!(await client.exists())) return names;
    for await (const blob of client.listBlobsFlat({ prefix })) names.push(blob.name);
    return names;
  };

  return {
    env,
    services: s,
    host,
    dataDir,
    blobs,
    logs: () => captured,
    drop: async (name, body) => {
      const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
      const response = await blobs
        .getContainerClient('landing')
        .getBlockBlobClient(name)
        .upload(bytes, bytes.length);
      return response.etag ?? '';
    },
    peekQueue: async (name) => {
      const queue = new QueueClient(env.connectionString, name);
      if (!(await queue.exists())) return [];
      const peeked = await queue.peekMessages({ numberOfMessages: 32 });
      return peeked.peekedMessageItems.map(
        (m) => JSON.parse(Buffer.from(m.messageText, 'base64').toString('utf8')) as Record<string, unknown>,
      );
    },
    text: async (container, prefix = '') => {
      let out = '';
      for (const name of await list(container, prefix))
        out += (await blobs.getContainerClient(container).getBlobClient(name).downloadToBuffer()).toString(
          'utf8',
        );
      return out;
    },
    list,
    close: async () => {
      try {
        await host.stop();
        await resetServices();
        await env.stop();
      } finally {
        process.stderr.write = write;
        rmSync(dataDir, { recursive: true, force: true });
      }
    },
  };
}

/** Polls until `check` returns a value other than undefined/false, or fails naming `what`. */
export async function waitUntil<T>(
  what: string,
  check: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The `n`th valid NHS number of the 999 test range counting from `start` (check digit computed). */
export function testNhsNumber(n: number, start = 123_000): string {
  let found = 0;
  for (let i = start; ; i += 1) {
    const first9 = `999${String(i).padStart(6, '0')}`;
    const check = nhsNumberCheckDigit(first9);
    if (check === null) continue;
    if (found === n) return `${first9}${check}`;
    found += 1;
  }
}

/** The same number with its check digit changed (fails only the check-digit rule). */
export function withWrongCheckDigit(nhsNumber: string): string {
  const last = Number(nhsNumber.slice(9));
  return `${nhsNumber.slice(0, 9)}${(last + 1) % 10}`;
}

/** A clean SUS+ APC episode (the contract's clean example) for patient `i`, with some columns changed. */
export function episode(i: number, changes: SourceRow = {}): SourceRow {
  const id = String(i).padStart(6, '0');
  return {
    ...CLEAN_ROWS.sus_apc_episode,
    episode_id: `EPT${id}`,
    hospital_provider_spell_number: `SPT${id}`,
    nhs_number: testNhsNumber(i),
    local_patient_id: `LPT${id}`,
    ...changes,
  };
}

/** The columns of `sus_apc_episode` in table order (the CSV header a supplier sends). */
export const EPISODE_COLUMNS: readonly string[] = SOURCE_TABLES.sus_apc_episode.columns.map((c) => c.name);

function csvField(value: SourceRow[string] | undefined): string {
  if (value === null || value === undefined) return '';
  const text = String(value);
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** CSV text with a header row; `rows` may be arrays of raw fields (malformed rows) or source rows. */
export function csv(rows: readonly (SourceRow | readonly string[])[], header = EPISODE_COLUMNS): string {
  const lines = [header.join(',')];
  for (const row of rows)
    lines.push(
      Array.isArray(row)
        ? (row as readonly string[]).map(csvField).join(',')
        : header.map((h) => csvField((row as SourceRow)[h])).join(','),
    );
  return `${lines.join('\n')}\n`;
}

/** NDJSON text of source rows; strings are written as given (malformed lines). */
export function ndjson(rows: readonly (SourceRow | string)[]): string {
  return `${rows.map((r) => (typeof r === 'string' ? r : JSON.stringify(r))).join('\n')}\n`;
}
