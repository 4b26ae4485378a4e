import { normaliseNhsNumber, validateNhsNumber } from '../nhs/nhs-number.js';
import { createHmacSha256 } from './hmac-sha256.js';
import type { ProjectKey } from './project-key.js';
import type { ProjectId } from './projects.js';

/**
 * Pseudonyms of one project under one key version.
 *
 * Contract (pseudonym format, v1):
 * - `patient_token` = lower-case hex of HMAC-SHA256(project key, the 10 ASCII digits of the
 *   normalised NHS number): 64 characters, not truncated (256 bits, so collisions are not a
 *   consideration at any population size); `null` when the number is missing or fails the
 *   modulus-11 validation (an invalid number is not a usable identity);
 * - `fallback_link_key` = lower-case hex of HMAC-SHA256(project key,
 *   `fallback/v1|<YYYY-MM-DD date of birth>|<sex code>|<LSOA>`); the `fallback/v1|` prefix keeps the
 *   two message spaces apart (a token message is exactly ten digits); `null` unless all three
 *   parts are known (sex 0 / X "not known" counts as unknown).
 *
 * A pseudonymiser caches the tokens and fallback keys it has computed (a batch repeats patients),
 * up to `cacheLimit` entries each, then starts afresh; when nearly every input is new the cache is
 * bypassed (see `AdaptiveCache`).
 */
export interface Pseudonymiser {
  readonly project: ProjectId;
  readonly keyVersion: string;
  /** Token of an NHS number in storage or display form; null when missing or invalid. */
  token(nhsNumber: string | null | undefined): string | null;
  /** Token of a number already known to be 10 valid digits (no normalisation, no validation). */
  tokenOfValid(nhsNumber: string): string;
  fallbackLinkKey(
    dateOfBirth: string | null | undefined,
    sex: string | null | undefined,
    lsoa: string | null | undefined,
  ): string | null;
}

export const FALLBACK_LINK_KEY_PREFIX = 'fallback/v1|';
/** Sex codes that mean "not known": no fallback key is made from them. */
const UNKNOWN_SEX = new Set(['0', 'X', '']);
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

export function createPseudonymiser(key: ProjectKey, options: { cacheLimit?: number } = {}): Pseudonymiser {
  const mac = createHmacSha256(key.material);
  const cacheLimit = Math.max(1, options.cacheLimit ?? 250_000);
  const tokens = new AdaptiveCache(cacheLimit, (digits) => mac.hexOfTenAscii(digits));
  const fallbackKeys = new AdaptiveCache(cacheLimit, (message) => mac.hex(message));
  const tokenOfValid = (digits: string): string => tokens.get(digits);

  return {
    project: key.project,
    keyVersion: key.version,
    tokenOfValid,
    token(nhsNumber) {
      if (nhsNumber === null || nhsNumber === undefined) return null;
      let digits = nhsNumber;
      if (!validateNhsNumber(digits).ok) {
        digits = normaliseNhsNumber(nhsNumber);
        if (digits === nhsNumber || !validateNhsNumber(digits).ok) return null;
      }
      return tokenOfValid(digits);
    },
    fallbackLinkKey(dateOfBirth, sex, lsoa) {
      if (!dateOfBirth || !sex || !lsoa) return null;
      const s = sex.trim();
      if (UNKNOWN_SEX.has(s)) return null;
      const dob = dateOfBirth.slice(0, 10);
      if (!ISO_DATE.test(dob)) return null;
      return fallbackKeys.get(`${FALLBACK_LINK_KEY_PREFIX}${dob}|${s}|${lsoa}`);
    },
  };
}

const CACHE_WINDOW = 8192;

/**
 * A memo of an expensive pure function, bounded (starts afresh at `limit` entries) and adaptive:
 * a cache that never hits (all-distinct inputs) costs more than it saves, so after a window of
 * lookups with under 5 % hits it is bypassed for the next 7 windows, then sampled again.
 */
class AdaptiveCache {
  private cache = new Map<string, string>();
  private lookups = 0;
  private hits = 0;
  private bypassWindows = 0;

  constructor(
    private readonly limit: number,
    private readonly compute: (input: string) => string,
  ) {}

  get(input: string): string {
    if (this.bypassWindows > 0) {
      if (++this.lookups === CACHE_WINDOW) {
        this.lookups = 0;
        this.bypassWindows -= 1;
      }
      return this.compute(input);
    }
    if (++this.lookups === CACHE_WINDOW) {
      if (this.hits < CACHE_WINDOW * 0.05) this.bypassWindows = 7;
      this.lookups = 0;
      this.hits = 0;
    }
    const hit = this.cache.get(input);
    if (hit !== undefined) {
      this.hits += 1;
      return hit;
    }
    const value = this.compute(input);
    if (this.cache.size >= this.limit) this.cache = new Map();
    this.cache.set(input, value);
    return value;
  }
}
