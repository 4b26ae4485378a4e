import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { BlobObjectStore } from '../../../shared/adapters/azure/blob-object-store.azure.js';
import { LocalSecretStore } from '../../../shared/adapters/local/local-secret-store.js';
import { memoryLogger } from '../../../shared/application/ports/logger.port.js';
import {
  IdentityCollector,
  IdentityRegister,
} from '../../../shared/application/use-cases/pseudonymise-identity-register.js';
import { ProjectKeyRing } from '../../../shared/application/use-cases/pseudonymise-keys.js';
import {
  loadRekeyTable,
  rekeyProject,
  rotateMasterKey,
} from '../../../shared/application/use-cases/rekey-project.use-case.js';
import { linkRows } from '../../../shared/domain/link/person-linker.js';
import { rekeySilverRow } from '../../../shared/domain/pseudonymise/rekey.js';
import { createRowPseudonymiser, type SilverRow } from '../../../shared/domain/pseudonymise/silver-row.js';
import { apcRow, postcodes, prescribingRow } from '../../unit/pseudonymise/row-fixtures.js';
import { testAzurite, uniqueName } from '../../support/azurite.js';
import { CAREFLOW } from '../../support/projects.js';

const KEY = 'pseudonymisation-master-key';
const azurite = await testAzurite();
after(() => azurite.stop());

test('after a key rotation, records tokenised under v1 and v2 link to the same persons through the re-key table', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'nhsflows-rotate-'));
  try {
    const logger = memoryLogger();
    const secrets = new LocalSecretStore({ file: join(dir, 'secrets.json'), logger, createIfMissing: [KEY] });
    const keys = new ProjectKeyRing(secrets, KEY);
    const lake = BlobObjectStore.fromConnectionString(azurite.connectionString);
    const container = uniqueName('restricted');
    await lake.ensureContainers([container]);
    const register = new IdentityRegister(lake, container);

    // Batch 1 under v1: two patients' episodes, one without a usable NHS number.
    const v1 = await keys.current(CAREFLOW);
    const p1 = createRowPseudonymiser('sus_apc_episode', {
      project: CAREFLOW,
      key: v1,
      postcodeToLsoa: postcodes,
    });
    const c1 = new IdentityCollector();
    const batch1 = [
      apcRow({ episode_id: 'E1', nhs_number: '9990000018' }),
      apcRow({
        episode_id: 'E2',
        nhs_number: '9990000026',
        date_of_birth: '1955-07-14',
        sex: '1',
        postcode: 'B1 0SA',
      }),
    ].map((r) => {
      const s = p1(r);
      c1.add(r, s.lsoa as string | null);
      return s;
    });
    await register.record(CAREFLOW, 'b1', 0, c1);

    const { previousVersion, currentVersion } = await rotateMasterKey({ secrets, secretName: KEY, logger });
    assert.deepEqual([previousVersion, currentVersion], ['v1', 'v2']);

    // Batch 2 under v2: prescriptions of the same two patients, one with its NHS number missing.
    const v2 = await keys.current(CAREFLOW);
    const p2 = createRowPseudonymiser('prescribing_item', {
      project: CAREFLOW,
      key: v2,
      postcodeToLsoa: postcodes,
    });
    const c2 = new IdentityCollector();
    const batch2 = [
      prescribingRow({ item_id: 'I1', nhs_number: '9990000018' }),
      prescribingRow({
        item_id: 'I2',
        nhs_number: null,
        date_of_birth: '1955-07-14',
        sex: '1',
        postcode: 'B1 0SA',
      }),
    ].map((r) => {
      const s = p2(r);
      c2.add(r, s.lsoa as string | null);
      return s;
    });
    await register.record(CAREFLOW, 'b2', 0, c2);
    assert.notEqual(batch1[0]!.patient_token, batch2[0]!.patient_token, 'tokens differ across versions');
    assert.equal(batch1[0]!.token_key_version, 'v1');
    assert.equal(batch2[0]!.token_key_version, 'v2');

    // Custodian re-keys v1 → v2 from the register; the stored table reads back the same.
    await rekeyProject({ keys, register, lake, logger, container }, { project: CAREFLOW, fromVersion: 'v1' });
    const table = await loadRekeyTable(lake, CAREFLOW, 'v1', 'v2', container);
    assert.ok(table);
    assert.ok(!JSON.stringify([...table.tokens, ...table.fallbackKeys]).includes('9990000018'));

    // Either link with the table on the fly...
    const all: SilverRow[] = [...batch1, ...batch2];
    const linked = linkRows(all, { project: CAREFLOW, keyVersion: 'v2', rekey: [table] });
    const person = (id: string) => linked.find((r) => r.episode_id === id || r.item_id === id)!;
    assert.equal(person('E1').person_id, person('I1').person_id);
    assert.equal(person('E1').link_quality, 'deterministic');
    assert.equal(person('E2').person_id, person('I2').person_id);
    assert.equal(person('I2').link_quality, 'probabilistic-0.95');
    assert.notEqual(person('E1').person_id, person('E2').person_id);

    // ...or re-key stored v1 rows first: the same persons come out, and nothing is unmapped.
    const rekeyed = batch1.map((r) => rekeySilverRow(r, table));
    assert.ok(rekeyed.every((r) => !r.unmapped && r.row.token_key_version === 'v2'));
    const relinked = linkRows([...rekeyed.map((r) => r.row), ...batch2], {
      project: CAREFLOW,
      keyVersion: 'v2',
    });
    assert.deepEqual(
      relinked.map((r) => r.person_id),
      linked.map((r) => r.person_id),
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
