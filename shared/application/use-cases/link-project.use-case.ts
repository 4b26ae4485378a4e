import { SOURCE_TABLES, type SourceTableName } from '../../domain/datasets/source-tables.js';
import {
  LINK_COLUMNS,
  PersonLinker,
  linkViaParent,
  type PersonLink,
} from '../../domain/link/person-linker.js';
import {
  CAREFLOW_PATHWAY_COLUMNS,
  careflowPathwayFacts,
  type CareflowPathwayFacts,
} from '../../domain/pathways/careflow-pathways.js';
import {
  COMMUNITY360_PATHWAY_COLUMNS,
  community360PathwayFacts,
  type Community360PathwayFacts,
} from '../../domain/pathways/community360-pathways.js';
import { projectDatasets, type ProjectId } from '../../domain/pseudonymise/projects.js';
import { projectPathwayFamilies } from '../../domain/pseudonymise/project-pathways.js';
import type { RekeyTable } from '../../domain/pseudonymise/rekey.js';
import type { PathwayRow } from '../../domain/pathways/pathway-time.js';
import { GuardError } from '../../domain/errors.js';

/** Child tables that carry no identity of their own, and the parent referral table they link through. */
export const LINK_VIA_REFERRAL: Readonly<Partial<Record<SourceTableName, SourceTableName>>> = {
  mhsds_care_contact: 'mhsds_referral',
  mhsds_cluster_assessment: 'mhsds_referral',
  mhsds_hospital_spell: 'mhsds_referral',
  csds_care_contact: 'csds_referral',
};

const PATHWAY_COLUMNS: Readonly<Partial<Record<SourceTableName, readonly string[]>>> = {
  ...CAREFLOW_PATHWAY_COLUMNS,
  ...COMMUNITY360_PATHWAY_COLUMNS,
};

/**
 * The silver columns `linkProject` needs of a table's rows: its key, the link columns, the referral
 * id a child table links through, the activity date (what `withhold` judges an opt-out by) and what
 * the project's pathway facts read. The marts refresh reads only these (not every silver column), so
 * the rows it holds in memory are a fraction of silver's width.
 */
export function linkInputColumns(table: SourceTableName): readonly string[] {
  const spec = SOURCE_TABLES[table];
  const viaReferral =
    LINK_VIA_REFERRAL[table] !== undefined || Object.values(LINK_VIA_REFERRAL).includes(table);
  return [
    ...new Set([
      ...spec.key,
      ...LINK_COLUMNS,
      ...(viaReferral ? ['referral_id'] : []),
      spec.activityDateColumn,
      ...(PATHWAY_COLUMNS[table] ?? []),
    ]),
  ];
}

/** A silver row as read back (latest version per record); columns may be absent. */
export type LinkInputRow = PathwayRow;
export type LinkedSilverRow = LinkInputRow & PersonLink;

export interface LinkProjectResult {
  readonly project: ProjectId;
  /** Every input row with `person_id`, `link_quality` and `link_confidence` added, by table. */
  readonly linked: ReadonlyMap<SourceTableName, LinkedSilverRow[]>;
  /** Link-quality counts per table (for the batch manifest). */
  readonly quality: ReadonlyMap<SourceTableName, Readonly<Record<string, number>>>;
  /** Rows `withhold` removed before the pathway facts, per table (unrounded: disclose before showing). */
  readonly withheld: ReadonlyMap<SourceTableName, number>;
  readonly careflow?: CareflowPathwayFacts;
  readonly community360?: Community360PathwayFacts;
}

/**
 * Links one project's silver rows and derives its pathway facts.
 *
 * Guarantees: only the project's own tables are accepted (a table of the other project throws
 * `GuardError('PROJECT_MISMATCH')`: tokens of two projects must never meet); every row comes back with the link columns; rows of
 * contact and assessment tables take the person of their referral (orphans are `unlinked`);
 * records under another key version are linked through `rekey` tables (forwards or backwards, see
 * `linkKeyVersions`) or the call throws `GuardError('KEY_VERSION_MISMATCH')`. Used by the marts
 * refresh. Pure computation over rows in memory: the caller reads
 * silver and writes gold (rows per project are streamed through two passes; see docs/linkage.md).
 */
export function linkProject(
  project: ProjectId,
  rowsByTable: ReadonlyMap<SourceTableName, readonly LinkInputRow[]>,
  options: {
    readonly keyVersion: string;
    readonly rekey?: readonly RekeyTable[];
    readonly caseloadUntil?: string;
    /**
     * The input rows become the linked rows (the link columns are added to them): the caller hands
     * them over, so memory holds one copy of every row rather than two (the marts refresh, whose
     * peak is a project's rows). Without it the input rows are left as they are.
     */
    readonly reuseRows?: boolean;
    /**
     * Rows to leave out of the pathway facts once linked (the National Data Opt-out): judged with
     * the row's `person_id`, so records linked to a person by the fallback key go with the person.
     */
    readonly withhold?: (table: SourceTableName, row: LinkedSilverRow) => boolean;
    /** Pathway settings: the reporting organisation of a provider, the high-cost and frequent-attender thresholds. */
    readonly pathways?: {
      readonly organisationRollUp?: (providerCode: string) => string;
      readonly highCostThresholdGbp?: number;
      readonly frequentAttenderMin?: number;
    };
  },
): LinkProjectResult {
  for (const table of rowsByTable.keys()) {
    const dataset = SOURCE_TABLES[table].dataset;
    if (!projectDatasets(project).includes(dataset))
      throw new GuardError(
        'PROJECT_MISMATCH',
        `linkProject: table '${table}' (dataset ${dataset}) is not part of project '${project}'`,
      );
  }
  const linker = new PersonLinker({ project, keyVersion: options.keyVersion, rekey: options.rekey });
  const direct = [...rowsByTable.keys()].filter((t) => LINK_VIA_REFERRAL[t] === undefined);
  for (const table of direct) for (const row of rowsByTable.get(table) ?? []) linker.observe(row);

  const withLink = options.reuseRows
    ? (row: LinkInputRow, link: PersonLink): LinkedSilverRow => Object.assign(row, link)
    : (row: LinkInputRow, link: PersonLink): LinkedSilverRow => ({ ...row, ...link });
  const linked = new Map<SourceTableName, LinkedSilverRow[]>();
  for (const table of direct)
    linked.set(
      table,
      (rowsByTable.get(table) ?? []).map((row) => withLink(row, linker.link(row))),
    );
  const referralIndex = new Map<SourceTableName, Map<string, PersonLink>>();
  for (const [child, parent] of Object.entries(LINK_VIA_REFERRAL) as [SourceTableName, SourceTableName][]) {
    const rows = rowsByTable.get(child);
    if (!rows) continue;
    let index = referralIndex.get(parent);
    if (!index) {
      index = new Map();
      for (const r of linked.get(parent) ?? [])
        if (typeof r.referral_id === 'string')
          index.set(r.referral_id, {
            person_id: r.person_id,
            link_quality: r.link_quality,
            link_confidence: r.link_confidence,
          });
      referralIndex.set(parent, index);
    }
    const parents = index;
    linked.set(
      child,
      rows.map((row) =>
        withLink(row, linkViaParent(typeof row.referral_id === 'string' ? row.referral_id : null, parents)),
      ),
    );
  }

  const withheld = new Map<SourceTableName, number>();
  const withhold = options.withhold;
  if (withhold)
    for (const [table, tableRows] of linked) {
      const kept = tableRows.filter((r) => !withhold(table, r));
      withheld.set(table, tableRows.length - kept.length);
      linked.set(table, kept);
    }

  const quality = new Map<SourceTableName, Record<string, number>>();
  for (const [table, rows] of linked) {
    const counts: Record<string, number> = {};
    for (const r of rows) counts[r.link_quality] = (counts[r.link_quality] ?? 0) + 1;
    quality.set(table, counts);
  }

  const rows = (t: SourceTableName) => linked.get(t) ?? [];
  // The pathway facts of the marts the project declares (projects file), not of its name.
  const families = projectPathwayFamilies(project);
  const careflow = !families.includes('careflow')
    ? undefined
    : careflowPathwayFacts({
        apcEpisodes: rows('sus_apc_episode'),
        apcSpells: rows('sus_apc_spell'),
        prescriptions: rows('prescribing_item'),
        mhReferrals: rows('mhsds_referral'),
        ...options.pathways,
      });
  const community360 = !families.includes('community360')
    ? undefined
    : community360PathwayFacts({
        attendances: rows('ecds_attendance'),
        imagingTests: rows('dids_imaging_test'),
        communityReferrals: rows('csds_referral'),
        caseloadUntil: options.caseloadUntil,
        ...options.pathways,
      });
  return {
    project,
    linked,
    quality,
    withheld,
    ...(careflow ? { careflow } : {}),
    ...(community360 ? { community360 } : {}),
  };
}
