import { readFile, writeFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import type { ObjectInfo, ObjectStore, PutObjectOptions } from '../../application/ports/object-store.port.js';

/** In-memory twin of the lake, for fast unit tests (integration tests use Azurite). */
export class MemoryObjectStore implements ObjectStore {
  readonly objects = new Map<string, Buffer>();
  private readonly etags = new Map<string, string>();
  private version = 0;

  private key(container: string, path: string): string {
    return `${container}/${path}`;
  }

  async ensureContainers(): Promise<void> {}

  async put(
    container: string,
    path: string,
    body: Buffer | string,
    options: PutObjectOptions = {},
  ): Promise<{ created: boolean; etag?: string }> {
    const key = this.key(container, path);
    if (options.ifNoneMatch && this.objects.has(key)) return { created: false };
    if (options.ifMatch !== undefined && (!this.objects.has(key) || this.etags.get(key) !== options.ifMatch))
      return { created: false };
    this.objects.set(key, typeof body === 'string' ? Buffer.from(body, 'utf8') : Buffer.from(body));
    const etag = `"${++this.version}"`;
    this.etags.set(key, etag);
    return { created: true, etag };
  }

  async putFile(
    container: string,
    path: string,
    localFile: string,
    options?: PutObjectOptions,
  ): Promise<{ created: boolean }> {
    return this.put(container, path, await readFile(localFile), options);
  }

  async putStream(
    container: string,
    path: string,
    body: AsyncIterable<Buffer>,
    options?: PutObjectOptions,
  ): Promise<{ created: boolean }> {
    const chunks: Buffer[] = [];
    for await (const chunk of body) chunks.push(chunk);
    return this.put(container, path, Buffer.concat(chunks), options);
  }

  async get(container: string, path: string): Promise<Buffer | undefined> {
    return this.objects.get(this.key(container, path));
  }

  async getVersioned(container: string, path: string): Promise<{ body: Buffer; etag: string } | undefined> {
    const key = this.key(container, path);
    const body = this.objects.get(key);
    return body ? { body, etag: this.etags.get(key) ?? '"0"' } : undefined;
  }

  async getStream(container: string, path: string): Promise<NodeJS.ReadableStream | undefined> {
    const body = this.objects.get(this.key(container, path));
    return body ? Readable.from([body]) : undefined;
  }

  async getFile(container: string, path: string, localFile: string): Promise<boolean> {
    const body = this.objects.get(this.key(container, path));
    if (!body) return false;
    await writeFile(localFile, body);
    return true;
  }

  async exists(container: string, path: string): Promise<boolean> {
    return this.objects.has(this.key(container, path));
  }

  async *list(container: string, prefix: string): AsyncIterable<ObjectInfo> {
    const start = `${container}/${prefix}`;
    const keys = [...this.objects.keys()].filter((k) => k.startsWith(start)).sort();
    for (const key of keys)
      yield { path: key.slice(container.length + 1), size: this.objects.get(key)?.length ?? 0 };
  }

  async delete(container: string, path: string): Promise<void> {
    this.objects.delete(this.key(container, path));
    this.etags.delete(this.key(container, path));
  }
}
