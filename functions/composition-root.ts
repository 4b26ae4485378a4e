import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { isMainThread } from 'node:worker_threads';
import { DefaultAzureCredential } from '@azure/identity';
import { loadSettings, unknownSettings, type Settings } from '../shared/config/settings.schema.js';
import { BlobObjectStore } from '../shared/adapters/azure/blob-object-store.azure.js';
import { TableStateStore } from '../shared/adapters/azure/table-state-store.azure.js';
import { StorageMessageQueue } from '../shared/adapters/azure/storage-queue.azure.js';
import { KeyVaultSecretStore } from '../shared/adapters/azure/key-vault-secret-store.azure.js';
import { AppInsightsTelemetry } from '../shared/adapters/azure/app-insights-telemetry.azure.js';
import { invocationLogSink } from '../shared/adapters/azure/invocation-log.azure.js';
import { SynapseWarehouse } from '../shared/adapters/azure/synapse-warehouse.azure.js';
import { LocalSecretStore } from '../shared/adapters/local/local-secret-store.js';
import { DuckDbWarehouse } from '../shared/adapters/local/duckdb-warehouse.js';
import { DuckDbParquetLake } from '../shared/adapters/parquet/duckdb-parquet-lake.js';
import { loadReferenceData } from '../shared/adapters/local/reference-data.loader.js';
import { useProjectsFile } from '../shared/adapters/local/projects-file.loader.js';
import { systemClock, type Clock } from '../shared/application/ports/clock.port.js';
import {
  createLogger,
  logLevelAtLeast,
  type Logger,
  type LogRecord,
} from '../shared/application/ports/logger.port.js';
import { memoryTelemetry, type Telemetry } from '../shared/application/ports/telemetry.port.js';
import type { Warehouse } from '../shared/application/ports/warehouse.port.js';
import type { SecretStore } from '../shared/application/ports/secret-store.port.js';
import type { SeenEvents } from '../shared/application/ports/seen-events.port.js';
import { ProjectKeyRing } from '../shared/application/use-cases/pseudonymise-keys.js';
import { LakeSeenEvents } from '../shared/application/lake-state/lake-seen-events.js';
import {
  CountingStateStore,
  type StateOperationCounts,
} from '../shared/application/state/counting-state-store.js';
import type { StateStore } from '../shared/application/ports/state-store.port.js';
import type { PipelineDeps } from '../shared/application/use-cases/pipeline/pipeline-deps.js';
import { LAKE_CONTAINERS } from '../shared/domain/lake/lake-paths.js';
import { EventHubsPublisher } from '../shared/adapters/azure/event-hubs-publisher.azure.js';
import { LocalEventLog } from '../shared/adapters/local/event-log/local-event-log.js';
import type { EmbeddedSource } from '../shared/adapters/local/embedded-source/embedded-source.js';
import { openIdleReleasedEmbeddedSource } from '../shared/adapters/local/embedded-source/idle-released-embedded-source.js';
import type { ChangeSource } from '../shared/application/ports/change-source.port.js';
import type { LineageTransport } from '../shared/application/ports/lineage-transport.port.js';
import { openLineageHttpTransport } from '../shared/adapters/azure/openlineage-http.azure.js';
import { LineageDelivery } from '../shared/application/use-cases/lineage/lineage-delivery.js';
import type { EventPublisher } from '../shared/application/ports/event-publisher.port.js';
import { publishingDeltaFiles } from '../shared/application/use-cases/capture/delta-file-publisher.js';
import type { CaptureChangesDeps } from '../shared/application/use-cases/capture/capture-changes.use-case.js';
import { captureTables } from '../shared/application/use-cases/poll-sources.use-case.js';
import type { ResolvedCaptureTable } from '../shared/domain/capture/capture-config.js';
import { openMssqlChangeSource, sourceFeeds, sqlConnectionOptions } from './mssql-source.js';
import { EntraTokenValidator } from '../shared/adapters/azure/entra-token-validator.azure.js';
import type { BearerTokenValidator } from '../shared/application/use-cases/data-api/bearer-token.port.js';

/** Registrations run their handlers with the invocation as the target of the app's logs (functions/observed.ts). */
export { withInvocationLog, type InvocationLogLike } from '../shared/adapters/azure/invocation-log.azure.js';

/** What the CDC poller uses: the change source, the event transport and the tables to capture. */
export interface CaptureServices {
  readonly deps: CaptureChangesDeps;
  readonly tables: readonly ResolvedCaptureTable[];
  /** The embedded source database, when the source is embedded (the generator writes to it). */
  readonly embedded: EmbeddedSource | null;
  /** The durable local event log, when events are local (the local runtime consumes it). */
  readonly eventLog: LocalEventLog | null;
}

/** Everything the function handlers use: built once per process from the settings. */
export interface Services {
  readonly settings: Settings;
  readonly pipeline: PipelineDeps;
  readonly seenEvents: SeenEvents;
  readonly telemetry: Telemetry;
  readonly logger: Logger;
  /** Opened on first use (only the poller needs a source connection). */
  capture(): Promise<CaptureServices>;
  /** Requests made to the state store (Table storage) by this process so far (benchmarks, diagnostics). */
  stateOperations(): StateOperationCounts;
  close(): Promise<void>;
}

/** How long one POST to the OpenLineage endpoint may take before it counts as failed. */
const LINEAGE_POST_TIMEOUT_MS = 2_000;

/**
 * The OpenLineage delivery for an endpoint URL (NHSFLOWS_LINEAGE_URL; docs/lineage.md): posts are
 * queued and made behind the activities' backs, each within a short timeout, and paused by a
 * circuit after repeated failures, so an unreachable endpoint never delays an activity.
 */
export function lineageTransport(
  url: string,
  deps: { readonly clock: Clock; readonly logger: Logger },
): LineageTransport {
  return new LineageDelivery(openLineageHttpTransport({ url, timeoutMs: LINEAGE_POST_TIMEOUT_MS }), deps);
}

let cached: Promise<Services> | undefined;

/**
 * Where the process's log records go. `write` receives each JSON log line (newline-terminated) at or
 * above `NHSFLOWS_LOG_LEVEL`; without it the lines go to stderr. `observe` sees every record at info
 * and above, whatever the level setting, with its timestamp (the CLI's progress display). Read at
 * each record, so a route set after the services were built applies to them too.
 */
export interface LogRoute {
  readonly write?: (line: string) => void;
  readonly observe?: (record: LogRecord, at: Date) => void;
}

let logRoute: LogRoute = {};
const writeStderr = (line: string): void => void process.stderr.write(line);

/** Sends the process's logs along `route` (see {@link LogRoute}); returns a function restoring the previous route. */
export function routeLogs(route: LogRoute): () => void {
  const previous = logRoute;
  logRoute = route;
  return () => {
    logRoute = previous;
  };
}

/** The process's services (built on first use from `process.env`). */
export function services(): Promise<Services> {
  cached ??= buildServices(process.env).catch((error: unknown) => {
    cached = undefined;
    throw error;
  });
  return cached;
}

/** Closes and forgets the services (the local runner between runs; tests). */
export async function resetServices(): Promise<void> {
  const current = cached;
  cached = undefined;
  if (current) await (await current).close();
}

/**
 * Parses the settings once and picks adapters: Azure storage adapters always (Azurite locally —
 * only the connection differs), Key Vault or a local secrets file, App Insights or in-memory
 * telemetry, Synapse or the embedded DuckDB warehouse.
 */
export async function buildServices(env: Readonly<Record<string, string | undefined>>): Promise<Services> {
  const settings = loadSettings(env);
  // The client projects (their datasets, pseudonym domains, marts), before any use case runs.
  useProjectsFile(settings.NHSFLOWS_PROJECTS_FILE);
  const dataDir = resolve(settings.NHSFLOWS_DATA_DIR);
  const scratchDir = join(dataDir, 'scratch');
  mkdirSync(scratchDir, { recursive: true });
  const level = settings.NHSFLOWS_LOG_LEVEL;
  const jsonLines = (record: LogRecord): void => {
    const at = new Date();
    logRoute.observe?.(record, at);
    if (logLevelAtLeast(record.level, level))
      (logRoute.write ?? writeStderr)(
        `${JSON.stringify({ at: at.toISOString(), level: record.level, msg: record.message, ...record.fields })}\n`,
      );
  };
  // On Azure each record goes through its invocation's context (App Insights correlates it with
  // the invocation); outside an invocation, and always locally, JSON lines.
  const logger =
    settings.NHSFLOWS_MODE === 'azure'
      ? createLogger(invocationLogSink(jsonLines), level, { app: 'nhs-flows' })
      : createLogger(
          jsonLines,
          // Info records reach the observer (the CLI's progress) even when the setting is warn or error.
          logLevelAtLeast(level, 'info') ? 'info' : level,
          { app: 'nhs-flows' },
        );
  // A mistyped or retired NHSFLOWS_* key would leave a default silently in force: name it (never its
  // value), once per process (the local host's activity workers build services of their own).
  if (isMainThread)
    for (const unknown of unknownSettings(env))
      logger.warn(unknown.message, { setting: unknown.key, closest: unknown.closest });
  const credential = settings.NHSFLOWS_MODE === 'azure' ? new DefaultAzureCredential() : undefined;
  const lake = settings.NHSFLOWS_LAKE_CONNECTION
    ? BlobObjectStore.fromConnectionString(settings.NHSFLOWS_LAKE_CONNECTION)
    : BlobObjectStore.fromAccountUrl(
        required(settings.NHSFLOWS_LAKE_ACCOUNT_URL, 'NHSFLOWS_LAKE_ACCOUNT_URL'),
        credential ?? new DefaultAzureCredential(),
      );
  // Every state request is counted (one increment per request; see CountingStateStore).
  const state = new CountingStateStore(
    settings.NHSFLOWS_STATE_CONNECTION
      ? TableStateStore.fromConnectionString(settings.NHSFLOWS_STATE_CONNECTION)
      : TableStateStore.fromAccountUrl(
          required(settings.NHSFLOWS_STATE_TABLE_URL, 'NHSFLOWS_STATE_TABLE_URL'),
          credential ?? new DefaultAzureCredential(),
        ),
  );
  const poisonQueue = settings.NHSFLOWS_LAKE_CONNECTION
    ? StorageMessageQueue.fromConnectionString(
        settings.NHSFLOWS_LAKE_CONNECTION,
        settings.NHSFLOWS_POISON_QUEUE,
      )
    : StorageMessageQueue.fromAccountUrl(
        required(settings.NHSFLOWS_LAKE_ACCOUNT_URL, 'NHSFLOWS_LAKE_ACCOUNT_URL').replace(
          '.blob.',
          '.queue.',
        ),
        settings.NHSFLOWS_POISON_QUEUE,
        credential ?? new DefaultAzureCredential(),
      );
  // Azure mode always has a Key Vault URL; local mode may use one instead of the secrets file.
  const secrets: SecretStore =
    settings.NHSFLOWS_MODE === 'azure' || settings.NHSFLOWS_KEYVAULT_URL
      ? KeyVaultSecretStore.fromUrl(
          required(settings.NHSFLOWS_KEYVAULT_URL, 'NHSFLOWS_KEYVAULT_URL'),
          credential ?? new DefaultAzureCredential(),
        )
      : new LocalSecretStore({
          file: resolve(settings.NHSFLOWS_LOCAL_SECRETS_FILE),
          env,
          createIfMissing: [settings.NHSFLOWS_PSEUDO_KEY_SECRET],
          logger,
        });
  const telemetry: Telemetry =
    settings.APPLICATIONINSIGHTS_CONNECTION_STRING && !settings.NHSFLOWS_TELEMETRY_DISABLED
      ? await AppInsightsTelemetry.fromConnectionString(
          settings.APPLICATIONINSIGHTS_CONNECTION_STRING,
          credential,
        )
      : memoryTelemetry();
  let warehouse: Promise<Warehouse> | undefined;
  const openWarehouse = (): Promise<Warehouse> => {
    warehouse ??=
      settings.NHSFLOWS_WAREHOUSE_KIND === 'synapse'
        ? openSynapse(secrets, settings, (paths) => parquet.count('gold', paths))
        : DuckDbWarehouse.open({ path: join(dataDir, 'warehouse.duckdb'), lake });
    return warehouse;
  };
  await lake.ensureContainers(LAKE_CONTAINERS);
  const parquet = new DuckDbParquetLake(lake, scratchDir);
  const seenEvents = new LakeSeenEvents({ lake, parquet, logger }, systemClock);
  const pipeline: PipelineDeps = {
    settings,
    lake,
    state,
    parquet,
    warehouse: openWarehouse,
    secrets,
    keys: new ProjectKeyRing(secrets, settings.NHSFLOWS_PSEUDO_KEY_SECRET),
    poisonQueue,
    reference: loadReferenceData(),
    clock: systemClock,
    logger,
    telemetry,
    scratchDir,
  };
  let capture: Promise<CaptureServices> | undefined;
  const openCapture = (): Promise<CaptureServices> => {
    capture ??= buildCapture(settings, { lake, state, telemetry, logger, dataDir, secrets, credential });
    return capture;
  };
  return {
    settings,
    pipeline,
    seenEvents,
    telemetry,
    logger,
    capture: openCapture,
    stateOperations: () => state.counts(),
    close: async () => {
      if (warehouse) await (await warehouse).close();
      await parquet.close();
      if (capture) {
        const c = await capture;
        await c.deps.publisher.close();
        await c.embedded?.close();
      }
      await telemetry.flush();
    },
  };
}

async function buildCapture(
  settings: Settings,
  ctx: {
    lake: BlobObjectStore;
    state: StateStore;
    telemetry: Telemetry;
    logger: Logger;
    dataDir: string;
    secrets: SecretStore;
    credential: DefaultAzureCredential | undefined;
  },
): Promise<CaptureServices> {
  // Opened while polls use it and released between them, so rows can be changed while a host runs.
  const embedded =
    settings.NHSFLOWS_SOURCE_KIND === 'embedded'
      ? openIdleReleasedEmbeddedSource({ path: join(ctx.dataDir, 'source.duckdb'), clock: systemClock })
      : null;
  const source: ChangeSource = embedded ?? (await openMssqlChangeSource(ctx.secrets, settings));
  const eventLog =
    settings.NHSFLOWS_EVENTS_KIND === 'local'
      ? await LocalEventLog.open({
          directory: join(ctx.dataDir, 'event-log', settings.NHSFLOWS_EVENTHUB_NAME),
          clock: systemClock,
          logger: ctx.logger,
        })
      : null;
  const publisher: EventPublisher =
    eventLog ??
    (settings.NHSFLOWS_EVENTHUB_CONNECTION
      ? EventHubsPublisher.fromConnectionString(
          settings.NHSFLOWS_EVENTHUB_CONNECTION,
          settings.NHSFLOWS_EVENTHUB_NAME,
          { logger: ctx.logger },
        )
      : EventHubsPublisher.fromNamespace(
          required(settings.NHSFLOWS_EVENTHUB_NAMESPACE, 'NHSFLOWS_EVENTHUB_NAMESPACE'),
          settings.NHSFLOWS_EVENTHUB_NAME,
          {
            logger: ctx.logger,
            credential: ctx.credential,
          },
        ));
  const deltaFiles = settings.NHSFLOWS_CDC_FILE_MIN_DELTAS > 0 && publisher.publishFiles !== undefined;
  return {
    deps: {
      source,
      // Large publishes go to bronze as delta files, one small event each (docs/adr/0019).
      publisher: publishingDeltaFiles(publisher, ctx.lake, {
        minDeltas: settings.NHSFLOWS_CDC_FILE_MIN_DELTAS,
        deltasPerFile: settings.NHSFLOWS_CHUNK_SIZE,
      }),
      ...(deltaFiles && { publishSize: settings.NHSFLOWS_CHUNK_SIZE }),
      objects: ctx.lake,
      state: ctx.state,
      clock: systemClock,
      telemetry: ctx.telemetry,
      logger: ctx.logger,
    },
    tables: captureTables(
      settings.NHSFLOWS_CDC_TABLES,
      settings.NHSFLOWS_CDC_BATCH_SIZE,
      settings.NHSFLOWS_CDC_MAX_DELETE_SHARE,
      sourceFeeds(settings),
    ),
    embedded,
    eventLog,
  };
}

async function openSynapse(
  secrets: SecretStore,
  settings: Settings,
  countFileRows: (paths: readonly string[]) => Promise<number>,
): Promise<Warehouse> {
  return SynapseWarehouse.connect(
    await secrets.getSecret(settings.NHSFLOWS_SYNAPSE_SECRET),
    sqlConnectionOptions(settings, settings.NHSFLOWS_SYNAPSE_SECRET),
    {
      goldUrl: required(settings.NHSFLOWS_SYNAPSE_GOLD_URL, 'NHSFLOWS_SYNAPSE_GOLD_URL'),
      maxErrors: settings.NHSFLOWS_SYNAPSE_COPY_MAX_ERRORS,
      countFileRows,
      retry: { attempts: settings.NHSFLOWS_SQL_RETRY_ATTEMPTS },
    },
  );
}

function required(value: string | undefined, name: string): string {
  if (!value) throw new Error(`setting ${name} is required here`);
  return value;
}

/**
 * The data API's Entra ID token validator (the tenant's JWKS, fetched and cached by the adapter),
 * or undefined when no tenant is configured (named API keys only). One per process: keep it.
 */
export function dataApiTokenValidator(settings: Settings): BearerTokenValidator | undefined {
  if (!settings.NHSFLOWS_DATA_API_TENANT_ID || !settings.NHSFLOWS_DATA_API_AUDIENCE) return undefined;
  return new EntraTokenValidator({
    tenantId: settings.NHSFLOWS_DATA_API_TENANT_ID,
    audience: settings.NHSFLOWS_DATA_API_AUDIENCE,
  });
}
