// Runs test files with node's test runner in the order given (tests/run.mjs starts it):
//   node [--import …] tests/support/test-file-runner.mjs --concurrency=N file…
// `node --test file…` sorts the files by name before it starts them; `run()` keeps their order, so
// the longest can go first. Each file still runs in its own process with this process's --import
// flags; the report is what `node --test` prints (TAP, or spec on a terminal), and the exit code is 1
// when a test or a file failed.
import { run } from 'node:test';
import { spec, tap } from 'node:test/reporters';

const concurrencyArg = process.argv.find((a) => a.startsWith('--concurrency='));
const concurrency = Number(concurrencyArg?.slice('--concurrency='.length) ?? '1');
const files = process.argv.slice(2).filter((a) => !a.startsWith('--'));

let failed = false;
const stream = run({ files, concurrency });
stream.on('test:fail', () => {
  failed = true;
});
stream.on('end', () => {
  process.exitCode = failed ? 1 : 0;
});
stream.compose(process.stdout.isTTY ? new spec() : tap).pipe(process.stdout);
