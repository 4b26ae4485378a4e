import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdirSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Starts Azurite (blob, queue, table) from node_modules as a child process on loopback.
 *
 * Flags per ../shared/PLATFORM.md: `--skipApiVersionCheck` (current SDKs send a newer API version),
 * `--disableTelemetry` (no network), and either a data folder (`location`) or in-memory persistence.
 *
 * Azurite never outlives the process that started it. Node cannot ask the kernel for a parent-death
 * signal (PR_SET_PDEATHSIG), so Azurite runs with a watchdog preloaded ({@link AZURITE_WATCHDOG}):
 * its stdin is a pipe from the parent, and when that pipe closes (the parent exited, however: a
 * clean stop, an uncaught error, SIGKILL) Azurite shuts down as on SIGTERM, saving its metadata.
 * It runs in its own process group, so a signal to the parent's group (Ctrl-C, `kill -9 -<pgid>`)
 * reaches the parent only, and Azurite then stops cleanly instead of being killed mid-save
 * (Azurite keeps its metadata in memory and saves it every 5 s).
 */
export interface AzuriteOptions {
  /** Folder for persisted data; omit for in-memory persistence. */
  readonly location?: string;
  /** Ports; 0 or omitted picks free ports. */
  readonly blobPort?: number;
  readonly queuePort?: number;
  readonly tablePort?: number;
}

export interface RunningAzurite {
  readonly blobPort: number;
  readonly queuePort: number;
  readonly tablePort: number;
  /** Connection string for the well-known dev account on these ports. */
  readonly connectionString: string;
  /** Process id of the Azurite child process (its memory can be read from /proc/<pid>/status). */
  readonly pid: number | undefined;
  stop(): Promise<void>;
}

/** The public, well-known Azurite development account key (not a secret). */
export const AZURITE_ACCOUNT = 'devstoreaccount1';
export const AZURITE_KEY =
  'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export function azuriteConnectionString(ports: {
  blobPort: number;
  queuePort: number;
  tablePort: number;
}): string {
  const host = 'http://127.0.0.1';
  return [
    'DefaultEndpointsProtocol=http',
    `AccountName=${AZURITE_ACCOUNT}`,
    `AccountKey=${AZURITE_KEY}`,
    `BlobEndpoint=${host}:${ports.blobPort}/${AZURITE_ACCOUNT}`,
    `QueueEndpoint=${host}:${ports.queuePort}/${AZURITE_ACCOUNT}`,
    `TableEndpoint=${host}:${ports.tablePort}/${AZURITE_ACCOUNT}`,
  ].join(';');
}

/** Azurite's start-up line for a service, with the port it bound. */
const listeningLine =
  /Azurite (Blob|Queue|Table) service is successfully listening at http:\/\/127\.0\.0\.1:(\d+)/g;

async function canConnect(port: number): Promise<boolean> {
  const { connect } = await import('node:net');
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * Preloaded into the Azurite process: when stdin (a pipe from the parent) ends, stop as on SIGTERM
 * (Azurite's own handler closes the servers and saves), and exit after 10 s whatever happens.
 */
export const AZURITE_WATCHDOG = [
  // Its output is a pipe to the parent: once the parent is gone a write fails with EPIPE, which
  // must not crash Azurite before its shutdown has saved the metadata of every blob it acknowledged.
  "process.stdout.on('error', () => {});",
  "process.stderr.on('error', () => {});",
  'const stop = () => {',
  '  setTimeout(() => process.exit(0), 10000).unref();',
  "  process.kill(process.pid, 'SIGTERM');",
  '};',
  "process.stdin.once('end', stop);",
  "process.stdin.once('error', stop);",
  'process.stdin.resume();',
].join('\n');

export async function startAzurite(options: AzuriteOptions = {}): Promise<RunningAzurite> {
  const require = createRequire(import.meta.url);
  const entry = require.resolve('azurite/dist/src/azurite.js');
  // Port 0 lets Azurite bind a free port itself and report it ("… successfully listening at
  // http://127.0.0.1:<port>"): picking a free port first and passing it on left a window in which
  // another process could take it, and a connection check then succeeded against that process.
  const requested = {
    Blob: options.blobPort ?? 0,
    Queue: options.queuePort ?? 0,
    Table: options.tablePort ?? 0,
  };
  const args = [
    '--import',
    `data:text/javascript,${encodeURIComponent(AZURITE_WATCHDOG)}`,
    entry,
    '--blobHost',
    '127.0.0.1',
    '--queueHost',
    '127.0.0.1',
    '--tableHost',
    '127.0.0.1',
    '--blobPort',
    String(requested.Blob),
    '--queuePort',
    String(requested.Queue),
    '--tablePort',
    String(requested.Table),
    '--silent',
    '--disableTelemetry',
    '--skipApiVersionCheck',
    '--loose',
  ];
  if (options.location) {
    mkdirSync(options.location, { recursive: true });
    args.push('--location', options.location);
  } else {
    args.push('--inMemoryPersistence');
  }
  const child: ChildProcess = spawn(process.execPath, args, {
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: true,
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const listening = new Map<string, number>();
  let stdout = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout = (stdout + chunk.toString()).slice(-4000);
    for (const match of stdout.matchAll(listeningLine)) listening.set(match[1]!, Number(match[2]));
  });
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  const deadline = Date.now() + 30_000;
  let ports: { blobPort: number; queuePort: number; tablePort: number } | undefined;
  for (;;) {
    if (exited) throw new Error(`Azurite exited during start-up: ${stderr.trim() || 'no output'}`);
    const blobPort = listening.get('Blob');
    const queuePort = listening.get('Queue');
    const tablePort = listening.get('Table');
    if (
      blobPort &&
      queuePort &&
      tablePort &&
      (await canConnect(blobPort)) &&
      (await canConnect(queuePort)) &&
      (await canConnect(tablePort))
    ) {
      ports = { blobPort, queuePort, tablePort };
      break;
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(
        `Azurite did not report listening on 127.0.0.1 (blob/queue/table ${requested.Blob}/${requested.Queue}/${requested.Table}) within 30 s: ${stdout.trim().slice(-400) || 'no output'}`,
      );
    }
    await sleep(100);
  }
  // Nothing more is read from its output; keep draining it so a write never blocks.
  child.stdout?.on('data', () => undefined);
  const { blobPort, queuePort, tablePort } = ports;
  return {
    blobPort,
    queuePort,
    tablePort,
    connectionString: azuriteConnectionString({ blobPort, queuePort, tablePort }),
    pid: child.pid,
    stop: async () => {
      if (exited) return;
      const done = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      // Closing its stdin runs the watchdog: one SIGTERM, on which Azurite closes its servers and
      // saves, and the process then exits by itself (nothing else keeps it alive). A SIGTERM sent
      // from here instead left the open stdin holding the process until the SIGKILL below, 5 s
      // later on every stop; sent as well, it would be a second SIGTERM, which Azurite does not
      // handle (it listens once) and which would kill it mid-save.
      child.stdin?.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await done;
      clearTimeout(timer);
    },
  };
}
