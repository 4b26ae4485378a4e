/**
 * The lake: containers of immutable-by-convention objects addressed by path.
 *
 * On Azure this is the Blob API of the ADLS Gen2 account; locally the same adapter talks to Azurite.
 * Guarantees: `put` with `ifNoneMatch: '*'` creates or reports `created: false` without overwriting
 * (idempotent sinks rely on it); `list` yields paths in lexical order.
 */
export interface ObjectStore {
  ensureContainers(containers: readonly string[]): Promise<void>;
  put(
    container: string,
    path: string,
    body: Buffer | string,
    options?: PutObjectOptions,
  ): Promise<{ created: boolean }>;
  /** Bytes of an object, or undefined when it does not exist. */
  get(container: string, path: string): Promise<Buffer | undefined>;
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
  /** The bytes of an object as a stream (flat memory for large drops), or undefined when it does not exist. */
  getStream(container: string, path: string): Promise<NodeJS.ReadableStream | undefined>;
  /** Downloads an object to a local file; false when it does not exist. */
  getFile(container: string, path: string, localFile: string): Promise<boolean>;
}

export interface PutObjectOptions {
  /** '*' = only create; never overwrite an existing object. */
  readonly ifNoneMatch?: '*';
  readonly contentType?: string;
  readonly metadata?: Readonly<Record<string, string>>;
}

export interface ObjectInfo {
  readonly path: string;
  readonly size: number;
}
