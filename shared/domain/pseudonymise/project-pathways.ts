import { SOURCE_TABLE_NAMES, type SourceTableName } from '../datasets/source-tables.js';
import {
  MART_ACTIVITY_TRUST_MONTH,
  MART_AE_PATHWAY,
  MART_COMMUNITY_CASELOAD,
  MART_DISCHARGE_MH_REFERRAL,
  MART_SOURCE_TABLES,
  MART_SPELL_PRESCRIBING,
} from '../gold/mart-tables.js';
import { projectDeclaration, projectIds, type ProjectId } from './projects.js';

/**
 * Which pathway facts a project gets, from its declaration: a project whose `marts` (projects file)
 * include a mart of a pathway module gets that module's facts, linked over the source tables of its
 * declared marts. The module names (`careflow`, `community360`) name code (shared/domain/pathways),
 * not projects: a project of any id may declare their marts, given the datasets they are built from.
 */
export type PathwayFamily = 'careflow' | 'community360';

/** The marts each pathway module builds (at least one of them identifies the module). */
export const PATHWAY_FAMILY_MARTS: Readonly<Record<PathwayFamily, readonly string[]>> = {
  careflow: [MART_SPELL_PRESCRIBING.name, MART_DISCHARGE_MH_REFERRAL.name, MART_ACTIVITY_TRUST_MONTH.name],
  community360: [MART_AE_PATHWAY.name, MART_COMMUNITY_CASELOAD.name],
};

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

/** The project whose declaration builds a pathway module's facts, if one does (at most one can). */
export function pathwayProject(family: PathwayFamily): ProjectId | undefined {
  return projectIds().find((p) => projectPathwayFamilies(p).includes(family));
}
