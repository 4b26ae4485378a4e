import { COLUMN_MAP_SUFFIXES, type ColumnMapFormat } from './column-map.js';
import { MANIFEST_SUFFIX } from './supplier-manifest.js';

/**
 * What a blob under `landing/` is: a supplier's data file, or a control file beside one (its
 * manifest, its column map). Control files are named after their data file, suffix added:
 * `sus_apc_episode/2026-11.csv` → `sus_apc_episode/2026-11.csv.manifest.json`, `….csv.map.csv`,
 * `….csv.map.json`. Pure: names only.
 */
export type LandingBlob =
  | { readonly kind: 'data'; readonly name: string }
  | { readonly kind: 'manifest'; readonly dataName: string }
  | { readonly kind: 'column-map'; readonly dataName: string; readonly format: ColumnMapFormat };

export function landingBlob(name: string): LandingBlob {
  const lower = name.toLowerCase();
  if (lower.endsWith(MANIFEST_SUFFIX) && lower.length > MANIFEST_SUFFIX.length)
    return { kind: 'manifest', dataName: name.slice(0, -MANIFEST_SUFFIX.length) };
  for (const suffix of COLUMN_MAP_SUFFIXES)
    if (lower.endsWith(suffix) && lower.length > suffix.length)
      return {
        kind: 'column-map',
        dataName: name.slice(0, -suffix.length),
        format: suffix === '.map.csv' ? 'csv' : 'json',
      };
  return { kind: 'data', name };
}

/** The control files a data file may have beside it in landing. */
export function landingSidecars(dataName: string): {
  readonly manifest: string;
  readonly columnMaps: readonly { readonly name: string; readonly format: ColumnMapFormat }[];
} {
  return {
    manifest: `${dataName}${MANIFEST_SUFFIX}`,
    columnMaps: COLUMN_MAP_SUFFIXES.map((s) => ({
      name: `${dataName}${s}`,
      format: s === '.map.csv' ? ('csv' as const) : ('json' as const),
    })),
  };
}

/** Telemetry of the landing path (the alert rule `landing-file-integrity` watches the first). */
export const LANDING_EVENTS = {
  /** A file did not match its manifest (count, checksum, table) or its manifest never came. */
  integrityFailed: 'nhsflows.landing.integrityFailed',
  /** A file whose bytes were already loaded under another name: reported, not loaded again. */
  duplicate: 'nhsflows.landing.duplicate',
  /** A dead-lettered landing event (every delivery failed) was loaded by the sweep's replay. */
  deliveryReplayed: 'nhsflows.landing.deliveryReplayed',
  /** A dead-lettered landing event still fails when the sweep replays it (the on-call alert). */
  deliveryFailed: 'nhsflows.landing.deliveryFailed',
} as const;
