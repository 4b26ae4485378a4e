import { createHash } from 'node:crypto';
import { z } from 'zod';
import { InputError } from '../../domain/errors.js';
import {
  parseReferenceData,
  type ManifestFile,
  type ReferenceData,
  type ReferenceManifest,
} from '../../domain/reference/reference-data.js';
import {
  ReferenceImport,
  parseSuccessors,
  type ReferenceImportOptions,
  type ReferenceImportResult,
} from '../../domain/reference/reference-import.js';
import {
  REFERENCE_LAYOUT_IDS,
  type ReferenceLayoutId,
} from '../../domain/reference/reference-import-layouts.js';

/**
 * The files an import reads and writes (the consumer owns the port; the local adapter is
 * shared/adapters/local/reference-files.local.ts).
 */
export interface ReferenceImportFiles {
  /** Streams a source file's bytes (a path as the user gave it). */
  readSource(path: string): AsyncIterable<Uint8Array>;
  /** A file of the reference folder (path relative to it), or undefined when it does not exist. */
  readReference(path: string): Promise<string | undefined>;
  /** Writes files of the reference folder in the order given, each atomically (temp file + rename). */
  writeReference(files: readonly { path: string; text: string }[]): Promise<void>;
}

const ISO_DATE = /^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$/;
const ODS_LAYOUTS: readonly ReferenceLayoutId[] = ['ods-etr', 'ods-ets', 'ods-epraccur'];

/** What `nhs-flows reference import` asks for, checked at the boundary. */
export const referenceImportRequestSchema = z
  .object({
    layout: z.enum(REFERENCE_LAYOUT_IDS as [ReferenceLayoutId, ...ReferenceLayoutId[]]),
    /** The official file, in its published layout. */
    file: z.string().min(1),
    /** 'YYYY-MM-DD': the file's publication date (or the date its rows take effect). */
    publishedOn: z.string().regex(ISO_DATE, "a date 'YYYY-MM-DD'"),
    financialYear: z
      .string()
      .regex(/^[0-9]{4}\/[0-9]{2}$/, "a financial year 'YYYY/YY'")
      .refine(
        (fy) => (Number(fy.slice(0, 4)) + 1) % 100 === Number(fy.slice(5, 7)),
        'consecutive years, e.g. 2025/26',
      )
      .optional(),
    lsoaVintage: z.enum(['2011', '2021']).optional(),
    /** ONSPD: postcode areas to keep (the outward code's letters, e.g. B, NR, IP). */
    postcodeAreas: z
      .array(z.string().regex(/^[A-Z]{1,2}$/, "postcode areas are 1 or 2 letters, e.g. 'B,NR,IP'"))
      .min(1)
      .optional(),
    successorsFile: z.string().min(1).optional(),
  })
  .strict()
  .superRefine((r, ctx) => {
    if (r.layout === 'nhs-payment-scheme-apc' && r.financialYear === undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['financialYear'],
        message: 'required for the nhs-payment-scheme-apc layout',
      });
    if (r.layout !== 'nhs-payment-scheme-apc' && r.financialYear !== undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['financialYear'],
        message: 'only for the nhs-payment-scheme-apc layout',
      });
    if (r.successorsFile !== undefined && !ODS_LAYOUTS.includes(r.layout))
      ctx.addIssue({
        code: 'custom',
        path: ['successorsFile'],
        message: `only for the ${ODS_LAYOUTS.join(', ')} layouts`,
      });
    if (r.lsoaVintage !== undefined && r.layout !== 'onspd')
      ctx.addIssue({ code: 'custom', path: ['lsoaVintage'], message: 'only for the onspd layout' });
    if (r.postcodeAreas !== undefined && r.layout !== 'onspd')
      ctx.addIssue({ code: 'custom', path: ['postcodeAreas'], message: 'only for the onspd layout' });
  });
export type ReferenceImportRequest = z.infer<typeof referenceImportRequestSchema>;

export interface ReferenceImportOutcome extends Omit<ReferenceImportResult, 'files'> {
  readonly sourceFile: string;
  readonly sha256: string;
  /** How the source's bytes were decoded. */
  readonly encoding: SourceEncoding;
  readonly files: readonly { path: string; rows: number; written: boolean }[];
  /** True when every file and manifest entry was already in place (a re-import of the same file). */
  readonly unchanged: boolean;
}

const baseName = (path: string): string => path.split(/[\\/]/).pop() ?? path;

/**
 * The encodings a source is read in: UTF-8 first; a file that is not valid UTF-8 (a sheet saved as
 * "CSV" by Excel, with `£` as one byte) is read again as Windows-1252, never with silent U+FFFD.
 */
export type SourceEncoding = 'utf-8' | 'windows-1252';

const isDecodingError = (e: unknown): boolean =>
  e instanceof TypeError && (e as { code?: unknown }).code === 'ERR_ENCODING_INVALID_ENCODED_DATA';

/** Streams a source's text to `push` chunk by chunk; returns the SHA-256 of its bytes. */
async function streamSource(
  files: ReferenceImportFiles,
  path: string,
  encoding: SourceEncoding,
  push: (text: string) => void,
): Promise<string> {
  const hash = createHash('sha256');
  const decoder = new TextDecoder(encoding, { fatal: true });
  for await (const chunk of files.readSource(path)) {
    hash.update(chunk);
    push(decoder.decode(chunk, { stream: true }));
  }
  push(decoder.decode());
  return hash.digest('hex');
}

/** Runs `read` in UTF-8, and again in Windows-1252 when the bytes are not UTF-8. */
async function inEitherEncoding<T>(
  read: (encoding: SourceEncoding) => Promise<T>,
): Promise<T & { encoding: SourceEncoding }> {
  try {
    return { ...(await read('utf-8')), encoding: 'utf-8' };
  } catch (error) {
    if (!isDecodingError(error)) throw error;
    return { ...(await read('windows-1252')), encoding: 'windows-1252' };
  }
}

async function readAll(files: ReferenceImportFiles, path: string): Promise<{ text: string; sha256: string }> {
  return inEitherEncoding(async (encoding) => {
    let text = '';
    const sha256 = await streamSource(files, path, encoding, (t) => (text += t));
    return { text, sha256 };
  });
}

/** Reads the manifest and every file it lists (texts by path), failing clearly when one is missing. */
async function readReferenceFolder(
  files: ReferenceImportFiles,
): Promise<{ manifest: ReferenceManifest & Record<string, unknown>; texts: Map<string, string> }> {
  const manifestText = await files.readReference('MANIFEST.json');
  if (manifestText === undefined)
    throw new InputError('reference import: the reference folder has no MANIFEST.json');
  let manifest: ReferenceManifest & Record<string, unknown>;
  try {
    manifest = JSON.parse(manifestText) as ReferenceManifest & Record<string, unknown>;
  } catch (cause) {
    throw new InputError('reference import: MANIFEST.json is not valid JSON', { cause });
  }
  const texts = new Map<string, string>();
  for (const path of Object.keys(manifest.files ?? {})) {
    const text = await files.readReference(path);
    if (text === undefined)
      throw new InputError(`reference import: ${path}, listed in MANIFEST.json, does not exist`);
    texts.set(path, text);
  }
  return { manifest, texts };
}

function parseFolder(manifest: ReferenceManifest, texts: ReadonlyMap<string, string>): ReferenceData {
  return parseReferenceData(JSON.stringify(manifest), (path) => texts.get(path) ?? '');
}

/**
 * Imports one official reference file into the reference folder.
 *
 * Guarantees: the source is read in its published layout (reference-import-layouts.ts) and
 * checked row by row (errors name file, row and column, never a value); the files written are in
 * the format the loader reads and are checked by parsing the whole folder with them before anything
 * is written, so a folder the loader would refuse is never left behind; the data files are written
 * before MANIFEST.json, each atomically; importing the same file with the same options again
 * writes nothing and reports the same version.
 */
export async function importReferenceFile(
  request: ReferenceImportRequest,
  files: ReferenceImportFiles,
): Promise<ReferenceImportOutcome> {
  const { manifest, texts } = await readReferenceFolder(files);
  const current = parseFolder(manifest, texts);

  let successors: ReferenceImportOptions['successors'];
  if (request.successorsFile !== undefined) {
    const succ = await readAll(files, request.successorsFile);
    const name = baseName(request.successorsFile);
    successors = { sourceFile: name, sha256: succ.sha256, byPredecessor: parseSuccessors(succ.text, name) };
  }

  const sourceFile = baseName(request.file);
  // Rows are parsed as the bytes arrive (a national file never sits in memory as one string).
  const { result, sha256, encoding } = await inEitherEncoding(async (enc) => {
    const importer = new ReferenceImport({
      layout: request.layout,
      sourceFile,
      publishedOn: request.publishedOn,
      current,
      ...(request.financialYear !== undefined ? { financialYear: request.financialYear } : {}),
      ...(request.lsoaVintage !== undefined ? { lsoaVintage: request.lsoaVintage } : {}),
      ...(request.postcodeAreas !== undefined ? { postcodeAreas: request.postcodeAreas } : {}),
      ...(successors ? { successors } : {}),
    });
    const hash = await streamSource(files, request.file, enc, (t) => importer.push(t));
    return { result: importer.finish(hash), sha256: hash };
  });

  const nextManifest = { ...manifest, files: { ...manifest.files } } as ReferenceManifest &
    Record<string, unknown> & { files: Record<string, ManifestFile> };
  const nextTexts = new Map(texts);
  const changed: { path: string; text: string }[] = [];
  for (const f of result.files) {
    const before = manifest.files[f.path];
    const sameEntry = before !== undefined && JSON.stringify(before) === JSON.stringify(f.manifest);
    if (!sameEntry || texts.get(f.path) !== f.text) changed.push({ path: f.path, text: f.text });
    nextManifest.files[f.path] = f.manifest;
    nextTexts.set(f.path, f.text);
  }
  if (changed.length > 0) {
    // Refuse to write what the loader would refuse (a postcode pointing at no LSOA, a bad row).
    parseFolder(nextManifest, nextTexts);
    await files.writeReference([
      ...changed,
      { path: 'MANIFEST.json', text: `${JSON.stringify(nextManifest, null, 2)}\n` },
    ]);
  }
  const written = new Set(changed.map((c) => c.path));
  return {
    layout: result.layout,
    version: result.version,
    rowsRead: result.rowsRead,
    skipped: result.skipped,
    sourceFile,
    sha256,
    encoding,
    files: result.files.map((f) => ({
      path: f.path,
      rows: f.manifest.rows ?? 0,
      written: written.has(f.path),
    })),
    unchanged: changed.length === 0,
  };
}
