import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readAudit } from '../../../shared/application/use-cases/audit/audit-trail.js';
import { refreshMarts } from '../../../shared/application/use-cases/pipeline/refresh-marts.use-case.js';
import { IdentityRegister } from '../../../shared/application/use-cases/pseudonymise-identity-register.js';
import {
  keyLifecycleDeps,
  keyStatus,
  rekeyKeys,
  rotateKeys,
} from '../../../shared/application/use-cases/rekey-project.use-case.js';
import { reidentify } from '../../../shared/application/use-cases/reidentify.use-case.js';
import type { PipelineInput } from '../../../shared/domain/pipeline/pipeline-contracts.js';
import {
  csv,
  episode,
  openPipelineHarness,
  testNhsNumber,
  waitUntil,
  type PipelineHarness,
} from './pipeline-harness.js';
import { CAREFLOW } from '../../support/projects.js';

// A master key rotation in the middle of a stream, through the real local host on Azurite: a
// population is loaded at v1, the key is rotated (`nhs-flows keys rotate`'s use case), more records
// of the same patients arrive at v2, and gold's patient dimension, fact_activity and the marts must
// still see each patient once; re-identification resolves a v2 token with the role and is refused
// (and audited) without it.

const PATIENTS = [1, 2, 3, 4, 5];
let h: PipelineHarness;
before(async () => {
  process.env.NHSFLOWS_REIDENTIFICATION_ROLE = 'caldicott-custodian';
  h = await openPipelineHarness();
});
after(async () => {
  await h?.close();
  delete process.env.NHSFLOWS_REIDENTIFICATION_ROLE;
});

async function load(name: string, body: string): Promise<void> {
  await h.drop(name, body);
  const id = await waitUntil(
    `an orchestration for landing/${name}`,
    () =>
      h.host.durable
        .list()
        .find(
          (i) =>
            i.name === 'pipelineOrchestrator' && (i.input as PipelineInput | null)?.batch.origin === name,
        )?.instanceId,
  );
  await h.host.waitForIdle({ timeoutMs: 120_000 });
  assert.equal(h.host.instance(id)?.runtimeStatus, 'Completed', JSON.stringify(h.host.status()));
}

async function query(sql: string): Promise<Record<string, unknown>[]> {
  return (await h.services.pipeline.warehouse()).query(sql);
}

const SECOND = PATIENTS.map((i) =>
  episode(i, {
    episode_id: `EPR${String(i).padStart(6, '0')}`,
    hospital_provider_spell_number: `SPR${String(i).padStart(6, '0')}`,
    admission_date: '2026-09-20',
    episode_start_date: '2026-09-20',
    episode_end_date: '2026-09-22',
    discharge_date: '2026-09-22',
    // Patient 1 changed GP practice: a new dimension version of the same member.
    ...(i === 1 ? { gp_practice_code: 'M85002' } : {}),
  }),
);

let rotation: Awaited<ReturnType<typeof rotateKeys>>;

test('before the rotation: the population loads at the first key version', async () => {
  await load('sus_apc_episode/2026-09-first.csv', csv(PATIENTS.map((i) => episode(i))));
  const [dim] = await query(
    "SELECT count(DISTINCT patient_token)::INTEGER AS members FROM dim_patient WHERE project = 'careflow'",
  );
  assert.equal(dim?.members, PATIENTS.length);
});

test('keys rotate: a new version becomes current, the link anchor stays at the old one, each project gets its re-key table, audited', async () => {
  const deps = keyLifecycleDeps(h.services.pipeline);
  rotation = await rotateKeys(deps, { actor: 'local:test', roles: [] });
  assert.notEqual(rotation.currentVersion, rotation.previousVersion);
  assert.equal(rotation.anchorVersion, rotation.previousVersion);
  assert.equal(rotation.tokens[CAREFLOW], PATIENTS.length);
  const status = await keyStatus(deps);
  assert.equal(status.currentVersion, rotation.currentVersion);
  assert.equal(status.anchorVersion, rotation.previousVersion);
  assert.ok(status.projects.every((p) => p.linked));
  const careflow = status.projects.find((p) => p.project === CAREFLOW);
  assert.deepEqual(careflow?.rekeyTables, [`${rotation.previousVersion}--${rotation.currentVersion}`]);

  const audit = await readAudit(
    { since: new Date(Date.now() - 60_000), kind: 'key-rotate' },
    { lake: h.services.pipeline.lake, clock: h.services.pipeline.clock },
  );
  const record = audit.find((r) => r.id === rotation.auditId);
  assert.equal(record?.outcome, 'done');
  assert.equal(record?.details.currentVersion, rotation.currentVersion);
  assert.equal(record?.details.careflowTokens, PATIENTS.length);

  // A second rekey never rebuilds the stored table (linkage reads it both ways).
  const rekey = await rekeyKeys(deps, { actor: 'local:test', roles: [] });
  assert.ok(rekey.projects.every((p) => !p.built));
});

test('after the rotation: new records of the same patients join the same dimension members and persons (no split)', async () => {
  await load('sus_apc_episode/2026-09-second.csv', csv(SECOND));
  const [dim] = await query(
    "SELECT count(DISTINCT patient_token)::INTEGER AS members, count(*)::INTEGER AS versions FROM dim_patient WHERE project = 'careflow'",
  );
  assert.equal(dim?.members, PATIENTS.length, 'one dimension member per patient across key versions');
  assert.equal(
    dim?.versions,
    PATIENTS.length + 1,
    "patient 1's GP change is a new version of the same member",
  );
  const [facts] = await query(
    "SELECT count(*)::INTEGER AS facts, count(DISTINCT person_id)::INTEGER AS persons, count(DISTINCT patient_token)::INTEGER AS tokens, count(patient_sk)::INTEGER AS keyed FROM fact_activity WHERE source_table = 'sus_apc_episode'",
  );
  assert.deepEqual(facts, { facts: 10, persons: PATIENTS.length, tokens: PATIENTS.length, keyed: 10 });
});

test('after the rotation: the marts refresh links silver at both key versions as one person per patient', async () => {
  const result = await refreshMarts(h.services.pipeline);
  assert.equal(result.linkage[CAREFLOW]?.deterministic, 10);
  const rows = await query(
    'SELECT sum(persons)::INTEGER AS persons, sum(episodes_started)::INTEGER AS episodes FROM fact_activity_trust_month',
  );
  assert.deepEqual(rows[0], { persons: PATIENTS.length, episodes: 10 });
});

test('reidentify with the custodian role resolves a token issued after the rotation; without it the attempt is refused and audited', async () => {
  const p = h.services.pipeline;
  const key = await p.keys.version(CAREFLOW, rotation.currentVersion);
  const { createPseudonymiser } = await import('../../../shared/domain/pseudonymise/pseudonym.js');
  const token = createPseudonymiser(key, { cacheLimit: 0 }).tokenOfValid(testNhsNumber(3));
  const deps = {
    configuredRole: p.settings.NHSFLOWS_REIDENTIFICATION_ROLE,
    audit: { lake: p.lake, clock: p.clock },
    register: new IdentityRegister(p.lake),
    keys: p.keys,
  };
  const request = {
    caller: 'local:test',
    purpose: 'subject access request SAR-2026-7',
    project: CAREFLOW,
    tokens: [{ token, keyVersion: rotation.currentVersion }],
  };
  const granted = await reidentify(deps, { ...request, role: 'caldicott-custodian' });
  assert.equal(granted.outcome, 'granted');
  assert.equal(granted.outcome === 'granted' && granted.identities[0]?.nhsNumber, testNhsNumber(3));

  // Through the local host's admin endpoint: the key is given, but the local operator holds no role.
  const response = await fetch(`${h.host.origin ?? ''}/api/reidentify`, {
    method: 'POST',
    headers: { 'x-functions-key': h.env.adminKey, 'content-type': 'application/json' },
    body: JSON.stringify({ project: CAREFLOW, purpose: request.purpose, tokens: request.tokens }),
  });
  assert.equal(response.status, 403);
  const refused = (await response.json()) as { reason: string; auditId: string };
  assert.equal(refused.reason, 'role-not-authorised');

  const audit = await readAudit({ since: new Date(Date.now() - 60_000), kind: 'reidentify' }, deps.audit);
  assert.equal(audit.find((r) => r.id === granted.auditId)?.outcome, 'done');
  assert.equal(audit.find((r) => r.id === refused.auditId)?.outcome, 'refused');
  const text = JSON.stringify(audit) + h.logs();
  for (const i of PATIENTS)
    assert.ok(!text.includes(testNhsNumber(i)), 'no NHS number in the audit or the logs');
  assert.ok(!JSON.stringify(audit).includes(token), 'no token in the audit');
});
