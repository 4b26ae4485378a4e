#!/usr/bin/env node
// Runs every test file with node's test runner, against one Azurite started here for the whole run.
// Usage: node tests/run.mjs [--checks] [path-substring ...]   (filters test files by substring)
//   --checks (npm test): `npm run checks` (the lint, and the typecheck on the lint's program) runs beside
//   the tests; any failure fails the run.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

const withChecks = process.argv.includes('--checks');
const filters = process.argv.slice(2).filter((a) => a !== '--checks');
function find(dir) {
  return readdirSync(dir).flatMap((name) => {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) return name === 'support' ? [] : find(full);
    return name.endsWith('.test.ts') ? [full] : [];
  });
}
// Node's runner starts the files in the order given, `concurrency` at a time, so the long ones go
// first: a run must not end on one long file while the other worker has nothing left. The files
// that run the whole product come first (the longest of them, and the clean run the kill tests share,
// tests/support/clean-run.ts, before the rest), then the integration suites, then the unit tests.
const LONG_FIRST = [
  'tests/e2e/gold-determinism.test.ts',
  'tests/chaos/kill-restart.test.ts',
  'tests/e2e/local-pipeline.test.ts',
  'tests/chaos/',
  'tests/e2e/',
  'tests/integration/',
  'tests/orchestrations/',
  'tests/browser/',
  'tests/contract/',
];
const rank = (file) => {
  const at = LONG_FIRST.findIndex((prefix) => file.split('\\').join('/').startsWith(prefix));
  return at < 0 ? LONG_FIRST.length : at;
};
const files = find('tests')
  .filter((f) => !f.startsWith(join('tests', 'live')) || process.env.NHSFLOWS_LIVE === '1')
  .filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)))
  .sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
if (files.length === 0) {
  console.error(`no test files match ${filters.join(' ')}`);
  process.exit(1);
}

// The lint and the typecheck start at once beside the tests instead of alone before them: they use
// the CPU the test files leave idle (a file waiting on Azurite, a child CLI or a poll) and are done
// long before the last file. They run as one process (`npm run checks`, scripts/checks.mjs: single-
// threaded, about 50 s of CPU): the typecheck reads its diagnostics from the program the type-aware
// lint built, instead of a separate tsc parsing and checking the same files again (about 30 s of
// CPU more). Their output comes after the tests'.
const checks = withChecks ? [npmScript('checks')] : [];

const { register } = await import('tsx/esm/api');
register();
const { startAzurite } = await import('../shared/runtime/local/azurite.ts');
// The CLI the e2e and CLI tests start (tests/support/cli-command.ts): dist/ when it is the build of
// the current sources, else the sources through tsx; decided here once for every file of the run.
const { CLI } = await import('./support/cli-command.ts');
process.stdout.write(`# the nhs-flows CLI under test runs from ${CLI.from}\n`);
const azurite = await startAzurite();
// Each file's wall time (tests/support/file-times.mjs), summed up at the end.
const times = resolve(process.env.NHSFLOWS_TEST_TIMES ?? join('.test-out', 'test-times.ndjson'));
mkdirSync(dirname(times), { recursive: true });
writeFileSync(times, '');
// Work that several files share within this run (tests/support/clean-run.ts), removed at the end.
const shared = mkdtempSync(join(tmpdir(), 'nhsflows-test-run-'));
const env = {
  ...process.env,
  NHSFLOWS_TEST_AZURITE: azurite.connectionString,
  NHSFLOWS_TEST_SHARED_DIR: shared,
  NHSFLOWS_TEST_TIMES: times,
  NHSFLOWS_TEST_CLI: CLI.dist ? 'dist' : 'sources',
};
const concurrency = process.env.NHSFLOWS_TEST_CONCURRENCY ?? '2';
const started = Date.now();
const child = spawn(
  process.execPath,
  [
    '--import',
    'tsx',
    '--import',
    './tests/support/file-times.mjs',
    // not `--test`, which would start the files sorted by name instead of longest first
    'tests/support/test-file-runner.mjs',
    `--concurrency=${concurrency}`,
    ...files,
  ],
  {
    stdio: 'inherit',
    env,
  },
);
const code = await new Promise((resolve) => child.on('exit', (c, signal) => resolve(c ?? (signal ? 1 : 0))));
await azurite.stop();
rmSync(shared, { recursive: true, force: true });
process.stdout.write(timesSummary(Date.now() - started));
let failedChecks = 0;
for (const check of await Promise.all(checks)) {
  if (check.output.trim()) process.stdout.write(`\n${check.output.trimEnd()}\n`);
  process.stdout.write(
    `# npm run ${check.name}: ${check.code === 0 ? 'ok' : `failed (exit ${check.code})`} in ${check.seconds.toFixed(0)} s\n`,
  );
  if (check.code !== 0) failedChecks++;
}
process.exit(code || (failedChecks > 0 ? 1 : 0));

/** Runs `npm run <name>`; resolves with its exit code, its output and its wall time once it ends. */
function npmScript(name) {
  const begun = Date.now();
  const npm = process.env.npm_execpath;
  const child = npm
    ? spawn(process.execPath, [npm, 'run', '--silent', name], { stdio: ['ignore', 'pipe', 'pipe'] })
    : spawn('npm', ['run', '--silent', name], { stdio: ['ignore', 'pipe', 'pipe'], shell: true });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk.toString()));
  child.stderr.on('data', (chunk) => (output += chunk.toString()));
  return new Promise((done) =>
    child.on('exit', (c, signal) =>
      done({ name, code: c ?? (signal ? 1 : 0), output, seconds: (Date.now() - begun) / 1000 }),
    ),
  );
}

/** Wall time of the run, how busy the workers were, and the slowest files (from `times`). */
function timesSummary(wallMs) {
  const rows = readFileSync(times, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line))
    .map((r) => ({ ...r, seconds: (r.endedAt - r.startedAt) / 1000 }))
    .sort((a, b) => b.seconds - a.seconds);
  const busy = rows.reduce((n, r) => n + r.seconds, 0);
  const workers = Number(concurrency);
  const lastStart = Math.max(...rows.map((r) => r.startedAt));
  const lastFile = rows.find((r) => r.startedAt === lastStart);
  const s = (ms) => `${(ms / 1000).toFixed(0)} s`;
  return [
    '',
    `# test files: ${rows.length} in ${s(wallMs)} wall; file time ${busy.toFixed(0)} s over ${workers} worker(s) (${((100 * busy) / ((workers * wallMs) / 1000)).toFixed(0)} % busy)`,
    `# last file started at ${s(lastStart - started)}: ${lastFile?.file ?? '?'}`,
    '# slowest files:',
    ...rows.slice(0, 10).map((r) => `#   ${r.seconds.toFixed(1).padStart(7)} s  ${r.file}`),
    `# (every file's times: ${times})`,
    '',
  ].join('\n');
}
