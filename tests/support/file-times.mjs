// Loaded into every test process by tests/run.mjs (`--import`, which node's test runner passes on to
// each file's process): when a test file's process exits, appends one JSON line to the file named by
// NHSFLOWS_TEST_TIMES with the file and its wall time, from process start (node and tsx start-up
// included) to exit. File paths and times only.
import { appendFileSync } from 'node:fs';
import { relative } from 'node:path';

const out = process.env.NHSFLOWS_TEST_TIMES;
const file = process.argv[1];
if (out && file?.endsWith('.test.ts'))
  process.once('exit', (code) => {
    const endedAt = Date.now();
    const startedAt = Math.round(endedAt - process.uptime() * 1000);
    appendFileSync(
      out,
      `${JSON.stringify({ file: relative(process.cwd(), file), startedAt, endedAt, code })}\n`,
    );
  });
