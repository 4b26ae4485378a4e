import { SOURCE_TABLE_NAMES, type SourceTableName } from '../datasets/source-tables.js';
import { MART_SOURCE_TABLES } from '../gold/mart-tables.js';
import { PATHWAY_FAMILY_MARTS, type PathwayFamily } from './pathway-families.js';
import { projectDeclaration, projectIds, type ProjectId } from './projects.js';

/**
 * Which pathway facts a project gets, from its declaration: a project whose `marts` (projects file)
 * include a mart of a pathway module gets that module's facts, linked over the source tables of its
 * declared marts. The module names (`careflow`, `community360`) name code (shared/domain/pathways),
 * not projects: a project of any id may declare their marts, given the datasets they are built from.
 */
export type { PathwayFamily } from './pathway-families.js';

/** The pathway modules whose facts a project gets: those with a mart among its declared marts. */
export function projectPathwayFamilies(project: ProjectId): readonly PathwayFamily[] {
  const marts = projectDeclaration(project).marts;
  return (Object.keys(PATHWAY_FAMILY_MARTS) as PathwayFamily[]).filter((family) =>
    PATHWAY_FAMILY_MARTS[family].some((m) => marts.includes(m)),
  );
}

/** The source tables a project's marts are built from (its linkage input), in capture order. */
export function projectLinkTables(project: ProjectId): readonly SourceTableName[] {
  const tables = new Set(projectDeclaration(project).marts.flatMap((m) => MART_SOURCE_TABLES[m] ?? []));
  return SOURCE_TABLE_NAMES.filter((t) => tables.has(t));
}

/** The project whose declaration builds a pathway module's facts, if one does (the file check allows one at most). */
export function pathwayProject(family: PathwayFamily): ProjectId | undefined {
  return projectIds().find((p) => projectPathwayFamilies(p).includes(family));
}
