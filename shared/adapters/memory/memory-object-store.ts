import { readFile, writeFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import type { ObjectInfo, ObjectStore, PutObjectOptions } from '../../application/ports/object-store.port.js';

/** In-memory twin of the lake, for fast unit tests (integration tests use Azurite). */
export class MemoryObjectStore implements ObjectStore {
  readonly objects = new Map<string, Buffer>();

  private key(container: string, path: string): string {
    return `${container}/${path}`;
  }

  async ensureContainers(): Promise<void> {}

  async put(
    container: string,
    path: string,
    body: Buffer | string,
    options: PutObjectOptions = {},
  ): Promise<{ created: boolean }> {
    const key = this.key(container, path);
    if (options.ifNoneMatch && this.objects.has(key)) return { created: false };
    this.objects.set(key, typeof body === 'string' ? Buffer.from(body, 'utf8') : Buffer.from(body));
    return { created: true };
  }

  async putFile(
    container: string,
    path: string,
    localFile: string,
    options?: PutObjectOptions,
  ): Promise<{ created: boolean }> {
    return this.put(container, path, await readFile(localFile), options);
  }

  async get(container: string, path: string): Promise<Buffer | undefined> {
    return this.objects.get(this.key(container, path));
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
  }
}
