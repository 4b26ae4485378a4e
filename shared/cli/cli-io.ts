import { parseArgs } from 'node:util';

/** Where a command writes: stdout for results, stderr for progress (tests capture both). */
export interface CliIo {
  out(line: string): void;
  err(line: string): void;
}

/**
 * Thrown by {@link processIo}'s `out` once stdout's reader has gone (`nhs-flows dq | head -1`): it
 * unwinds the command through its `finally` clean-ups, and `main` then exits 0 without a word.
 */
export class OutputClosedError extends Error {
  constructor() {
    super('the output pipe was closed by its reader');
    this.name = 'OutputClosedError';
  }
}

let outputClosed = false;
let pipesGuarded = false;

/** A write to a pipe whose reader has gone: EPIPE, or a write after the stream was torn down. */
const closedPipe = (error: NodeJS.ErrnoException): boolean =>
  error.code === 'EPIPE' || error.code === 'ERR_STREAM_DESTROYED';

/**
 * Once per process, before a command writes: a closed stdout or stderr pipe is noted instead of
 * crashing the process with an unhandled 'error' event (Node ignores SIGPIPE, so a write to a pipe
 * whose reader exited fails with EPIPE, printed as a stack trace). Any other stream error still
 * surfaces as before.
 */
export function guardClosedPipes(): void {
  if (pipesGuarded) return;
  pipesGuarded = true;
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (!closedPipe(error)) throw error;
    outputClosed = true;
  });
  process.stderr.on('error', (error: NodeJS.ErrnoException) => {
    if (!closedPipe(error)) throw error;
  });
}

export const processIo: CliIo = {
  out: (line) => {
    if (outputClosed || process.stdout.destroyed) throw new OutputClosedError();
    process.stdout.write(`${line}\n`);
  },
  err: (line) => {
    if (!process.stderr.destroyed) process.stderr.write(`${line}\n`);
  },
};

export interface CliCommand {
  readonly name: string;
  readonly summary: string;
  readonly usage: string;
  readonly options: Readonly<Record<string, CliOption>>;
  run(args: ParsedArgs, io: CliIo): Promise<number>;
}

export interface CliOption {
  readonly type: 'string' | 'boolean';
  readonly short?: string;
  readonly description: string;
}

export interface ParsedArgs {
  readonly values: Record<string, string | boolean | undefined>;
  readonly positionals: string[];
}

/** Parses a command's arguments strictly: an unknown option is an error naming it. */
export function parseCommandArgs(command: CliCommand, argv: string[]): ParsedArgs {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      ...Object.fromEntries(
        Object.entries(command.options).map(([name, o]) => [
          name,
          o.short ? { type: o.type, short: o.short } : { type: o.type },
        ]),
      ),
      help: { type: 'boolean', short: 'h' },
    },
    allowPositionals: true,
    strict: true,
  });
  return { values: values, positionals };
}

export function helpText(command: CliCommand): string {
  const lines = [`nhs-flows ${command.name}: ${command.summary}`, '', `usage: ${command.usage}`];
  const entries = Object.entries(command.options);
  if (entries.length > 0) {
    lines.push('', 'options:');
    for (const [name, spec] of entries) {
      lines.push(
        `  --${name}${spec.type === 'string' ? ' <value>' : ''}${spec.short ? `, -${spec.short}` : ''}  ${spec.description}`,
      );
    }
  }
  lines.push('  --help, -h  show this help');
  return lines.join('\n');
}
