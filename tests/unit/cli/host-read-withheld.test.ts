import { test } from 'node:test';
import assert from 'node:assert/strict';
import { exportThroughHost, startHostReadServer } from '../../../shared/cli/host-read-server.js';

// While a host runs, `nhs-flows export` reads through it: the opt-out's withheld count must reach
// the CLI (for its stderr line) beside the CSV lines, and only in its disclosure-controlled form.

async function exportVia(
  withheld: string | undefined,
): Promise<{ lines: string[]; withheld: string | undefined }> {
  const server = await startHostReadServer({
    token: () => 'secret-token',
    exportTable: async (_table, _limit, write, onWithheld) => {
      if (withheld !== undefined) onWithheld(withheld);
      write('activity_id,project');
      write('A1,careflow');
      return true;
    },
  });
  try {
    const lines: string[] = [];
    const host = { pid: process.pid, startedAt: '', read: { port: server.port, token: 'secret-token' } };
    const result = await exportThroughHost(host, 'fact_activity', undefined, (l) => lines.push(l));
    return { lines, withheld: result.withheld };
  } finally {
    await server.close();
  }
}

test('the withheld count travels from the host to the CLI beside the CSV lines', async () => {
  for (const shown of ['0', '*', '15']) {
    const { lines, withheld } = await exportVia(shown);
    assert.deepEqual(lines, ['activity_id,project', 'A1,careflow']);
    assert.equal(withheld, shown);
  }
});

test('only a disclosure-controlled count (digits or *) is passed on; anything else is dropped', async () => {
  assert.equal((await exportVia('3 of 4')).withheld, undefined);
  assert.equal((await exportVia(undefined)).withheld, undefined);
});
