import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { connect } from 'node:net';
import { userInfo } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { loadLocalSettings, type LocalSettings } from '../config/settings.schema.js';
import { LocalSecretStore } from '../adapters/local/local-secret-store.js';
import { memoryLogger } from '../application/ports/logger.port.js';
import { azuriteConnectionString, startAzurite } from '../runtime/local/azurite.js';
import {
  commandLine,
  isRunning,
  processIdentity,
  type ProcessIdentity,
} from '../runtime/local/process-identity.js';

/**
 * The embedded default: merges `local.settings.json` (if present) under the environment, starts
 * Azurite from node_modules on loopback with its data in `<data dir>/azurite` (or reuses the one a
 * running `nhs-flows start` holds), and points every storage connection at it.
 *
 * `<data dir>/azurite.json` names the process that started Azurite (its owner) and Azurite's own
 * process. Azurite stops with its owner (see `startAzurite`); should one still run on this data
 * dir's folder after its owner is gone (an older nhs-flows, or one still saving), the next open
 * stops it before starting another, so two Azurites never share a folder and none is left behind.
 */
export interface LocalEnvironment {
  readonly settings: LocalSettings;
  readonly dataDir: string;
  /**
   * The local admin key (secret `local-admin-key` of the local secrets file, created on first
   * start): every non-anonymous HTTP route and the durable API of the local host require it
   * (`x-functions-key`); the CLI sends it.
   */
  readonly adminKey: string;
  /** The roles the local operator holds (secret `local-operator-role` of the local secrets file; may be empty). */
  readonly operatorRoles: readonly string[];
  readonly connectionString: string;
  /** Process id of the Azurite this environment started, or undefined when it reuses a running one. */
  readonly azuritePid: number | undefined;
  stop(): Promise<void>;
}

const lockSchema = z.object({
  /** The process that started Azurite and stops it. */
  pid: z.number(),
  startTicks: z.string().optional(),
  /** Azurite's own process. */
  azuritePid: z.number().optional(),
  blobPort: z.number(),
  queuePort: z.number(),
  tablePort: z.number(),
});

export function readLocalSettingsFile(cwd = process.cwd()): Record<string, string> {
  const file = join(cwd, 'local.settings.json');
  if (!existsSync(file)) return {};
  const parsed = z
    .object({ Values: z.record(z.string(), z.string()).default({}) })
    .safeParse(JSON.parse(readFileSync(file, 'utf8')));
  if (!parsed.success) throw new Error(`local.settings.json: expected { "Values": { name: string } }`);
  return parsed.data.Values;
}

/**
 * The settings of the embedded default (`local.settings.json` merged under `env`, which receives
 * the merged values) and its resolved data dir, without starting anything.
 */
export function localSettings(env: NodeJS.ProcessEnv = process.env): {
  settings: LocalSettings;
  dataDir: string;
} {
  for (const [k, v] of Object.entries(readLocalSettingsFile()))
    if (env[k] === undefined && v !== '') env[k] = v;
  // The secrets file follows the data dir unless it is set on purpose.
  if (env.NHSFLOWS_LOCAL_SECRETS_FILE === undefined || env.NHSFLOWS_LOCAL_SECRETS_FILE === '')
    env.NHSFLOWS_LOCAL_SECRETS_FILE = join(
      resolve(env.NHSFLOWS_DATA_DIR || '.data'),
      LOCAL_SECRETS_FILE_NAME,
    );
  const settings = loadLocalSettings(env);
  return { settings, dataDir: resolve(settings.NHSFLOWS_DATA_DIR) };
}

/** Who a local operator action is recorded as (audit trail, the local host's principal). */
export function localActor(): string {
  let name = 'unknown';
  try {
    name = userInfo().username || name;
  } catch {
    // no passwd entry (some containers): keep 'unknown'
  }
  return `local:${name}`.slice(0, 256);
}

/** The secrets file's name inside the data dir (when NHSFLOWS_LOCAL_SECRETS_FILE is not set). */
export const LOCAL_SECRETS_FILE_NAME = 'local-secrets.json';
/** Local secret names of the local admin surface. */
export const LOCAL_ADMIN_KEY_SECRET = 'local-admin-key';
export const LOCAL_OPERATOR_ROLE_SECRET = 'local-operator-role';

/**
 * Makes the data dir owner-only (0700, also when it already exists) and the secrets file 0600.
 * Before the secrets file followed the data dir, it lived at `./.data/local-secrets.json`
 * whatever the data dir: a seeded data dir without its own file takes a copy of that one, so its
 * pseudonyms do not change.
 */
export function secureLocalFiles(dataDir: string, secretsFile: string): void {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  chmodSync(dataDir, 0o700);
  mkdirSync(dirname(secretsFile), { recursive: true, mode: 0o700 });
  const legacy = resolve('.data', LOCAL_SECRETS_FILE_NAME);
  const seeded = existsSync(join(dataDir, 'azurite')) || existsSync(join(dataDir, 'source.duckdb'));
  if (!existsSync(secretsFile) && seeded && legacy !== secretsFile && existsSync(legacy))
    copyFileSync(legacy, secretsFile);
  if (existsSync(secretsFile)) chmodSync(secretsFile, 0o600);
}

/** The local admin key and operator roles from the secrets file (the key is created on first use). */
export async function localAdminSecrets(
  secretsFile: string,
): Promise<{ adminKey: string; operatorRoles: string[] }> {
  const store = new LocalSecretStore({
    file: secretsFile,
    createIfMissing: [LOCAL_ADMIN_KEY_SECRET],
    logger: memoryLogger(),
  });
  // base64url: the key travels in a header, a query string and the durable client's RPC path.
  const adminKey = Buffer.from(await store.getSecret(LOCAL_ADMIN_KEY_SECRET), 'base64').toString('base64url');
  let operatorRoles: string[] = [];
  try {
    const roles = await store.getSecret(LOCAL_OPERATOR_ROLE_SECRET);
    operatorRoles = roles
      .split(',')
      .map((r) => r.trim())
      .filter((r) => r !== '');
  } catch {
    // no role named: the operator holds none (re-identification stays refused)
  }
  chmodSync(secretsFile, 0o600);
  return { adminKey, operatorRoles };
}

export async function openLocalEnvironment(
  options: { env?: NodeJS.ProcessEnv } = {},
): Promise<LocalEnvironment> {
  const env = options.env ?? process.env;
  const local = localSettings(env);
  let settings = local.settings;
  const dataDir = local.dataDir;
  const secretsFile = resolve(settings.NHSFLOWS_LOCAL_SECRETS_FILE);
  secureLocalFiles(dataDir, secretsFile);
  const { adminKey, operatorRoles } = await localAdminSecrets(secretsFile);
  const lockFile = join(dataDir, 'azurite.json');
  let stop = async (): Promise<void> => undefined;
  let azuritePid: number | undefined;
  let ports = await reusableAzurite(lockFile);
  if (!ports) {
    await stopOrphanedAzurite(join(dataDir, 'azurite'));
    const azurite = await startAzurite({
      location: join(dataDir, 'azurite'),
      blobPort: settings.NHSFLOWS_AZURITE_BLOB_PORT,
      queuePort: settings.NHSFLOWS_AZURITE_QUEUE_PORT,
      tablePort: settings.NHSFLOWS_AZURITE_TABLE_PORT,
    });
    ports = { blobPort: azurite.blobPort, queuePort: azurite.queuePort, tablePort: azurite.tablePort };
    azuritePid = azurite.pid;
    const owner: ProcessIdentity = processIdentity(process.pid) ?? { pid: process.pid };
    writeFileSync(lockFile, JSON.stringify({ ...owner, azuritePid: azurite.pid, ...ports }));
    stop = async () => {
      await azurite.stop();
      rmSync(lockFile, { force: true });
    };
  }
  const connectionString = azuriteConnectionString(ports);
  for (const key of ['NHSFLOWS_LAKE_CONNECTION', 'NHSFLOWS_STATE_CONNECTION', 'AzureWebJobsStorage']) {
    if (!env[key] || env[key] === 'UseDevelopmentStorage=true') env[key] = connectionString;
  }
  try {
    settings = loadLocalSettings(env);
  } catch (error) {
    await stop();
    throw error;
  }
  // Binding expressions (%NHSFLOWS_CDC_SCHEDULE%, %NHSFLOWS_EVENTHUB_NAME%) resolve from app settings,
  // as they would from local.settings.json: publish every effective setting, defaults included.
  for (const [key, value] of Object.entries(settings))
    if (env[key] === undefined && value !== undefined) env[key] = String(value);
  return { settings, dataDir, adminKey, operatorRoles, connectionString, azuritePid, stop };
}

async function reusableAzurite(
  lockFile: string,
): Promise<{ blobPort: number; queuePort: number; tablePort: number } | undefined> {
  if (!existsSync(lockFile)) return undefined;
  const parsed = lockSchema.safeParse(JSON.parse(readFileSync(lockFile, 'utf8')));
  if (!parsed.success) return undefined;
  const { pid, startTicks, blobPort, queuePort, tablePort } = parsed.data;
  const owner: ProcessIdentity = startTicks === undefined ? { pid } : { pid, startTicks };
  if (pid === process.pid || !isRunning(owner) || !(await listening(blobPort))) {
    rmSync(lockFile, { force: true });
    return undefined;
  }
  return { blobPort, queuePort, tablePort };
}

/**
 * Stops every Azurite process serving `location` (found by command line in /proc; Linux only):
 * called when no live owner holds this data dir's Azurite, so any such process is an orphan (or
 * one still saving after its owner died). SIGTERM lets it save; SIGKILL after 10 s.
 */
async function stopOrphanedAzurite(location: string): Promise<void> {
  if (!existsSync('/proc/self/cmdline')) return;
  const orphans: ProcessIdentity[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    const args = commandLine(Number(entry));
    if (!args?.some((a) => /azurite/.test(a))) continue;
    const at = args.indexOf('--location');
    if (at < 0 || args[at + 1] !== location) continue;
    const identity = processIdentity(Number(entry));
    if (identity) orphans.push(identity);
  }
  for (const orphan of orphans) {
    try {
      process.kill(orphan.pid, 'SIGTERM');
    } catch {
      // already gone
    }
  }
  const end = Date.now() + 10_000;
  while (orphans.some(isRunning)) {
    if (Date.now() > end) {
      for (const orphan of orphans.filter(isRunning)) process.kill(orphan.pid, 'SIGKILL');
      await sleep(100);
      break;
    }
    await sleep(50);
  }
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolvePromise) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolvePromise(true);
    });
    socket.once('error', () => resolvePromise(false));
  });
}
