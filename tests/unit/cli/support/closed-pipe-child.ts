// A CLI process whose command writes far more than a pipe holds, through the real `main` and
// `processIo` (tests/unit/cli/closed-pipe.test.ts closes its stdout after the first line).
//   line-by-line: one io.out per line, as `nhs-flows export` streams a table
//   one-block:    one io.out of the whole text, returning before the pipe fails, as `nhs-flows dq`
//   failing:      writes a little, then fails: a command error still exits 1 with its message
import type { CliCommand } from '../../../../shared/cli/cli-io.js';
import { main } from '../../../../shared/cli/main.js';

const line = (i: number) => `${i},${'x'.repeat(60)}`;
let cleanedUp = false;

const commands: CliCommand[] = [
  {
    name: 'line-by-line',
    summary: 'many lines, one write each',
    usage: 'line-by-line',
    options: {},
    run: async (_args, io) => {
      try {
        for (let i = 0; i < 200_000; i++) {
          io.out(line(i));
          if (i % 1000 === 0) await new Promise((resolve) => setImmediate(resolve));
        }
        return 0;
      } finally {
        cleanedUp = true;
      }
    },
  },
  {
    name: 'one-block',
    summary: 'many lines in one write',
    usage: 'one-block',
    options: {},
    run: async (_args, io) => {
      io.out(Array.from({ length: 200_000 }, (_, i) => line(i)).join('\n'));
      return 0;
    },
  },
  {
    name: 'failing',
    summary: 'fails after a line',
    usage: 'failing',
    options: {},
    run: async (_args, io) => {
      io.out(line(0));
      throw new Error('the warehouse is not there');
    },
  },
];

const code = await main(process.argv.slice(2), undefined, commands);
if (process.argv[2] === 'line-by-line' && !cleanedUp) process.stderr.write('the command did not clean up\n');
process.exitCode = code;
