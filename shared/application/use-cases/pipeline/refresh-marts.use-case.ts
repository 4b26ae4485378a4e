import { ReconciliationError } from '../../../domain/errors.js';
import { SOURCE_TABLES, type SourceTableName } from '../../../domain/datasets/source-tables.js';
import { changeSetColumns, type GoldTable } from '../../../domain/gold/gold-tables.js';
import {
  MART_ACTIVITY_TRUST_MONTH,
  MART_AE_PATHWAY,
  MART_COMMUNITY_CASELOAD,
  MART_DISCHARGE_MH_REFERRAL,
  MART_DQ_SCORECARD,
  MART_EMERGENCY_READMISSION,
  MART_FREQUENT_AE_ATTENDER,
  MART_HIGH_COST_SPELL,
  MART_SOURCE_TABLES,
  MART_SPELL_PRESCRIBING,
  publishedMartTable,
} from '../../../domain/gold/mart-tables.js';
import { PUBLISHED_MART_LIST } from '../../../domain/disclosure/published-marts.js';
import { materialisePublishedMart } from '../../../domain/disclosure/published-storage.js';
import { DEFAULT_DISCLOSURE_POLICY } from '../../../domain/disclosure/disclosure-policy.js';
import { publishedAggregates } from '../../../domain/pathways/published-aggregates.js';
import { organisationSuccession } from '../../../domain/reference/organisation-succession.js';
import { discloseCount, type DisclosedCount } from '../../../domain/disclosure/small-numbers.js';
import type { OptOutExemptions } from '../../../domain/opt-out/opt-out-list.js';
import type { PortableRow } from '../../../domain/gold/portable-types.js';
import { lakePaths } from '../../../domain/lake/lake-paths.js';
import type { AeFunnel } from '../../../domain/pathways/community360-pathways.js';
import type { PathwayRow } from '../../../domain/pathways/pathway-time.js';
import { careflowPathwayFacts } from '../../../domain/pathways/careflow-pathways.js';
import { community360PathwayFacts } from '../../../domain/pathways/community360-pathways.js';
import { projectIds, type ProjectId } from '../../../domain/pseudonymise/projects.js';
import { projectLinkTables } from '../../../domain/pseudonymise/project-pathways.js';
import { buildDqScorecard } from '../dq-scorecard.use-case.js';
import { linkInputColumns, linkProject, type LinkProjectResult } from '../link-project.use-case.js';
import { linkKeyVersions } from '../link-key-versions.js';
import { loadOptOutApplication } from '../opt-out.use-case.js';
import type { PipelineDeps } from './pipeline-deps.js';

export interface MartsResult {
  readonly tables: readonly { table: string; rows: number; rowsInTable: number }[];
  /** Per published mart, the cells shown as `*` (primary: 1–7; secondary: to protect them). */
  readonly suppression: Readonly<Record<string, { primary: number; secondary: number }>>;
  readonly funnel: AeFunnel;
  readonly linkage: Readonly<Record<ProjectId, Readonly<Record<string, number>>>>;
  readonly optOut: MartsOptOut;
}

/**
 * The National Data Opt-out as applied to one refresh: the list in force (null: none imported),
 * the exempt projects, and per mart the source records withheld, disclosure-controlled
 * (`discloseCount`: 0, `*` for 1–7, else the nearest 5). Never the unrounded count.
 */
export interface MartsOptOut {
  readonly listId: string | null;
  readonly exempt: OptOutExemptions;
  readonly withheld: Readonly<Record<string, DisclosedCount>>;
}

/**
 * Rebuilds the commissioner marts from silver: the latest version of every record (silver is a
 * change log; deletes drop records), linked project-wide (deterministic on the token, fallback on
 * the keyed DOB + sex + LSOA), then CareFlow's and Community 360's pathway facts and the DQ
 * scorecard; each is written to gold and replaces its warehouse table.
 *
 * The published marts (`PUBLISHED_MART_LIST`, docs/marts.md) are aggregated from the row-level
 * facts by reporting organisation (providers rolled up through their ODS successors) and month,
 * then written already disclosure-controlled (`materialisePublishedMart`: the default policy, 1–7
 * as `*`, the rest rounded to 5, secondary suppression): no exact small count of a published mart
 * reaches the lake or the warehouse.
 */
export async function refreshMarts(deps: PipelineDeps): Promise<MartsResult> {
  {
    // One engine scan per table over its silver files (latest record per key; deletes drop it).
    const latest = async (table: SourceTableName): Promise<PathwayRow[]> => {
      const spec = SOURCE_TABLES[table];
      const files: string[] = [];
      for await (const object of deps.lake.list(
        'silver',
        lakePaths.silverTablePrefix(spec.dataset, spec.table),
      ))
        if (object.path.endsWith('.parquet')) files.push(object.path);
      // Only the columns linkage, the opt-out and the pathway facts read: the rows are held in
      // memory for the whole refresh (its peak), and silver rows are several times wider.
      return deps.parquet.readLatest('silver', files, spec.key, ['_captured_at', '_seq'], {
        columns: linkInputColumns(table),
      });
    };
    // linkProject: the project guard (a table of the other project is refused) and linkage at
    // the link anchor through the re-key tables, so a key rotation neither splits nor stops it.
    // The National Data Opt-out: a record of an opted-out person is left out of every mart when
    // its activity date falls in an opt-out period, unless the project is exempt (docs/opt-out.md).
    const optOut = await loadOptOutApplication(deps);
    const withheldByTable = new Map<SourceTableName, number>();
    const succession = organisationSuccession(deps.reference.organisations());
    const pathways = {
      organisationRollUp: (code: string) => succession.rollUp(code),
      highCostThresholdGbp: deps.settings.NHSFLOWS_HIGH_COST_SPELL_GBP,
      frequentAttenderMin: deps.settings.NHSFLOWS_FREQUENT_ATTENDER_MIN,
    };
    const link = async (project: ProjectId, tables: readonly SourceTableName[]) => {
      const rows = new Map<SourceTableName, PathwayRow[]>();
      for (const table of tables) rows.set(table, await latest(table));
      const filter = optOut.filters.get(project);
      const result = linkProject(project, rows, {
        ...(await linkKeyVersions(deps, project)),
        // The rows were read for this call alone: linked in place, not copied.
        reuseRows: true,
        pathways,
        ...(filter
          ? {
              withhold: (table: SourceTableName, row: PathwayRow) =>
                filter.withholds(row, row[SOURCE_TABLES[table].activityDateColumn]),
            }
          : {}),
      });
      for (const [table, n] of result.withheld) withheldByTable.set(table, n);
      const qualities: Record<string, number> = {};
      for (const counts of result.quality.values())
        for (const [quality, n] of Object.entries(counts)) qualities[quality] = (qualities[quality] ?? 0) + n;
      return { result, qualities };
    };

    // Each project is linked over the source tables of the marts it declares (projects file); a
    // pathway module's facts come from the project that declares its marts, or are empty when no
    // project does (docs/projects.md).
    // Only the facts and counts of a linked project are kept, not its linked rows: the next project's
    // rows are read and linked while these are held, and a project's rows are the refresh's peak.
    const linkedProjects: {
      project: ProjectId;
      result: Omit<LinkProjectResult, 'linked'>;
      qualities: Record<string, number>;
    }[] = [];
    for (const project of projectIds()) {
      const tables = projectLinkTables(project);
      if (tables.length === 0) continue;
      const { result, qualities } = await link(project, tables);
      linkedProjects.push({ project, result: withoutRows(result), qualities });
    }
    const cf =
      linkedProjects.find((l) => l.result.careflow)?.result.careflow ??
      careflowPathwayFacts({ apcEpisodes: [], prescriptions: [], mhReferrals: [] });
    const c360 =
      linkedProjects.find((l) => l.result.community360)?.result.community360 ??
      community360PathwayFacts({ attendances: [], imagingTests: [], communityReferrals: [] });

    const statePaths: { container: string; path: string }[] = [];
    for await (const object of deps.lake.list('gold', lakePaths.dqStatePrefix()))
      statePaths.push({ container: 'gold', path: object.path });
    const dq = await buildDqScorecard({ statePaths }, { lake: deps.lake });

    const exact = publishedAggregates({ careflow: cf, community360: c360, ...pathways });
    const suppression: Record<string, { primary: number; secondary: number }> = {};
    const published: [GoldTable, readonly PortableRow[]][] = PUBLISHED_MART_LIST.map((declaration) => {
      const stored = materialisePublishedMart(
        declaration,
        exact.get(declaration.name) ?? [],
        DEFAULT_DISCLOSURE_POLICY,
      );
      suppression[declaration.name] = {
        primary: stored.primarySuppressed,
        secondary: stored.secondarySuppressed,
      };
      return [publishedMartTable(declaration), stored.rows];
    });
    const outputs: [GoldTable, readonly PortableRow[]][] = [
      [MART_SPELL_PRESCRIBING, cf.spellPrescribing],
      [MART_HIGH_COST_SPELL, cf.highCostSpells],
      [MART_DISCHARGE_MH_REFERRAL, cf.dischargeMhReferral],
      [MART_EMERGENCY_READMISSION, cf.emergencyReadmissions],
      [MART_ACTIVITY_TRUST_MONTH, cf.activityByTrustMonth],
      [MART_AE_PATHWAY, c360.aePathway],
      [MART_FREQUENT_AE_ATTENDER, c360.frequentAttenders],
      [MART_COMMUNITY_CASELOAD, c360.communityCaseload],
      [MART_DQ_SCORECARD, dq.rows as unknown as PortableRow[]],
      ...published,
    ];
    const warehouse = await deps.warehouse();
    await warehouse.ensureSchema(outputs.map(([t]) => t));
    const runId = deps.clock.now().toISOString().replace(/[:.]/g, '-');
    const tables = [];
    for (const [table, rows] of outputs) {
      const path = lakePaths.mart(table.name, runId);
      await deps.parquet.write('gold', path, changeSetColumns(table), asChangeSet(rows));
      const loaded = await warehouse.load({ table, batchId: `marts-${runId}`, files: [path] });
      if (loaded.rowsInTable !== rows.length)
        throw new ReconciliationError(
          `mart ${table.name}: built ${rows.length} rows but the warehouse holds ${loaded.rowsInTable}`,
        );
      tables.push({ table: table.name, rows: rows.length, rowsInTable: loaded.rowsInTable });
    }
    const withheld: Record<string, DisclosedCount> = {};
    for (const [table] of outputs) {
      let n = 0;
      for (const source of MART_SOURCE_TABLES[table.name] ?? []) n += withheldByTable.get(source) ?? 0;
      withheld[table.name] = discloseCount(n);
    }
    const optOutReport: MartsOptOut = { listId: optOut.listId, exempt: optOut.exempt, withheld };
    await deps.lake.put(
      'gold',
      lakePaths.manifest(`marts-${runId}`),
      JSON.stringify(
        {
          tables,
          funnel: c360.funnel,
          optOut: optOutReport,
          suppression,
          policy: DEFAULT_DISCLOSURE_POLICY.name,
        },
        null,
        2,
      ),
    );
    deps.telemetry.event('nhsflows.marts.refreshed', { runId }, { tables: tables.length });
    deps.logger.info('marts refreshed', { tables: tables.length, attendances: c360.funnel.attendances });
    return {
      tables,
      suppression,
      funnel: c360.funnel,
      linkage: Object.fromEntries(linkedProjects.map((l) => [l.project, l.qualities])),
      optOut: optOutReport,
    };
  }
}

/** A linked project's result without its linked rows (the facts and counts stay). */
function withoutRows(result: LinkProjectResult): Omit<LinkProjectResult, 'linked'> {
  return {
    project: result.project,
    quality: result.quality,
    withheld: result.withheld,
    ...(result.careflow ? { careflow: result.careflow } : {}),
    ...(result.community360 ? { community360: result.community360 } : {}),
  };
}

/**
 * A mart's rows as a change set (every row an upsert, in order), one row at a time: no copy of the
 * mart. The row is spread last: a mart has no `_op` or `_seq` column (a change set adds them), and
 * V8 adds each property written after a spread through the runtime, about 1 µs a property.
 */
function* asChangeSet(rows: readonly PortableRow[]): Iterable<PortableRow> {
  for (let i = 0; i < rows.length; i++) yield { _op: 'upsert', _seq: String(i), ...rows[i] };
}
