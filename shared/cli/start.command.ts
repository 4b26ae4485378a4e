import { routeLogs, services, resetServices } from '../../functions/composition-root.js';
import { pipelineStatus } from '../application/use-cases/pipeline/pipeline-status.use-case.js';
import type { LogRecord } from '../application/ports/logger.port.js';
import type { CliCommand, CliIo, ParsedArgs } from './cli-io.js';
import { writeTableCsv } from './export.command.js';
import { loadOptOutApplication } from '../application/use-cases/opt-out.use-case.js';
import { acquireHostLock } from './host-lock.js';
import { dashboardFromWarehouse } from './dashboard.command.js';
import { startHostReadServer, type HostReadServer } from './host-read-server.js';
import { localSettings, openLocalEnvironment } from './local-environment.js';
import { ONE_SHOT_TIMERS, openLocalFunctionsHost, runOneShot } from './local-functions-host.js';
import { SourceSeedError, prepareSyntheticSource, simulateSourceChanges } from './seed-source.js';
import { renderStatus } from './status.command.js';
import { InfrastructureError } from '../domain/errors.js';
import type { LocalSettings } from '../config/settings.schema.js';
import { envNameForSecret } from '../adapters/local/local-secret-store.js';
import { renderMarts } from './marts-summary.js';
import {
  ProgressTracker,
  consoleLine,
  formatDuration,
  renderProgressSummary,
} from './progress/pipeline-progress.js';
import { startProgressDisplay, type ProgressDisplay } from './progress/progress-display.js';
import { openRunLog, resolveLogFormat } from './progress/run-log.js';

/**
 * `nhs-flows start`: the main job on the embedded default. Starts Azurite, seeds the embedded
 * source with the synthetic population when it is empty, starts the local Functions host over the
 * real registrations, fires the CDC poller once and waits until every batch has gone through
 * bronze → silver → gold → warehouse, then prints the per-stage counts. `--watch` keeps the host
 * running on its schedules until Ctrl-C. `--changes R` first applies one round of simulated source
 * changes (late-coded diagnoses, corrected discharges, practice moves, duplicate deletions, new
 * activity) to a share R of the rows, so a second run shows CDC updates and deletes flowing.
 *
 * Your own SQL Server instead (docs/sources.md): with NHSFLOWS_SOURCE_KIND=mssql the poller reads
 * the tables NHSFLOWS_CDC_TABLES selects through the same adapter as Azure, the connection string
 * from the secret NHSFLOWS_SOURCE_MSSQL_SECRET names (local secrets file or its
 * NHSFLOWS_SECRET_<NAME> variable; never logged); nothing is seeded and --patients / --changes are
 * refused. A source that cannot be opened (unreachable, login failed, no connection string) exits 2
 * with a message naming the secret, never its value.
 *
 * What a person sees: on a terminal, live progress per stage (captured, validated, pseudonymised,
 * merged, loaded: counts and records/s, counted from the pipeline's own log records) and a final
 * summary; the JSON log lines go to `<data dir>/logs/nhs-flows-<start time>.ndjson`, whose path is
 * printed. `--log-format json` (the default when stdout or stderr is not a terminal: CI, pipes,
 * tests) writes the JSON log lines to stdout as well, and shows no live progress. The wait for the
 * pipeline goes on while it progresses and gives up only after 30 minutes without progress.
 *
 * Crash safety: one host per data dir (`host.json`; a second start says which process holds it);
 * the seed is atomic (`prepareSyntheticSource`); Azurite stops with this process however it ends
 * (`startAzurite`); everything else resumes from where a killed run stopped (durable journal,
 * event-log checkpoints, capture state), so a start after `kill -9` ends where an uninterrupted run
 * would have. While it runs, `nhs-flows export` reads the warehouse through its read endpoint.
 */
export const startCommand: CliCommand = {
  name: 'start',
  summary:
    'run the pipeline end to end on the embedded default (Azurite, embedded source, local runtime, DuckDB)',
  usage: 'nhs-flows start [--watch] [--patients N] [--changes R] [--port P] [--log-format pretty|json]',
  options: {
    watch: {
      type: 'boolean',
      description: 'keep running: timers poll on NHSFLOWS_CDC_SCHEDULE until Ctrl-C',
    },
    patients: {
      type: 'string',
      description:
        'synthetic patients to seed when the source is empty (default NHSFLOWS_SYNTHETIC_PATIENTS)',
    },
    changes: {
      type: 'string',
      description: 'apply one round of simulated source changes to this share of rows (0–1) before polling',
    },
    port: { type: 'string', description: 'loopback port of the HTTP endpoints (default: a free port)' },
    'log-format': {
      type: 'string',
      description:
        'pretty: live progress per stage, JSON log lines only in <data dir>/logs/; json: JSON log lines on stdout too, no live progress (default: pretty on a terminal, json otherwise)',
    },
  },
  run: async (args: ParsedArgs, io: CliIo) => {
    const logFormat = resolveLogFormat(args.values['log-format'], {
      stdout: process.stdout.isTTY === true,
      stderr: process.stderr.isTTY === true,
    });
    const { settings, dataDir } = localSettings();
    const patients = args.values.patients
      ? Number(args.values.patients)
      : settings.NHSFLOWS_SYNTHETIC_PATIENTS;
    const changes = args.values.changes ? Number(args.values.changes) : 0;
    if (!Number.isInteger(patients) || patients < 1)
      throw new Error(
        `--patients: expected a positive whole number, received '${String(args.values.patients)}'`,
      );
    if (!Number.isFinite(changes) || changes < 0 || changes > 1)
      throw new Error(
        `--changes: expected a share between 0 and 1, received '${String(args.values.changes)}'`,
      );
    if (settings.NHSFLOWS_EVENTS_KIND !== 'local')
      throw new Error(
        'nhs-flows start runs on the local event log: NHSFLOWS_EVENTS_KIND=local (NHSFLOWS_SOURCE_KIND embedded or mssql)',
      );
    if (
      settings.NHSFLOWS_SOURCE_KIND === 'mssql' &&
      (args.values.patients !== undefined || args.values.changes !== undefined)
    )
      throw new Error(
        '--patients and --changes act on the synthetic embedded source; with NHSFLOWS_SOURCE_KIND=mssql nhs-flows start polls your SQL Server as it is (docs/sources.md)',
      );
    // Before anything starts: a second start over a running host's data dir stops here, plainly.
    const lock = acquireHostLock(dataDir);
    try {
      return await runStart(args, io, { logFormat, patients, changes, lock });
    } catch (error) {
      if (!(error instanceof SourceSeedError) && !isSourceOpenFailure(error)) throw error;
      io.err(`nhs-flows start: ${error.message}`);
      return 2;
    } finally {
      lock.release();
    }
  },
};

async function runStart(
  args: ParsedArgs,
  io: CliIo,
  options: {
    logFormat: ReturnType<typeof resolveLogFormat>;
    patients: number;
    changes: number;
    lock: ReturnType<typeof acquireHostLock>;
  },
): Promise<number> {
  const { logFormat, patients, changes } = options;
  const env = await openLocalEnvironment();
  let runLog: ReturnType<typeof openRunLog> | undefined;
  let restoreLogs = (): void => undefined;
  let readServer: HostReadServer | undefined;
  let failed = false;
  try {
    const started = Date.now();
    const log = openRunLog({
      dataDir: env.dataDir,
      format: logFormat,
      startedAt: new Date(started),
      stdout: (line) => io.out(line.trimEnd()),
    });
    runLog = log;
    // Pretty: the JSON lines stay in the file, but warnings and errors (the local-secrets warning,
    // a failed batch) also get one console line, above the live progress while it is drawn.
    let display: ProgressDisplay | undefined;
    const echo = (record: LogRecord): void => {
      const line = logFormat === 'pretty' ? consoleLine(record) : undefined;
      if (line === undefined) return;
      if (display) display.log(line);
      else io.err(line);
    };
    restoreLogs = routeLogs({ write: log.write, observe: echo });
    io.err(`log: ${log.path}${logFormat === 'json' ? ' (JSON lines, also on stdout)' : ''}`);
    const s = await services();
    let token = '';
    readServer = await startHostReadServer({
      token: () => token,
      exportTable: async (table, limit, write, onWithheld) =>
        writeTableCsv(await s.pipeline.warehouse(), table, limit, write, {
          optOut: await loadOptOutApplication(s.pipeline),
          onWithheld,
        }),
      dashboard: async (project) =>
        (await dashboardFromWarehouse(await s.pipeline.warehouse(), project)).html,
    });
    token = options.lock.publishReadEndpoint(readServer.port);
    // The embedded source is seeded (atomically) before the capture services open it; a SQL
    // Server source is the user's own and is never seeded.
    const ownSource = env.settings.NHSFLOWS_SOURCE_KIND === 'mssql';
    const prepared = ownSource
      ? undefined
      : await prepareSyntheticSource({
          dataDir: env.dataDir,
          patients,
          patientsAsked: args.values.patients !== undefined,
          seed: env.settings.NHSFLOWS_SEED,
          logger: s.logger,
        });
    if (prepared) io.err(prepared.summary);
    else io.err(sqlServerSourceSummary(env.settings));
    const capture = await s.capture();
    if (!capture.eventLog || (!ownSource && !capture.embedded))
      throw new Error(
        'nhs-flows start runs on the local event log with the embedded or a SQL Server source: NHSFLOWS_EVENTS_KIND=local, NHSFLOWS_SOURCE_KIND=embedded or mssql',
      );
    if (prepared && capture.embedded && !prepared.seeded && changes > 0)
      io.err(
        await simulateSourceChanges(capture.embedded, {
          // The change stream of the population the source holds, whatever --patients says.
          patients: prepared.population.patients,
          seed: prepared.population.seed,
          rate: changes,
          dataDir: env.dataDir,
        }),
      );
    // One-shot run: the schedules are switched off and the poller and marts refresh are fired once
    // each, so nothing (a past-due timer, say) polls twice at the same moment.
    const { host, registry } = await openLocalFunctionsHost(env, {
      logger: s.logger,
      eventLog: capture.eventLog,
      httpPort: args.values.port ? Number(args.values.port) : 0,
      disabledFunctions: ONE_SHOT_TIMERS,
    });
    let status;
    let hostStatus;
    try {
      await host.start();
      io.err(`local Functions host on ${host.origin ?? '(no http)'}: health at /api/health`);
      // Progress counts from here: rates leave out Azurite's start and the seeding.
      const tracker = new ProgressTracker(Date.now());
      routeLogs({
        write: log.write,
        observe: (record, at) => {
          tracker.observe(record, at);
          echo(record);
        },
      });
      if (logFormat === 'pretty')
        display = startProgressDisplay(() => tracker.progress, { stream: process.stderr });
      try {
        await runOneShot(host, registry, { lastProgressAt: () => tracker.progress.lastEventAt });
      } catch (error) {
        throw new Error(
          `${error instanceof Error ? error.message : String(error)}; the run log is ${log.path}`,
          { cause: error },
        );
      } finally {
        display?.stop();
        display = undefined;
      }
      const pipelineEnded = Date.now();
      status = await pipelineStatus(s.pipeline);
      io.out(renderStatus(status));
      io.out(await renderMarts(s.pipeline));
      hostStatus = host.status();
      io.out(
        `orchestrations: ${
          Object.entries(hostStatus.instances)
            .map(([k, v]) => `${k} ${v}`)
            .join(', ') || 'none'
        }`,
      );
      for (const f of hostStatus.lastFailures) io.out(`failed: ${f.name} ${f.instanceId}: ${f.message}`);
      io.out('');
      io.out(renderProgressSummary(tracker.progress, pipelineEnded));
      io.out(
        `done: wall time ${formatDuration((Date.now() - started) / 1000)}; log: ${log.path}; inspect with: nhs-flows export --list, nhs-flows dq`,
      );
    } finally {
      await host.stop();
    }
    if (args.values.watch === true) {
      // Ctrl-C (or SIGTERM) from here on stops the watching host cleanly.
      const stopRequested = new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      const watching = await openLocalFunctionsHost(env, {
        logger: s.logger,
        eventLog: capture.eventLog,
        httpPort: args.values.port ? Number(args.values.port) : 0,
      });
      await watching.host.start();
      io.err(
        `watching on ${watching.host.origin ?? ''}: ${watching.registry.functions.size} functions; the CDC poller runs on '${env.settings.NHSFLOWS_CDC_SCHEDULE}' and the marts refresh on '${env.settings.NHSFLOWS_MARTS_SCHEDULE}' (NCRONTAB, UTC); health at /api/health; Ctrl-C stops everything cleanly; log: ${log.path}`,
      );
      await stopRequested;
      io.err('stopping: waiting for running functions, then Azurite');
      await watching.host.stop();
    }
    return status.failures.length > 0 || hostStatus.lastFailures.length > 0 ? 1 : 0;
  } catch (error) {
    failed = true;
    throw error;
  } finally {
    // Every step runs even when an earlier one fails: Azurite must not outlive a failed start. A
    // failed run reports its own error, not a cleanup's (closing services whose opening failed).
    await settle(failed, [
      async () => readServer?.close(),
      resetServices,
      () => env.stop(),
      async () => restoreLogs(),
      async () => runLog?.close(),
    ]);
  }
}

/**
 * The SQL Server source could not be opened (unreachable, login failed, no connection string in
 * the local secrets): the message names the secret and setting, never the string itself.
 */
function isSourceOpenFailure(error: unknown): error is InfrastructureError {
  return (
    error instanceof InfrastructureError &&
    (error.code.startsWith('SOURCE_') || error.code === 'SECRET_NOT_FOUND')
  );
}

/** What `start` says about a SQL Server source before it connects (names, never the connection string). */
export function sqlServerSourceSummary(settings: LocalSettings): string {
  const tables = settings.NHSFLOWS_CDC_TABLES ?? 'every built-in source table';
  const ct = settings.NHSFLOWS_SOURCE_MSSQL_CHANGE_TRACKING_TABLES;
  const names = settings.NHSFLOWS_SOURCE_MSSQL_TABLE_MAP
    ? ` (source names from the table map ${settings.NHSFLOWS_SOURCE_MSSQL_TABLE_MAP})`
    : '';
  return `source: your SQL Server (connection string from secret '${settings.NHSFLOWS_SOURCE_MSSQL_SECRET}' of the local secrets file or ${envNameForSecret(settings.NHSFLOWS_SOURCE_MSSQL_SECRET)}); tables: ${tables}${names}; change versions from ${ct ? `Change Tracking for ${ct}, a rowversion column otherwise` : 'a rowversion column (no Change Tracking tables set)'}; snapshot isolation ${settings.NHSFLOWS_SOURCE_MSSQL_SNAPSHOT ? 'on' : 'off'}; nothing is seeded`;
}

/** Runs every cleanup step in order; rethrows the first failure once all have run (unless `quiet`). */
async function settle(quiet: boolean, steps: readonly (() => Promise<unknown>)[]): Promise<void> {
  let first: Error | undefined;
  for (const step of steps) {
    try {
      await step();
    } catch (error) {
      first ??= error instanceof Error ? error : new Error(String(error));
    }
  }
  if (first !== undefined && !quiet) throw first;
}
