import { VALID, invalid, type ValueCheck } from './value-check.js';

/**
 * BNF presentation code, 15 characters (NHSBSA):
 * chapter (2 digits) · section (2 digits) · paragraph (2 digits) · sub-paragraph (1 digit) ·
 * chemical substance (2 letters/digits; chars 1–9 form the chemical code) · product (2) ·
 * strength/formulation (2) · strength/formulation of the generic equivalent (2).
 * Chapters 01–15 are medicines; 18–23 are pseudo-chapters (diagnostics, other, dressings, appliances).
 */
export interface BnfCodeParts {
  readonly chapter: string;
  readonly section: string;
  readonly paragraph: string;
  readonly subParagraph: string;
  /** The 2-character chemical substance within the sub-paragraph. */
  readonly chemical: string;
  /** Characters 1–9: chapter..chemical, the BNF chemical substance code (`0212000B0`). */
  readonly chemicalCode: string;
  readonly product: string;
  readonly strength: string;
  readonly generic: string;
  /** Product `AA` means the generic presentation. */
  readonly isGeneric: boolean;
}

const SHAPE = /^[0-9]{7}[0-9A-Z]{8}$/;
const CHAPTERS = new Set([
  '01',
  '02',
  '03',
  '04',
  '05',
  '06',
  '07',
  '08',
  '09',
  '10',
  '11',
  '12',
  '13',
  '14',
  '15',
  '18',
  '19',
  '20',
  '21',
  '22',
  '23',
]);

const EMPTY = invalid('EMPTY', 'empty');
const LENGTH = invalid('LENGTH', 'not 15 characters');
const FORMAT = invalid(
  'FORMAT',
  'not a BNF code (7 digits for chapter, section, paragraph and sub-paragraph, then 8 upper-case letters or digits)',
);
const CHAPTER = invalid('CHAPTER', 'chapter is not a BNF chapter (01-15 or 18-23)');

/** Validates a 15-character BNF presentation code. Rules: EMPTY, LENGTH, FORMAT, CHAPTER. */
export function validateBnfCode(value: string): ValueCheck {
  if (value.length === 0) return EMPTY;
  if (value.length !== 15) return LENGTH;
  if (!SHAPE.test(value)) return FORMAT;
  return CHAPTERS.has(value.slice(0, 2)) ? VALID : CHAPTER;
}

/** The parts of a valid BNF code, or `null` when {@link validateBnfCode} rejects it. */
export function parseBnfCode(value: string): BnfCodeParts | null {
  if (!validateBnfCode(value).ok) return null;
  return {
    chapter: value.slice(0, 2),
    section: value.slice(2, 4),
    paragraph: value.slice(4, 6),
    subParagraph: value.slice(6, 7),
    chemical: value.slice(7, 9),
    chemicalCode: value.slice(0, 9),
    product: value.slice(9, 11),
    strength: value.slice(11, 13),
    generic: value.slice(13, 15),
    isGeneric: value.slice(9, 11) === 'AA',
  };
}
