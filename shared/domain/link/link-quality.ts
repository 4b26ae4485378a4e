import type { PortableColumn } from '../gold/portable-types.js';

/**
 * How a record was linked to a person. One set of values, carried on every linked record in the
 * column `link_quality` (with the numeric `link_confidence` beside it):
 * - `deterministic`: the record has a patient token (valid NHS number), confidence 1;
 * - `probabilistic-<score>`: no usable NHS number; linked on the fallback key (pseudonymised
 *   DOB + sex + LSOA), score with two decimals (see {@link LINK_CONFIDENCE});
 * - `unlinked`: nothing to link on, or the fallback key is ambiguous; `person_id` is null.
 */
export type LinkQuality = 'deterministic' | 'unlinked' | `probabilistic-${string}`;

/**
 * Confidence scores of the linkage rules, in one place.
 * - `fallbackUniqueMatch`: DOB + sex + LSOA agree with exactly one person known by NHS number.
 *   Not 1: two people (twins of one sex at one address) can share all three.
 * - `fallbackCluster`: no person with an NHS number has this DOB + sex + LSOA; records without a
 *   number that share it are taken to be one person. Lower: nothing corroborates it.
 * - A fallback key shared by two or more people known by NHS number is ambiguous: unlinked.
 */
export const LINK_CONFIDENCE = {
  deterministic: 1,
  fallbackUniqueMatch: 0.95,
  fallbackCluster: 0.8,
  unlinked: 0,
} as const;

export const LINK_QUALITY_DETERMINISTIC: LinkQuality = 'deterministic';
export const LINK_QUALITY_UNLINKED: LinkQuality = 'unlinked';

export function probabilisticQuality(score: number): LinkQuality {
  return `probabilistic-${score.toFixed(2)}`;
}

/** The confidence a quality value encodes (1 deterministic, the score for probabilistic, 0 unlinked). */
export function confidenceOf(quality: LinkQuality): number {
  if (quality === 'deterministic') return 1;
  if (quality === 'unlinked') return 0;
  const score = Number(quality.slice('probabilistic-'.length));
  if (!Number.isFinite(score)) throw new Error(`link quality '${quality}' has no numeric score`);
  return score;
}

/** Columns the linker adds to every linked record (gold facts keep them). */
export const LINK_COLUMNS: readonly PortableColumn[] = [
  { name: 'person_id', type: 'string', nullable: true },
  { name: 'link_quality', type: 'string', nullable: false },
  { name: 'link_confidence', type: 'double', nullable: false },
];
