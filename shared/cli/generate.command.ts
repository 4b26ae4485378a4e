import { GENERATE_CLI_OPTIONS } from '../application/use-cases/generate-population.use-case.js';
import { runGenerateCommand } from '../adapters/local/synthetic-files/generate.command.js';
import type { CliCommand, CliOption } from './cli-io.js';

const kebab = (name: string): string => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** `nhs-flows generate`: the seeded synthetic population, into the embedded source or files. */
export const generateCommand: CliCommand = {
  name: 'generate',
  summary:
    'generate a synthetic population (999-range NHS numbers) into the embedded source or CSV/NDJSON files',
  usage:
    'nhs-flows generate --patients N [--seed S] (--out <dir> [--format csv|ndjson] | --source <file.duckdb>) [--defects all|none|<list>]',
  options: Object.fromEntries(
    Object.entries(GENERATE_CLI_OPTIONS).map(([name, description]): [string, CliOption] => [
      kebab(name),
      { type: 'string', description },
    ]),
  ),
  run: async (args, io) => {
    const argv: string[] = [];
    for (const [name, value] of Object.entries(args.values))
      if (name !== 'help' && typeof value === 'string') argv.push(`--${name}`, value);
    return runGenerateCommand(argv, { stdout: (line) => io.out(line) });
  },
};
