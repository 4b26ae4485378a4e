import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { memoryLogger, silentLogger } from '../../../shared/application/ports/logger.port.js';
import { ProjectKeyRing } from '../../../shared/application/use-cases/pseudonymise-keys.js';
import {
  LOCAL_KEYS_WARNING,
  LocalSecretStore,
  envNameForSecret,
} from '../../../shared/adapters/local/local-secret-store.js';
import { InfrastructureError } from '../../../shared/domain/errors.js';
import { createPseudonymiser } from '../../../shared/domain/pseudonymise/pseudonym.js';
import { CAREFLOW } from '../../support/projects.js';

const KEY = 'pseudonymisation-master-key';

async function tempFile(): Promise<{ file: string; done: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'nhsflows-secrets-'));
  return {
    file: join(dir, 'nested', 'local-secrets.json'),
    done: () => rm(dir, { recursive: true, force: true }),
  };
}

test('the local store reads versions and the current version from the JSON file', async () => {
  const { file, done } = await tempFile();
  try {
    const store = new LocalSecretStore({ file, logger: memoryLogger() });
    await assert.rejects(
      store.getSecret(KEY),
      (e: unknown) => e instanceof InfrastructureError && e.code === 'SECRET_NOT_FOUND',
    );
    const { mkdir } = await import('node:fs/promises');
    await mkdir(join(file, '..'), { recursive: true });
    await writeFile(file, JSON.stringify({ [KEY]: { versions: { v1: 'one', v2: 'two' }, current: 'v2' } }));
    assert.equal(await store.currentVersion(KEY), 'v2');
    assert.equal(await store.getSecret(KEY), 'two');
    assert.equal(await store.getSecretVersion(KEY, 'v1'), 'one');
    await assert.rejects(store.getSecretVersion(KEY, 'v9'), /has no version 'v9'; versions: v1, v2/);
  } finally {
    await done();
  }
});

test('the local store logs one loud warning that keys are local, and never a value', async () => {
  const { file, done } = await tempFile();
  try {
    const logger = memoryLogger();
    const store = new LocalSecretStore({ file, logger, createIfMissing: [KEY] });
    const value = await store.getSecret(KEY);
    await store.getSecret(KEY);
    await store.currentVersion(KEY);
    const warnings = logger.records.filter((r) => r.message === LOCAL_KEYS_WARNING);
    assert.equal(warnings.length, 1);
    assert.ok(!JSON.stringify(logger.records).includes(value));
  } finally {
    await done();
  }
});

test('a missing secret is created with 32 random bytes only when createIfMissing names it', async () => {
  const { file, done } = await tempFile();
  try {
    const refusing = new LocalSecretStore({
      file,
      logger: memoryLogger(),
      createIfMissing: ['other-secret'],
    });
    await assert.rejects(
      refusing.getSecret(KEY),
      /not in the local secrets file nor in NHSFLOWS_SECRET_PSEUDONYMISATION_MASTER_KEY/,
    );
    const creating = new LocalSecretStore({ file, logger: memoryLogger(), createIfMissing: [KEY] });
    const value = await creating.getSecret(KEY);
    assert.equal(Buffer.from(value, 'base64').length, 32);
    assert.equal(await creating.currentVersion(KEY), 'v1');
    const onDisk = JSON.parse(await readFile(file, 'utf8'));
    assert.deepEqual(onDisk[KEY], { versions: { v1: value }, current: 'v1' });
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    // A second store (another process) reads the same key instead of creating another.
    assert.equal(
      await new LocalSecretStore({ file, logger: memoryLogger(), createIfMissing: [KEY] }).getSecret(KEY),
      value,
    );
  } finally {
    await done();
  }
});

test('concurrent first reads with createIfMissing create one key, not several', async () => {
  const { file, done } = await tempFile();
  try {
    const store = new LocalSecretStore({ file, logger: memoryLogger(), createIfMissing: [KEY] });
    const values = await Promise.all([store.getSecret(KEY), store.getSecret(KEY), store.getSecret(KEY)]);
    assert.equal(new Set(values).size, 1);
  } finally {
    await done();
  }
});

test('a secret can come from the environment with version id env', async () => {
  const { file, done } = await tempFile();
  try {
    const env = { [envNameForSecret(KEY)]: Buffer.alloc(32, 3).toString('base64') };
    const store = new LocalSecretStore({ file, env, logger: memoryLogger() });
    assert.equal(await store.currentVersion(KEY), 'env');
    assert.equal(await store.getSecret(KEY), env[envNameForSecret(KEY)]);
  } finally {
    await done();
  }
});

test('rotation adds a new current version, keeps the old one, and the key ring derives different keys', async () => {
  const { file, done } = await tempFile();
  try {
    const store = new LocalSecretStore({ file, logger: memoryLogger(), createIfMissing: [KEY] });
    const ring = new ProjectKeyRing(store, KEY);
    const v1 = await ring.current(CAREFLOW);
    assert.equal(v1.version, 'v1');
    assert.equal(await store.rotateSecret(KEY), 'v2');
    const v2 = await ring.current(CAREFLOW);
    assert.equal(v2.version, 'v2');
    assert.equal(
      (await ring.version(CAREFLOW, 'v1')).material.toString('hex'),
      v1.material.toString('hex'),
    );
    const t1 = createPseudonymiser(v1).token('9990000018');
    const t2 = createPseudonymiser(v2).token('9990000018');
    assert.notEqual(t1, t2);
  } finally {
    await done();
  }
});

test('a malformed secrets file is reported without quoting its content', async () => {
  const { file, done } = await tempFile();
  try {
    const { mkdir } = await import('node:fs/promises');
    await mkdir(join(file, '..'), { recursive: true });
    await writeFile(file, '{"pseudonymisation-master-key": SECRETVALUE');
    const store = new LocalSecretStore({ file, logger: memoryLogger() });
    await assert.rejects(store.getSecret(KEY), (e: unknown) => {
      assert.ok(e instanceof InfrastructureError);
      assert.equal(e.code, 'SECRETS_FILE_INVALID');
      assert.ok(!e.message.includes('SECRETVALUE'));
      assert.equal(e.cause, undefined);
      return true;
    });
  } finally {
    await done();
  }
});

test('stores on one file that create a missing secret at the same moment (as the host and its activity worker threads do) all get the one value written', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'nhsflows-secrets-race-'));
  const file = join(dir, 'secrets.json');
  for (let round = 0; round < 5; round++) {
    rmSync(file, { force: true });
    const stores = Array.from(
      { length: 6 },
      () => new LocalSecretStore({ file, createIfMissing: ['master'], logger: silentLogger }),
    );
    const values = await Promise.all(stores.map((s) => s.getSecret('master')));
    const onFile = await new LocalSecretStore({ file, logger: silentLogger }).getSecret('master');
    assert.deepEqual(
      new Set(values),
      new Set([onFile]),
      `round ${round}: every store uses the value on file`,
    );
  }
  // Rotations from two stores at once both land: two new versions, none lost.
  const [a, b] = [0, 1].map(() => new LocalSecretStore({ file, logger: silentLogger }));
  const [va, vb] = await Promise.all([a!.rotateSecret('master'), b!.rotateSecret('master')]);
  assert.notEqual(va, vb);
  const reader = new LocalSecretStore({ file, logger: silentLogger });
  assert.ok(await reader.getSecretVersion('master', va));
  assert.ok(await reader.getSecretVersion('master', vb));
  rmSync(dir, { recursive: true, force: true });
});
