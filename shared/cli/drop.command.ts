import { createReadStream, existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { routeLogs, services, resetServices } from '../../functions/composition-root.js';
import { FUNCTIONS } from '../../functions/function-names.js';
import type { ObjectStore } from '../application/ports/object-store.port.js';
import type { StateStore } from '../application/ports/state-store.port.js';
import { landingFileIdsOf } from '../application/use-cases/pipeline/ingest-landing-file.use-case.js';
import {
  landingDropOutcome,
  type DropOutcome,
} from '../application/use-cases/pipeline/landing-drop-outcome.use-case.js';
import {
  quarantineSummary,
  type QuarantineGroup,
} from '../application/use-cases/pipeline/quarantine-summary.use-case.js';
import { SOURCE_TABLE_NAMES, sourceTable, type SourceTableName } from '../domain/datasets/source-tables.js';
import { ColumnMapError, LandingFileRejectedError } from '../domain/errors.js';
import { columnMapFormat, parseColumnMap } from '../domain/landing/column-map.js';
import { landingSidecars } from '../domain/landing/landing-blob.js';
import { LANDING_MANIFEST_POLICY } from '../domain/landing/landing-policy.js';
import { MANIFEST_SUFFIX, parseSupplierManifest } from '../domain/landing/supplier-manifest.js';
import type { CliCommand } from './cli-io.js';
import { HostAlreadyRunningError, acquireHostLock, runningHost } from './host-lock.js';
import { localSettings, openLocalEnvironment } from './local-environment.js';
import { ONE_SHOT_TIMERS, openLocalFunctionsHost } from './local-functions-host.js';
import { openRunLog } from './progress/run-log.js';

/** Exit codes: 0 loaded, 1 rejected (or the batch failed), 2 bad usage or a bad column map, 3 a duplicate (not loaded again), 4 no outcome in time. */
export const DROP_EXIT = { loaded: 0, rejected: 1, usage: 2, duplicate: 3, timeout: 4 } as const;

/** How long `drop` waits for its file's outcome, by default (a large file may take a while). */
const DROP_TIMEOUT_MS = 30 * 60_000;

/**
 * `nhs-flows drop <file> [--table T] [--map mapping.csv]`: drops a supplier file into `landing/` on
 * the embedded default's Azurite (with its manifest, `<file>.manifest.json`, when one lies beside
 * it, and the column map given), has it processed whether or not a host runs (a running `nhs-flows
 * start --watch` picks it up; otherwise this starts the local Functions host for the drop), waits for
 * the outcome and prints it: the batch and its counts and top quarantine reasons, or the rejection
 * and its reason, or the batch whose bytes it duplicates. Prints codes, counts and locations only.
 */
export const dropCommand: CliCommand = {
  name: 'drop',
  summary: 'drop a supplier file (CSV, NDJSON, FHIR) into landing/, process it and print its outcome',
  usage: 'nhs-flows drop <file> [--table T] [--map mapping.csv|mapping.json] [--timeout S] [--json]',
  options: {
    table: {
      type: 'string',
      description:
        "the source table the file holds rows of (default: its manifest's table, or the file's folder name)",
    },
    map: {
      type: 'string',
      description:
        "a column map: the supplier's header names → our columns, with optional value recodes (docs/landing.md)",
    },
    timeout: { type: 'string', description: 'seconds to wait for the outcome (default 1800)' },
    json: { type: 'boolean', description: 'print the outcome as JSON' },
  },
  run: async (args, io) => {
    const [file, ...extra] = args.positionals;
    if (!file || extra.length > 0) {
      io.err(`nhs-flows drop: expected one file\n\nusage: ${dropCommand.usage}`);
      return DROP_EXIT.usage;
    }
    if (!existsSync(file)) {
      io.err(`nhs-flows drop: ${file} does not exist`);
      return DROP_EXIT.usage;
    }
    const timeoutMs = args.values.timeout ? Number(args.values.timeout) * 1000 : DROP_TIMEOUT_MS;
    if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
      io.err(
        `nhs-flows drop: --timeout: expected a number of seconds, received '${String(args.values.timeout)}'`,
      );
      return DROP_EXIT.usage;
    }
    const manifestFile = `${file}${MANIFEST_SUFFIX}`;
    const manifestBytes = existsSync(manifestFile) ? await readFile(manifestFile) : undefined;
    let manifestTable: string | undefined;
    if (manifestBytes)
      try {
        manifestTable = parseSupplierManifest(manifestFile, manifestBytes.toString('utf8')).table;
      } catch (error) {
        // The pipeline rejects it and reports it; the table may still come from --table or the folder.
        if (!(error instanceof LandingFileRejectedError)) throw error;
      }
    const folder = basename(dirname(file));
    const tableName =
      (typeof args.values.table === 'string' ? args.values.table : undefined) ??
      manifestTable ??
      ((SOURCE_TABLE_NAMES as readonly string[]).includes(folder) ? folder : undefined);
    if (!tableName || !(SOURCE_TABLE_NAMES as readonly string[]).includes(tableName)) {
      io.err(
        `nhs-flows drop: ${tableName ? `'${tableName}' is not a source table` : 'which table? give --table'}; expected one of ${SOURCE_TABLE_NAMES.join(', ')}`,
      );
      return DROP_EXIT.usage;
    }
    const table = tableName as SourceTableName;
    if (!manifestBytes && LANDING_MANIFEST_POLICY[table] === 'required') {
      io.err(
        `nhs-flows drop: ${table} requires a supplier manifest: put ${basename(manifestFile)} (rows, sha256, table, period, supplier) beside ${file} (docs/landing.md)`,
      );
      return DROP_EXIT.usage;
    }
    const name = `${table}/${basename(file)}`;
    const sidecars = landingSidecars(name);
    let map: { name: string; bytes: Buffer } | undefined;
    if (typeof args.values.map === 'string') {
      const format = columnMapFormat(args.values.map);
      if (!format) {
        io.err(`nhs-flows drop: --map: expected a .csv or .json column map, received '${args.values.map}'`);
        return DROP_EXIT.usage;
      }
      const bytes = await readFile(args.values.map);
      try {
        parseColumnMap(args.values.map, bytes.toString('utf8'), format, sourceTable(table));
      } catch (error) {
        if (!(error instanceof ColumnMapError)) throw error;
        io.err(`nhs-flows drop: ${error.message}`);
        return DROP_EXIT.usage;
      }
      const target = sidecars.columnMaps.find((m) => m.format === format);
      if (target) map = { name: target.name, bytes };
    }
    // Read as a stream (twice: ids, then the upload), so a multi-GB drop runs in flat memory.
    const size = (await stat(file)).size;
    const ids = await landingFileIdsOf(name, createReadStream(file) as AsyncIterable<Buffer>, table);
    const upload = async (lake: ObjectStore): Promise<void> => {
      await lake.ensureContainers(['landing']);
      // Control files first: the data file's arrival then finds them (ADR 0015).
      for (const m of sidecars.columnMaps)
        if (m.name !== map?.name && (await lake.exists('landing', m.name)))
          await lake.delete('landing', m.name);
      if (map) await lake.put('landing', map.name, map.bytes);
      if (manifestBytes) await lake.put('landing', sidecars.manifest, manifestBytes);
      await lake.putFile('landing', name, file);
    };
    const { dataDir } = localSettings();
    const deadline = Date.now() + timeoutMs;
    let outcome: DropOutcome;
    let lock;
    try {
      lock = runningHost(dataDir) ? undefined : acquireHostLock(dataDir);
    } catch (error) {
      if (!(error instanceof HostAlreadyRunningError)) throw error;
      lock = undefined;
    }
    const env = await openLocalEnvironment();
    const log = openRunLog({
      dataDir: env.dataDir,
      format: 'pretty',
      startedAt: new Date(),
      stdout: () => undefined,
    });
    const restoreLogs = routeLogs({ write: log.write });
    try {
      const s = await services();
      io.err(
        `dropping ${name} (${size} bytes${manifestBytes ? ', with its manifest' : ''}${map ? ', with a column map' : ''}) into landing/; log: ${log.path}`,
      );
      if (!lock) {
        io.err('a local host runs in this data dir: it picks the file up');
        await upload(s.pipeline.lake);
        outcome = await waitForOutcome(s.pipeline.state, table, ids, deadline);
      } else {
        const capture = await s.capture();
        if (!capture.eventLog)
          throw new Error('nhs-flows drop runs on the embedded default: NHSFLOWS_EVENTS_KIND=local');
        const { host } = await openLocalFunctionsHost(env, {
          logger: s.logger,
          eventLog: capture.eventLog,
          disabledFunctions: [...ONE_SHOT_TIMERS, FUNCTIONS.landingManifestSweep],
        });
        await host.start();
        try {
          await upload(s.pipeline.lake);
          outcome = await waitForOutcome(s.pipeline.state, table, ids, deadline);
          await host.waitForIdle({ timeoutMs: Math.max(1_000, deadline - Date.now()) });
        } finally {
          await host.stop();
        }
      }
      const reasons =
        outcome.state === 'loaded' || outcome.state === 'rejected'
          ? (await quarantineSummary(s.pipeline, { table, batchIds: [outcome.batchId], examples: 3 })).groups
          : [];
      if (args.values.json === true) io.out(JSON.stringify({ file: name, ...outcome, reasons }, null, 2));
      else io.out(renderDrop(name, outcome, reasons));
      return exitCode(outcome);
    } finally {
      await resetServices();
      restoreLogs();
      log.close();
      await env.stop();
      lock?.release();
    }
  },
};

async function waitForOutcome(
  state: StateStore,
  table: SourceTableName,
  ids: { batchId: string; rejectionId: string },
  deadline: number,
): Promise<DropOutcome> {
  for (;;) {
    const outcome = await landingDropOutcome(state, table, ids);
    if (outcome.state !== 'pending' && outcome.state !== 'awaiting-manifest') return outcome;
    if (Date.now() > deadline) return outcome;
    await sleep(250);
  }
}

function exitCode(outcome: DropOutcome): number {
  switch (outcome.state) {
    case 'loaded':
      return outcome.status === 'succeeded' || outcome.status === 'empty'
        ? DROP_EXIT.loaded
        : DROP_EXIT.rejected;
    case 'rejected':
      return DROP_EXIT.rejected;
    case 'duplicate':
      return DROP_EXIT.duplicate;
    default:
      return DROP_EXIT.timeout;
  }
}

/** The outcome as a person reads it: batch id, counts, the reason or the top quarantine reasons. */
export function renderDrop(name: string, outcome: DropOutcome, reasons: readonly QuarantineGroup[]): string {
  const lines: string[] = [];
  switch (outcome.state) {
    case 'loaded':
      lines.push(
        `${name}: ${outcome.status === 'succeeded' ? 'accepted' : outcome.status} as batch ${outcome.batchId}`,
        `  ${outcome.records} records: ${outcome.accepted} accepted, ${outcome.quarantined} quarantined; ${outcome.unreadable} unreadable rows`,
      );
      if (outcome.reason) lines.push(`  ${outcome.reason.split('\n')[0] ?? ''}`);
      break;
    case 'rejected':
      lines.push(`${name}: REJECTED (${outcome.code}), rejection ${outcome.batchId}`, `  ${outcome.reason}`);
      break;
    case 'duplicate':
      lines.push(
        `${name}: a duplicate: its bytes were loaded before as batch ${outcome.duplicateOf} (${outcome.duplicateOrigin}); not loaded again`,
      );
      break;
    case 'awaiting-manifest':
      lines.push(
        `${name}: waiting for its manifest (until ${outcome.manifestDeadline ?? '?'}); batch ${outcome.batchId}`,
      );
      break;
    default:
      lines.push(`${name}: no outcome yet; see nhs-flows status`);
  }
  if (reasons.length > 0) {
    lines.push('  top quarantine reasons:');
    for (const g of reasons.slice(0, 5))
      lines.push(
        `    ${String(g.count).padStart(6)}  ${g.rule}  e.g. ${g.examples.map((e) => `row ${e.row}${e.line !== undefined ? ` (line ${e.line})` : ''} ${e.field}`).join('; ')}`,
      );
    lines.push('  more: nhs-flows quarantine --table ' + (name.split('/')[0] ?? ''));
  }
  return lines.join('\n');
}
