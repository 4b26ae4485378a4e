import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { BlobObjectStore } from '../../../shared/adapters/azure/blob-object-store.azure.js';
import { LocalSecretStore } from '../../../shared/adapters/local/local-secret-store.js';
import { fixedClock } from '../../../shared/application/ports/clock.port.js';
import { memoryLogger } from '../../../shared/application/ports/logger.port.js';
import type { ObjectStore } from '../../../shared/application/ports/object-store.port.js';
import { readAudit } from '../../../shared/application/use-cases/audit/audit-trail.js';
import type { AuditRecord } from '../../../shared/domain/audit/audit-record.js';
import {
  IdentityCollector,
  IdentityRegister,
} from '../../../shared/application/use-cases/pseudonymise-identity-register.js';
import { ProjectKeyRing } from '../../../shared/application/use-cases/pseudonymise-keys.js';
import {
  reidentify,
  tokensDigest,
  type ReidentifyDeps,
} from '../../../shared/application/use-cases/reidentify.use-case.js';
import { createRowPseudonymiser } from '../../../shared/domain/pseudonymise/silver-row.js';
import { apcRow, postcodes } from '../../unit/pseudonymise/row-fixtures.js';
import { testAzurite, uniqueName } from '../../support/azurite.js';
import { CAREFLOW } from '../../support/projects.js';

const KEY = 'pseudonymisation-master-key';
const NHS = ['9990000018', '9990000026', '9990001235'];
const azurite = await testAzurite();
const lake = BlobObjectStore.fromConnectionString(azurite.connectionString);
const container = uniqueName('identity');
const clock = fixedClock('2026-04-01T09:00:00.000Z');
const register = new IdentityRegister(lake, container);
let dir = '';
let keys: ProjectKeyRing;
const tokens: { token: string; keyVersion: string }[] = [];

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nhsflows-reid-'));
  const secrets = new LocalSecretStore({
    file: join(dir, 'secrets.json'),
    logger: memoryLogger(),
    createIfMissing: [KEY],
  });
  keys = new ProjectKeyRing(secrets, KEY);
  await lake.ensureContainers([container, 'audit']);
  const key = await keys.current(CAREFLOW);
  const pseudonymise = createRowPseudonymiser('sus_apc_episode', {
    project: CAREFLOW,
    key,
    postcodeToLsoa: postcodes,
  });
  const collector = new IdentityCollector();
  for (const [i, nhs] of NHS.entries()) {
    const row = apcRow({ nhs_number: nhs, episode_id: `EP${i}` });
    const silver = pseudonymise(row);
    collector.add(row, typeof silver.lsoa === 'string' ? silver.lsoa : null);
    tokens.push({ token: String(silver.patient_token), keyVersion: String(silver.token_key_version) });
  }
  await register.record(CAREFLOW, 'batch-1', 0, collector);
  await register.record(CAREFLOW, 'batch-1', 0, collector); // a retried chunk changes nothing
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
  await azurite.stop();
});

function deps(configuredRole: string, auditLake: ObjectStore = lake): ReidentifyDeps {
  return { configuredRole, audit: { lake: auditLake, clock }, register, keys };
}

async function auditRecord(auditId: string): Promise<AuditRecord> {
  const found = (await readAudit({ since: clock.now(), kind: 'reidentify' }, { lake, clock })).find(
    (r) => r.id === auditId,
  );
  if (!found) throw new Error(`no audit record ${auditId}`);
  return found;
}

const request = (role: string) => ({
  caller: 'analyst@example.nhs.uk',
  role,
  purpose: 'safeguarding case SG-2026-014',
  project: CAREFLOW,
  tokens: tokens.slice(0, 2),
});

test('re-identification is refused when the role setting is empty, and the refusal is audited', async () => {
  const result = await reidentify(deps(''), request('reidentifier'));
  assert.equal(result.outcome, 'refused');
  assert.equal(result.outcome === 'refused' && result.reason, 'disabled');
  const audit = await auditRecord(result.auditId);
  assert.equal(audit.outcome, 'refused');
  assert.equal(audit.reason, 'disabled');
  assert.equal(audit.actor, 'analyst@example.nhs.uk');
  assert.equal(audit.details.purpose, 'safeguarding case SG-2026-014');
  assert.equal(audit.details.tokenCount, 2);
  assert.equal(audit.details.keyVersions, 'v1');
  // The tokens themselves are not kept: a digest identifies the request.
  assert.equal(audit.details.tokensDigest, tokensDigest(tokens.slice(0, 2)));
  assert.ok(!JSON.stringify(audit).includes(tokens[0]!.token));
  for (const nhs of NHS) assert.ok(!JSON.stringify(audit).includes(nhs));
});

test('re-identification is refused for a caller without the configured role, and audited', async () => {
  const result = await reidentify(deps('reidentifier'), request('analyst'));
  assert.equal(result.outcome === 'refused' && result.reason, 'role-not-authorised');
  const audit = await auditRecord(result.auditId);
  assert.equal(audit.outcome, 'refused');
  assert.equal(audit.details.role, 'analyst');
});

test('an authorised caller gets the NHS numbers, and the audit records the tokens and match count but no number', async () => {
  const result = await reidentify(deps('reidentifier'), request('reidentifier'));
  assert.equal(result.outcome, 'granted');
  if (result.outcome !== 'granted') return;
  assert.deepEqual(
    result.identities.map((i) => i.nhsNumber),
    NHS.slice(0, 2),
  );
  const audit = await auditRecord(result.auditId);
  assert.equal(audit.outcome, 'done');
  assert.equal(audit.details.matched, 2);
  assert.equal(audit.at, '2026-04-01T09:00:00.000Z');
  for (const nhs of NHS) assert.ok(!JSON.stringify(audit).includes(nhs));
});

test('a token nobody registered re-identifies to null', async () => {
  const result = await reidentify(deps('reidentifier'), {
    ...request('reidentifier'),
    tokens: [{ token: 'a'.repeat(64), keyVersion: 'v1' }],
  });
  assert.equal(result.outcome === 'granted' && result.identities[0]?.nhsNumber, null);
  assert.equal((await auditRecord(result.auditId)).details.matched, 0);
});

test('an NHS number typed into the purpose or passed as a token is not stored in the audit', async () => {
  const result = await reidentify(deps('reidentifier'), {
    ...request('reidentifier'),
    purpose: 'lookup for 999 000 0018',
    tokens: [{ token: '9990000018', keyVersion: 'v1' }],
  });
  assert.equal(result.outcome === 'refused' && result.reason, 'invalid-request');
  const audit = await auditRecord(result.auditId);
  assert.ok(!JSON.stringify(audit).includes('9990000018'));
  assert.ok(!JSON.stringify(audit).includes('999 000 0018'));
});

test('when the audit cannot be written nothing is returned, granted or refused', async () => {
  // The real adapter, with writes failing the way an outage does.
  const broken: ObjectStore = Object.assign(Object.create(lake) as ObjectStore, {
    put: async () => {
      throw new Error('blob storage unavailable');
    },
  });
  await assert.rejects(reidentify(deps('reidentifier', broken), request('reidentifier')), /unavailable/);
  await assert.rejects(reidentify(deps('', broken), request('reidentifier')), /unavailable/);
});
