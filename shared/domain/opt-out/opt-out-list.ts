import { InputError } from '../errors.js';
import { normaliseNhsNumber, validateNhsNumber } from '../nhs/nhs-number.js';
import { PROJECT_ID_PATTERN, type ProjectId } from '../pseudonymise/project-declarations.js';

/**
 * The National Data Opt-out list as the team supplies it, and the rule that applies it.
 *
 * Input contract (CSV, UTF-8, header required, columns in any order, extra columns refused):
 * `nhs_number,effective_from,withdrawn_on`: the NHS number (storage `9434765919` or display
 * `943 476 5919` form), the date the opt-out took effect and the date it was withdrawn (empty while
 * it stands), both `YYYY-MM-DD`. A number may appear on several rows (several periods). One bad row
 * refuses the whole list: a partly read list would publish the records of the patients it dropped.
 *
 * The rule (activity-date basis, this project's choice; see docs/opt-out.md): a record is withheld
 * when its activity date falls in one of the patient's periods, `effective_from` ≤ date and (no
 * `withdrawn_on` or date < `withdrawn_on`). A record whose activity date is unknown is withheld
 * when the patient has any period.
 */
export interface OptOutEntry {
  /** Storage form (10 digits). Held in memory during an import only; never stored or logged. */
  readonly nhsNumber: string;
  readonly period: OptOutPeriod;
}

export interface OptOutPeriod {
  /** `YYYY-MM-DD`: first day the opt-out applies. */
  readonly from: string;
  /** `YYYY-MM-DD`: first day it no longer applies (withdrawn); null while it stands. */
  readonly until: string | null;
}

const COLUMNS = ['nhs_number', 'effective_from', 'withdrawn_on'] as const;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

function isIsoDate(value: string): boolean {
  if (!ISO_DATE.test(value)) return false;
  const at = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(at.getTime()) && at.toISOString().slice(0, 10) === value;
}

/** Splits one CSV line (RFC 4180 quotes; the list has no field that needs them, but tools add them). */
function csvCells(line: string): string[] {
  const cells: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      cells.push(cell);
      cell = '';
    } else cell += ch;
  }
  cells.push(cell);
  return cells.map((c) => c.trim());
}

/**
 * Reads an opt-out list. Throws `InputError` (INPUT_INVALID) naming every bad row (up to 20) by its
 * line number and field, never by value.
 */
export function parseOptOutCsv(text: string): OptOutEntry[] {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const header = csvCells(lines[0] ?? '').map((h) => h.toLowerCase());
  const index = new Map(header.map((h, i) => [h, i]));
  const unknown = header.filter((h) => !(COLUMNS as readonly string[]).includes(h));
  const missing = COLUMNS.filter((c) => c !== 'withdrawn_on' && !index.has(c));
  if (unknown.length > 0 || missing.length > 0 || index.size !== header.length)
    throw new InputError(
      `opt-out list: expected the header ${COLUMNS.join(',')} (withdrawn_on optional), received ${header.length} column(s)` +
        (missing.length > 0 ? `; missing ${missing.join(', ')}` : '') +
        (unknown.length > 0 ? `; ${unknown.length} unknown column(s)` : '') +
        (index.size !== header.length ? '; a column repeated' : ''),
    );
  const entries: OptOutEntry[] = [];
  const problems: string[] = [];
  const cellOf = (cells: string[], name: string): string => {
    const i = index.get(name);
    return i === undefined ? '' : (cells[i] ?? '');
  };
  for (let n = 1; n < lines.length; n++) {
    const line = lines[n] ?? '';
    if (line.trim() === '') continue;
    const lineNo = n + 1;
    const cells = csvCells(line);
    if (cells.length !== header.length) {
      problems.push(`line ${lineNo}: ${cells.length} field(s), expected ${header.length}`);
      continue;
    }
    const nhsNumber = normaliseNhsNumber(cellOf(cells, 'nhs_number'));
    const from = cellOf(cells, 'effective_from');
    const until = cellOf(cells, 'withdrawn_on');
    const check = validateNhsNumber(nhsNumber);
    if (!check.ok) problems.push(`line ${lineNo} nhs_number: ${check.reason}`);
    if (!isIsoDate(from)) problems.push(`line ${lineNo} effective_from: expected a date YYYY-MM-DD`);
    if (until !== '' && !isIsoDate(until))
      problems.push(`line ${lineNo} withdrawn_on: expected a date YYYY-MM-DD or empty`);
    else if (until !== '' && isIsoDate(from) && until <= from)
      problems.push(`line ${lineNo} withdrawn_on: expected a date after effective_from`);
    if (check.ok && isIsoDate(from) && (until === '' || (isIsoDate(until) && until > from)))
      entries.push({ nhsNumber, period: { from, until: until === '' ? null : until } });
  }
  if (problems.length > 0)
    throw new InputError(
      `opt-out list refused (nothing imported): ${problems.length} problem(s): ${problems.slice(0, 20).join('; ')}${problems.length > 20 ? '; …' : ''}`,
    );
  return entries;
}

/**
 * Whether a record dated `activityDate` (`YYYY-MM-DD…`; only the first ten characters are read) is
 * withheld by a patient's opt-out periods (see the rule in the module comment).
 */
export function isWithheldByOptOut(periods: readonly OptOutPeriod[], activityDate: unknown): boolean {
  if (periods.length === 0) return false;
  const day =
    typeof activityDate === 'string' && activityDate.length >= 10 ? activityDate.slice(0, 10) : null;
  if (day === null || !ISO_DATE.test(day)) return true;
  for (const p of periods) if (p.from <= day && (p.until === null || day < p.until)) return true;
  return false;
}

/** Why a project's flows are not filtered: direct care, or a legal exemption (e.g. s251 support). */
export type OptOutExemptionBasis = 'direct-care' | 'legal-exemption';
export const OPT_OUT_EXEMPTION_BASES: readonly OptOutExemptionBasis[] = ['direct-care', 'legal-exemption'];
export type OptOutExemptions = Readonly<Partial<Record<ProjectId, OptOutExemptionBasis>>>;

/**
 * Reads `NHSFLOWS_OPT_OUT_EXEMPTIONS`: comma-separated `<project>=<basis>` (`careflow=direct-care`).
 * Empty: no project is exempt beyond the projects file's own declarations. Returns the problems
 * (for the settings schema) instead of throwing. `isProject` checks the names against the projects
 * in force; without it (the settings schema, parsed before the projects file is read) only the
 * form of each name is checked.
 */
export function parseOptOutExemptions(
  value: string,
  isProject: (name: string) => boolean = (name) => PROJECT_ID_PATTERN.test(name),
): { ok: true; exemptions: OptOutExemptions } | { ok: false; problems: string[] } {
  const exemptions: Partial<Record<ProjectId, OptOutExemptionBasis>> = {};
  const problems: string[] = [];
  for (const part of value.split(',').map((p) => p.trim())) {
    if (part === '') continue;
    const [project = '', basis = ''] = part.split('=').map((p) => p.trim());
    if (!isProject(project)) problems.push(`'${project}' is not a project (see the projects file)`);
    else if (!(OPT_OUT_EXEMPTION_BASES as readonly string[]).includes(basis))
      problems.push(`${project}: basis '${basis}' is not one of ${OPT_OUT_EXEMPTION_BASES.join(', ')}`);
    else exemptions[project as ProjectId] = basis as OptOutExemptionBasis;
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, exemptions };
}
