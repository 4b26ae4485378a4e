import {
  guardClosedPipes,
  helpText,
  OutputClosedError,
  parseCommandArgs,
  processIo,
  type CliCommand,
  type CliIo,
} from './cli-io.js';
import { apiKeyCommand } from './api-key.command.js';
import { apiUsageCommand } from './api-usage.command.js';
import { captureCommand } from './capture.command.js';
import { dashboardCommand } from './dashboard.command.js';
import { dqCommand } from './dq.command.js';
import { dropCommand } from './drop.command.js';
import { exportCommand } from './export.command.js';
import { generateCommand } from './generate.command.js';
import { keysCommand } from './keys.command.js';
import { lineageCommand } from './lineage.command.js';
import { mhsdsCommand } from './mhsds.command.js';
import { omopCommand } from './omop.command.js';
import { optOutCommand } from './opt-out.command.js';
import { quarantineCommand } from './quarantine.command.js';
import { patientHistoryCommand } from './patient-history.command.js';
import { projectsCommand } from './projects.command.js';
import { useProjectsFile } from '../adapters/local/projects-file.loader.js';
import { reconcileCommand } from './reconcile.command.js';
import { referenceCommand } from './reference-import.command.js';
import { reidentifyCommand } from './reidentify.command.js';
import { replayCommand } from './replay.command.js';
import { startCommand } from './start.command.js';
import { statusCommand } from './status.command.js';

/** Every CLI command, in the order `--help` lists them. */
export const COMMANDS: readonly CliCommand[] = [
  startCommand,
  statusCommand,
  exportCommand,
  omopCommand,
  dqCommand,
  dashboardCommand,
  generateCommand,
  replayCommand,
  captureCommand,
  keysCommand,
  reidentifyCommand,
  patientHistoryCommand,
  optOutCommand,
  projectsCommand,
  referenceCommand,
  mhsdsCommand,
  lineageCommand,
  reconcileCommand,
  dropCommand,
  quarantineCommand,
  apiKeyCommand,
  apiUsageCommand,
];

export function usage(): string {
  return [
    'nhs-flows: NHS secondary-use data flows (capture, validate, pseudonymise, SCD2, link, load)',
    '',
    'usage: nhs-flows <command> [options]     nhs-flows <command> --help',
    '',
    'commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(10)} ${c.summary}`),
  ].join('\n');
}

/**
 * Runs the CLI; returns the process exit code. Errors print one clear line (no stack, no values).
 * When stdout's reader goes away early (`nhs-flows dq | head`), every command stops quietly with 0.
 */
export async function main(
  argv: string[],
  io: CliIo = processIo,
  commands: readonly CliCommand[] = COMMANDS,
): Promise<number> {
  if (io === processIo) guardClosedPipes();
  try {
    return await runCommand(argv, io, commands);
  } catch (error) {
    if (error instanceof OutputClosedError) return 0;
    throw error;
  }
}

async function runCommand(argv: string[], io: CliIo, commands: readonly CliCommand[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.out(usage());
    return name ? 0 : 2;
  }
  const command = commands.find((c) => c.name === name);
  if (!command) {
    io.err(`nhs-flows: unknown command '${name}'\n\n${usage()}`);
    return 2;
  }
  let args;
  try {
    args = parseCommandArgs(command, rest);
  } catch (error) {
    io.err(
      `nhs-flows ${command.name}: ${error instanceof Error ? error.message : String(error)}\n\n${helpText(command)}`,
    );
    return 2;
  }
  if (args.values.help) {
    io.out(helpText(command));
    return 0;
  }
  try {
    // The projects file in force (NHSFLOWS_PROJECTS_FILE, else the shipped one) before a command
    // checks a --project; `projects` reads the file it is told to itself.
    if (command !== projectsCommand) useProjectsFile(process.env.NHSFLOWS_PROJECTS_FILE || undefined);
    return await command.run(args, io);
  } catch (error) {
    if (error instanceof OutputClosedError) return 0;
    io.err(`nhs-flows ${command.name}: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
}
