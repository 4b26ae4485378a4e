import type { SecretStore } from '../../ports/secret-store.port.js';
import type { ApiClientGrant, DataApiCatalogue } from '../../../domain/data-api/api-clients.js';
import {
  apiKeyClient,
  apiKeyMatches,
  apiKeySecretName,
  storedApiKeySchema,
} from '../../../domain/data-api/api-key.js';
import type { BearerTokenValidator } from './bearer-token.port.js';

/** The credentials a request carries: `Authorization: Bearer …` and/or `x-api-key`. */
export interface PresentedCredentials {
  readonly authorization?: string | null;
  readonly apiKey?: string | null;
}

export type Authentication =
  | {
      readonly ok: true;
      readonly client: ApiClientGrant;
      readonly method: 'api-key' | 'entra-id';
      /** Entra: the calling application or user object id; API key: the client name. */
      readonly principal: string;
    }
  | { readonly ok: false; readonly reason: string };

export interface AuthenticateDeps {
  readonly catalogue: DataApiCatalogue;
  readonly secrets: SecretStore;
  /** Absent when Entra ID tokens are not configured (the embedded default). */
  readonly tokens?: BearerTokenValidator;
}

/** Three base64url segments: a JWT (an Entra access token), not an API key. */
const JWT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/**
 * Who is calling (docs/api.md, "Authentication"). A named API key (`x-api-key`, or `Authorization:
 * Bearer <key>`) is checked against its hashed record in the secret store; a JWT bearer token is
 * validated as an Entra ID access token, and its client is the one app role in it that names a
 * declared client. A client no project declares is refused even with a valid key or token. Reasons
 * name the check that failed, never the credential.
 */
export async function authenticateClient(
  presented: PresentedCredentials,
  deps: AuthenticateDeps,
): Promise<Authentication> {
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(presented.authorization ?? '')?.[1];
  const key = presented.apiKey?.trim() || (bearer && !JWT.test(bearer) ? bearer : undefined);
  if (key) return authenticateKey(key, deps);
  if (bearer) return authenticateToken(bearer, deps);
  if (presented.authorization)
    return { ok: false, reason: 'the Authorization header is not a Bearer credential' };
  return { ok: false, reason: 'no credentials: send Authorization: Bearer <token or key> or x-api-key' };
}

async function authenticateKey(key: string, deps: AuthenticateDeps): Promise<Authentication> {
  const refused = { ok: false, reason: 'unknown or wrong API key' } as const;
  const name = apiKeyClient(key);
  const client = name === undefined ? undefined : deps.catalogue.clients.get(name);
  if (!client) return refused;
  let stored: string;
  try {
    stored = await deps.secrets.getSecret(apiKeySecretName(client.name));
  } catch (error) {
    // A client with no key yet is a refusal; the store being down is an outage (thrown).
    if ((error as { code?: unknown }).code === 'SECRET_NOT_FOUND') return refused;
    throw error;
  }
  let record;
  try {
    record = storedApiKeySchema.parse(JSON.parse(stored));
  } catch {
    return refused;
  }
  if (!apiKeyMatches(key, record)) return refused;
  return { ok: true, client, method: 'api-key', principal: client.name };
}

async function authenticateToken(token: string, deps: AuthenticateDeps): Promise<Authentication> {
  if (!deps.tokens)
    return { ok: false, reason: 'bearer tokens are not accepted here (no Entra ID tenant configured)' };
  const result = await deps.tokens.validate(token);
  if (!result.valid) return { ok: false, reason: result.reason };
  const clients = result.roles
    .map((role) => deps.catalogue.clients.get(role))
    .filter((c): c is ApiClientGrant => c !== undefined);
  if (clients.length !== 1)
    return {
      ok: false,
      reason:
        clients.length === 0
          ? 'the token carries no app role naming a data API client'
          : 'the token carries app roles of more than one data API client',
    };
  return { ok: true, client: clients[0]!, method: 'entra-id', principal: result.principal };
}
