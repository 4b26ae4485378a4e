#!/usr/bin/env node
// Runs every test file with node's test runner, against one Azurite started here for the whole run.
// Usage: node tests/run.mjs [path-substring ...]   (filters test files by substring)
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const filters = process.argv.slice(2);
function find(dir) {
  return readdirSync(dir).flatMap((name) => {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) return name === 'support' ? [] : find(full);
    return name.endsWith('.test.ts') ? [full] : [];
  });
}
const files = find('tests')
  .filter((f) => !f.startsWith(join('tests', 'live')) || process.env.NHSFLOWS_LIVE === '1')
  .filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)))
  .sort();
if (files.length === 0) {
  console.error(`no test files match ${filters.join(' ')}`);
  process.exit(1);
}

const { register } = await import('tsx/esm/api');
register();
const { startAzurite } = await import('../shared/runtime/local/azurite.ts');
const azurite = await startAzurite();
const env = { ...process.env, NHSFLOWS_TEST_AZURITE: azurite.connectionString };
const concurrency = process.env.NHSFLOWS_TEST_CONCURRENCY ?? '2';
const child = spawn(
  process.execPath,
  ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, ...files],
  {
    stdio: 'inherit',
    env,
  },
);
const code = await new Promise((resolve) => child.on('exit', (c, signal) => resolve(c ?? (signal ? 1 : 0))));
await azurite.stop();
process.exit(code);
