import { z } from 'zod';
import { SOURCE_TABLE_NAMES, type SourceTableName } from '../datasets/source-tables.js';
import { LandingFileRejectedError } from '../errors.js';

/**
 * A supplier manifest: the control file beside a landing file, `<file>.manifest.json`, saying what
 * the file should hold (docs/landing.md, ADR 0015). Checked before a row of the file is loaded:
 * a count or checksum mismatch rejects the whole file.
 *
 * Contract (JSON, written by the supplier):
 * ```json
 * { "rows": 48213, "sha256": "<64 hex digits of the file's bytes>", "table": "mhsds_referral",
 *   "period": "2026-11", "supplier": "RRK" }
 * ```
 * - `rows`: data rows (a CSV's header row is not one; blank lines are not rows);
 * - `sha256`: of the file's exact bytes as dropped (any case);
 * - `period`: the reporting month, `YYYY-MM`;
 * - `supplier`: the supplier's ODS code (its shape is checked, not its presence in the ODS register).
 */
export interface SupplierManifest {
  readonly rows: number;
  readonly sha256: string;
  readonly table: SourceTableName;
  readonly period: string;
  readonly supplier: string;
}

/** The boundary schema of a manifest (unknown keys are refused: a typo must not pass silently). */
export const supplierManifestSchema = z
  .object({
    rows: z.number().int().nonnegative(),
    sha256: z
      .string()
      .regex(/^[0-9a-fA-F]{64}$/, 'expected 64 hexadecimal digits')
      .transform((s) => s.toLowerCase()),
    table: z.enum(SOURCE_TABLE_NAMES),
    period: z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'expected a month, YYYY-MM'),
    // ODS codes are 3 to 6 upper-case letters or digits (trusts, sites, practices, commissioners).
    supplier: z
      .string()
      .regex(/^[A-Z0-9]{3,6}$/, 'expected an ODS code (3 to 6 upper-case letters or digits)'),
  })
  .strict() satisfies z.ZodType<SupplierManifest, unknown>;

/** The manifest's blob name beside a landing file (`<file>.manifest.json`). */
export const MANIFEST_SUFFIX = '.manifest.json';

/**
 * Parses a manifest's bytes. Throws `LandingFileRejectedError` FILE.MANIFEST_INVALID naming the
 * manifest file and each field at fault (the manifest holds no patient data, but no value is
 * quoted all the same).
 */
export function parseSupplierManifest(file: string, text: string): SupplierManifest {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new LandingFileRejectedError('FILE.MANIFEST_INVALID', file, 'the manifest is not valid JSON');
  }
  const parsed = supplierManifestSchema.safeParse(json);
  if (!parsed.success)
    throw new LandingFileRejectedError(
      'FILE.MANIFEST_INVALID',
      file,
      parsed.error.issues.map((i) => `${i.path.join('.') || '(manifest)'}: ${i.message}`).join('; '),
    );
  return parsed.data;
}

/** What a landing file was found to hold, to be checked against its manifest. */
export interface LandingFileFacts {
  readonly table: SourceTableName;
  readonly sha256: string;
  /** Data rows (records and unreadable rows; a CSV header is not a row). */
  readonly rows: number;
}

/**
 * Checks a file against its manifest: the first problem as a rejection (table, then checksum, then
 * row count), or undefined when the file is what the manifest says. The checksum is checked before
 * the count: a truncated file fails both, and the checksum names the cause.
 */
export function manifestMismatch(
  manifest: SupplierManifest,
  facts: LandingFileFacts,
  file: string,
): LandingFileRejectedError | undefined {
  if (manifest.table !== facts.table)
    return new LandingFileRejectedError(
      'FILE.MANIFEST_TABLE_MISMATCH',
      file,
      `the manifest is for ${manifest.table}, the file was dropped under ${facts.table}`,
    );
  if (manifest.sha256 !== facts.sha256)
    return new LandingFileRejectedError(
      'FILE.CHECKSUM_MISMATCH',
      file,
      `SHA-256 of the file is ${facts.sha256}, the manifest declares ${manifest.sha256}: the upload is truncated or altered; send the file again`,
    );
  if (manifest.rows !== facts.rows)
    return new LandingFileRejectedError(
      'FILE.ROW_COUNT_MISMATCH',
      file,
      `the file holds ${facts.rows} rows, the manifest declares ${manifest.rows}`,
    );
  return undefined;
}
