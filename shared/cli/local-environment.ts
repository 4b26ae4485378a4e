import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { connect } from 'node:net';
import { z } from 'zod';
import { loadSettings, type Settings } from '../config/settings.schema.js';
import { azuriteConnectionString, startAzurite } from '../runtime/local/azurite.js';

/**
 * The embedded default: merges `local.settings.json` (if present) under the environment, starts
 * Azurite from node_modules on loopback with its data in `<data dir>/azurite` (or reuses the one a
 * running `nhs-flows start` holds), and points every storage connection at it.
 */
export interface LocalEnvironment {
  readonly settings: Settings;
  readonly dataDir: string;
  readonly connectionString: string;
  /** Process id of the Azurite this environment started, or undefined when it reuses a running one. */
  readonly azuritePid: number | undefined;
  stop(): Promise<void>;
}

const lockSchema = z.object({
  pid: z.number(),
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

export async function openLocalEnvironment(
  options: { env?: NodeJS.ProcessEnv } = {},
): Promise<LocalEnvironment> {
  const env = options.env ?? process.env;
  for (const [k, v] of Object.entries(readLocalSettingsFile()))
    if (env[k] === undefined && v !== '') env[k] = v;
  let settings = loadSettings(env);
  if (settings.NHSFLOWS_MODE !== 'local') throw new Error('the local runner needs NHSFLOWS_MODE=local');
  const dataDir = resolve(settings.NHSFLOWS_DATA_DIR);
  mkdirSync(dataDir, { recursive: true });
  const lockFile = join(dataDir, 'azurite.json');
  let stop = async (): Promise<void> => undefined;
  let azuritePid: number | undefined;
  let ports = await reusableAzurite(lockFile);
  if (!ports) {
    const azurite = await startAzurite({
      location: join(dataDir, 'azurite'),
      blobPort: settings.NHSFLOWS_AZURITE_BLOB_PORT,
      queuePort: settings.NHSFLOWS_AZURITE_QUEUE_PORT,
      tablePort: settings.NHSFLOWS_AZURITE_TABLE_PORT,
    });
    ports = { blobPort: azurite.blobPort, queuePort: azurite.queuePort, tablePort: azurite.tablePort };
    azuritePid = azurite.pid;
    writeFileSync(lockFile, JSON.stringify({ pid: process.pid, ...ports }));
    stop = async () => {
      await azurite.stop();
      rmSync(lockFile, { force: true });
    };
  }
  const connectionString = azuriteConnectionString(ports);
  for (const key of ['NHSFLOWS_LAKE_CONNECTION', 'NHSFLOWS_STATE_CONNECTION', 'AzureWebJobsStorage']) {
    if (!env[key] || env[key] === 'UseDevelopmentStorage=true') env[key] = connectionString;
  }
  settings = loadSettings(env);
  // Binding expressions (%NHSFLOWS_CDC_SCHEDULE%, %NHSFLOWS_EVENTHUB_NAME%) resolve from app settings,
  // as they would from local.settings.json: publish every effective setting, defaults included.
  for (const [key, value] of Object.entries(settings))
    if (env[key] === undefined && value !== undefined) env[key] = String(value);
  return { settings, dataDir, connectionString, azuritePid, stop };
}

async function reusableAzurite(
  lockFile: string,
): Promise<{ blobPort: number; queuePort: number; tablePort: number } | undefined> {
  if (!existsSync(lockFile)) return undefined;
  const parsed = lockSchema.safeParse(JSON.parse(readFileSync(lockFile, 'utf8')));
  if (!parsed.success) return undefined;
  const { pid, ...ports } = parsed.data;
  if (pid === process.pid || !alive(pid) || !(await listening(ports.blobPort))) {
    rmSync(lockFile, { force: true });
    return undefined;
  }
  return ports;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
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
