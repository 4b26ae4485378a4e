/**
 * The lake: containers of immutable-by-convention objects addressed by path.
 *
 * On Azure this is the Blob API of the ADLS Gen2 account; locally the same adapter talks to Azurite.
 * Guarantees: `put` with `ifNoneMatch: '*'` creates or reports `created: false` without overwriting
 * (idempotent sinks rely on it); `put` with `ifMatch: etag` writes only over that exact version of
 * the object (from `getVersioned`) and otherwise reports `created: false` (a compare-and-swap: the
 * keyed lake state commits through it); `list` yields paths in lexical order.
 */
export interface ObjectStore {
  ensureContainers(containers: readonly string[]): Promise<void>;
  /** `created: false` when a condition was not met (nothing written); `etag` of what was written. */
  put(
    container: string,
    path: string,
    body: Buffer | string,
    options?: PutObjectOptions,
  ): Promise<{ created: boolean; etag?: string }>;
  /** Bytes of an object, or undefined when it does not exist. */
  get(container: string, path: string): Promise<Buffer | undefined>;
  /** Bytes and version tag (ETag) of an object, or undefined when it does not exist. */
  getVersioned(container: string, path: string): Promise<{ body: Buffer; etag: string } | undefined>;
  exists(container: string, path: string): Promise<boolean>;
  list(container: string, prefix: string): AsyncIterable<ObjectInfo>;
  delete(container: string, path: string): Promise<void>;
  /** Uploads a local file (large Parquet outputs) without reading it into memory. */
  putFile(
    container: string,
    path: string,
    localFile: string,
    options?: PutObjectOptions,
  ): Promise<{ created: boolean }>;
  /**
   * Writes an object from a stream (a landing file copied to bronze) in flat memory, with the same
   * conditions as `put`.
   */
  putStream(
    container: string,
    path: string,
    body: AsyncIterable<Buffer>,
    options?: PutObjectOptions,
  ): Promise<{ created: boolean }>;
  /** The bytes of an object as a stream (flat memory for large drops), or undefined when it does not exist. */
  getStream(container: string, path: string): Promise<NodeJS.ReadableStream | undefined>;
  /** Downloads an object to a local file; false when it does not exist. */
  getFile(container: string, path: string, localFile: string): Promise<boolean>;
}

export interface PutObjectOptions {
  /** '*' = only create; never overwrite an existing object. */
  readonly ifNoneMatch?: '*';
  /** Only replace the object if its version tag is still this one (from `getVersioned`). */
  readonly ifMatch?: string;
  readonly contentType?: string;
  readonly metadata?: Readonly<Record<string, string>>;
}

export interface ObjectInfo {
  readonly path: string;
  readonly size: number;
}
