import { randomBytes } from 'node:crypto';
import { DefaultAzureCredential, type TokenCredential } from '@azure/identity';
import { SecretClient } from '@azure/keyvault-secrets';
import type { SecretStore } from '../../application/ports/secret-store.port.js';
import { InfrastructureError } from '../../domain/errors.js';

/** The SecretClient methods this adapter calls (narrow, so tests can supply a twin). */
export interface SecretClientLike {
  getSecret(
    name: string,
    options?: { version?: string },
  ): Promise<{ value?: string; properties: { version?: string } }>;
  setSecret(name: string, value: string): Promise<{ properties: { version?: string } }>;
}

export interface KeyVaultSecretStoreOptions {
  /** How long the current version id of a secret is trusted before asking Key Vault again (ms). */
  readonly currentVersionTtlMs?: number;
  /** Monotonic-ish milliseconds (tests inject it). */
  readonly now?: () => number;
  /** Randomness for `rotateSecret` (tests inject it). */
  readonly random?: (bytes: number) => Buffer;
}

/**
 * Secrets in Azure Key Vault (`@azure/keyvault-secrets` with `DefaultAzureCredential`: the
 * Function App's managed identity on Azure, the developer's login elsewhere).
 *
 * Guarantees: a specific version's value is fetched once and cached for the life of the process
 * (Key Vault versions are immutable); the current version id is re-read after
 * `currentVersionTtlMs` (default 5 min), so a rotation is picked up without a restart; a missing
 * secret or version throws `InfrastructureError('SECRET_NOT_FOUND')`; other failures throw
 * `InfrastructureError('KEY_VAULT_UNAVAILABLE')` (retried by the host). Values are never logged
 * nor put in messages. `rotateSecret` writes a new random 32-byte value (base64) as a new version.
 */
export class KeyVaultSecretStore implements SecretStore {
  private readonly values = new Map<string, string>();
  private readonly current = new Map<string, { version: string; at: number }>();
  private readonly ttl: number;
  private readonly now: () => number;

  constructor(
    private readonly client: SecretClientLike,
    private readonly options: KeyVaultSecretStoreOptions = {},
  ) {
    this.ttl = options.currentVersionTtlMs ?? 5 * 60_000;
    this.now = options.now ?? (() => performance.now());
  }

  /** `https://<vault>.vault.azure.net` with managed identity (or the given credential). */
  static fromUrl(
    vaultUrl: string,
    credential: TokenCredential = new DefaultAzureCredential(),
    options?: KeyVaultSecretStoreOptions,
  ): KeyVaultSecretStore {
    return new KeyVaultSecretStore(new SecretClient(vaultUrl, credential), options);
  }

  async getSecret(name: string): Promise<string> {
    return this.getSecretVersion(name, await this.currentVersion(name));
  }

  async getSecretVersion(name: string, version: string): Promise<string> {
    const cacheKey = `${name}/${version}`;
    const cached = this.values.get(cacheKey);
    if (cached !== undefined) return cached;
    const secret = await this.fetch(name, version);
    if (secret.value === undefined)
      throw new InfrastructureError(
        'SECRET_NOT_FOUND',
        `Key Vault secret '${name}' version '${version}' has no value`,
      );
    this.values.set(cacheKey, secret.value);
    return secret.value;
  }

  async currentVersion(name: string): Promise<string> {
    const known = this.current.get(name);
    if (known && this.now() - known.at < this.ttl) return known.version;
    const secret = await this.fetch(name);
    const version = secret.properties.version;
    if (!version)
      throw new InfrastructureError('SECRET_NOT_FOUND', `Key Vault secret '${name}' reports no version`);
    if (secret.value !== undefined) this.values.set(`${name}/${version}`, secret.value);
    this.current.set(name, { version, at: this.now() });
    return version;
  }

  /** Writes a new random 32-byte version (base64) and makes it current; returns its version id. */
  async rotateSecret(name: string): Promise<string> {
    const random = this.options.random ?? randomBytes;
    return this.setSecret(name, random(32).toString('base64'));
  }

  /** Writes `value` as a new version of `name` (created when missing) and makes it current; returns its version id. */
  async setSecret(name: string, value: string): Promise<string> {
    let result: { properties: { version?: string } };
    try {
      result = await this.client.setSecret(name, value);
    } catch (error) {
      throw new InfrastructureError('KEY_VAULT_UNAVAILABLE', `Key Vault setSecret '${name}' failed`, {
        cause: error,
      });
    }
    const version = result.properties.version;
    if (!version)
      throw new InfrastructureError(
        'KEY_VAULT_UNAVAILABLE',
        `Key Vault setSecret '${name}' returned no version`,
      );
    this.current.set(name, { version, at: this.now() });
    return version;
  }

  private async fetch(name: string, version?: string) {
    try {
      return await this.client.getSecret(name, version ? { version } : {});
    } catch (error) {
      const status = (error as { statusCode?: number }).statusCode;
      if (status === 404)
        throw new InfrastructureError(
          'SECRET_NOT_FOUND',
          `Key Vault secret '${name}'${version ? ` version '${version}'` : ''} does not exist`,
          { cause: error },
        );
      throw new InfrastructureError(
        'KEY_VAULT_UNAVAILABLE',
        `Key Vault getSecret '${name}' failed (status ${status ?? 'none'})`,
        {
          cause: error,
        },
      );
    }
  }
}
