import { MART_TABLES } from '../domain/gold/mart-tables.js';
import type { PipelineDeps } from '../application/use-cases/pipeline/pipeline-deps.js';
import type { MartsOptOut } from '../application/use-cases/pipeline/refresh-marts.use-case.js';
import { lakePaths } from '../domain/lake/lake-paths.js';

/** The commissioners' headline figures from the warehouse marts (counts only). */
export async function renderMarts(deps: PipelineDeps): Promise<string> {
  const warehouse = await deps.warehouse();
  await warehouse.ensureSchema(MART_TABLES);
  const one = async (sql: string): Promise<Record<string, unknown>> => (await warehouse.query(sql))[0] ?? {};
  const n = (v: unknown): string => (typeof v === 'string' || typeof v === 'number' ? String(v) : '0');
  const lines = ['', 'marts (warehouse):'];
  for (const table of MART_TABLES)
    lines.push(
      `  ${table.name.padEnd(28)} ${n((await one(`SELECT count(*)::INTEGER AS n FROM "${table.name}"`)).n).padStart(7)} rows`,
    );
  const spells = await one(
    `SELECT count(*)::INTEGER AS spells, sum(nic_90d_gbp)::VARCHAR AS nic FROM fact_spell_prescribing`,
  );
  const mh = await one(
    `SELECT count(*)::INTEGER AS discharges, count(*) FILTER (WHERE referred_within_30d)::INTEGER AS referred FROM fact_discharge_mh_referral`,
  );
  const ae = await one(`SELECT count(*)::INTEGER AS attendances FROM fact_ae_pathway`);
  const optOut = await latestMartsOptOut(deps);
  if (optOut)
    lines.push(
      '',
      `National Data Opt-out (list ${optOut.listId ?? 'none'}): records withheld per mart (0, * for 1-7, else to the nearest 5):`,
      ...Object.entries(optOut.withheld).map(([mart, n]) => `  ${mart.padEnd(28)} ${n.padStart(7)}`),
    );
  lines.push(
    '',
    `CareFlow: ${n(spells.spells)} spells; prescribing NIC within 90 days of discharge £${n(spells.nic)}; ${n(mh.referred)} of ${n(mh.discharges)} discharges referred to MH within 30 days`,
    `Community 360: ${n(ae.attendances)} A&E attendances in the pathway mart`,
  );
  return lines.join('\n');
}

/** The opt-out report of the newest marts refresh (its manifest), or undefined before the first. */
async function latestMartsOptOut(deps: PipelineDeps): Promise<MartsOptOut | undefined> {
  const prefix = lakePaths.manifest('marts-').replace(/\.json$/, '');
  let newest: string | undefined;
  for await (const object of deps.lake.list('gold', prefix))
    if (newest === undefined || object.path > newest) newest = object.path;
  if (newest === undefined) return undefined;
  const body = await deps.lake.get('gold', newest);
  const manifest = body ? (JSON.parse(body.toString('utf8')) as { optOut?: MartsOptOut }) : undefined;
  return manifest?.optOut;
}
