import { randomBytes } from 'node:crypto';
import { InputError } from '../../../domain/errors.js';
import type { DataApiCatalogue } from '../../../domain/data-api/api-clients.js';
import {
  apiKeyHash,
  apiKeySecretName,
  formatApiKey,
  type StoredApiKey,
} from '../../../domain/data-api/api-key.js';
import type { Clock } from '../../ports/clock.port.js';
import type { SecretStore } from '../../ports/secret-store.port.js';

/** A secret store that can write (the local secrets file, Key Vault). */
export interface WritableSecretStore extends SecretStore {
  setSecret(name: string, value: string): Promise<string>;
}

export function isWritableSecretStore(secrets: SecretStore): secrets is WritableSecretStore {
  return typeof (secrets as Partial<WritableSecretStore>).setSecret === 'function';
}

export interface CreateApiKeyDeps {
  readonly catalogue: DataApiCatalogue;
  readonly secrets: WritableSecretStore;
  readonly clock: Clock;
  /** Randomness (tests inject it). */
  readonly random?: (bytes: number) => Buffer;
}

/**
 * Creates a named API key for a declared client and returns it: the only time the key exists in
 * clear. The secret store keeps its SHA-256 (a new version of `data-api-key-<client>`), so a new
 * key replaces the client's previous one. A client no project declares is refused (`INPUT_INVALID`,
 * naming the declared clients).
 */
export async function createApiKey(
  client: string,
  deps: CreateApiKeyDeps,
): Promise<{ key: string; client: string; project: string; version: string }> {
  const grant = deps.catalogue.clients.get(client);
  if (!grant)
    throw new InputError(
      `'${client}' is not a declared data API client (declared: ${[...deps.catalogue.clients.keys()].join(', ') || 'none'})`,
    );
  const key = formatApiKey(grant.name, (deps.random ?? randomBytes)(32));
  const record: StoredApiKey = {
    client: grant.name,
    sha256: apiKeyHash(key),
    createdAt: deps.clock.now().toISOString(),
  };
  const version = await deps.secrets.setSecret(apiKeySecretName(grant.name), JSON.stringify(record));
  return { key, client: grant.name, project: grant.project, version };
}
