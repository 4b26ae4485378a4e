import { createReadStream } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { InputError } from '../../domain/errors.js';
import type { ReferenceImportFiles } from '../../application/use-cases/reference-import.use-case.js';

/**
 * The reference folder on local disk (the repository's `reference/` or another folder) and source
 * files read from disk. Each reference file is written to a temporary name beside it and renamed,
 * so a reader never sees half a file.
 */
export class LocalReferenceFiles implements ReferenceImportFiles {
  readonly dir: string;

  constructor(dir: string) {
    this.dir = resolve(dir);
  }

  async *readSource(path: string): AsyncIterable<Uint8Array> {
    const stream = createReadStream(path, { highWaterMark: 1 << 20 });
    try {
      for await (const chunk of stream) yield chunk as Uint8Array;
    } catch (cause) {
      const code = (cause as NodeJS.ErrnoException).code;
      throw new InputError(`cannot read the source file ${path}${code ? ` (${code})` : ''}`, { cause });
    }
  }

  async readReference(path: string): Promise<string | undefined> {
    try {
      return await readFile(join(this.dir, path), 'utf8');
    } catch (cause) {
      if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new InputError(`reference import: cannot read ${path} in ${this.dir}`, { cause });
    }
  }

  async writeReference(files: readonly { path: string; text: string }[]): Promise<void> {
    for (const { path, text } of files) {
      const target = join(this.dir, path);
      await mkdir(dirname(target), { recursive: true });
      const temp = `${target}.${process.pid}.tmp`;
      await writeFile(temp, text);
      await rename(temp, target);
    }
  }
}
