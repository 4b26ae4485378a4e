import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  KeyVaultSecretStore,
  type SecretClientLike,
} from '../../../shared/adapters/azure/key-vault-secret-store.azure.js';
import { InfrastructureError } from '../../../shared/domain/errors.js';

/** An in-memory twin of the two SecretClient calls the adapter makes (versions are immutable). */
function vaultTwin() {
  const secrets = new Map<string, { versions: Map<string, string>; current: string }>();
  let counter = 0;
  const calls: string[] = [];
  const client: SecretClientLike = {
    async getSecret(name, options) {
      calls.push(`get ${name} ${options?.version ?? '(current)'}`);
      const s = secrets.get(name);
      const version = options?.version ?? s?.current;
      const value = version ? s?.versions.get(version) : undefined;
      if (!s || value === undefined) throw Object.assign(new Error('SecretNotFound'), { statusCode: 404 });
      return { value, properties: { version } };
    },
    async setSecret(name, value) {
      counter += 1;
      const version = `${counter.toString(16).padStart(32, '0')}`;
      const s = secrets.get(name) ?? { versions: new Map(), current: version };
      s.versions.set(version, value);
      s.current = version;
      secrets.set(name, s);
      return { properties: { version } };
    },
  };
  return { client, calls };
}

test('the Key Vault store reads the current version, caches versions and re-reads current after the TTL', async () => {
  const { client, calls } = vaultTwin();
  let now = 0;
  const store = new KeyVaultSecretStore(client, { now: () => now, currentVersionTtlMs: 1000 });
  const v1 = await client.setSecret('k', 'value-one');
  assert.equal(await store.getSecret('k'), 'value-one');
  assert.equal(await store.currentVersion('k'), v1.properties.version);
  const v2 = await client.setSecret('k', 'value-two');
  assert.equal(await store.getSecret('k'), 'value-one', 'within the TTL the current version is cached');
  now = 1001;
  assert.equal(await store.getSecret('k'), 'value-two');
  assert.equal(await store.getSecretVersion('k', v1.properties.version!), 'value-one');
  assert.equal(await store.getSecretVersion('k', v2.properties.version!), 'value-two');
  const gets = calls.length;
  await store.getSecretVersion('k', v1.properties.version!);
  assert.equal(calls.length, gets, 'a version is fetched once');
});

test('a missing Key Vault secret is SECRET_NOT_FOUND naming the secret', async () => {
  const store = new KeyVaultSecretStore(vaultTwin().client);
  await assert.rejects(store.getSecret('absent'), (e: unknown) => {
    assert.ok(e instanceof InfrastructureError);
    assert.equal(e.code, 'SECRET_NOT_FOUND');
    assert.match(e.message, /'absent' does not exist/);
    return true;
  });
});

test('other Key Vault failures are KEY_VAULT_UNAVAILABLE (retryable)', async () => {
  const failing: SecretClientLike = {
    getSecret: async () => {
      throw Object.assign(new Error('throttled'), { statusCode: 429 });
    },
    setSecret: async () => ({ properties: {} }),
  };
  await assert.rejects(new KeyVaultSecretStore(failing).currentVersion('k'), /status 429/);
});

test('rotation on Key Vault writes a new random 32-byte version and makes it current', async () => {
  const { client } = vaultTwin();
  const store = new KeyVaultSecretStore(client);
  await client.setSecret('k', Buffer.alloc(32, 1).toString('base64'));
  const first = await store.currentVersion('k');
  const rotated = await store.rotateSecret('k');
  assert.notEqual(rotated, first);
  assert.equal(await store.currentVersion('k'), rotated);
  assert.equal(Buffer.from(await store.getSecret('k'), 'base64').length, 32);
});
