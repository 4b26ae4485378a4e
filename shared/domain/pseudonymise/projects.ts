import type { DatasetId, SourceTableName } from '../datasets/source-tables.js';
import { SOURCE_TABLES } from '../datasets/source-tables.js';
import { InputError } from '../errors.js';
import { MART_SOURCE_TABLES, MART_TABLES } from '../gold/mart-tables.js';
import { pathwayFamilyOfMart } from './pathway-families.js';
import shippedProjectsFile from '../../../projects/projects.json' with { type: 'json' };
import {
  PROJECT_ID_PATTERN,
  parseProjectsFile,
  type MartDeclarationRef,
  type ProjectDeclaration,
  type ProjectId,
} from './project-declarations.js';

export type { ProjectDeclaration, ProjectId } from './project-declarations.js';

/**
 * The client projects, read from the projects file (project-declarations.ts; docs/projects.md).
 * Each project gets its own pseudonym key (derived from the master key with its pseudonym domain),
 * so tokens for one patient differ between projects and cannot be joined across them.
 *
 * The projects in force are the shipped file (`projects/projects.json`, bundled with the build)
 * until the process installs the file `NHSFLOWS_PROJECTS_FILE` names (`useProjects`: the
 * composition root and the CLI do, once at start, before any use case runs).
 */

/** Where the shipped file lives, relative to the repository or package root. */
export const SHIPPED_PROJECTS_FILE = 'projects/projects.json';

/** The mart declarations a projects file is checked against. */
export function martDeclarationRefs(): readonly MartDeclarationRef[] {
  return MART_TABLES.map((m) => ({
    name: m.name,
    access: m.access,
    sourceTables: MART_SOURCE_TABLES[m.name] ?? [],
    datasetOf: (t: SourceTableName) => SOURCE_TABLES[t].dataset,
    family: pathwayFamilyOfMart(m.name),
  }));
}

/** Parses and checks a projects file's content against this build's datasets and marts. */
export function parseProjects(content: unknown, source: string): readonly ProjectDeclaration[] {
  return parseProjectsFile(content, source, martDeclarationRefs());
}

interface InForce {
  readonly source: string;
  readonly projects: readonly ProjectDeclaration[];
  readonly byId: ReadonlyMap<string, ProjectDeclaration>;
  readonly byDataset: ReadonlyMap<DatasetId, ProjectDeclaration>;
}

function inForce(projects: readonly ProjectDeclaration[], source: string): InForce {
  return {
    source,
    projects,
    byId: new Map(projects.map((p) => [p.id, p])),
    byDataset: new Map(projects.flatMap((p) => p.datasets.map((d) => [d, p] as const))),
  };
}

let current: InForce | undefined;

function active(): InForce {
  current ??= inForce(parseProjects(shippedProjectsFile, SHIPPED_PROJECTS_FILE), SHIPPED_PROJECTS_FILE);
  return current;
}

/**
 * Puts a parsed projects file in force for this process (the composition root and the CLI, once at
 * start; tests, around a case). Returns a function that puts back what was in force before.
 */
export function useProjects(projects: readonly ProjectDeclaration[], source: string): () => void {
  const before = current;
  current = inForce(projects, source);
  return () => {
    current = before;
  };
}

/** The projects in force, in file order, and the file they came from. */
export function projectsInForce(): {
  readonly source: string;
  readonly projects: readonly ProjectDeclaration[];
} {
  const { source, projects } = active();
  return { source, projects };
}

/** The ids of the projects in force, in file order. */
export function projectIds(): readonly ProjectId[] {
  return active().projects.map((p) => p.id);
}

export function isProjectId(value: string): value is ProjectId {
  return active().byId.has(value);
}

/** A project id from outside (a CLI argument, a request body): checked against the projects in force. */
export function parseProjectId(value: string): ProjectId {
  if (isProjectId(value)) return value;
  throw new InputError(
    `'${value}' is not a project (expected one of ${projectIds().join(', ')}; ${PROJECT_ID_PATTERN.test(value) ? 'not declared in' : 'not a project id, see'} ${active().source})`,
  );
}

/** A project's declaration; throws for an id that is not in force. */
export function projectDeclaration(project: ProjectId): ProjectDeclaration {
  const declared = active().byId.get(project);
  if (!declared) throw new InputError(`project '${project}' is not declared in ${active().source}`);
  return declared;
}

/** Which datasets a project receives. */
export function projectDatasets(project: ProjectId): readonly DatasetId[] {
  return projectDeclaration(project).datasets;
}

/** The source tables of a project's datasets, in capture order. */
export function projectTables(project: ProjectId): readonly SourceTableName[] {
  const datasets = projectDatasets(project);
  return (Object.keys(SOURCE_TABLES) as SourceTableName[]).filter((t) =>
    datasets.includes(SOURCE_TABLES[t].dataset),
  );
}

/** The project a source table belongs to (every table belongs to exactly one). */
export function projectForTable(table: SourceTableName): ProjectId {
  const dataset = SOURCE_TABLES[table].dataset;
  const owner = active().byDataset.get(dataset);
  if (!owner)
    throw new InputError(
      `source table '${table}' (dataset ${dataset}) belongs to no project in ${active().source}`,
    );
  return owner.id;
}
