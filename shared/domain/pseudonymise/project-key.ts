import { hkdfSync } from 'node:crypto';
import { KeyMaterialError } from '../errors.js';
import { projectDeclaration, type ProjectId } from './projects.js';

/**
 * Project pseudonym keys, derived from the master key.
 *
 * Contract (pseudonym derivation, v1; changing it changes every token):
 * - master key: at least 32 random bytes, held as a secret whose value is the base64 of the bytes;
 * - project key = HKDF-SHA256(ikm = master key, salt = empty,
 *   info = `nhs-flows/pseudonym/v1/<pseudonym domain>`, length = 32 bytes) (RFC 5869), where the
 *   pseudonym domain is the project's `pseudonymDomain` in the projects file (the shipped projects:
 *   their id, so tokens are those of the time the ids were hard-coded);
 * - the key version of a project key is the version id of the master secret it came from, and is
 *   stored next to every token (`token_key_version`).
 *
 * Only the custodian process (the one allowed to read the master secret) calls this; the master
 * key never leaves it, and each project only ever sees its own derived key's outputs.
 */
export const PSEUDONYM_KEY_INFO_PREFIX = 'nhs-flows/pseudonym/v1/';
export const MASTER_KEY_MIN_BYTES = 32;

export interface ProjectKey {
  readonly project: ProjectId;
  /** Version id of the master secret this key was derived from. */
  readonly version: string;
  /** 32 bytes. Never logged, never serialised. */
  readonly material: Buffer;
}

/** Decodes a master key secret value (base64); throws `KeyMaterialError` naming the secret, never the value. */
export function parseMasterKey(secretValue: string, secretName: string): Buffer {
  const trimmed = secretValue.trim();
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(trimmed))
    throw new KeyMaterialError(
      secretName,
      `expected base64 of at least ${MASTER_KEY_MIN_BYTES} bytes; received a value that is not base64`,
    );
  const bytes = Buffer.from(trimmed, 'base64');
  if (bytes.length < MASTER_KEY_MIN_BYTES)
    throw new KeyMaterialError(
      secretName,
      `expected at least ${MASTER_KEY_MIN_BYTES} bytes of key material; received ${bytes.length}`,
    );
  return bytes;
}

/** Derives a project's pseudonym key from the master key (see the module contract). */
export function deriveProjectKey(masterKey: Buffer, masterVersion: string, project: ProjectId): ProjectKey {
  const domain = projectDeclaration(project).pseudonymDomain;
  if (masterKey.length < MASTER_KEY_MIN_BYTES)
    throw new KeyMaterialError(
      'master key',
      `expected at least ${MASTER_KEY_MIN_BYTES} bytes; received ${masterKey.length}`,
    );
  const material = Buffer.from(
    hkdfSync('sha256', masterKey, Buffer.alloc(0), `${PSEUDONYM_KEY_INFO_PREFIX}${domain}`, 32),
  );
  return Object.freeze({ project, version: masterVersion, material });
}
