import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { BlobObjectStore } from '../../../shared/adapters/azure/blob-object-store.azure.js';
import { TableStateStore } from '../../../shared/adapters/azure/table-state-store.azure.js';
import { LocalSecretStore } from '../../../shared/adapters/local/local-secret-store.js';
import { fixedClock } from '../../../shared/application/ports/clock.port.js';
import { memoryLogger } from '../../../shared/application/ports/logger.port.js';
import type { StateStore, StateValue } from '../../../shared/application/ports/state-store.port.js';
import {
  IdentityCollector,
  IdentityRegister,
} from '../../../shared/application/use-cases/pseudonymise-identity-register.js';
import { ProjectKeyRing } from '../../../shared/application/use-cases/pseudonymise-keys.js';
import {
  reidentify,
  type ReidentificationAuditRecord,
  type ReidentifyDeps,
} from '../../../shared/application/use-cases/reidentify.use-case.js';
import { createRowPseudonymiser } from '../../../shared/domain/pseudonymise/silver-row.js';
import { apcRow, postcodes } from '../../unit/pseudonymise/row-fixtures.js';
import { testAzurite, uniqueName } from '../../support/azurite.js';

const KEY = 'pseudonymisation-master-key';
const NHS = ['9990000018', '9990000026', '9990001235'];
const azurite = await testAzurite();
const state = TableStateStore.fromConnectionString(azurite.connectionString);
const lake = BlobObjectStore.fromConnectionString(azurite.connectionString);
const container = uniqueName('identity');
const auditTable = uniqueName('reidaudit').replace(/[^a-z0-9]/g, '');
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
  await lake.ensureContainers([container]);
  const key = await keys.current('careflow');
  const pseudonymise = createRowPseudonymiser('sus_apc_episode', {
    project: 'careflow',
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
  await register.record('careflow', 'batch-1', 0, collector);
  await register.record('careflow', 'batch-1', 0, collector); // a retried chunk changes nothing
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
  await azurite.stop();
});

function deps(configuredRole: string, audit: StateStore = state): ReidentifyDeps {
  return { configuredRole, audit, register, keys, clock: fixedClock('2026-04-01T09:00:00.000Z'), auditTable };
}

async function auditRecord(auditId: string): Promise<ReidentificationAuditRecord> {
  for await (const entity of state.list<StateValue>(auditTable, '2026-04'))
    if (entity.value.auditId === auditId) return entity.value as unknown as ReidentificationAuditRecord;
  throw new Error(`no audit record ${auditId}`);
}

const request = (role: string) => ({
  caller: 'analyst@example.nhs.uk',
  role,
  purpose: 'safeguarding case SG-2026-014',
  project: 'careflow' as const,
  tokens: tokens.slice(0, 2),
});

test('re-identification is refused when the role setting is empty, and the refusal is audited', async () => {
  const result = await reidentify(deps(''), request('reidentifier'));
  assert.equal(result.outcome, 'refused');
  assert.equal(result.outcome === 'refused' && result.reason, 'disabled');
  const audit = await auditRecord(result.auditId);
  assert.equal(audit.outcome, 'refused');
  assert.equal(audit.reason, 'disabled');
  assert.equal(audit.caller, 'analyst@example.nhs.uk');
  assert.equal(audit.purpose, 'safeguarding case SG-2026-014');
  assert.equal(audit.tokenCount, 2);
  assert.ok(audit.tokens.includes(tokens[0]!.token));
  for (const nhs of NHS) assert.ok(!JSON.stringify(audit).includes(nhs));
});

test('re-identification is refused for a caller without the configured role, and audited', async () => {
  const result = await reidentify(deps('reidentifier'), request('analyst'));
  assert.equal(result.outcome === 'refused' && result.reason, 'role-not-authorised');
  const audit = await auditRecord(result.auditId);
  assert.equal(audit.outcome, 'refused');
  assert.equal(audit.role, 'analyst');
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
  assert.equal(audit.outcome, 'granted');
  assert.equal(audit.matched, 2);
  assert.equal(audit.at, '2026-04-01T09:00:00.000Z');
  for (const nhs of NHS) assert.ok(!JSON.stringify(audit).includes(nhs));
});

test('a token nobody registered re-identifies to null', async () => {
  const result = await reidentify(deps('reidentifier'), {
    ...request('reidentifier'),
    tokens: [{ token: 'a'.repeat(64), keyVersion: 'v1' }],
  });
  assert.equal(result.outcome === 'granted' && result.identities[0]?.nhsNumber, null);
  assert.equal((await auditRecord(result.auditId)).matched, 0);
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
  const broken: StateStore = Object.assign(Object.create(state) as StateStore, {
    ensureTables: async () => undefined,
    insert: async () => {
      throw new Error('table storage unavailable');
    },
  });
  await assert.rejects(reidentify(deps('reidentifier', broken), request('reidentifier')), /unavailable/);
  await assert.rejects(reidentify(deps('', broken), request('reidentifier')), /unavailable/);
});
