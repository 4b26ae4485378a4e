import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { threadId } from 'node:worker_threads';
import type { Logger } from '../../application/ports/logger.port.js';
import type { SecretStore } from '../../application/ports/secret-store.port.js';
import { InfrastructureError } from '../../domain/errors.js';

/**
 * Secrets from a local JSON file (or the environment), for laptops and CI only.
 *
 * File format (git-ignored, mode 0600): `{ "<name>": { "versions": { "<id>": "<value>" }, "current": "<id>" } }`.
 * Environment fallback: a secret `pseudonymisation-master-key` may be given as
 * `NHSFLOWS_SECRET_PSEUDONYMISATION_MASTER_KEY` (upper case, non-alphanumerics → `_`); its
 * version id is `env`. The file wins when it holds the name.
 *
 * Guarantees: the first read logs ONE loud warning that keys are local (never the values); a
 * missing secret throws `InfrastructureError('SECRET_NOT_FOUND')` unless its name is listed in
 * `createIfMissing`, in which case 32 random bytes (base64) are written as version `v1`;
 * `rotateSecret` adds a new random version and makes it current. Writes are atomic (temp file +
 * rename) and every read-modify-write holds the file's lock (`<file>.lock`, created exclusively),
 * so stores in other threads or processes (the local host's activity worker threads each have one)
 * that create the same missing secret at once all end with the one value written: a key created
 * twice would give one NHS number two tokens. A lock older than 30 s (its holder killed) is taken
 * over. Azure mode never uses this store (the settings schema requires a Key Vault URL there).
 */
export interface LocalSecretStoreOptions {
  /** Path of the JSON secrets file. */
  readonly file: string;
  /** Environment to read `NHSFLOWS_SECRET_<NAME>` from (pass `process.env` at the composition root). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Secret names that may be created with a random 32-byte value when missing (the local runner asks for the master key). */
  readonly createIfMissing?: readonly string[];
  readonly logger: Logger;
  /** Randomness (tests inject it). */
  readonly random?: (bytes: number) => Buffer;
}

interface StoredSecret {
  versions: Record<string, string>;
  current: string;
}
type SecretsFile = Record<string, StoredSecret>;

export const LOCAL_KEYS_WARNING =
  '!!! LOCAL SECRETS IN USE: pseudonymisation keys come from a local file or environment variable, not Key Vault. Never use this with real patient data. !!!';

/** How long a store waits for another's lock on the secrets file, and when a lock counts as left behind. */
const LOCK_WAIT_MS = 60_000;
const STALE_LOCK_MS = 30_000;

export function envNameForSecret(name: string): string {
  return `NHSFLOWS_SECRET_${name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
}

export class LocalSecretStore implements SecretStore {
  private warned = false;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: LocalSecretStoreOptions) {}

  async getSecret(name: string): Promise<string> {
    const secret = await this.resolve(name);
    return this.value(name, secret, secret.current);
  }

  async getSecretVersion(name: string, version: string): Promise<string> {
    const secret = await this.resolve(name);
    return this.value(name, secret, version);
  }

  async currentVersion(name: string): Promise<string> {
    return (await this.resolve(name)).current;
  }

  /** Adds a new random 32-byte version (base64) and makes it current; returns its id. */
  async rotateSecret(name: string): Promise<string> {
    return this.serialised(async () => {
      this.warnOnce();
      const all = await this.readFile();
      const existing = all[name];
      if (!existing) throw notFound(name);
      const id = nextVersionId(existing);
      existing.versions[id] = this.randomValue();
      existing.current = id;
      await this.writeFile(all);
      this.options.logger.warn('local secret rotated', { secret: name, version: id });
      return id;
    });
  }

  /** Writes `value` as a new version of `name` (created when missing) and makes it current; returns its id. */
  async setSecret(name: string, value: string): Promise<string> {
    return this.serialised(async () => {
      this.warnOnce();
      const all = await this.readFile();
      const secret = all[name] ?? { versions: {}, current: '' };
      const id = nextVersionId(secret);
      secret.versions[id] = value;
      secret.current = id;
      all[name] = secret;
      await this.writeFile(all);
      return id;
    });
  }

  private value(name: string, secret: StoredSecret, version: string): string {
    const value = secret.versions[version];
    if (value === undefined)
      throw new InfrastructureError(
        'SECRET_VERSION_NOT_FOUND',
        `local secret '${name}' has no version '${version}'; versions: ${Object.keys(secret.versions).join(', ')}`,
      );
    return value;
  }

  private async resolve(name: string): Promise<StoredSecret> {
    this.warnOnce();
    const all = await this.readFile();
    const stored = all[name];
    if (stored) return stored;
    const fromEnv = this.options.env?.[envNameForSecret(name)];
    if (fromEnv) return { versions: { env: fromEnv }, current: 'env' };
    if (!this.options.createIfMissing?.includes(name)) throw notFound(name);
    return this.serialised(async () => {
      const again = await this.readFile();
      const raced = again[name];
      if (raced) return raced;
      const created: StoredSecret = { versions: { v1: this.randomValue() }, current: 'v1' };
      again[name] = created;
      await this.writeFile(again);
      this.options.logger.warn('local secret created with a random value', {
        secret: name,
        file: this.options.file,
      });
      return created;
    });
  }

  private warnOnce(): void {
    if (this.warned) return;
    this.warned = true;
    this.options.logger.warn(LOCAL_KEYS_WARNING, { secretsFile: this.options.file });
  }

  private randomValue(): string {
    return (this.options.random ?? randomBytes)(32).toString('base64');
  }

  private async readFile(): Promise<SecretsFile> {
    let text: string;
    try {
      text = await readFile(this.options.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw new InfrastructureError(
        'SECRETS_FILE_UNREADABLE',
        `cannot read local secrets file ${this.options.file}`,
        {
          cause: error,
        },
      );
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      // The parse error text may quote file content (a secret), so it is not kept as the cause.
      throw new InfrastructureError(
        'SECRETS_FILE_INVALID',
        `local secrets file ${this.options.file} is not valid JSON`,
      );
    }
    return checkShape(parsed, this.options.file);
  }

  private async underFileLock<T>(work: () => Promise<T>): Promise<T> {
    const lock = `${this.options.file}.lock`;
    await mkdir(dirname(lock), { recursive: true });
    const deadline = Date.now() + LOCK_WAIT_MS;
    for (;;) {
      try {
        await (await open(lock, 'wx', 0o600)).close();
        break;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const age = await stat(lock).then(
        (s) => Date.now() - s.mtimeMs,
        () => 0,
      );
      if (age > STALE_LOCK_MS) await rm(lock, { force: true });
      else if (Date.now() > deadline)
        throw new InfrastructureError(
          'SECRETS_FILE_LOCKED',
          `local secrets file ${this.options.file} stayed locked for ${LOCK_WAIT_MS / 1000} s (${lock})`,
        );
      else await sleep(5 + Math.floor(Math.random() * 20));
    }
    try {
      return await work();
    } finally {
      await rm(lock, { force: true });
    }
  }

  private async writeFile(all: SecretsFile): Promise<void> {
    await mkdir(dirname(this.options.file), { recursive: true });
    const temp = `${this.options.file}.${process.pid}-${threadId}-${randomBytes(4).toString('hex')}.tmp`;
    await writeFile(temp, `${JSON.stringify(all, null, 2)}\n`, { mode: 0o600 });
    await rename(temp, this.options.file);
  }

  /** In this store, one at a time; across stores (threads, processes), under the file's lock. */
  private serialised<T>(work: () => Promise<T>): Promise<T> {
    const fn = () => this.underFileLock(work);
    const next = this.queue.then(fn, fn);
    this.queue = next.catch(() => undefined);
    return next;
  }
}

function notFound(name: string): InfrastructureError {
  return new InfrastructureError(
    'SECRET_NOT_FOUND',
    `secret '${name}' is not in the local secrets file nor in ${envNameForSecret(name)}`,
  );
}

function nextVersionId(secret: StoredSecret): string {
  let n = Object.keys(secret.versions).length + 1;
  while (secret.versions[`v${n}`] !== undefined) n += 1;
  return `v${n}`;
}

function checkShape(parsed: unknown, file: string): SecretsFile {
  const problem = (what: string) =>
    new InfrastructureError('SECRETS_FILE_INVALID', `local secrets file ${file}: ${what}`);
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw problem('expected an object of secret name → { versions, current }');
  for (const [name, entry] of Object.entries(parsed as Record<string, unknown>)) {
    const e = entry as Partial<StoredSecret> | null;
    if (typeof e !== 'object' || e === null || typeof e.versions !== 'object' || e.versions === null)
      throw problem(`secret '${name}': expected { versions: { id: value }, current: id }`);
    if (typeof e.current !== 'string' || typeof e.versions[e.current] !== 'string')
      throw problem(`secret '${name}': 'current' must name one of its versions`);
  }
  return parsed as SecretsFile;
}
