import { z } from 'zod';
import { SOURCE_TABLE_NAMES } from '../domain/datasets/source-tables.js';
import { ConfigError } from '../domain/errors.js';
import { parseOptOutExemptions } from '../domain/opt-out/opt-out-list.js';

/**
 * Every setting the app reads, in one schema. Parsed once at start (`loadSettings`); a bad or
 * missing setting fails with one message naming each problem. The result is frozen.
 * `local.settings.sample.json` lists every key; README's configuration table documents them.
 */
const nonEmpty = z.string().trim().min(1);
const port = z.coerce.number().int().min(0).max(65535);
const boolish = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');

/**
 * Capture names: declared tables, or names of source feeds (shared/domain/capture/source-feeds.ts),
 * which are checked against NHSFLOWS_SOURCE_MSSQL_TABLE_MAP when the source opens.
 */
const captureNameList = nonEmpty.superRefine((value, ctx) => {
  const unknown = value
    .split(',')
    .map((t) => t.trim())
    .filter(
      (t) => t && !(SOURCE_TABLE_NAMES as readonly string[]).includes(t) && !/^[a-z][a-z0-9_]{0,62}$/.test(t),
    );
  if (unknown.length > 0)
    ctx.addIssue({
      code: 'custom',
      message: `names unknown tables: ${unknown.join(', ')} (expected a comma-separated list of ${SOURCE_TABLE_NAMES.join(', ')}, or of source feed names)`,
    });
});

/** The settings read in both modes. */
const commonSettings = {
  /** Folder for local state: Azurite data, embedded databases, durable history (git-ignored). */
  NHSFLOWS_DATA_DIR: nonEmpty.default('.data'),
  /** Storage for the lake (Blob API of the ADLS Gen2 account). Connection string locally. */
  NHSFLOWS_LAKE_CONNECTION: nonEmpty.optional(),
  /** Or, on Azure, the account URL used with managed identity (preferred). */
  NHSFLOWS_LAKE_ACCOUNT_URL: z.url().optional(),
  /** Table storage for state (watermarks, hash state, SCD2 current rows, ledger). */
  NHSFLOWS_STATE_CONNECTION: nonEmpty.optional(),
  NHSFLOWS_STATE_TABLE_URL: z.url().optional(),
  /** Change source: 'embedded' (DuckDB file in the data dir) or 'mssql'. */
  NHSFLOWS_SOURCE_KIND: z.enum(['embedded', 'mssql']).default('embedded'),
  /** Name of the secret holding the SQL Server connection string (mssql source). */
  NHSFLOWS_SOURCE_MSSQL_SECRET: nonEmpty.default('source-sql-connection'),
  /** Source tables the CDC poller captures (comma-separated); default every declared table. */
  NHSFLOWS_CDC_TABLES: captureNameList.optional(),
  /** NCRONTAB schedule of the CDC poller timer. */
  NHSFLOWS_CDC_SCHEDULE: nonEmpty.default('0 */5 * * * *'),
  /** NCRONTAB schedule of the marts refresh (pathway facts, DQ scorecard). */
  NHSFLOWS_MARTS_SCHEDULE: nonEmpty.default('0 30 * * * *'),
  /**
   * Marts: a discharged spell whose price (tariff) is above this many GBP is a high-cost inpatient
   * spell (besides the top decile of its trust-month); a project choice, not an NHS figure (docs/marts.md).
   */
  NHSFLOWS_HIGH_COST_SPELL_GBP: z.coerce.number().min(0).max(10_000_000).default(5_000),
  /** Marts: A&E attendances in 12 months (any provider) that make a frequent attender (docs/marts.md). */
  NHSFLOWS_FREQUENT_ATTENDER_MIN: z.coerce.number().int().min(2).max(365).default(5),
  /**
   * OpenLineage endpoint every activity's run events are also POSTed to (the full URL, e.g.
   * `http://marquez:5000/api/v1/lineage`); unset (the default): events go to the lake only (docs/lineage.md).
   */
  NHSFLOWS_LINEAGE_URL: z.url().optional(),
  /**
   * NCRONTAB schedule of the source-to-gold reconciliation (docs/reconciliation.md). The one-shot
   * `nhs-flows start` never fires it; `nhs-flows reconcile` runs it on demand.
   */
  NHSFLOWS_RECONCILE_SCHEDULE: nonEmpty.default('0 0 3 * * *'),
  /**
   * NCRONTAB schedule of the OMOP CDM v5.4 export to the lake (`omop/run=<runId>/`, docs/omop.md);
   * `nhs-flows omop` writes the same to a directory on demand.
   */
  NHSFLOWS_OMOP_SCHEDULE: nonEmpty.default('0 0 4 * * 0'),
  /** Rows per captured page and per published event batch. */
  NHSFLOWS_CDC_BATCH_SIZE: z.coerce.number().int().min(1).max(100_000).default(25_000),
  /**
   * A poll's publish of at least this many deltas (an initial snapshot's page, a large full scan)
   * goes to bronze as delta files of up to NHSFLOWS_CHUNK_SIZE deltas, one small reference event per
   * file on the transport (docs/adr/0019-delta-files.md); smaller publishes go inline. 0: all inline.
   */
  NHSFLOWS_CDC_FILE_MIN_DELTAS: z.coerce.number().int().min(0).max(1_000_000).default(1_000),
  /** A poll that would delete more than this share of a table publishes nothing and alerts. */
  NHSFLOWS_CDC_MAX_DELETE_SHARE: z.coerce.number().min(0).max(1).default(0.1),
  /** Event transport: 'local' (durable local log) or 'eventhubs'. */
  NHSFLOWS_EVENTS_KIND: z.enum(['local', 'eventhubs']).default('local'),
  /** Event Hubs fully qualified namespace (managed identity) or a connection string. */
  NHSFLOWS_EVENTHUB_NAMESPACE: nonEmpty.optional(),
  NHSFLOWS_EVENTHUB_CONNECTION: nonEmpty.optional(),
  NHSFLOWS_EVENTHUB_NAME: nonEmpty.default('nhs-flows-cdc'),
  /** Secrets: Key Vault URL (required on Azure; optional locally, else the local secrets file). */
  NHSFLOWS_KEYVAULT_URL: z.url().optional(),
  /** Name of the pseudonymisation master key secret. */
  NHSFLOWS_PSEUDO_KEY_SECRET: nonEmpty.default('pseudonymisation-master-key'),
  /** Role allowed to call re-identification; empty = the function is off (default). */
  NHSFLOWS_REIDENTIFICATION_ROLE: z.string().default(''),
  /**
   * Role a caller must hold to rotate or re-key the pseudonymisation keys and to import the National
   * Data Opt-out list; empty = whoever reaches the admin commands and endpoints (the local operator;
   * on Azure, Bicep sets a role).
   */
  NHSFLOWS_KEY_CUSTODIAN_ROLE: z.string().default(''),
  /**
   * National Data Opt-out: projects whose flows are not filtered, as `<project>=<basis>` pairs,
   * comma-separated, basis `direct-care` or `legal-exemption` (`careflow=direct-care`). Empty (the
   * default): every project's published marts and exports exclude opted-out patients (docs/opt-out.md).
   */
  NHSFLOWS_OPT_OUT_EXEMPTIONS: z
    .string()
    .default('')
    .superRefine((value, ctx) => {
      const parsed = parseOptOutExemptions(value);
      if (!parsed.ok) for (const message of parsed.problems) ctx.addIssue({ code: 'custom', message });
    }),
  /**
   * The projects file (docs/projects.md): the client projects with their datasets, pseudonym
   * domains, marts, opt-out exemptions and API clients, checked at start. Unset: the shipped
   * `projects/projects.json`, which the build bundles (`dist/projects/`, in the Function App package).
   */
  NHSFLOWS_PROJECTS_FILE: nonEmpty.optional(),
  /**
   * Data API (docs/api.md): the Entra ID tenant whose access tokens are accepted, and the audience
   * they must be issued for (the data API's app ID URI or client id). Both empty (the default): only
   * named API keys are accepted; one without the other is refused.
   */
  NHSFLOWS_DATA_API_TENANT_ID: z
    .string()
    .trim()
    .regex(/^([0-9A-Za-z][0-9A-Za-z.-]*)?$/, 'an Entra ID tenant id (a GUID) or empty')
    .default(''),
  NHSFLOWS_DATA_API_AUDIENCE: z.string().trim().default(''),
  /** Warehouse: 'duckdb' (embedded, local) or 'synapse'. */
  NHSFLOWS_WAREHOUSE_KIND: z.enum(['duckdb', 'synapse']).default('duckdb'),
  NHSFLOWS_SYNAPSE_SECRET: nonEmpty.default('synapse-sql-connection'),
  /** Storage URL Synapse COPY INTO reads the gold files from (abfss://gold@account.dfs.core.windows.net). */
  NHSFLOWS_SYNAPSE_GOLD_URL: nonEmpty.optional(),
  /** Both SQL pools (Synapse, source SQL Server): ms to open a connection, ms one request may run
   *  (COPY INTO and a large apply need minutes; mssql's own default is 15 s), and attempts per
   *  statement batch on transient errors only (docs/warehouse-apply.md § Timeouts and retries). */
  NHSFLOWS_SQL_CONNECTION_TIMEOUT_MS: z.coerce.number().int().min(1_000).max(600_000).default(30_000),
  NHSFLOWS_SQL_REQUEST_TIMEOUT_MS: z.coerce.number().int().min(1_000).max(3_600_000).default(1_200_000),
  NHSFLOWS_SQL_RETRY_ATTEMPTS: z.coerce.number().int().min(1).max(10).default(4),
  /** Rows Synapse COPY INTO may reject per load (MAXERRORS); 0 = any rejected row fails the load. */
  NHSFLOWS_SYNAPSE_COPY_MAX_ERRORS: z.coerce.number().int().min(0).max(1_000_000).default(0),
  /** Source SQL Server: read changes under SNAPSHOT isolation (needs ALLOW_SNAPSHOT_ISOLATION ON). */
  NHSFLOWS_SOURCE_MSSQL_SNAPSHOT: boolish.default(false),
  /** Source tables whose change version comes from SQL Server Change Tracking (comma-separated). */
  NHSFLOWS_SOURCE_MSSQL_CHANGE_TRACKING_TABLES: nonEmpty.optional(),
  /**
   * Path of a JSON file placing declared source tables in the user's SQL Server under other table
   * and column names (source-table-map.ts, docs/sources.md); unset: `dbo.<table>`, declared names.
   */
  NHSFLOWS_SOURCE_MSSQL_TABLE_MAP: nonEmpty.optional(),
  /** Max records per chunk in the orchestrator fan-out, and max chunks per sub-orchestration. */
  NHSFLOWS_CHUNK_SIZE: z.coerce.number().int().min(100).max(1_000_000).default(50_000),
  NHSFLOWS_MAX_FANOUT: z.coerce.number().int().min(1).max(1_000).default(500),
  /**
   * How long a landing file of a table that requires a supplier manifest (landing-policy.ts) waits
   * for its `<file>.manifest.json` before it is rejected whole (FILE.MANIFEST_MISSING).
   */
  NHSFLOWS_LANDING_MANIFEST_WAIT_MINUTES: z.coerce.number().int().min(1).max(10_080).default(60),
  /** Poison queue the failed batches go to, for replay. */
  NHSFLOWS_POISON_QUEUE: nonEmpty.default('nhs-flows-batches-poison'),
  APPLICATIONINSIGHTS_CONNECTION_STRING: nonEmpty.optional(),
  NHSFLOWS_LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
  NHSFLOWS_TELEMETRY_DISABLED: boolish.default(false),
};

/** Settings read in local mode only (the local runner, its Azurite, the synthetic population). */
const localOnlySettings = {
  /** Azurite ports used by the local runner (0 = pick free ports). */
  NHSFLOWS_AZURITE_BLOB_PORT: port.default(0),
  NHSFLOWS_AZURITE_QUEUE_PORT: port.default(0),
  NHSFLOWS_AZURITE_TABLE_PORT: port.default(0),
  /** Locally, without NHSFLOWS_KEYVAULT_URL: a JSON file of secret name → value (git-ignored). */
  NHSFLOWS_LOCAL_SECRETS_FILE: nonEmpty.default('.data/local-secrets.json'),
  /** Local host only: worker threads running activities (0 = all in the main thread). */
  NHSFLOWS_LOCAL_ACTIVITY_WORKERS: z.coerce.number().int().min(0).max(16).default(2),
  /** Seed and size of the synthetic population the local run generates. */
  NHSFLOWS_SEED: z.coerce.number().int().default(42),
  NHSFLOWS_SYNTHETIC_PATIENTS: z.coerce.number().int().min(10).max(5_000_000).default(2_000),
};

/** 'local' = embedded default (Azurite, embedded source DB, local runtime, DuckDB). */
export const localSettingsSchema = z.object({
  NHSFLOWS_MODE: z.literal('local'),
  ...commonSettings,
  ...localOnlySettings,
});

/**
 * 'azure' = the Function App: Key Vault, Synapse and the gold URL it loads from are required; the
 * local-only settings are not part of this shape (set there, they are reported and ignored).
 */
export const azureSettingsSchema = z.object({
  NHSFLOWS_MODE: z.literal('azure'),
  ...commonSettings,
  NHSFLOWS_KEYVAULT_URL: z.url(),
  NHSFLOWS_WAREHOUSE_KIND: z.literal('synapse'),
  NHSFLOWS_SYNAPSE_GOLD_URL: nonEmpty,
});

/** Every setting, one shape per mode (discriminated by NHSFLOWS_MODE, 'local' when unset). */
export const settingsSchema = z.discriminatedUnion('NHSFLOWS_MODE', [
  localSettingsSchema,
  azureSettingsSchema,
]);

const LOCAL_ONLY_KEYS = Object.keys(localOnlySettings);
const ALL_KEYS = [
  ...new Set([...Object.keys(localSettingsSchema.shape), ...Object.keys(azureSettingsSchema.shape)]),
];

/**
 * Checks that span settings. They run on the raw values, so they are reported together with any
 * malformed single setting instead of after it is fixed.
 */
function crossSettingProblems(raw: Readonly<Record<string, string>>): string[] {
  const problems: string[] = [];
  const mode = raw.NHSFLOWS_MODE ?? 'local';
  if (mode === 'azure') {
    if (!raw.NHSFLOWS_LAKE_CONNECTION && !raw.NHSFLOWS_LAKE_ACCOUNT_URL)
      problems.push('NHSFLOWS_LAKE_ACCOUNT_URL: required in azure mode (or NHSFLOWS_LAKE_CONNECTION)');
    if (!raw.NHSFLOWS_STATE_CONNECTION && !raw.NHSFLOWS_STATE_TABLE_URL)
      problems.push('NHSFLOWS_STATE_TABLE_URL: required in azure mode (or NHSFLOWS_STATE_CONNECTION)');
    if (!raw.NHSFLOWS_KEYVAULT_URL)
      problems.push(
        'NHSFLOWS_KEYVAULT_URL: required in azure mode: keys never come from a local file on Azure',
      );
    // The embedded warehouse is a file on one instance's disk: lost on scale-in, different per instance.
    if ((raw.NHSFLOWS_WAREHOUSE_KIND ?? 'duckdb') !== 'synapse')
      problems.push(
        `NHSFLOWS_WAREHOUSE_KIND: expected 'synapse' in azure mode (a shared dedicated SQL pool), received '${raw.NHSFLOWS_WAREHOUSE_KIND ?? 'duckdb'}': the embedded DuckDB warehouse is local only`,
      );
  }
  if (
    raw.NHSFLOWS_EVENTS_KIND === 'eventhubs' &&
    !raw.NHSFLOWS_EVENTHUB_NAMESPACE &&
    !raw.NHSFLOWS_EVENTHUB_CONNECTION
  )
    problems.push(
      'NHSFLOWS_EVENTHUB_NAMESPACE: required when NHSFLOWS_EVENTS_KIND=eventhubs (or NHSFLOWS_EVENTHUB_CONNECTION)',
    );
  // A name that is no declared table can only be a source feed's, and feeds need the table map file.
  const notDeclared = (raw.NHSFLOWS_CDC_TABLES ?? '')
    .split(',')
    .map((t) => t.trim())
    .filter((t) => t && !(SOURCE_TABLE_NAMES as readonly string[]).includes(t));
  if (notDeclared.length > 0 && !raw.NHSFLOWS_SOURCE_MSSQL_TABLE_MAP)
    problems.push(
      `NHSFLOWS_CDC_TABLES: names unknown tables: ${notDeclared.join(', ')} (expected a comma-separated list of ${SOURCE_TABLE_NAMES.join(', ')}; a source feed's name needs the NHSFLOWS_SOURCE_MSSQL_TABLE_MAP file that declares it)`,
    );
  if (!raw.NHSFLOWS_DATA_API_TENANT_ID !== !raw.NHSFLOWS_DATA_API_AUDIENCE)
    problems.push(
      'NHSFLOWS_DATA_API_TENANT_ID and NHSFLOWS_DATA_API_AUDIENCE: set both (Entra ID tokens accepted by the data API) or neither',
    );
  if (raw.NHSFLOWS_WAREHOUSE_KIND === 'synapse' && !raw.NHSFLOWS_SYNAPSE_GOLD_URL)
    problems.push('NHSFLOWS_SYNAPSE_GOLD_URL: required when NHSFLOWS_WAREHOUSE_KIND=synapse');
  return problems;
}

export type LocalSettings = Readonly<z.infer<typeof localSettingsSchema>>;
export type AzureSettings = Readonly<z.infer<typeof azureSettingsSchema>>;
/** Narrow on `NHSFLOWS_MODE` to read a mode's own settings. */
export type Settings = LocalSettings | AzureSettings;

/** Parses settings from an environment-like record; throws `ConfigError` listing every problem. */
export function loadSettings(env: Readonly<Record<string, string | undefined>>): Settings {
  const picked: Record<string, string> = {};
  for (const key of ALL_KEYS) {
    const value = env[key];
    if (value !== undefined && value !== '') picked[key] = value;
  }
  picked.NHSFLOWS_MODE ??= 'local';
  if (picked.NHSFLOWS_MODE === 'azure') for (const key of LOCAL_ONLY_KEYS) delete picked[key];
  const parsed = settingsSchema.safeParse(picked);
  const cross = crossSettingProblems(picked);
  // A setting the cross-setting checks already explain is not reported twice.
  const explained = new Set(cross.map((p) => p.slice(0, p.indexOf(':'))));
  const problems = [
    ...(parsed.success
      ? []
      : parsed.error.issues
          .filter((issue) => !explained.has(String(issue.path[0])))
          .map((issue) => `${issue.path.join('.') || '(settings)'}: ${issue.message}`)),
    ...cross,
  ];
  if (problems.length > 0 || !parsed.success) throw new ConfigError(problems);
  return Object.freeze(parsed.data);
}

/** Settings of the local runner: `loadSettings`, refusing any mode but local. */
export function loadLocalSettings(env: Readonly<Record<string, string | undefined>>): LocalSettings {
  const settings = loadSettings(env);
  if (settings.NHSFLOWS_MODE !== 'local')
    throw new ConfigError([
      `NHSFLOWS_MODE: expected 'local' for the local runner, received '${settings.NHSFLOWS_MODE}'`,
    ]);
  return settings;
}

/** The keys of every setting, both modes (local.settings.sample.json and the README table are checked against it). */
export function settingKeys(): string[] {
  return [...ALL_KEYS];
}

/**
 * `NHSFLOWS_*` names that are read, but not by the app's settings: the Functions host's own
 * (host.json `%NHSFLOWS_TASK_HUB%`, binding connections `NHSFLOWS_LAKE`, `NHSFLOWS_EVENTHUB` and
 * their identity-based `__…` forms), secrets given to the local secret store (`NHSFLOWS_SECRET_<NAME>`), azd's
 * deployment environment (infra/main.bicep outputs and main.parameters.json) and the test harness.
 */
const READ_ELSEWHERE = [
  /^NHSFLOWS_TASK_HUB$/,
  /^NHSFLOWS_(LAKE|EVENTHUB)(__|$)/,
  /^NHSFLOWS_SECRET_/,
  /^NHSFLOWS_(LAKE_EVENTS_TOPIC|KEYVAULT_NAME|SYNAPSE_SQL_ENDPOINT|IDENTITY_NAME|ONCALL_EMAIL)$/,
  /^NHSFLOWS_ADMIN_(API_CLIENT_ID|GROUP_NAME|GROUP_OBJECT_ID)$/,
  /^NHSFLOWS_(TEST_|LIVE$|BENCH_)/,
];

/** A setting name nobody reads (a typo, a setting that was removed), and the known key it is closest to. */
export interface UnknownSetting {
  readonly key: string;
  readonly closest: string;
  /** For the log: names the key and its closest known key, never the value. */
  readonly message: string;
}

/**
 * Every `NHSFLOWS_*` key in the environment the app does not know, with the closest known key
 * (edit distance); a local-only setting set in azure mode is reported as ignored. Values are never
 * read. Reported as warnings at start (a typo would otherwise silently leave the default in force).
 */
export function unknownSettings(env: Readonly<Record<string, string | undefined>>): UnknownSetting[] {
  const azure = env.NHSFLOWS_MODE === 'azure';
  const found: UnknownSetting[] = [];
  for (const key of Object.keys(env).sort()) {
    if (!key.startsWith('NHSFLOWS_') || READ_ELSEWHERE.some((p) => p.test(key))) continue;
    if (azure && LOCAL_ONLY_KEYS.includes(key)) {
      found.push({
        key,
        closest: key,
        message: `setting ${key} is read in local mode only; ignored in azure mode`,
      });
      continue;
    }
    if (ALL_KEYS.includes(key)) continue;
    const closest = closestKey(key, ALL_KEYS);
    found.push({
      key,
      closest,
      message: `unknown setting ${key} is ignored; the closest known setting is ${closest}`,
    });
  }
  return found;
}

function closestKey(key: string, known: readonly string[]): string {
  let best = known[0] ?? '';
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of known) {
    const d = editDistance(key, candidate);
    if (d < bestDistance) [best, bestDistance] = [candidate, d];
  }
  return best;
}

/** Levenshtein distance (insert, delete, substitute), one row at a time. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++)
      current[j] = Math.min(
        previous[j]! + 1,
        current[j - 1]! + 1,
        previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    previous = current;
  }
  return previous[b.length]!;
}
