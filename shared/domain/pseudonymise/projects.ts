import type { DatasetId, SourceTableName } from '../datasets/source-tables.js';
import { SOURCE_TABLES } from '../datasets/source-tables.js';

/**
 * The client projects. Each project gets its own pseudonym key (derived from the master key), so
 * tokens for one patient differ between projects and cannot be joined across them.
 */
export const PROJECTS = ['careflow', 'community360'] as const;
export type ProjectId = (typeof PROJECTS)[number];

/** Which datasets each project receives (CareFlow Insights; Community 360). */
export const PROJECT_DATASETS: Readonly<Record<ProjectId, readonly DatasetId[]>> = {
  careflow: ['sus_apc', 'prescribing', 'mhsds'],
  community360: ['ecds', 'csds', 'dids'],
};

/** The project a source table belongs to (every table belongs to exactly one). */
export function projectForTable(table: SourceTableName): ProjectId {
  const dataset = SOURCE_TABLES[table].dataset;
  for (const project of PROJECTS) if (PROJECT_DATASETS[project].includes(dataset)) return project;
  throw new Error(`source table '${table}' (dataset ${dataset}) belongs to no project`);
}

export function isProjectId(value: string): value is ProjectId {
  return (PROJECTS as readonly string[]).includes(value);
}
