import type { SourceTableName } from '../../domain/datasets/source-tables.js';
import { isoDate } from '../synthetic-calendar.js';
import type { SyntheticCatalogue } from '../synthetic-catalogue.js';
import { localPatientId, type SyntheticPatient } from '../synthetic-patient.js';

/** The keys a row builder allocates (the generator's `KeyAllocator`). */
export interface RowKeys {
  /** The next primary key of a table. */
  next(table: SourceTableName): string;
  /** The next SUS+ hospital provider spell number. */
  nextSpellNumber(): string;
  /** The next change version of a table. */
  nextVersion(table: SourceTableName): string;
}

/**
 * What every dataset's row builder knows about the patient whose rows it builds: the person, the
 * catalogue, the key allocator and the few derivations every table shares. One per patient.
 */
export interface PatientRowContext {
  readonly patient: SyntheticPatient;
  /** Date of birth, `YYYY-MM-DD`. */
  readonly dateOfBirth: string;
  readonly catalogue: SyntheticCatalogue;
  readonly keys: RowKeys;
  /** Last day of the period (no clean date after it). */
  readonly endDay: number;
  /** The local patient id a provider holds for this patient (the same for every row of that provider). */
  localPatientId(provider: string): string;
  /** The source row's last-modified time for activity on `day`: two days later at 02:00 UTC, never after the period. */
  modifiedAt(day: number): string;
}

/** The row context of one patient. */
export function patientRowContext(
  patient: SyntheticPatient,
  catalogue: SyntheticCatalogue,
  keys: RowKeys,
  seed: number,
  endDay: number,
): PatientRowContext {
  const localIds = new Map<string, string>();
  return {
    patient,
    dateOfBirth: isoDate(patient.birthDay),
    catalogue,
    keys,
    endDay,
    localPatientId(provider) {
      let id = localIds.get(provider);
      if (id === undefined) {
        id = localPatientId(seed, provider, patient.index);
        localIds.set(provider, id);
      }
      return id;
    },
    modifiedAt: (day) => `${isoDate(Math.min(day + 2, endDay))}T02:00:00.000Z`,
  };
}
