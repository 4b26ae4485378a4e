/**
 * Every error class the product throws, each with a stable `code`.
 *
 * Messages say what was expected and what arrived, and name the file, row and field where there is
 * one, but never carry a patient identifier or a row value (see docs/adr/0002-no-identifiers.md).
 */
export abstract class NhsFlowsError extends Error {
  abstract readonly code: string;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A setting is missing or malformed; lists every problem at once. */
export class ConfigError extends NhsFlowsError {
  readonly code = 'CONFIG_INVALID';
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
  }
}

/** Input that cannot be read at all (not a row-level rule failure, which is data). */
export class InputError extends NhsFlowsError {
  readonly code = 'INPUT_INVALID';
}

/** Counts that should reconcile do not: in ≠ accepted + quarantined. Fails the batch loudly. */
export class ReconciliationError extends NhsFlowsError {
  readonly code = 'COUNTS_DO_NOT_RECONCILE';
}

/** A safety guard stopped an operation (mass delete, schema drift, …). */
export class GuardError extends NhsFlowsError {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}

/** A conditional write lost a race (ETag mismatch, blob already exists). Retryable. */
export class ConcurrencyError extends NhsFlowsError {
  readonly code = 'CONCURRENT_UPDATE';
}

/** An infrastructure call failed; retried by the host or the orchestrator. */
export class InfrastructureError extends NhsFlowsError {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/**
 * Something the code guarantees did not hold (a bug, or a contract between stages broken): never
 * expected in operation, reported with its own code so it is not mistaken for an outage.
 */
export class InvariantError extends NhsFlowsError {
  readonly code = 'INVARIANT_BROKEN';
}

/**
 * Codes of {@link InfrastructureError}s the use cases throw (a stage's work file or a dead letter is
 * gone or does not match its message; a receipt could not even be dead-lettered).
 */
export const INFRASTRUCTURE_CODES = {
  workFileMissing: 'WORK_FILE_MISSING',
  deadLetterMissing: 'DEAD_LETTER_MISSING',
  deadLetterMismatch: 'DEAD_LETTER_MISMATCH',
  deadLetterFailed: 'DEAD_LETTER_FAILED',
  /** A landing blob's bytes changed between its checks and its copy to bronze (retried). */
  landingFileChanged: 'LANDING_FILE_CHANGED',
} as const;

/**
 * An activity returned a permanent failure (bad input, a rejected file, counts that do not
 * reconcile): the orchestrator throws it with the activity's code, so the orchestration's failure
 * carries that code to the failure metric and alerts.
 */
export class ActivityFailedError extends NhsFlowsError {
  readonly code: string;
  constructor(
    readonly activity: string,
    code: string,
    detail: string,
  ) {
    super(`${activity}: ${detail}`);
    this.code = code;
  }
}

/** Normalises anything thrown into an Error, once, at the edge. */
export function toError(thrown: unknown): Error {
  if (thrown instanceof Error) return thrown;
  return new Error(typeof thrown === 'string' ? thrown : JSON.stringify(thrown));
}

/**
 * One captured delta does not fit in a transport event (Event Hubs 1 MB per publication, 256 KB via
 * the Functions output binding). Names the table and event id, never a row value.
 */
export class EventTooLargeError extends NhsFlowsError {
  readonly code = 'EVENT_TOO_LARGE';
  constructor(
    readonly sourceTable: string,
    readonly eventId: string,
    readonly bytes: number,
    readonly limitBytes: number,
  ) {
    super(
      `delta ${eventId} of table ${sourceTable} needs ${bytes} bytes as an event; the transport limit is ${limitBytes} bytes`,
    );
  }
}

/**
 * Key material is missing or malformed (pseudonymisation master key). Names the secret and what
 * was expected, never the value.
 */
export class KeyMaterialError extends NhsFlowsError {
  readonly code = 'KEY_MATERIAL_INVALID';
  constructor(
    readonly secretName: string,
    detail: string,
  ) {
    super(`key material of secret '${secretName}' is unusable: ${detail}`);
  }
}

/** A lake object a reader expected is gone (a compaction replaced it): re-list and retry. */
export class LakeObjectMissingError extends NhsFlowsError {
  readonly code = 'LAKE_OBJECT_MISSING';
  constructor(
    readonly container: string,
    readonly path: string,
  ) {
    super(`lake object ${container}/${path} does not exist`);
  }
}

/**
 * Why a whole landing file is rejected (the stable codes operators and suppliers see). Everything
 * else wrong with a file is a row problem: that row is reported unreadable and the rest loads.
 */
export const LANDING_REJECTION_CODES = [
  /** Not `landing/<source table>/<file>`. */
  'FILE.WRONG_FOLDER',
  /** The folder names no source table. */
  'FILE.UNKNOWN_TABLE',
  /** Not .csv, .ndjson or .jsonl (rows), .json (a FHIR Bundle) or .fhir.ndjson (FHIR bulk export). */
  'FILE.UNSUPPORTED_FORMAT',
  /** NUL bytes: a binary file (a spreadsheet, an archive), not text. */
  'FILE.BINARY',
  /** Bytes that are not UTF-8, and no other encoding is declared. */
  'FILE.NOT_UTF8',
  /** The first row names none of the table's columns (a file without a header row). */
  'FILE.HEADER_MISSING',
  /** The header names a column the table does not have. */
  'FILE.HEADER_UNKNOWN_COLUMN',
  /** The header names a column twice. */
  'FILE.HEADER_DUPLICATE_COLUMN',
  /** The header lacks a required column of the table. */
  'FILE.HEADER_MISSING_COLUMNS',
  /** The header row itself is not readable CSV (broken quoting). */
  'FILE.HEADER_MALFORMED',
  /** The supplier manifest beside the file is not valid JSON of the manifest schema. */
  'FILE.MANIFEST_INVALID',
  /** The manifest names another table than the file's folder. */
  'FILE.MANIFEST_TABLE_MISMATCH',
  /** The file's SHA-256 is not the one its manifest declares (a truncated or altered upload). */
  'FILE.CHECKSUM_MISMATCH',
  /** The file holds another number of rows than its manifest declares. */
  'FILE.ROW_COUNT_MISMATCH',
  /** The table requires a manifest (landing-policy.ts) and none arrived in time. */
  'FILE.MANIFEST_MISSING',
  /** The column map beside the file is not valid (errors name the map file and its row). */
  'FILE.COLUMN_MAP_INVALID',
  /** A FHIR Bundle larger than the size read whole (FHIR_BUNDLE_MAX_BYTES, docs/fhir.md). */
  'FILE.FHIR_BUNDLE_TOO_LARGE',
] as const;
export type LandingRejectionCode = (typeof LANDING_REJECTION_CODES)[number];

/**
 * A landing file rejected whole, for a file-level reason: permanent (never retried), reported to
 * the poison queue and the ledger. The message names the file and the problem (column names of the
 * table, positions, line numbers), never a cell of the file: a headerless file's first row is a
 * patient's NHS number, name and date of birth.
 */
export class LandingFileRejectedError extends NhsFlowsError {
  readonly code: LandingRejectionCode;
  constructor(
    code: LandingRejectionCode,
    readonly file: string,
    detail: string,
  ) {
    super(`landing file ${file} rejected (${code}): ${detail}`);
    this.code = code;
  }
}

/**
 * A supplier column map (`nhs-flows drop --map`, or `<file>.map.csv|.map.json` beside a landing
 * file) that cannot be used: names the map file and the row (or JSON path) of each problem, and
 * column names only, never a recode's values beyond the map's own text.
 */
export class ColumnMapError extends NhsFlowsError {
  readonly code = 'COLUMN_MAP_INVALID';
  constructor(
    readonly file: string,
    readonly problems: readonly string[],
  ) {
    super(`column map ${file} is not valid:\n  - ${problems.join('\n  - ')}`);
  }
}

/** An export key (a header cell of `nhs-flows export`) holds a control character. Names the position. */
export class ExportKeyError extends NhsFlowsError {
  readonly code = 'EXPORT_KEY_INVALID';
}
