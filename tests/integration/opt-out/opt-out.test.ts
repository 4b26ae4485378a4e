import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readAudit } from '../../../shared/application/use-cases/audit/audit-trail.js';
import {
  importOptOutList,
  loadOptOutApplication,
} from '../../../shared/application/use-cases/opt-out.use-case.js';
import { refreshMarts } from '../../../shared/application/use-cases/pipeline/refresh-marts.use-case.js';
import type { PipelineDeps } from '../../../shared/application/use-cases/pipeline/pipeline-deps.js';
import { writeTableCsv } from '../../../shared/cli/export.command.js';
import { renderMarts } from '../../../shared/cli/marts-summary.js';
import { LAKE_CONTAINERS } from '../../../shared/domain/lake/lake-paths.js';
import { MART_TABLES } from '../../../shared/domain/gold/mart-tables.js';
import type { PipelineInput } from '../../../shared/domain/pipeline/pipeline-contracts.js';
import {
  csv,
  episode,
  openPipelineHarness,
  testNhsNumber,
  waitUntil,
  type PipelineHarness,
} from '../pipeline/pipeline-harness.js';

// The National Data Opt-out through the real local host on Azurite: eight patients' episodes
// (activity date 2026-09-01) are loaded, an opt-out list is imported, and the marts refresh and the
// research export must leave out exactly the records the rule withholds, report that count
// disclosure-controlled, keep everyone for a direct-care project, and leave no clear NHS number in
// the lake.

const ACTIVITY = '2026-09-01';
const PATIENTS = [1, 2, 3, 4, 5, 6, 7, 8];
/** Patients the rule withholds: opted out before (1-3) or on (5) the activity date. */
const WITHHELD = [1, 2, 3, 5];
/** In the list but never in the data: their numbers must appear nowhere in the lake. */
const LIST_ONLY = [testNhsNumber(100), testNhsNumber(101)];
const spaced = (n: string) => `${n.slice(0, 3)} ${n.slice(3, 6)} ${n.slice(6)}`;

const LIST = [
  'nhs_number,effective_from,withdrawn_on',
  `${testNhsNumber(1)},2025-01-01,`,
  `${spaced(testNhsNumber(2))},2025-01-01,`,
  `${testNhsNumber(3)},2026-08-31,`,
  `${testNhsNumber(4)},2026-09-02,`, // effective the day after the activity: the activity stays
  `${testNhsNumber(5)},${ACTIVITY},`, // effective on the activity date: withheld
  `${testNhsNumber(6)},2025-01-01,${ACTIVITY}`, // withdrawn on the activity date: the activity stays
  `${LIST_ONLY[0]},2025-01-01,`,
  `${spaced(LIST_ONLY[1] ?? '')},2025-01-01,2026-01-01`,
].join('\n');

let h: PipelineHarness;
before(async () => {
  h = await openPipelineHarness();
  await h.drop('sus_apc_episode/2026-09-optout.csv', csv(PATIENTS.map((i) => episode(i))));
  const id = await waitUntil(
    'the orchestration of the episodes',
    () =>
      h.host.durable
        .list()
        .find(
          (i) =>
            i.name === 'pipelineOrchestrator' &&
            (i.input as PipelineInput | null)?.batch.origin !== undefined,
        )?.instanceId,
  );
  await h.host.waitForIdle({ timeoutMs: 120_000 });
  assert.equal(h.host.instance(id)?.runtimeStatus, 'Completed', JSON.stringify(h.host.status()));
});
after(async () => {
  await h?.close();
});

const spellOf = (i: number) => `SPT${String(i).padStart(6, '0')}`;
const episodeOf = (i: number) => `EPT${String(i).padStart(6, '0')}`;
const KEPT = PATIENTS.filter((i) => !WITHHELD.includes(i));

async function query(sql: string): Promise<Record<string, unknown>[]> {
  return (await h.services.pipeline.warehouse()).query(sql);
}

async function exported(table: string, deps: PipelineDeps): Promise<{ lines: string[]; withheld: string }> {
  const lines: string[] = [];
  let withheld = '';
  await writeTableCsv(await deps.warehouse(), table, undefined, (l) => lines.push(l), {
    optOut: await loadOptOutApplication(deps),
    onWithheld: (n) => (withheld = n),
  });
  return { lines, withheld };
}

test('a list with a bad row is refused whole, audited, and leaves nothing in the lake', async () => {
  const pipeline = h.services.pipeline;
  await assert.rejects(
    importOptOutList(pipeline, { csvText: `${LIST}\n9990000019,2025-01-01,`, actor: 'test:custodian' }),
    (error: Error & { code?: string }) =>
      error.code === 'INPUT_INVALID' && !error.message.includes('9990000019'),
  );
  // The same through the admin endpoint (POST /api/opt-out/import, JSON { csv }).
  const response = await fetch(`${h.host.origin ?? ''}/api/opt-out/import`, {
    method: 'POST',
    headers: { 'x-functions-key': h.env.adminKey, 'content-type': 'application/json' },
    body: JSON.stringify({ csv: `${LIST}\n${testNhsNumber(7)},2025-13-01,` }),
  });
  assert.equal(response.status, 400);
  const answer = (await response.json()) as { code: string; error: string };
  assert.equal(answer.code, 'INPUT_INVALID');
  assert.match(answer.error, /line 10 effective_from: expected a date YYYY-MM-DD/);
  // A configured custodian role the caller does not hold: refused before the file is read.
  await assert.rejects(
    importOptOutList(
      { ...pipeline, custodianRole: 'KeyCustodian' },
      { csvText: LIST, actor: 'test:analyst', roles: [] },
    ),
    (error: Error & { code?: string }) => error.code === 'ROLE_REQUIRED',
  );
  assert.deepEqual(await h.list('identity', 'opt-out/'), []);
  const audit = await readAudit({ since: new Date(Date.now() - 60_000), kind: 'opt-out-import' }, pipeline);
  assert.deepEqual(
    audit.map((r) => [r.outcome, r.reason]),
    [
      ['refused', 'INPUT_INVALID'],
      ['refused', 'INPUT_INVALID'],
      ['refused', 'ROLE_REQUIRED'],
    ],
  );
  assert.ok(!h.logs().includes(testNhsNumber(7)), 'an NHS number of a refused list reached a log line');
});

test('the import stores tokens and dates only: no clear NHS number of the list anywhere in the lake or the logs', async () => {
  const result = await importOptOutList(h.services.pipeline, { csvText: LIST, actor: 'test:custodian' });
  assert.equal(result.entries, 8);
  assert.equal(result.patients, 8);
  assert.deepEqual(await h.list('identity', 'opt-out/'), [result.path]);

  const all = [...PATIENTS.map((i) => testNhsNumber(i)), ...LIST_ONLY];
  const stored = await h.text('identity', 'opt-out/');
  for (const n of all) {
    assert.ok(
      !stored.includes(n) && !stored.includes(spaced(n)),
      'an NHS number is in the stored opt-out list',
    );
    assert.ok(!h.logs().includes(n), 'an NHS number of the list reached a log line');
  }
  // Numbers only the list holds: found nowhere in any container (the pipeline's own inputs hold the others).
  for (const container of LAKE_CONTAINERS) {
    const text = await h.text(container);
    for (const n of LIST_ONLY)
      assert.ok(
        !text.includes(n) && !text.includes(spaced(n)),
        `a clear NHS number of the list is in ${container}`,
      );
  }
  const audit = await readAudit(
    { since: new Date(Date.now() - 60_000), kind: 'opt-out-import' },
    h.services.pipeline,
  );
  assert.equal(audit.at(-1)?.outcome, 'done');
  assert.equal(audit.at(-1)?.details.listId, result.listId);
});

test('the published marts leave out the opted-out patients at their activity date and report the withheld count suppressed', async () => {
  const result = await refreshMarts(h.services.pipeline);
  assert.ok(result.optOut.listId?.startsWith('optout-'));
  assert.deepEqual(result.optOut.exempt, {});
  // 4 episodes withheld: published as '*' (1-7), never as 4; marts fed by other datasets withhold 0.
  assert.equal(result.optOut.withheld.fact_spell_prescribing, '*');
  assert.equal(result.optOut.withheld.fact_activity_trust_month, '*');
  assert.equal(result.optOut.withheld.fact_discharge_mh_referral, '*');
  assert.equal(result.optOut.withheld.fact_ae_pathway, '0');
  assert.equal(result.optOut.withheld.dq_scorecard, '0');
  assert.deepEqual(Object.keys(result.optOut.withheld).sort(), MART_TABLES.map((t) => t.name).sort());

  const spells = (
    await query('SELECT hospital_provider_spell_number AS s FROM fact_spell_prescribing ORDER BY s')
  ).map((r) => r.s);
  assert.deepEqual(spells, KEPT.map(spellOf));
  const [trust] = await query('SELECT sum(episodes_started)::INTEGER AS n FROM fact_activity_trust_month');
  assert.equal(trust?.n, KEPT.length);

  const manifests = await h.list('gold', 'manifests/marts-');
  const manifest = JSON.parse(await h.text('gold', manifests.at(-1))) as { optOut: unknown };
  assert.deepEqual(manifest.optOut, result.optOut);
  assert.ok(!JSON.stringify(manifest).includes('"4"'), 'the unrounded count reached the manifest');
  // What `nhs-flows start` prints after the marts.
  const summary = await renderMarts(h.services.pipeline);
  assert.match(summary, /National Data Opt-out \(list optout-[^)]+\): records withheld per mart/);
  assert.match(summary, /fact_spell_prescribing +\*\n/);
  assert.match(summary, /fact_ae_pathway +0\n/);
});

test('the research export leaves out the same records and says how many, suppressed', async () => {
  const facts = await exported('fact_activity', h.services.pipeline);
  assert.equal(facts.withheld, '*');
  const header = facts.lines[0]?.split(',') ?? [];
  const keyAt = header.indexOf('record_key');
  const keys = facts.lines.slice(1).map((l) => l.split(',')[keyAt]);
  assert.deepEqual(keys.sort(), KEPT.map(episodeOf).sort());

  // A dimension version is judged at the date it came into force (the activity that created it).
  const [all] = await query("SELECT count(*)::INTEGER AS n FROM dim_patient WHERE project = 'careflow'");
  const members = await exported('dim_patient', h.services.pipeline);
  assert.equal(members.withheld, '*');
  assert.equal(members.lines.length - 1, Number(all?.n) - WITHHELD.length);
});

test('a project declared direct care keeps every patient in its marts and export, and says it is exempt', async () => {
  const pipeline: PipelineDeps = {
    ...h.services.pipeline,
    settings: { ...h.services.pipeline.settings, NHSFLOWS_OPT_OUT_EXEMPTIONS: 'careflow=direct-care' },
  };
  const result = await refreshMarts(pipeline);
  assert.deepEqual(result.optOut.exempt, { careflow: 'direct-care' });
  assert.ok(Object.values(result.optOut.withheld).every((n) => n === '0'));
  const spells = (
    await query('SELECT hospital_provider_spell_number AS s FROM fact_spell_prescribing ORDER BY s')
  ).map((r) => r.s);
  assert.deepEqual(spells, PATIENTS.map(spellOf));
  const facts = await exported('fact_activity', pipeline);
  assert.equal(facts.withheld, '0');
  assert.equal(facts.lines.length - 1, PATIENTS.length);
});
