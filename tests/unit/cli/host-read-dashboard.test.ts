import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dashboardThroughHost, startHostReadServer } from '../../../shared/cli/host-read-server.js';
import { InputError } from '../../../shared/domain/errors.js';

// While a host runs, `nhs-flows dashboard` fetches the page from its read endpoint: behind the same
// bearer token as the export, the project passed through, an unknown project a 400 the CLI reports.

async function withServer(run: (port: number) => Promise<void>): Promise<string[]> {
  const asked: string[] = [];
  const server = await startHostReadServer({
    token: () => 'secret-token',
    exportTable: async () => false,
    dashboard: async (project) => {
      asked.push(project ?? '(all)');
      if (project === 'elsewhere') throw new InputError("dashboard: 'elsewhere' is not a project");
      return `<!doctype html><title>${project ?? 'all'}</title>`;
    },
  });
  try {
    await run(server.port);
  } finally {
    await server.close();
  }
  return asked;
}

test('GET /dashboard needs the token: 401 without it or with another, and the page is not built', async () => {
  const asked = await withServer(async (port) => {
    assert.equal((await fetch(`http://127.0.0.1:${port}/dashboard`)).status, 401);
    const wrong = await fetch(`http://127.0.0.1:${port}/dashboard`, {
      headers: { authorization: 'Bearer secret-tokeX' },
    });
    assert.equal(wrong.status, 401);
  });
  assert.deepEqual(asked, []);
});

test('with the token the page comes back as HTML, for every project or the one asked for', async () => {
  const asked = await withServer(async (port) => {
    const host = { pid: process.pid, startedAt: '', read: { port, token: 'secret-token' } };
    assert.equal(await dashboardThroughHost(host, undefined), '<!doctype html><title>all</title>');
    assert.equal(
      await dashboardThroughHost(host, 'community360'),
      '<!doctype html><title>community360</title>',
    );
    const response = await fetch(`http://127.0.0.1:${port}/dashboard`, {
      headers: { authorization: 'Bearer secret-token' },
    });
    assert.match(response.headers.get('content-type') ?? '', /^text\/html/);
    assert.equal(response.headers.get('cache-control'), 'no-store');
  });
  assert.deepEqual(asked, ['(all)', 'community360', '(all)']);
});

test('an unknown project is a 400 whose message the CLI passes on', async () => {
  await withServer(async (port) => {
    const host = { pid: 42, startedAt: '', read: { port, token: 'secret-token' } };
    await assert.rejects(
      dashboardThroughHost(host, 'elsewhere'),
      /answered 400 to the dashboard: dashboard: 'elsewhere' is not a project/,
    );
  });
});
