/**
 * The two layouts of the English Prescribing Dataset file (REFERENCE.md §7.1, V: NHSBSA portal and
 * public ingestion code), mapped to the columns of `prescribing_item`.
 *
 * - **legacy** (YEAR_MONTH up to 202502): `BNF_CODE`, `BNF_DESCRIPTION`, `BNF_CHEMICAL_SUBSTANCE`
 *   (the 9-character chemical **code**), `CHEMICAL_SUBSTANCE_BNF_DESCR` (its name), no SNOMED code;
 * - **snomed** ("EPD with SNOMED Code", 202503 on): `BNF_PRESENTATION_CODE`,
 *   `BNF_PRESENTATION_NAME`, `BNF_CHEMICAL_SUBSTANCE_CODE` (the code), `BNF_CHEMICAL_SUBSTANCE`
 *   (now the chemical **name**), `SNOMED_CODE`.
 *
 * Both carry `YEAR_MONTH`, `PRACTICE_CODE`, `QUANTITY`, `ITEMS`, `TOTAL_QUANTITY`, `ADQUSAGE`,
 * `NIC` and `ACTUAL_COST`. `BNF_CHEMICAL_SUBSTANCE` changed meaning between the two, so the layout
 * must be known before that column is mapped: a header with any SNOMED-era-only column is the
 * snomed layout, else one with `BNF_CODE` is legacy. A header without EPD names (the table's own
 * column names) is read as it is. Practice-level columns that `prescribing_item` does not carry
 * (region, ICB, PCO, practice name and address, chapter label, UNIDENTIFIED) are not mapped and
 * so fail the header check like any unknown column: drop them before landing.
 */
export type EpdLayout = 'legacy' | 'snomed' | 'table';

const COMMON: Readonly<Record<string, string>> = {
  YEAR_MONTH: 'processing_month',
  PRACTICE_CODE: 'prescribing_practice_code',
  QUANTITY: 'quantity',
  ITEMS: 'items',
  TOTAL_QUANTITY: 'total_quantity',
  ADQUSAGE: 'adq_usage',
  NIC: 'nic_gbp',
  ACTUAL_COST: 'actual_cost_gbp',
};

/** EPD column → `prescribing_item` column, per layout. */
export const EPD_LAYOUT_COLUMNS: Readonly<Record<'legacy' | 'snomed', Readonly<Record<string, string>>>> = {
  legacy: {
    ...COMMON,
    BNF_CODE: 'bnf_code',
    BNF_DESCRIPTION: 'bnf_description',
    BNF_CHEMICAL_SUBSTANCE: 'bnf_chemical_substance_code',
    CHEMICAL_SUBSTANCE_BNF_DESCR: 'bnf_chemical_substance',
  },
  snomed: {
    ...COMMON,
    BNF_PRESENTATION_CODE: 'bnf_code',
    BNF_PRESENTATION_NAME: 'bnf_description',
    BNF_CHEMICAL_SUBSTANCE_CODE: 'bnf_chemical_substance_code',
    BNF_CHEMICAL_SUBSTANCE: 'bnf_chemical_substance',
    SNOMED_CODE: 'snomed_code',
  },
};

/** Columns only the SNOMED-era layout has. */
const SNOMED_ONLY = [
  'SNOMED_CODE',
  'BNF_PRESENTATION_CODE',
  'BNF_PRESENTATION_NAME',
  'BNF_CHEMICAL_SUBSTANCE_CODE',
];

/** Which layout a header (its cells, trimmed) is in. */
export function epdLayoutOf(header: readonly string[]): EpdLayout {
  const names = new Set(header.map((h) => h.trim()));
  if (SNOMED_ONLY.some((c) => names.has(c))) return 'snomed';
  if (names.has('BNF_CODE')) return 'legacy';
  return 'table';
}

/**
 * A header's cells as `prescribing_item` column names: EPD names of the header's layout mapped,
 * every other cell kept as it is (so the header check still names an unknown column).
 */
export function epdLayoutColumns(header: readonly string[]): {
  readonly layout: EpdLayout;
  readonly columns: string[];
} {
  const layout = epdLayoutOf(header);
  if (layout === 'table') return { layout, columns: header.map((h) => h.trim()) };
  const map = EPD_LAYOUT_COLUMNS[layout];
  return { layout, columns: header.map((h) => map[h.trim()] ?? h.trim()) };
}
