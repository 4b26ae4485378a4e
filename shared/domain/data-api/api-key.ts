import { createHash, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { API_CLIENT_NAME } from './api-clients.js';

/**
 * Named API keys of the data API (docs/api.md, "Authentication").
 *
 * Contract (the key a client is given, printed once by `nhs-flows api-key create`):
 * `nhsflows_<client>_<secret>`, the secret 32 random bytes as base64url (43 characters). The client
 * name in the key says which stored record to check, so a check is one secret-store read. The
 * store keeps only the SHA-256 of the whole key (`data-api-key-<client>`, JSON {@link StoredApiKey}):
 * a copy of the store cannot be used to call the API. A fast hash is enough for 256 random bits (no
 * dictionary to guess from); a slow password hash would only slow every request.
 */
const KEY_PATTERN = /^nhsflows_([a-z][a-z0-9-]{2,62})_([A-Za-z0-9_-]{43})$/;

/** The secret-store name of a client's key record (Key Vault names: letters, digits and -). */
export function apiKeySecretName(client: string): string {
  if (!API_CLIENT_NAME.test(client)) throw new RangeError('not a valid API client name');
  return `data-api-key-${client}`;
}

/** The key text for a client and 32 random bytes. */
export function formatApiKey(client: string, random: Buffer): string {
  if (random.length !== 32) throw new RangeError('an API key needs 32 random bytes');
  apiKeySecretName(client);
  return `nhsflows_${client}_${random.toString('base64url')}`;
}

/** The client a presented key claims to be, or undefined when it is not in the key format. */
export function apiKeyClient(key: string): string | undefined {
  return KEY_PATTERN.exec(key)?.[1];
}

export function apiKeyHash(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** What the secret store holds for a client's key: never the key itself. */
export const storedApiKeySchema = z
  .object({
    client: z.string().regex(API_CLIENT_NAME),
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    createdAt: z.iso.datetime(),
  })
  .strict();
export type StoredApiKey = z.infer<typeof storedApiKeySchema>;

/** Whether `key` is the key whose record is `stored` (constant-time on the hash). */
export function apiKeyMatches(key: string, stored: StoredApiKey): boolean {
  if (apiKeyClient(key) !== stored.client) return false;
  return timingSafeEqual(Buffer.from(apiKeyHash(key), 'hex'), Buffer.from(stored.sha256, 'hex'));
}
