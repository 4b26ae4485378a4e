import type { Effective, ReferenceData } from '../../reference/reference-data.js';

/** Last day of a 'YYYYMM' month, as 'YYYY-MM-DD'. */
function monthRange(yyyymm: string): { readonly first: string; readonly last: string } {
  const year = Number(yyyymm.slice(0, 4));
  const month = Number(yyyymm.slice(4, 6));
  const days = new Date(Date.UTC(year, month, 0)).getUTCDate();
  const mm = yyyymm.slice(4, 6);
  return {
    first: `${yyyymm.slice(0, 4)}-${mm}-01`,
    last: `${yyyymm.slice(0, 4)}-${mm}-${String(days).padStart(2, '0')}`,
  };
}

/** True when the version is in force on at least one day of the month ('YYYYMM'). */
export function effectiveInMonth(version: Effective, yyyymm: string): boolean {
  const { first, last } = monthRange(yyyymm);
  return version.effectiveFrom <= last && (version.effectiveTo === null || version.effectiveTo >= first);
}

/**
 * Whether a BNF presentation code is valid in a prescribing month ('YYYYMM'), by the reference's
 * effective dates: the imported NHSBSA BNF code file where it holds the code, else the shipped
 * presentation list. `true` or `false` for a code the reference holds; `undefined` for one it
 * does not (the shipped files are samples, so an unknown code is not judged here).
 */
export function bnfCodeValidInMonth(
  reference: Pick<ReferenceData, 'bnfCode' | 'bnfPresentation'>,
  code: string,
  yyyymm: string,
): boolean | undefined {
  const known = reference.bnfCode(code) ?? reference.bnfPresentation(code);
  return known === undefined ? undefined : effectiveInMonth(known, yyyymm);
}

/**
 * A decimal string as a whole number of thousandths ('28' → 28000, '1.5' → 1500), for exact
 * comparisons of quantities; NaN when it is not a decimal with at most three places.
 */
export function thousandths(decimal: string): number {
  const m = /^(-?)([0-9]+)(?:\.([0-9]{1,3}))?$/.exec(decimal);
  if (!m) return NaN;
  const value = Number(m[2]) * 1000 + Number((m[3] ?? '').padEnd(3, '0'));
  return m[1] === '-' ? -value : value;
}
