/**
 * Secrets and keys (pseudonymisation master keys). Key Vault on Azure; a local settings file or
 * environment variable locally, with a loud warning. Values are never logged.
 */
export interface SecretStore {
  /** The current value of a secret; throws when it does not exist. */
  getSecret(name: string): Promise<string>;
  /** A specific version of a secret (key rotation). */
  getSecretVersion(name: string, version: string): Promise<string>;
  /** The current version id of a secret. */
  currentVersion(name: string): Promise<string>;
}
