import { loadProjectsFile, useProjectsFile } from '../adapters/local/projects-file.loader.js';
import { ConfigError, InputError } from '../domain/errors.js';
import { projectsInForce, type ProjectDeclaration } from '../domain/pseudonymise/projects.js';
import { projectLinkTables, projectPathwayFamilies } from '../domain/pseudonymise/project-pathways.js';
import type { CliCommand } from './cli-io.js';

/**
 * `nhs-flows projects [list] [--file F] [--json]`: the projects in force (the file
 * `NHSFLOWS_PROJECTS_FILE` names, else the shipped one) or in `--file`, one block per project.
 * `nhs-flows projects check <file>`: validates a projects file; exit 0 when it can be used, 2 with
 * every problem listed when not. Reads files only: no host, no lake.
 */
export const projectsCommand: CliCommand = {
  name: 'projects',
  summary: 'the client projects in force (list), or check a projects file',
  usage: 'nhs-flows projects [list] [--file <projects.json>] [--json] | projects check <projects.json>',
  options: {
    file: { type: 'string', description: 'list this projects file instead of the one in force' },
    json: { type: 'boolean', description: 'print the declarations as JSON' },
  },
  run: async (args, io) => {
    const [action = 'list', file, ...extra] = args.positionals;
    if (extra.length > 0) throw new InputError(`unexpected arguments: ${extra.join(' ')}`);
    if (action === 'check') {
      if (file === undefined) throw new InputError('check: name the projects file to check');
      try {
        const projects = loadProjectsFile(file);
        io.out(`${file}: ok, ${projects.length} project(s): ${projects.map((p) => p.id).join(', ')}`);
        return 0;
      } catch (error) {
        if (!(error instanceof ConfigError)) throw error;
        io.err([`${file}: cannot be used`, ...error.problems.map((p) => `  - ${p}`)].join('\n'));
        return 2;
      }
    }
    if (action !== 'list' || file !== undefined)
      throw new InputError(
        `expected 'list' or 'check <file>'; received '${[action, file].filter(Boolean).join(' ')}'`,
      );
    // --file, else the setting, else the shipped file: what the app would put in force.
    useProjectsFile(
      typeof args.values.file === 'string'
        ? args.values.file
        : process.env.NHSFLOWS_PROJECTS_FILE || undefined,
    );
    const { source, projects } = projectsInForce();
    io.out(
      args.values.json ? JSON.stringify({ source, projects }, null, 2) : renderProjects(source, projects),
    );
    return 0;
  },
};

/** One block per project: what it takes, what it gets, who may call its API. Names only, no data. */
export function renderProjects(source: string, projects: readonly ProjectDeclaration[]): string {
  const lines = [`projects file: ${source}`];
  for (const p of projects) {
    lines.push(
      '',
      `${p.id}: ${p.title}`,
      `  datasets         ${p.datasets.join(', ')}`,
      `  pseudonym domain ${p.pseudonymDomain}`,
      `  pathway facts    ${projectPathwayFamilies(p.id).join(', ') || 'none'} (linked over ${projectLinkTables(p.id).join(', ') || 'no table'})`,
      `  marts            ${p.marts.join(', ') || 'none'}`,
      `  published        ${p.publishedMarts.join(', ') || 'none'}`,
      `  opt-out          ${p.optOut.exemption === null ? 'filtered' : `exempt (${p.optOut.exemption})`}`,
      `  API clients      ${p.apiClients.map((c) => `${c.name} (${c.rateLimitPerMinute}/min)`).join(', ') || 'none'}`,
    );
  }
  return lines.join('\n');
}
