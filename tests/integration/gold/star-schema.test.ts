import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { SourceRow } from '../../../shared/domain/datasets/source-tables.js';
import { SOURCE_TABLES } from '../../../shared/domain/datasets/source-tables.js';
import type { PipelineInput } from '../../../shared/domain/pipeline/pipeline-contracts.js';
import { DATE_DIMENSION_SPAN } from '../../../shared/domain/star/date-dimension.js';
import { CLEAN_ROWS } from '../../unit/datasets/clean-rows.js';
import {
  csv,
  episode,
  openPipelineHarness,
  testNhsNumber,
  waitUntil,
  type PipelineHarness,
} from '../pipeline/pipeline-harness.js';

// The star schema on the embedded default at a small size: two SUS spells (one of three episodes,
// one of one) and their episodes dropped as landing files, through the real host into DuckDB.

let h: PipelineHarness;
after(async () => {
  await h?.close();
});

const spell = (i: number, tariff: string): SourceRow => {
  const id = String(i).padStart(6, '0');
  return {
    ...CLEAN_ROWS.sus_apc_spell,
    spell_id: `SLT${id}`,
    hospital_provider_spell_number: `SPT${id}`,
    nhs_number: testNhsNumber(i),
    tariff_gbp: tariff,
  };
};
const SPELLS = [spell(1, '2614.26'), spell(2, '1830.10')];
const EPISODES = [
  // A practice in the reference (D82063), and one that is not (the clean row's M85001): no version, no key.
  episode(1, { episode_id: 'EPT000001', episode_number: 1, gp_practice_code: 'D82063' }),
  episode(1, { episode_id: 'EPT000002', episode_number: 2, gp_practice_code: 'D82063' }),
  episode(1, { episode_id: 'EPT000003', episode_number: 3, gp_practice_code: 'D82063' }),
  episode(2, { episode_id: 'EPT000004', episode_number: 1 }),
];

async function land(name: string, body: string): Promise<void> {
  await h.drop(name, body);
  await waitUntil(`an orchestration for landing/${name}`, () =>
    h.host.durable
      .list()
      .some(
        (i) => i.name === 'pipelineOrchestrator' && (i.input as PipelineInput | null)?.batch.origin === name,
      ),
  );
  await h.host.waitForIdle({ timeoutMs: 60_000 });
}

async function q(sql: string): Promise<Record<string, unknown>[]> {
  return (await h.services.pipeline.warehouse()).query(sql);
}

before(async () => {
  h = await openPipelineHarness();
  await land(
    'sus_apc_spell/star-spells.csv',
    csv(
      SPELLS,
      SOURCE_TABLES.sus_apc_spell.columns.map((c) => c.name),
    ),
  );
  await land('sus_apc_episode/star-episodes.csv', csv(EPISODES));
});

test('a spell of three episodes is one fact_apc_spell row and its tariff is counted once', async () => {
  const spells = await q(
    'SELECT spell_id, tariff_gbp::VARCHAR AS tariff FROM fact_apc_spell ORDER BY spell_id',
  );
  assert.deepEqual(
    spells.map((r) => [r.spell_id, r.tariff]),
    SPELLS.map((s) => [s.spell_id, s.tariff_gbp]),
  );
  const episodes = await q(
    'SELECT hospital_provider_spell_number AS spell, count(*)::INTEGER AS n FROM fact_apc_episode GROUP BY 1 ORDER BY 1',
  );
  assert.deepEqual(
    episodes.map((r) => [r.spell, r.n]),
    [
      ['SPT000001', 3],
      ['SPT000002', 1],
    ],
  );
  // Summing over the episode grain (joined to its spell) is what over-counts; the spell fact never does.
  const expected = SPELLS.reduce((n, s) => n + Math.round(Number(s.tariff_gbp) * 100), 0);
  const [sum] = await q('SELECT (sum(tariff_gbp) * 100)::BIGINT AS pence FROM fact_apc_spell');
  assert.equal(Number(sum?.pence), expected);
  // fact_activity agrees: the cost sits on the spell's row only.
  const [activity] = await q(
    "SELECT (sum(cost_gbp) * 100)::BIGINT AS pence, count(cost_gbp)::INTEGER AS priced FROM fact_activity WHERE dataset = 'sus_apc'",
  );
  assert.equal(Number(activity?.pence), expected);
  assert.equal(activity?.priced, SPELLS.length);
  const episodeColumns = (
    await q("SELECT column_name FROM information_schema.columns WHERE table_name = 'fact_apc_episode'")
  ).map((r) => String(r.column_name));
  assert.ok(
    !episodeColumns.some((c) => /tariff|cost/.test(c)),
    `episode fact has no price: ${episodeColumns.join(', ')}`,
  );
});

test('every fact row joins its conformed dimensions: date, organisation version, HRG and practice', async () => {
  const [orphans] = await q(`SELECT
      (SELECT count(*) FROM fact_apc_spell f LEFT JOIN dim_date d ON d.date_key = f.date_key WHERE d.date_key IS NULL)::INTEGER AS no_date,
      (SELECT count(*) FROM fact_apc_spell f LEFT JOIN dim_date d ON d.date_key = f.discharge_date_key WHERE d.date_key IS NULL)::INTEGER AS no_discharge_date,
      (SELECT count(*) FROM fact_apc_spell f LEFT JOIN dim_organisation o ON o.organisation_sk = f.organisation_sk WHERE o.organisation_sk IS NULL)::INTEGER AS no_org,
      (SELECT count(*) FROM fact_apc_spell f LEFT JOIN dim_hrg g ON g.hrg_sk = f.hrg_sk WHERE g.hrg_sk IS NULL)::INTEGER AS no_hrg,
      (SELECT count(*) FROM fact_apc_episode f LEFT JOIN dim_organisation o ON o.organisation_sk = f.organisation_sk WHERE o.organisation_sk IS NULL)::INTEGER AS no_episode_org,
      (SELECT count(*) FROM fact_apc_episode f LEFT JOIN dim_practice p ON p.practice_sk = f.practice_sk WHERE f.practice_sk IS NOT NULL AND p.practice_sk IS NULL)::INTEGER AS no_practice`);
  assert.deepEqual(orphans, {
    no_date: 0,
    no_discharge_date: 0,
    no_org: 0,
    no_hrg: 0,
    no_episode_org: 0,
    no_practice: 0,
  });
  const rows = await q(`SELECT o.organisation_code, d.financial_year, g.hrg_code
      FROM fact_apc_spell f JOIN dim_organisation o USING (organisation_sk) JOIN dim_date d ON d.date_key = f.date_key
      JOIN dim_hrg g ON g.hrg_sk = f.hrg_sk ORDER BY f.spell_id`);
  assert.deepEqual(
    rows,
    SPELLS.map(() => ({ organisation_code: 'RRK', financial_year: '2026/27', hrg_code: 'EB03E' })),
  );
  const practices = await q(`SELECT f.gp_practice_code AS code, p.practice_code, p.icb_code
      FROM fact_apc_episode f LEFT JOIN dim_practice p USING (practice_sk) ORDER BY f.episode_id`);
  assert.deepEqual(practices, [
    ...[1, 2, 3].map(() => ({ code: 'D82063', practice_code: 'D82063', icb_code: 'QMM' })),
    { code: 'M85001', practice_code: null, icb_code: null },
  ]);
  // The organisation version is the one in force on the admission date.
  const [inForce] =
    await q(`SELECT count(*)::INTEGER AS n FROM fact_apc_spell f JOIN dim_organisation o USING (organisation_sk)
      WHERE NOT (o.valid_from <= f.activity_date AND f.activity_date < o.valid_to)`);
  assert.equal(inForce?.n, 0);
});

test('the reference dimensions are loaded once, whole, from the reference data', async () => {
  const days = (Date.parse(DATE_DIMENSION_SPAN.to) - Date.parse(DATE_DIMENSION_SPAN.from)) / 86_400_000 + 1;
  const [counts] = await q(`SELECT
      (SELECT count(*) FROM dim_date)::INTEGER AS dates,
      (SELECT count(DISTINCT batch_id) FROM dim_organisation)::INTEGER AS org_loads,
      (SELECT count(*) FROM dim_organisation WHERE current_successor_code IS NULL)::INTEGER AS no_successor,
      (SELECT count(*) FROM dim_bnf)::INTEGER AS bnf,
      (SELECT count(*) FROM dim_practice)::INTEGER AS practices,
      (SELECT count(*) FROM dim_organisation WHERE organisation_kind = 'gp_practice')::INTEGER AS practice_orgs`);
  assert.equal(counts?.dates, days);
  assert.equal(counts?.org_loads, 1);
  assert.equal(counts?.no_successor, 0);
  assert.ok(Number(counts?.bnf) > 0);
  assert.equal(counts?.practices, counts?.practice_orgs);
  // No patient record reaches a reference dimension: they hold no pseudonym or person column.
  const personColumns = await q(`SELECT table_name, column_name FROM information_schema.columns
      WHERE table_name IN ('dim_date','dim_organisation','dim_practice','dim_hrg','dim_bnf')
      AND column_name IN ('patient_sk','patient_token','person_id')`);
  assert.deepEqual(personColumns, []);
});
