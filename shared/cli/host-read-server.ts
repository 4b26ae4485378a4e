import { createServer, type Server, type ServerResponse } from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import type { RunningHost } from './host-lock.js';

/**
 * The running host's read endpoint (loopback only): the embedded warehouse is one DuckDB file with
 * one owner, the `nhs-flows start` process, so while it runs `nhs-flows export` asks it for the
 * rows instead of opening the file (DuckDB would refuse with a lock error). Every request carries
 * the token the host wrote to `<data dir>/host.json` (readable by the data dir's owner only).
 *
 * `GET /export/<table>?limit=N` answers 200 with the CSV lines `nhs-flows export` prints, 404 for
 * an unknown table, 401 without the token. `GET /dashboard?project=P` answers 200 with the
 * dashboard page `nhs-flows dashboard` writes (one self-contained HTML file), 400 for an unknown
 * project, 401 without the token.
 */
export interface HostReadServer {
  readonly port: number;
  close(): Promise<void>;
}

/** Writes a table's CSV lines through `write`; false when there is no such table. */
export type TableExport = (
  table: string,
  limit: number | undefined,
  write: (line: string) => void,
  /** Told the disclosure-controlled count of rows the National Data Opt-out withheld, before any line. */
  onWithheld: (withheld: string) => void,
) => Promise<boolean>;

/** Response header carrying the export's withheld count (already disclosure-controlled). */
export const WITHHELD_HEADER = 'x-nhsflows-opt-out-withheld';

/** The dashboard page for one project (undefined: every project); throws `InputError` for an unknown one. */
export type DashboardPage = (project: string | undefined) => Promise<string>;

export async function startHostReadServer(options: {
  token: () => string;
  exportTable: TableExport;
  dashboard?: DashboardPage;
}): Promise<HostReadServer> {
  const server: Server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const sent = Buffer.from(request.headers.authorization ?? '');
    const expected = Buffer.from(`Bearer ${options.token()}`);
    if (sent.length !== expected.length || !timingSafeEqual(sent, expected)) {
      response.writeHead(401).end('unauthorised\n');
      return;
    }
    if (request.method === 'GET' && url.pathname === '/dashboard' && options.dashboard) {
      serveDashboard(options.dashboard, url.searchParams.get('project') ?? undefined, response);
      return;
    }
    const match = /^\/export\/([a-z_]+)$/.exec(url.pathname);
    if (request.method !== 'GET' || !match?.[1]) {
      response.writeHead(404).end('not found\n');
      return;
    }
    const limitText = url.searchParams.get('limit');
    const limit = limitText === null ? undefined : Number(limitText);
    if (limit !== undefined && (!Number.isInteger(limit) || limit < 0)) {
      response.writeHead(400).end(`limit: expected a whole number, received '${limitText}'\n`);
      return;
    }
    let started = false;
    options
      .exportTable(
        match[1],
        limit,
        (line) => {
          if (!started) response.writeHead(200, { 'content-type': 'text/csv; charset=utf-8' });
          started = true;
          response.write(`${line}\n`);
        },
        (withheld) => {
          if (!started && /^(\d+|\*)$/.test(withheld)) response.setHeader(WITHHELD_HEADER, withheld);
        },
      )
      .then((found) => {
        if (!found) response.writeHead(404).end('unknown table\n');
        else {
          if (!started) response.writeHead(200, { 'content-type': 'text/csv; charset=utf-8' });
          response.end();
        }
      })
      .catch((error: unknown) => {
        const message = error instanceof Error ? error.message : String(error);
        if (started) response.destroy(new Error(message));
        else response.writeHead(500).end(`${message}\n`);
      });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function serveDashboard(
  dashboard: DashboardPage,
  project: string | undefined,
  response: ServerResponse,
): void {
  dashboard(project)
    .then((html) => {
      response
        .writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' })
        .end(html);
    })
    .catch((error: unknown) => {
      const message = error instanceof Error ? error.message : String(error);
      const code = (error as { code?: unknown } | null)?.code;
      response.writeHead(code === 'INPUT_INVALID' ? 400 : 500).end(`${message}\n`);
    });
}

/** Asks the running host for the dashboard page (`nhs-flows dashboard` while a host runs). */
export async function dashboardThroughHost(
  host: RunningHost & { read: NonNullable<RunningHost['read']> },
  project: string | undefined,
): Promise<string> {
  const query = project === undefined ? '' : `?project=${encodeURIComponent(project)}`;
  const response = await fetch(`http://127.0.0.1:${host.read.port}/dashboard${query}`, {
    headers: { authorization: `Bearer ${host.read.token}` },
  });
  const text = await response.text();
  if (response.status !== 200)
    throw new Error(
      `the local host (pid ${host.pid}) answered ${response.status} to the dashboard: ${text.trim()}`,
    );
  return text;
}

/** Asks the running host for a table's CSV lines; each line goes to `write`; returns the withheld count. */
export async function exportThroughHost(
  host: RunningHost & { read: NonNullable<RunningHost['read']> },
  table: string,
  limit: number | undefined,
  write: (line: string) => void,
): Promise<{ withheld: string | undefined }> {
  const url = `http://127.0.0.1:${host.read.port}/export/${table}${limit === undefined ? '' : `?limit=${limit}`}`;
  const response = await fetch(url, { headers: { authorization: `Bearer ${host.read.token}` } });
  if (response.status !== 200 || !response.body)
    throw new Error(
      `the local host (pid ${host.pid}) answered ${response.status} to the export of ${table}: ${(await response.text()).trim()}`,
    );
  const decoder = new TextDecoder();
  let tail = '';
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    const text = tail + decoder.decode(chunk, { stream: true });
    const lines = text.split('\n');
    tail = lines.pop() ?? '';
    for (const line of lines) write(line);
  }
  if (tail !== '') write(tail);
  return { withheld: response.headers.get(WITHHELD_HEADER) ?? undefined };
}
