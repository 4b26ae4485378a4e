import { parseArgs } from 'node:util';

/** Where a command writes: stdout for results, stderr for progress (tests capture both). */
export interface CliIo {
  out(line: string): void;
  err(line: string): void;
}

export const processIo: CliIo = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
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
