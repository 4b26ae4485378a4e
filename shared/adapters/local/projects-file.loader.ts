import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../../domain/errors.js';
import {
  parseProjects,
  SHIPPED_PROJECTS_FILE,
  useProjects,
  type ProjectDeclaration,
} from '../../domain/pseudonymise/projects.js';

/**
 * The shipped projects file: walks up from this module to the first folder holding
 * `projects/projects.json`, so it works from `shared/` (tsx, the checkout) and from `dist/shared/`
 * (the build and the Function App package, where the build put its copy: `dist/projects/`).
 */
export function defaultProjectsFile(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, SHIPPED_PROJECTS_FILE);
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir)
      throw new ConfigError([
        `projects file: no ${SHIPPED_PROJECTS_FILE} above ${dirname(fileURLToPath(import.meta.url))}`,
      ]);
    dir = parent;
  }
}

/**
 * Reads and checks a projects file (synchronously: once per process, at start). Throws a
 * `ConfigError` naming the file and every problem (unreadable, not JSON, schema, cross-project).
 */
export function loadProjectsFile(path: string = defaultProjectsFile()): readonly ProjectDeclaration[] {
  let content: string;
  try {
    content = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new ConfigError([
      `projects file ${path}: cannot be read (${(cause as NodeJS.ErrnoException).code ?? 'error'})`,
    ]);
  }
  return parseProjects(content, path);
}

/**
 * Puts the projects file `NHSFLOWS_PROJECTS_FILE` names (unset: the shipped one) in force for this
 * process; returns the projects. The composition root and the CLI call it once at start.
 */
export function useProjectsFile(path: string | undefined): readonly ProjectDeclaration[] {
  const file = path ?? defaultProjectsFile();
  const projects = loadProjectsFile(file);
  useProjects(projects, file);
  return projects;
}
