#!/usr/bin/env node
// The nhs-flows CLI (built output in dist/). `npm install` builds dist/ (the `prepare` script) and
// `npm start` rebuilds it; if dist/ is still missing, this builds it once when TypeScript is
// installed, and otherwise says what to run instead of failing with "Cannot find module".
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildDist, root } from './build-dist.mjs';

// libuv's thread pool (4 threads by default) carries every DuckDB statement, file operation and
// fsync of the host process and its activity worker threads; with 4, the local host's threads sat
// waiting for a slot (a 100k-record load took 101.6 s with 4 and 69.7 s with 16 on one machine in
// one session). Set before anything uses the pool; an explicit UV_THREADPOOL_SIZE wins.
process.env.UV_THREADPOOL_SIZE ??= '16';

const entry = join(root, 'dist', 'shared', 'cli', 'main.js');
if (!existsSync(entry)) {
  console.error('nhs-flows: dist/ is not built yet; building it now (npm run build)…');
  const result = buildDist();
  if (!existsSync(entry)) {
    console.error(
      `nhs-flows: dist/ could not be built${result.reason ? ` (${result.reason})` : ''}. ` +
        'Run `npm install` (or `npm run build`) in the nhs-flows checkout, then try again.',
    );
    process.exit(1);
  }
}

import(pathToFileURL(entry).href)
  .then((m) => m.main(process.argv.slice(2)))
  .then((code) => process.exit(code ?? 0))
  .catch((error) => {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(1);
  });
