import { nhsNumberCheckDigit } from '../domain/nhs/nhs-number.js';
import { FORENAMES, SURNAMES } from './clinical-scenarios.js';
import { deriveSeed, type Rng } from './prng.js';
import type { CatalogueArea, CataloguePostcode, SyntheticCatalogue } from './synthetic-catalogue.js';

/** One synthetic person. Every identifier is synthetic: 999-range NHS numbers, made-up names. */
export interface SyntheticPatient {
  readonly index: number;
  readonly nhsNumber: string;
  readonly name: string;
  /** Date of birth as a day number. */
  readonly birthDay: number;
  /** NHS DD person stated gender codes as SUS carries them: 1 male, 2 female, 9 indeterminate. */
  readonly sex: string;
  readonly ethnicity: string;
  readonly area: CatalogueArea;
  readonly practice: string;
  readonly address: CataloguePostcode;
  /** Acute provider the patient usually attends (index into `area.acuteProviders`). */
  readonly homeAcute: number;
  readonly highCost: boolean;
}

const BODY_SPACE = 1_000_000;
const BODY_MULTIPLIER = 510_511; // coprime with 10, so i → (i·m + o) mod 10^6 is a permutation

/**
 * Hands out valid NHS numbers from the 999 test range (999 000 0000 – 999 999 9999), one per
 * patient index, never repeating within a seed: numbers whose modulus-11 check would be 10 are
 * skipped, as are all-same-digit numbers. About 909k numbers exist, so populations are capped.
 */
export class NhsNumberAllocator {
  private candidate = 0;
  private issued = 0;
  private readonly offset: number;
  constructor(seed: number) {
    this.offset = deriveSeed(seed, 'nhs-number') % BODY_SPACE;
  }
  /** The number for the next patient index (indices are allocated in order). */
  next(): string {
    while (this.candidate < BODY_SPACE) {
      const body = (this.candidate * BODY_MULTIPLIER + this.offset) % BODY_SPACE;
      this.candidate++;
      const first9 = `999${String(body).padStart(6, '0')}`;
      const check = nhsNumberCheckDigit(first9);
      if (check === null) continue;
      const number = `${first9}${check}`;
      if (number === '9999999999') continue;
      this.issued++;
      return number;
    }
    throw new RangeError(`the 999 test range is exhausted after ${this.issued} NHS numbers`);
  }
  /** Skips `count` patients (used to continue a population at a patient offset). */
  skip(count: number): void {
    for (let i = 0; i < count; i++) this.next();
  }
}

/**
 * The local patient id a provider holds for a patient: provider code + 9 digits, a per-provider
 * permutation of the patient index (unique per provider, different across providers).
 */
export function localPatientId(seed: number, provider: string, patientIndex: number): string {
  const salt = deriveSeed(seed, 'local-id', provider) % 1_000_000_000;
  const n = (patientIndex * 48_271 + salt) % 1_000_000_000;
  return `${provider}${String(n).padStart(9, '0')}`;
}

const AGE_BANDS: readonly { readonly from: number; readonly to: number; readonly weight: number }[] = [
  { from: 0, to: 4, weight: 6 },
  { from: 5, to: 17, weight: 15 },
  { from: 18, to: 29, weight: 16 },
  { from: 30, to: 44, weight: 20 },
  { from: 45, to: 64, weight: 25 },
  { from: 65, to: 79, weight: 13 },
  { from: 80, to: 99, weight: 5 },
];

/** Builds patient `index`, drawing from `rng` (a stream for this patient alone). */
export function createPatient(
  index: number,
  nhsNumber: string,
  rng: Rng,
  catalogue: SyntheticCatalogue,
  referenceDay: number,
  highCostShare: number,
): SyntheticPatient {
  const area = rng.weighted(catalogue.areas, (a) => a.share);
  const band = rng.weighted(AGE_BANDS, (b) => b.weight);
  const ageYears = rng.int(band.from, band.to);
  const birthDay = referenceDay - Math.floor(ageYears * 365.25) - rng.int(0, 364);
  const sexDraw = rng.next();
  const sex = sexDraw < 0.49 ? '1' : sexDraw < 0.998 ? '2' : '9';
  const forename = rng.pick(FORENAMES);
  const surname = rng.pick(SURNAMES);
  const providers = area.acuteProviders.length;
  const homeAcute = providers <= 1 || rng.chance(0.6) ? 0 : rng.int(1, providers - 1);
  return {
    index,
    nhsNumber,
    name: `${forename} ${surname}`,
    birthDay,
    sex,
    ethnicity: rng.weighted(area.ethnicity, (e) => e.weight).code,
    area,
    practice: rng.pick(area.practices),
    address: rng.pick(area.postcodes),
    homeAcute,
    highCost: ageYears >= 18 && rng.chance(highCostShare * (ageYears >= 65 ? 2.5 : 0.6)),
  };
}

/** Age in whole years on a day. */
export function ageOn(patient: SyntheticPatient, day: number): number {
  return Math.max(0, Math.floor((day - patient.birthDay) / 365.25));
}
