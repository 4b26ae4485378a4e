import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InputError } from '../../domain/errors.js';
import { parseReferenceData, type ReferenceData } from '../../domain/reference/reference-data.js';

const cache = new Map<string, ReferenceData>();

/**
 * The repository's reference/ folder: walks up from this module until a folder holding
 * `reference/MANIFEST.json`, so it works from `shared/` (tsx) and from `dist/shared/` (built).
 */
export function defaultReferenceDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'reference');
    if (existsSync(join(candidate, 'MANIFEST.json'))) return candidate;
    const parent = dirname(dir);
    if (parent === dir)
      throw new InputError('reference data: no reference/MANIFEST.json above the module folder');
    dir = parent;
  }
}

/**
 * Loads (synchronously) and caches the versioned reference data in `dir`.
 * Guarantees: every file listed in MANIFEST.json is parsed and checked; a malformed row throws an
 * InputError naming the file and line; the same ReferenceData object is returned for the same dir,
 * unless `fresh` asks for a re-read (after `nhs-flows reference import` changed the folder).
 */
export function loadReferenceData(
  dir: string = defaultReferenceDir(),
  options: { fresh?: boolean } = {},
): ReferenceData {
  const root = resolve(dir);
  const cached = options.fresh ? undefined : cache.get(root);
  if (cached) return cached;
  const read = (path: string): string => {
    try {
      return readFileSync(join(root, path), 'utf8');
    } catch (cause) {
      throw new InputError(`reference data: cannot read ${path} in ${root}`, { cause });
    }
  };
  const data = parseReferenceData(read('MANIFEST.json'), read);
  cache.set(root, data);
  return data;
}
