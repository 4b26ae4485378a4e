import { z } from 'zod';

/**
 * The published layouts `nhs-flows reference import` reads: one declaration per file kind, checked
 * by {@link referenceLayoutSchema} when this module loads. A column mapping that turns out wrong is
 * corrected here, in one edit; docs/reference-data.md ("Importing the official files") lists the
 * same columns and says which mappings are verified.
 *
 * `verified` follows ../shared/nhs/REFERENCE.md's legend: `verified` (seen in a primary source),
 * `partial` (seen in public analysis code), `unverified` (from knowledge only).
 */

const positionalColumnSchema = z.object({
  /** 1-based position, as the publisher's field descriptions count them. */
  position: z.number().int().min(1),
  /** The publisher's name for the column (for messages and docs; the file has no header). */
  publishedName: z.string().min(1),
  required: z.boolean(),
});

const namedColumnSchema = z.object({
  /** Header names accepted for the column, as published (the first is the one documented). */
  headers: z.array(z.string().min(1)).min(1),
  required: z.boolean(),
});

const layoutCommon = {
  /** The `--layout` value. */
  id: z.string().regex(/^[a-z0-9]+(-[a-z0-9]+)*$/),
  title: z.string().min(1),
  /** The file names the publisher uses (for help and docs only). */
  publishedAs: z.string().min(1),
  verified: z.enum(['verified', 'partial', 'unverified']),
  /** Where the column mapping comes from. */
  basis: z.string().min(1),
};

/** A layout declaration: a headerless file read by position, or a file with a header read by name. */
export const referenceLayoutSchema = z.discriminatedUnion('header', [
  z.object({
    ...layoutCommon,
    header: z.literal('none'),
    columns: z.record(z.string(), positionalColumnSchema),
  }),
  z.object({
    ...layoutCommon,
    header: z.literal('named'),
    /** The header row is the first of this many rows that holds every required column. */
    headerSearchRows: z.number().int().min(1),
    columns: z.record(z.string(), namedColumnSchema),
  }),
]);
export type ReferenceLayout = z.infer<typeof referenceLayoutSchema>;

type PositionalColumn = z.infer<typeof positionalColumnSchema>;
type NamedColumn = z.infer<typeof namedColumnSchema>;

/** A declared layout keeps its column names as literal keys, so readers name columns type-safely. */
type Declared<C extends string, L extends ReferenceLayout> = L & {
  readonly columns: Readonly<Record<C, L extends { header: 'none' } ? PositionalColumn : NamedColumn>>;
};

function positional<C extends string>(
  layout: Omit<Extract<ReferenceLayout, { header: 'none' }>, 'header' | 'columns'>,
  columns: Record<C, [position: number, publishedName: string, required?: boolean]>,
): Declared<C, Extract<ReferenceLayout, { header: 'none' }>> {
  const parsed = referenceLayoutSchema.parse({
    ...layout,
    header: 'none',
    columns: Object.fromEntries(
      Object.entries<[number, string, boolean?]>(columns).map(([k, [position, publishedName, required]]) => [
        k,
        { position, publishedName, required: required ?? true },
      ]),
    ),
  });
  return parsed as Declared<C, Extract<ReferenceLayout, { header: 'none' }>>;
}

function named<C extends string>(
  layout: Omit<Extract<ReferenceLayout, { header: 'named' }>, 'header' | 'columns'>,
  columns: Record<C, [headers: string[], required?: boolean]>,
): Declared<C, Extract<ReferenceLayout, { header: 'named' }>> {
  const parsed = referenceLayoutSchema.parse({
    ...layout,
    header: 'named',
    columns: Object.fromEntries(
      Object.entries<[string[], boolean?]>(columns).map(([k, [headers, required]]) => [
        k,
        { headers, required: required ?? true },
      ]),
    ),
  });
  return parsed as Declared<C, Extract<ReferenceLayout, { header: 'named' }>>;
}

const ODS_BASIS =
  'ODS standard 27-column CSV layout (headerless, dates YYYYMMDD); positions 1-4, 11-12 as in public scripts reading epraccur; not in ../shared/nhs/REFERENCE.md';

/** ODS `etr.csv`: NHS trusts. Column 3 is taken as the NHS England region, column 4 as the ICB. */
export const ODS_TRUSTS = positional(
  { id: 'ods-etr', title: 'ODS NHS trusts', publishedAs: 'etr.csv (in etr.zip)', verified: 'unverified', basis: ODS_BASIS },
  {
    code: [1, 'Organisation Code'],
    name: [2, 'Name'],
    nationalGrouping: [3, 'National Grouping', false],
    highLevelHealthGeography: [4, 'High Level Health Geography', false],
    openDate: [11, 'Open Date', false],
    closeDate: [12, 'Close Date', false],
  },
);

/** ODS `ets.csv`: NHS trust sites. Column 15 is taken as the parent trust. */
export const ODS_SITES = positional(
  { id: 'ods-ets', title: 'ODS NHS trust sites', publishedAs: 'ets.csv (in ets.zip)', verified: 'unverified', basis: ODS_BASIS },
  {
    code: [1, 'Organisation Code'],
    name: [2, 'Name'],
    openDate: [11, 'Open Date', false],
    closeDate: [12, 'Close Date', false],
    parentCode: [15, 'Parent Organisation Code', false],
  },
);

/** ODS `epraccur.csv`: GP practices and other prescribing cost centres (prescribing setting 4 = GP practice). */
export const ODS_GP_PRACTICES = positional(
  {
    id: 'ods-epraccur',
    title: 'ODS GP practices',
    publishedAs: 'epraccur.csv (in epraccur.zip)',
    verified: 'partial',
    basis:
      'ODS epraccur field descriptions as used by public scripts (27 columns: 13 status, 15 commissioner, 26 prescribing setting, 4 = GP practice); column 4 as the ICB is from knowledge',
  },
  {
    code: [1, 'Organisation Code'],
    name: [2, 'Name'],
    highLevelHealthGeography: [4, 'High Level Health Geography'],
    openDate: [11, 'Open Date', false],
    closeDate: [12, 'Close Date', false],
    statusCode: [13, 'Status Code', false],
    commissioner: [15, 'Commissioner'],
    prescribingSetting: [26, 'Prescribing Setting'],
  },
);

/** ODS `succ.csv`: successor organisations (all organisation kinds). */
export const ODS_SUCCESSORS = positional(
  {
    id: 'ods-succ',
    title: 'ODS successor organisations',
    publishedAs: 'succ.csv (in succ.zip)',
    verified: 'partial',
    basis: 'column order as read by public R code (NHSRtools ods_get_successors): old code, new code, reason, effective date, indicator',
  },
  {
    predecessor: [1, 'Organisation Code'],
    successor: [2, 'Successor Organisation Code'],
    reason: [3, 'Reason', false],
    effectiveDate: [4, 'Effective Date'],
    indicator: [5, 'Indicator', false],
  },
);

/** NHS Payment Scheme prices workbook, APC and OPROC sheet saved as CSV; columns read by header. */
export const PAYMENT_SCHEME_APC = named(
  {
    id: 'nhs-payment-scheme-apc',
    title: 'NHS Payment Scheme APC & OPROC prices',
    publishedAs: "the prices workbook's APC & OPROC sheet saved as CSV",
    verified: 'verified',
    basis: '../shared/nhs/REFERENCE.md §8.7 "Tariff workbook columns" (V: several public costing scripts)',
    headerSearchRows: 30,
  },
  {
    hrgCode: [['HRG code']],
    hrgName: [['HRG name']],
    combinedElective: [['Combined day case / ordinary elective spell tariff (£)'], false],
    dayCase: [['Day case spell tariff (£)'], false],
    ordinaryElective: [['Ordinary elective spell tariff (£)'], false],
    ordinaryElectiveTrimPoint: [['Ordinary elective long stay trim point (days)'], false],
    nonElective: [['Non-elective spell tariff (£)']],
    nonElectiveTrimPoint: [['Non-elective long stay trim point (days)'], false],
    perDayLongStay: [['Per day long stay payment (for days exceeding trim point) (£)'], false],
    reducedShortStayApplicable: [
      ['Reduced short stay emergency tariff _applicable?', 'Reduced short stay emergency tariff applicable?'],
      false,
    ],
    reducedShortStayPercent: [['% applied in calculation of reduced short stay emergency tariff'], false],
    reducedShortStayTariff: [['Reduced short stay emergency tariff (£)'], false],
  },
);

/** ONS Postcode Directory (ONSPD) CSV: postcode → LSOA, with introduction and termination dates. */
export const ONSPD = named(
  {
    id: 'onspd',
    title: 'ONS Postcode Directory',
    publishedAs: 'ONSPD_<MON>_<YEAR>_UK.csv (Data folder of the ONSPD zip)',
    verified: 'unverified',
    basis: 'ONSPD column names from knowledge (pcds, dointr, doterm, lsoa11, lsoa21, icb); not in ../shared/nhs/REFERENCE.md',
    headerSearchRows: 1,
  },
  {
    postcode: [['pcds']],
    introduced: [['dointr'], false],
    terminated: [['doterm']],
    lsoa2011: [['lsoa11'], false],
    lsoa2021: [['lsoa21'], false],
    icb: [['icb'], false],
  },
);

/** English Indices of Deprivation, File 1 (IMD rank and decile per LSOA), saved as CSV. */
export const IMD = named(
  {
    id: 'imd',
    title: 'English Indices of Deprivation (IMD)',
    publishedAs: "the Indices of Deprivation File 1 (IMD) workbook's data sheet saved as CSV",
    verified: 'unverified',
    basis:
      'MHCLG IoD File 1 column names from knowledge (2019: LSOA code (2011); a 2021-LSOA release named alike); REFERENCE.md §8.3 gives the decile meaning (1 = most deprived 10 %), not the columns',
    headerSearchRows: 5,
  },
  {
    lsoa: [['LSOA code (2021)', 'LSOA code (2011)']],
    name: [['LSOA name (2021)', 'LSOA name (2011)'], false],
    decile: [
      [
        'Index of Multiple Deprivation (IMD) Decile (where 1 is most deprived 10% of LSOAs)',
        'Index of Multiple Deprivation (IMD) Decile',
      ],
    ],
  },
);

/** NHSBSA "BNF Code Information" CSV: one row per BNF presentation. */
export const BNF_CODE_INFORMATION = named(
  {
    id: 'bnf-code-information',
    title: 'NHSBSA BNF code information',
    publishedAs: 'BNF Code Information (NHSBSA information services portal), CSV',
    verified: 'unverified',
    basis: 'NHSBSA column names from knowledge; ../shared/nhs/REFERENCE.md §7.3 names the file, not its columns',
    headerSearchRows: 1,
  },
  {
    chapterCode: [['BNF Chapter Code'], false],
    chemicalSubstance: [['BNF Chemical Substance']],
    chemicalSubstanceCode: [['BNF Chemical Substance Code']],
    presentation: [['BNF Presentation']],
    presentationCode: [['BNF Presentation Code']],
  },
);

/** NHSBSA "BNF SNOMED mapping", saved as CSV: dm+d product → BNF code. */
export const BNF_SNOMED_MAPPING = named(
  {
    id: 'bnf-snomed-mapping',
    title: 'NHSBSA BNF SNOMED mapping',
    publishedAs: 'BNF SNOMED mapping workbook (NHSBSA), saved as CSV',
    verified: 'unverified',
    basis: 'NHSBSA column names from knowledge; not in ../shared/nhs/REFERENCE.md',
    headerSearchRows: 5,
  },
  {
    level: [['VMP / VMPP/ AMP / AMPP', 'VMP / VMPP / AMP / AMPP']],
    bnfCode: [['BNF Code']],
    snomedCode: [['SNOMED Code']],
    name: [['DM+D: Product Description', 'DM+D: Product and Pack Description', 'BNF Name']],
  },
);

/** dm+d virtual medicinal products (VMP), as a CSV export of the dm+d XML (element names as headers). */
export const DMD_VMP = named(
  {
    id: 'dmd-vmp',
    title: 'dm+d virtual medicinal products',
    publishedAs: 'CSV export of the dm+d VMP file (f_vmp) joined to the BNF supplementary file',
    verified: 'unverified',
    basis: 'dm+d XML element names from knowledge (VPID, NM, BNF); dm+d is published as XML, the CSV export is the team’s',
    headerSearchRows: 1,
  },
  {
    code: [['VPID']],
    name: [['NM']],
    bnfCode: [['BNF'], false],
  },
);

/** dm+d actual medicinal products (AMP), as a CSV export of the dm+d XML (element names as headers). */
export const DMD_AMP = named(
  {
    id: 'dmd-amp',
    title: 'dm+d actual medicinal products',
    publishedAs: 'CSV export of the dm+d AMP file (f_amp) joined to the BNF supplementary file',
    verified: 'unverified',
    basis: 'dm+d XML element names from knowledge (APID, VPID, NM, BNF); dm+d is published as XML, the CSV export is the team’s',
    headerSearchRows: 1,
  },
  {
    code: [['APID']],
    vmpCode: [['VPID'], false],
    name: [['NM']],
    bnfCode: [['BNF'], false],
  },
);

/** Every layout `nhs-flows reference import --layout` accepts, by id. */
export const REFERENCE_LAYOUTS = {
  'ods-etr': ODS_TRUSTS,
  'ods-ets': ODS_SITES,
  'ods-epraccur': ODS_GP_PRACTICES,
  'nhs-payment-scheme-apc': PAYMENT_SCHEME_APC,
  onspd: ONSPD,
  imd: IMD,
  'bnf-code-information': BNF_CODE_INFORMATION,
  'bnf-snomed-mapping': BNF_SNOMED_MAPPING,
  'dmd-vmp': DMD_VMP,
  'dmd-amp': DMD_AMP,
} as const;
export type ReferenceLayoutId = keyof typeof REFERENCE_LAYOUTS;
export const REFERENCE_LAYOUT_IDS = Object.keys(REFERENCE_LAYOUTS) as ReferenceLayoutId[];

/** The ONS codes of the two ICBs the product covers (REFERENCE.md §11, V), for a postcode's area. */
export const AREA_OF_ONS_ICB: Readonly<Record<string, 'bsol' | 'nw'>> = {
  E54000055: 'bsol',
  E54000022: 'nw',
};
