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
  .then((code) => exitWhenFlushed(code ?? 0))
  .catch((error) => {
    console.error(error instanceof Error ? error.message : String(error));
    exitWhenFlushed(1);
  });

/**
 * Exits once stdout and stderr have passed on everything written to them. process.exit() alone drops
 * what a pipe has not taken yet: on a non-blocking pipe (a Node parent's, say) whose reader is slower
 * than the command, `nhs-flows dq --json` or `export` ended short, with exit 0. An empty write's
 * callback runs after every earlier write has gone; a closed pipe (`| head`) calls it at once.
 */
function exitWhenFlushed(code) {
  let open = 2;
  const done = () => {
    open -= 1;
    if (open === 0) process.exit(code);
  };
  for (const stream of [process.stdout, process.stderr]) {
    if (stream.destroyed || stream.writableEnded) done();
    else stream.write('', () => done());
  }
}
