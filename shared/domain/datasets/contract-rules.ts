import { validateBnfCode } from '../nhs/bnf-code.js';
import { validateHrgCode } from '../nhs/hrg-code.js';
import { validateIcd10 } from '../nhs/icd10.js';
import { validateNhsNumber } from '../nhs/nhs-number.js';
import { validateOdsCode, type OdsKind } from '../nhs/ods-code.js';
import { validateOpcs4 } from '../nhs/opcs4.js';
import { validatePostcode } from '../nhs/postcode.js';
import { validateSnomedId } from '../nhs/snomed.js';
import { VALID, invalid, type ValueCheck } from '../nhs/value-check.js';
import type { CodeListName } from '../reference/reference-data.js';
import {
  fieldRule,
  timestampMillis,
  type FieldRule,
  type RowContext,
  type RowRule,
} from './contract-engine.js';

/**
 * Reusable field and row rules for the table contracts. Every failure object is built once, when
 * the rule is created, so checking a row allocates nothing on success; reasons never hold a value.
 */

const str = (rules: readonly string[], validate: (v: string) => ValueCheck): FieldRule =>
  fieldRule(rules, (v) => (typeof v === 'string' ? validate(v) : VALID));

/** NHS number: modulus 11 and the dummy-value rules (a null NHS number is not checked here). */
export const nhsNumber: FieldRule = str(
  ['EMPTY', 'LENGTH', 'NON_DIGIT', 'ALL_SAME_DIGIT', 'NO_CHECK_DIGIT_POSSIBLE', 'CHECK_DIGIT'],
  validateNhsNumber,
);
export const postcode: FieldRule = str(['EMPTY', 'LENGTH', 'FORMAT'], validatePostcode);
export const icd10: FieldRule = str(['EMPTY', 'DOTTED', 'LENGTH', 'FORMAT'], validateIcd10);
export const opcs4: FieldRule = str(['EMPTY', 'DOTTED', 'LENGTH', 'CHAPTER', 'FORMAT'], validateOpcs4);
export const hrgCode: FieldRule = str(['EMPTY', 'LENGTH', 'FORMAT'], validateHrgCode);
export const bnfCode: FieldRule = str(['EMPTY', 'LENGTH', 'FORMAT', 'CHAPTER'], validateBnfCode);
export const snomedConcept: FieldRule = str(
  ['EMPTY', 'NON_DIGIT', 'LEADING_ZERO', 'LENGTH', 'PARTITION', 'NOT_A_CONCEPT', 'CHECK_DIGIT'],
  (v) => validateSnomedId(v, 'concept'),
);
export const ods = (kind: OdsKind): FieldRule =>
  str(['EMPTY', 'LENGTH', 'FORMAT'], (v) => validateOdsCode(v, kind));

/** A regular-expression format rule with a fixed reason. */
export function pattern(re: RegExp, reason: string, rule = 'FORMAT'): FieldRule {
  const fail = invalid(rule, reason);
  return str([rule], (v) => (re.test(v) ? VALID : fail));
}

/** The code must be in `list`, effective on the row's activity date. */
export function codeList(list: CodeListName): FieldRule {
  const fail = invalid(
    'CODE_LIST',
    `is not a code in the ${list.replace(/_/g, ' ')} code list effective on the activity date`,
  );
  return fieldRule(
    ['CODE_LIST'],
    (v, ctx) =>
      typeof v === 'string' && ctx.reference.isValidCode(list, v, ctx.activityDate) ? VALID : fail,
    list,
  );
}

/** The organisation must exist in the reference data on the activity date. */
export const knownOrganisation: FieldRule = (() => {
  const fail = invalid(
    'UNKNOWN_ORGANISATION',
    'is not an organisation in the reference data on the activity date',
  );
  return fieldRule(
    ['UNKNOWN_ORGANISATION'],
    (v: string | number | boolean, ctx: RowContext) =>
      typeof v === 'string' && ctx.reference.organisation(v, ctx.activityDate) !== undefined ? VALID : fail,
    undefined,
    'organisations (ODS) open on the activity date',
  );
})();

/** The HRG must be in the reference HRG list. */
export const knownHrg: FieldRule = (() => {
  const fail = invalid('UNKNOWN_HRG', 'is not an HRG in the reference tariff list');
  return fieldRule(
    ['UNKNOWN_HRG'],
    (v: string | number | boolean, ctx: RowContext) =>
      typeof v === 'string' && ctx.reference.isKnownHrg(v) ? VALID : fail,
    undefined,
    'HRGs in the reference tariff list',
  );
})();

/** The NICIP code must be in the reference imaging code list. */
export const knownImagingCode: FieldRule = (() => {
  const fail = invalid('CODE_LIST', 'is not a NICIP code in the reference imaging code list');
  return fieldRule(
    ['CODE_LIST'],
    (v: string | number | boolean, ctx: RowContext) =>
      typeof v === 'string' && ctx.reference.imagingCode(v) !== undefined ? VALID : fail,
    undefined,
    'NICIP codes in the reference imaging code list',
  );
})();

/** Comma-separated list of ICD-10 codes in storage form (secondary diagnoses), no spaces. */
export const icd10List: FieldRule = (() => {
  const emptyItem = invalid('FORMAT', 'holds an empty item (codes are separated by single commas)');
  return str(['FORMAT', 'EMPTY', 'DOTTED', 'LENGTH'], (v) => {
    let start = 0;
    for (;;) {
      const end = v.indexOf(',', start);
      const item = end === -1 ? v.slice(start) : v.slice(start, end);
      if (item.length === 0) return emptyItem;
      const r = validateIcd10(item);
      if (!r.ok) return r;
      if (end === -1) return VALID;
      start = end + 1;
    }
  });
})();

/** Not after the injected extract date (dates and the local date of timestamps). */
export const notFuture: FieldRule = (() => {
  const fail = invalid('FUTURE_DATE', 'is after the extract date');
  return fieldRule(['FUTURE_DATE'], (v: string | number | boolean, ctx: RowContext) =>
    ctx.asOf !== undefined && typeof v === 'string' && v.slice(0, 10) > ctx.asOf ? fail : VALID,
  );
})();

/** Whole number at least `min`. */
export function minInt(min: number): FieldRule {
  const fail = invalid('RANGE', `is less than ${min}`);
  return fieldRule(['RANGE'], (v) => (typeof v === 'number' && v < min ? fail : VALID));
}

/** Decimal string greater than zero (`positive`) or not negative. */
export function decimalSign(kind: 'positive' | 'non_negative'): FieldRule {
  const fail =
    kind === 'positive'
      ? invalid('NOT_POSITIVE', 'is not greater than zero')
      : invalid('NEGATIVE', 'is negative');
  return str([fail.rule], (v) => {
    if (v.startsWith('-')) return fail;
    if (kind === 'positive' && !/[1-9]/.test(v)) return fail;
    return VALID;
  });
}

/** Commissioner code: a sub-ICB location or ICB, optionally padded with '00' (`15E`, `15E00`, `QHL00`). */
export const commissioner: FieldRule = pattern(
  /^([0-9]{2}[A-Z]|Q[A-Z0-9]{2})(00)?$/,
  "is not a commissioner code (a sub-ICB location like '15E' or an ICB like 'QHL', optionally followed by '00')",
);

/** Reads a field known (by `fields`) to be a non-null string. */
const s = (row: Readonly<Record<string, unknown>>, f: string): string => row[f] as string;

/**
 * Two well-formed timestamps of the same length and offset compare correctly as text, which is
 * much cheaper than converting both to instants (the common case: one source, one offset).
 */
function sameShape(a: string, b: string): boolean {
  const n = a.length;
  if (n !== b.length) return false;
  if (a.charCodeAt(n - 1) === 90) return b.charCodeAt(n - 1) === 90;
  for (let i = n - 6; i < n; i++) if (a.charCodeAt(i) !== b.charCodeAt(i)) return false;
  return true;
}

/** `later` must not be before `earlier` (date strings compare as text; timestamps by instant). */
export function notBefore(
  later: string,
  earlier: string,
  rule: string,
  reason: string,
  kind: 'date' | 'timestamp' = 'date',
): RowRule {
  const fail = invalid(rule, reason);
  return {
    field: later,
    rule,
    fields: [later, earlier],
    check: (row) => {
      const a = s(row, later);
      const b = s(row, earlier);
      const before = kind === 'date' || sameShape(a, b) ? a < b : timestampMillis(a) < timestampMillis(b);
      return before ? fail : VALID;
    },
  };
}

/** Site code must be one of the provider's sites (starts with the 3-character provider code). */
export function siteOfProvider(site: string, provider: string): RowRule {
  const fail = invalid(
    'NOT_PROVIDER_SITE',
    'does not belong to the provider (a site code starts with its trust code)',
  );
  return {
    field: site,
    rule: 'NOT_PROVIDER_SITE',
    fields: [site, provider],
    check: (row) => (s(row, site).startsWith(s(row, provider)) ? VALID : fail),
  };
}

/** `earlier` must not be after `later`; reported against `earlier`. */
export function notAfter(
  earlier: string,
  later: string,
  rule: string,
  reason: string,
  kind: 'date' | 'timestamp' = 'date',
): RowRule {
  const r = notBefore(later, earlier, rule, reason, kind);
  return { ...r, field: earlier };
}
