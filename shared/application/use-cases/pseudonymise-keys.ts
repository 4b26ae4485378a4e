import type { SecretStore } from '../ports/secret-store.port.js';
import { deriveProjectKey, parseMasterKey, type ProjectKey } from '../../domain/pseudonymise/project-key.js';
import type { ProjectId } from '../../domain/pseudonymise/projects.js';

/**
 * The custodian's key ring: fetches the pseudonymisation master key (current or a named version)
 * through the secret port and derives project keys from it (HKDF, see project-key.ts).
 *
 * Guarantees: the master key bytes stay inside this object (never returned, never logged); each
 * (project, version) key is derived once and reused; `current(project)` follows the secret's
 * current version as the store reports it (Key Vault adapter: re-read every few minutes).
 */
export class ProjectKeyRing {
  private readonly derived = new Map<string, Promise<ProjectKey>>();

  constructor(
    private readonly secrets: SecretStore,
    /** Name of the master key secret (setting NHSFLOWS_PSEUDO_KEY_SECRET). */
    private readonly secretName: string,
  ) {}

  /** Version id of the current master key. */
  currentVersion(): Promise<string> {
    return this.secrets.currentVersion(this.secretName);
  }

  /** The project key derived from the current master key version. */
  async current(project: ProjectId): Promise<ProjectKey> {
    return this.version(project, await this.currentVersion());
  }

  /** The project key derived from a given master key version (older tokens, re-keying, re-identification). */
  version(project: ProjectId, version: string): Promise<ProjectKey> {
    const id = `${project}/${version}`;
    let key = this.derived.get(id);
    if (!key) {
      key = this.secrets
        .getSecretVersion(this.secretName, version)
        .then((value) => deriveProjectKey(parseMasterKey(value, this.secretName), version, project));
      key.catch(() => this.derived.delete(id));
      this.derived.set(id, key);
    }
    return key;
  }
}
