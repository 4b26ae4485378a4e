import type { GoldTable } from '../gold/gold-tables.js';
import type { PortableColumn, PortableRow, PortableType } from '../gold/portable-types.js';
import type { Organisation, ReferenceData } from '../reference/reference-data.js';
import { dateDimensionRows } from './date-dimension.js';

/**
 * The conformed reference dimensions of the star schema: dim_date, dim_organisation,
 * dim_practice, dim_hrg and dim_bnf. Built from the reference data (reference/*.csv and imported
 * ODS / tariff / BNF files), never from patient records, and loaded whole on each run whose
 * reference differs from the loaded one (`reference_version`). Pure.
 *
 * Each is replaced whole by `reference_source` (one value per dimension): a change set holds the
 * dimension's every row, so a row the reference dropped leaves the warehouse too.
 *
 * Contracts:
 * - `organisation_sk` = `<ODS code>@<effective_from>`, `practice_sk` likewise: one per ODS version;
 * - `valid_from <= date < valid_to` (`valid_to` the day after the reference's inclusive
 *   `effective_to`, 9999-12-31 while open), as dim_patient;
 * - `hrg_sk` = `<HRG>|<financial year>` ('AA22C|2025/26'), the financial year of admission.
 */

const OPEN_END = '9999-12-31';

const c = (
  name: string,
  type: PortableType,
  description: string,
  nullable = true,
  maxLength?: number,
): PortableColumn => ({ name, type, nullable, description, ...(maxLength ? { maxLength } : {}) });

const referenceLineage: PortableColumn[] = [
  c(
    'reference_source',
    'string',
    'Which reference the row comes from (the dimension is replaced whole per source)',
    false,
    20,
  ),
  c('reference_version', 'string', 'Hash of the reference manifest the row was built from', false, 64),
  c('batch_id', 'string', 'Load batch (reference-<version>)', false, 64),
  c('loaded_at', 'timestamp', 'When the dimension was built', false),
];

const validity: PortableColumn[] = [
  c('valid_from', 'date', 'First day the version is in force', false),
  c('valid_to', 'date', 'Day after the last day in force (9999-12-31 while open)', false),
  c('is_current', 'boolean', 'True for the version with no end date', false),
];

const referenceDimension = (
  name: string,
  key: string,
  description: string,
  columns: PortableColumn[],
): GoldTable => ({
  name,
  kind: 'dimension',
  key: [key],
  replaceBy: ['reference_source'],
  // Not patient data, but dates and codes: served with the row-level tables (docs/outputs.md).
  access: 'restricted',
  description,
  columns: [...columns, ...referenceLineage],
});

export const DIM_DATE = referenceDimension(
  'dim_date',
  'date_key',
  'Calendar day with its NHS financial year (April–March), month and ISO week',
  [
    c('date_key', 'int', 'The date as YYYYMMDD', false),
    c('calendar_date', 'date', 'The day', false),
    c('calendar_year', 'int', 'Calendar year', false),
    c('calendar_month', 'int', 'Calendar month (1–12)', false),
    c('month_name', 'string', 'Month name', false, 9),
    c('period', 'string', 'Month as YYYY-MM (the facts’ period)', false, 7),
    c('financial_year', 'string', 'NHS financial year, April to March, as YYYY/YY', false, 7),
    c('financial_month', 'int', 'Month of the financial year (April = 1)', false),
    c('financial_quarter', 'string', 'Quarter of the financial year (Q1 = April–June)', false, 2),
    c('iso_year', 'int', 'ISO 8601 week-numbering year', false),
    c('iso_week', 'int', 'ISO 8601 week (1–53)', false),
    c('day_of_week', 'int', 'ISO day of week (Monday = 1)', false),
    c('day_name', 'string', 'Day name', false, 9),
    c('is_weekend', 'boolean', 'Saturday or Sunday', false),
  ],
);

export const DIM_ORGANISATION = referenceDimension(
  'dim_organisation',
  'organisation_sk',
  'ODS organisation (trust, site, ICB, sub-ICB, practice), SCD Type 2 from the effective-dated reference, with its final successor',
  [
    c('organisation_sk', 'string', 'Surrogate key of the version: ODS code @ valid_from', false, 40),
    c('organisation_code', 'string', 'ODS code', false, 10),
    c('organisation_name', 'string', 'Name', false, 200),
    c('organisation_kind', 'string', 'region, icb, sub_icb, trust, site or gp_practice', false, 20),
    c('org_type', 'string', 'ODS type in words', true, 100),
    c(
      'parent_code',
      'string',
      'Parent organisation (site → trust, practice → sub-ICB, sub-ICB → ICB)',
      true,
      10,
    ),
    c('sub_icb_code', 'string', 'Sub-ICB location', true, 10),
    c('icb_code', 'string', 'Integrated care board', true, 10),
    c('successor_code', 'string', 'The organisation that took this one over (ODS successor file)', true, 10),
    c('successor_date', 'date', 'The day the succession took effect', true),
    c(
      'current_successor_code',
      'string',
      'The organisation its activity rolls up to today: successors followed transitively (itself when none)',
      false,
      10,
    ),
    ...validity,
  ],
);

export const DIM_PRACTICE = referenceDimension(
  'dim_practice',
  'practice_sk',
  'GP practice with its sub-ICB location and ICB, effective-dated (a practice that moves gets a new version)',
  [
    c('practice_sk', 'string', 'Surrogate key of the version: practice code @ valid_from', false, 40),
    c('practice_code', 'string', 'ODS code of the GP practice', false, 10),
    c('practice_name', 'string', 'Name', false, 200),
    c('sub_icb_code', 'string', 'Sub-ICB location the practice belongs to', true, 10),
    c('sub_icb_name', 'string', 'Sub-ICB location name', true, 200),
    c('icb_code', 'string', 'Integrated care board', true, 10),
    c('icb_name', 'string', 'ICB name', true, 200),
    ...validity,
  ],
);

export const DIM_HRG = referenceDimension(
  'dim_hrg',
  'hrg_sk',
  'HRG with its tariff for one financial year (NHS Payment Scheme, admitted patient care)',
  [
    c('hrg_sk', 'string', 'HRG | financial year', false, 20),
    c('hrg_code', 'string', 'Healthcare Resource Group code', false, 5),
    c('hrg_label', 'string', 'HRG name', false, 200),
    c('financial_year', 'string', 'NHS financial year of the tariff (YYYY/YY)', false, 7),
    c('elective_tariff_gbp', 'decimal(12,2)', 'Combined day case / ordinary elective spell tariff', true),
    c('non_elective_tariff_gbp', 'decimal(12,2)', 'Non-elective spell tariff', true),
    c('ordinary_elective_trim_point_days', 'int', 'Ordinary elective long stay trim point', true),
    c('non_elective_trim_point_days', 'int', 'Non-elective long stay trim point', true),
    c('per_day_long_stay_gbp', 'decimal(12,2)', 'Per-day long stay payment beyond the trim point', true),
  ],
);

export const DIM_BNF = referenceDimension(
  'dim_bnf',
  'bnf_code',
  'BNF presentation with its chemical substance and chapter',
  [
    c('bnf_code', 'string', 'BNF presentation code (15 characters)', false, 15),
    c('presentation', 'string', 'Presentation name', false, 200),
    c('chemical_substance', 'string', 'Chemical substance', true, 200),
    c('chemical_code', 'string', 'BNF chemical substance code (9 characters)', true, 9),
    c('chapter', 'string', 'BNF chapter', true, 2),
    c('is_generic', 'boolean', 'Generic presentation', true),
    c(
      'unit_nic_gbp',
      'decimal(12,3)',
      'Net ingredient cost per unit (placeholder in the shipped sample)',
      true,
    ),
  ],
);

/** The reference dimensions, loaded before the facts that reference them. */
export const REFERENCE_DIMENSIONS: readonly GoldTable[] = [
  DIM_DATE,
  DIM_ORGANISATION,
  DIM_PRACTICE,
  DIM_HRG,
  DIM_BNF,
];

/** The version key of an ODS organisation version (`<code>@<effective_from>`). */
export const organisationSkOf = (code: string, effectiveFrom: string): string => `${code}@${effectiveFrom}`;

/** The dim_hrg key of an HRG in a financial year. */
export const hrgSkOf = (hrg: string, financialYear: string): string => `${hrg}|${financialYear}`;

/** The day after an ISO date. */
function nextDay(date: string): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
}

const validityOf = (row: Organisation): PortableRow => ({
  valid_from: row.effectiveFrom,
  valid_to: row.effectiveTo === null ? OPEN_END : nextDay(row.effectiveTo),
  is_current: row.effectiveTo === null,
});

/** Where an organisation's activity rolls up to (`organisationSuccession(...).rollUp`); identity when none is given. */
export type RollUp = (code: string) => string;

/**
 * The reference dimensions' rows (without lineage), per table name. `rollUp` resolves an
 * organisation to its final successor (shared/domain/reference/organisation-succession.ts).
 */
export function referenceDimensionRows(
  reference: Pick<ReferenceData, 'organisations' | 'organisation' | 'bnfPresentations' | 'hrgTariffs'>,
  rollUp: RollUp = (code) => code,
): ReadonlyMap<string, { source: string; rows: PortableRow[] }> {
  const organisations = reference.organisations();
  const orgRows = organisations.map((o) => ({
    organisation_sk: organisationSkOf(o.code, o.effectiveFrom),
    organisation_code: o.code,
    organisation_name: o.name,
    organisation_kind: o.kind,
    org_type: o.orgType || null,
    parent_code: o.parentCode,
    sub_icb_code: o.subIcbCode,
    icb_code: o.icbCode,
    successor_code: o.successorCode,
    successor_date: o.successorDate,
    current_successor_code: rollUp(o.code),
    ...validityOf(o),
  }));
  const nameAt = (code: string | null, asOf: string): string | null =>
    code === null
      ? null
      : (reference.organisation(code, asOf)?.name ?? reference.organisation(code)?.name ?? null);
  const practiceRows = organisations
    .filter((o) => o.kind === 'gp_practice')
    .map((o) => ({
      practice_sk: organisationSkOf(o.code, o.effectiveFrom),
      practice_code: o.code,
      practice_name: o.name,
      sub_icb_code: o.subIcbCode,
      sub_icb_name: nameAt(o.subIcbCode, o.effectiveFrom),
      icb_code: o.icbCode,
      icb_name: nameAt(o.icbCode, o.effectiveFrom),
      ...validityOf(o),
    }));
  const hrgRows = reference.hrgTariffs().map((h) => ({
    hrg_sk: hrgSkOf(h.hrg, h.financialYear),
    hrg_code: h.hrg,
    hrg_label: h.label,
    financial_year: h.financialYear,
    elective_tariff_gbp: h.electiveTariffGbp,
    non_elective_tariff_gbp: h.nonElectiveTariffGbp,
    ordinary_elective_trim_point_days: h.ordinaryElectiveTrimPointDays,
    non_elective_trim_point_days: h.nonElectiveTrimPointDays,
    per_day_long_stay_gbp: h.perDayLongStayGbp,
  }));
  const bnfRows = reference.bnfPresentations().map((b) => ({
    bnf_code: b.code,
    presentation: b.description,
    chemical_substance: b.chemicalSubstance || null,
    chemical_code: b.chemicalCode || null,
    chapter: b.chapter || null,
    is_generic: b.isGeneric,
    unit_nic_gbp: b.unitNicGbp,
  }));
  return new Map([
    [DIM_DATE.name, { source: 'calendar', rows: dateDimensionRows() }],
    [DIM_ORGANISATION.name, { source: 'ods', rows: orgRows }],
    [DIM_PRACTICE.name, { source: 'ods-practices', rows: practiceRows }],
    [DIM_HRG.name, { source: 'hrg-tariffs', rows: hrgRows }],
    [DIM_BNF.name, { source: 'bnf', rows: bnfRows }],
  ]);
}
