import { PUBLISHED_MART_LIST } from '../disclosure/published-marts.js';
import {
  MART_ACTIVITY_TRUST_MONTH,
  MART_AE_PATHWAY,
  MART_COMMUNITY_CASELOAD,
  MART_DISCHARGE_MH_REFERRAL,
  MART_EMERGENCY_READMISSION,
  MART_FREQUENT_AE_ATTENDER,
  MART_HIGH_COST_SPELL,
  MART_SPELL_PRESCRIBING,
} from '../gold/mart-tables.js';

/**
 * The pathway modules (shared/domain/pathways) and the marts each builds: the restricted marts from
 * its facts, and the published marts aggregated from them (their declared module). A module's facts
 * are built once, for one project: its marts cannot be split between projects (the projects file
 * check refuses it). The names are modules of code, not projects.
 */
export type PathwayFamily = 'careflow' | 'community360';

export const PATHWAY_FAMILY_MARTS: Readonly<Record<PathwayFamily, readonly string[]>> = {
  careflow: [
    MART_SPELL_PRESCRIBING.name,
    MART_HIGH_COST_SPELL.name,
    MART_DISCHARGE_MH_REFERRAL.name,
    MART_EMERGENCY_READMISSION.name,
    MART_ACTIVITY_TRUST_MONTH.name,
    ...PUBLISHED_MART_LIST.filter((t) => t.project === 'careflow').map((t) => t.name),
  ],
  community360: [
    MART_AE_PATHWAY.name,
    MART_FREQUENT_AE_ATTENDER.name,
    MART_COMMUNITY_CASELOAD.name,
    ...PUBLISHED_MART_LIST.filter((t) => t.project === 'community360').map((t) => t.name),
  ],
};

/** The pathway module that builds a mart, if one does (the DQ scorecard: none). */
export function pathwayFamilyOfMart(mart: string): PathwayFamily | undefined {
  return (Object.keys(PATHWAY_FAMILY_MARTS) as PathwayFamily[]).find((f) =>
    PATHWAY_FAMILY_MARTS[f].includes(mart),
  );
}
