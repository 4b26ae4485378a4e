import { createHash } from 'node:crypto';
import { InputError } from '../errors.js';
import { validateBnfCode } from '../nhs/bnf-code.js';
import { validateHrgCode } from '../nhs/hrg-code.js';
import { validateLsoa } from '../nhs/lsoa.js';
import { validateOdsCode, type OdsKind } from '../nhs/ods-code.js';
import { normalisePostcode, validatePostcode } from '../nhs/postcode.js';
import { validateSnomedId } from '../nhs/snomed.js';
import { CsvRowReader, formatCsvRow, type CsvRow } from './reference-csv.js';
import type { AreaId, ManifestFile, ManifestImport, OrganisationKind, ReferenceData } from './reference-data.js';
import {
  AREA_OF_ONS_ICB,
  BNF_CODE_INFORMATION,
  IMD,
  ODS_GP_PRACTICES,
  ODS_SITES,
  ODS_SUCCESSORS,
  ODS_TRUSTS,
  ONSPD,
  PAYMENT_SCHEME_APC,
  REFERENCE_LAYOUTS,
  type ReferenceLayout,
  type ReferenceLayoutId,
} from './reference-import-layouts.js';

/**
 * Turns an official reference file, in its published layout, into the project's reference files
 * (the format `parseReferenceData` reads). Pure: text is pushed in chunks, the caller reads and
 * writes files. Guarantees:
 * - every column is found through its layout declaration (reference-import-layouts.ts) and every
 *   code is checked with the product's own validator;
 * - a malformed row stops the import with an {@link InputError} naming the source file, the row
 *   (its line) and the column, never the value;
 * - the output depends only on the source bytes and the options, so importing the same file again
 *   gives byte-identical files and the same version.
 */

/** A succession from the ODS successor file. */
export interface Succession {
  readonly successor: string;
  /** 'YYYY-MM-DD'. */
  readonly date: string;
}

export interface ReferenceImportOptions {
  readonly layout: ReferenceLayoutId;
  /** The source file's base name (messages, the `source` column, the manifest). */
  readonly sourceFile: string;
  /** 'YYYY-MM-DD': the publication date, or --effective-from. */
  readonly publishedOn: string;
  /** 'YYYY/YY': the tariff's financial year (the APC sheet does not carry it). */
  readonly financialYear?: string;
  /** ONSPD: which LSOA column to read (default 2021). */
  readonly lsoaVintage?: '2011' | '2021';
  /** ONSPD: keep only postcodes in these postcode areas (the outward code's letters: 'B', 'NR'). */
  readonly postcodeAreas?: readonly string[];
  /** ODS: predecessor code → succession, from the successor file. */
  readonly successors?: {
    readonly sourceFile: string;
    readonly sha256: string;
    readonly byPredecessor: ReadonlyMap<string, Succession>;
  };
  /** The reference data already in place: org types, areas and LSOA details are carried forward. */
  readonly current: ReferenceData;
}

/** One project reference file an import writes, with its manifest entry. */
export interface ImportedReferenceFile {
  /** Path relative to the reference folder ('imported/…csv'). */
  readonly path: string;
  readonly text: string;
  readonly manifest: ManifestFile;
}

export interface ReferenceImportResult {
  readonly layout: ReferenceLayoutId;
  readonly version: string;
  /** Data rows read from the source (header and title rows excluded). */
  readonly rowsRead: number;
  /** Rows left out, by reason (counts only). */
  readonly skipped: Readonly<Record<string, number>>;
  readonly files: readonly ImportedReferenceFile[];
}

const DATE = /^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$/;
const COMMON = ['effective_from', 'effective_to', 'source', 'verified'] as const;
const ORG_HEADER = [
  'code', 'name', 'kind', 'org_type', 'parent_code', 'sub_icb_code', 'icb_code', 'area', 'notes',
  'successor_code', 'successor_date', ...COMMON,
];
const HRG_HEADER = [
  'hrg_code', 'label', 'financial_year', 'elective_tariff_gbp', 'non_elective_tariff_gbp', 'day_case_tariff_gbp',
  'ordinary_elective_tariff_gbp', 'ordinary_elective_trim_point_days', 'non_elective_trim_point_days',
  'per_day_long_stay_gbp', 'reduced_short_stay_emergency_applicable', 'reduced_short_stay_emergency_percent',
  'reduced_short_stay_emergency_tariff_gbp', 'notes', ...COMMON,
];
const POSTCODE_HEADER = ['postcode', 'lsoa_code', 'area', 'notes', ...COMMON];
const LSOA_HEADER = ['lsoa_code', 'name', 'area', 'imd_decile', 'notes', ...COMMON];
const BNF_HEADER = ['bnf_code', 'presentation', 'chemical_code', 'chemical_substance', ...COMMON];
const DMD_HEADER = ['dmd_code', 'level', 'name', 'bnf_code', 'vmp_code', ...COMMON];

/** The folder, under the reference folder, that imports write to. */
export const IMPORTED_FOLDER = 'imported';

/** 'YYYYMMDD' (ODS) → 'YYYY-MM-DD', or null when blank. */
function odsDate(value: string): string | null | false {
  const v = value.trim();
  if (v === '') return null;
  if (!/^[0-9]{8}$/.test(v)) return false;
  const iso = `${v.slice(0, 4)}-${v.slice(4, 6)}-${v.slice(6, 8)}`;
  return DATE.test(iso) ? iso : false;
}

/** 'YYYYMM' (ONSPD) → first or last day of that month, or null when blank. */
function monthDate(value: string, end: 'first' | 'last'): string | null | false {
  const v = value.trim();
  if (v === '') return null;
  if (!/^[0-9]{4}(0[1-9]|1[0-2])$/.test(v)) return false;
  const year = Number(v.slice(0, 4));
  const month = Number(v.slice(4, 6));
  if (end === 'first') return `${v.slice(0, 4)}-${v.slice(4, 6)}-01`;
  const lastDay = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return `${v.slice(0, 4)}-${v.slice(4, 6)}-${String(lastDay).padStart(2, '0')}`;
}

/** Header names compared without case, runs of white space, '£' or an undecodable character. */
function normaliseHeader(h: string): string {
  return h
    .replace(/[£\uFFFD]/g, '')
    .replace(/[\s\u00A0]+/g, ' ')
    .trim()
    .toLowerCase();
}

/** Reads the cells of one layout: by position (headerless) or by header name. */
class LayoutReader {
  private readonly csv: CsvRowReader;
  /** A headerless row must reach the last column the layout reads. */
  private readonly positionsNeeded: number;
  /** Named layouts: where each declared column is, once the header row is found. */
  private located: Map<string, { index: number; label: string }> | null = null;
  private rowsBeforeHeader = 0;
  /** The row before the header that held the most required columns (for the error when none does). */
  private bestCandidate: readonly string[] | undefined;
  private bestCandidateHits = -1;
  rowsRead = 0;

  constructor(
    readonly layout: ReferenceLayout,
    readonly file: string,
    private readonly onRow: (row: LayoutRow) => void,
  ) {
    this.csv = new CsvRowReader(file);
    this.positionsNeeded =
      layout.header === 'none' ? Math.max(...Object.values(layout.columns).map((c) => c.position)) : 0;
  }

  push(chunk: string): void {
    for (const row of this.csv.push(chunk)) this.row(row);
  }

  end(): void {
    for (const row of this.csv.end()) this.row(row);
    if (this.layout.header === 'named' && this.located === null) this.missingHeader();
  }

  private row(row: CsvRow): void {
    const layout = this.layout;
    if (layout.header === 'none') {
      this.rowsRead++;
      const needed = this.positionsNeeded;
      if (row.cells.length < needed)
        throw new InputError(
          `${this.file} row ${row.line}: expected at least ${needed} columns (${layout.title} layout), found ${row.cells.length}`,
        );
      this.onRow(new LayoutRow(this, row, (column) => {
        const c = layout.columns[column];
        return c ? { index: c.position - 1, label: `column ${c.position} (${c.publishedName})` } : undefined;
      }));
      return;
    }
    if (this.located === null) {
      const index = new Map<string, number>();
      row.cells.forEach((cell, i) => {
        const key = normaliseHeader(cell);
        if (!index.has(key)) index.set(key, i);
      });
      const at = (headers: readonly string[]): number | undefined =>
        headers.map((h) => index.get(normaliseHeader(h))).find((i) => i !== undefined);
      const required = Object.values(layout.columns).filter((c) => c.required);
      const hits = required.filter((c) => at(c.headers) !== undefined).length;
      if (hits === required.length) {
        this.located = new Map();
        for (const [name, c] of Object.entries(layout.columns)) {
          const i = at(c.headers);
          if (i !== undefined) this.located.set(name, { index: i, label: `column '${c.headers[0] ?? name}'` });
        }
        return;
      }
      if (hits > this.bestCandidateHits) {
        this.bestCandidate = row.cells;
        this.bestCandidateHits = hits;
      }
      this.rowsBeforeHeader++;
      if (this.rowsBeforeHeader >= layout.headerSearchRows) this.missingHeader();
      return;
    }
    this.rowsRead++;
    const located = this.located;
    this.onRow(new LayoutRow(this, row, (column) => located.get(column)));
  }

  private missingHeader(): never {
    const layout = this.layout;
    if (layout.header !== 'named') throw new InputError(`${this.file}: no header expected`);
    const cells = this.bestCandidate;
    const index = new Set((cells ?? []).map(normaliseHeader));
    const missing = Object.values(layout.columns)
      .filter((c) => c.required && !c.headers.some((h) => index.has(normaliseHeader(h))))
      .map((c) => `'${c.headers[0] ?? ''}'`);
    const where = layout.headerSearchRows === 1 ? 'row 1' : `the first ${layout.headerSearchRows} rows`;
    throw new InputError(
      `${this.file}: no header row with the ${layout.title} columns in ${where}` +
        (cells ? `; missing ${missing.join(', ')}` : ''),
    );
  }
}

/** One source row, read through its layout. */
class LayoutRow {
  constructor(
    private readonly reader: LayoutReader,
    readonly row: CsvRow,
    private readonly locate: (column: string) => { index: number; label: string } | undefined,
  ) {}

  get line(): number {
    return this.row.line;
  }

  /** The trimmed cell of a declared column ('' when the optional column is absent). */
  cell(column: string): string {
    const at = this.locate(column);
    return at === undefined ? '' : (this.row.cells[at.index] ?? '').trim();
  }

  has(column: string): boolean {
    return this.locate(column) !== undefined;
  }

  fail(column: string, problem: string): never {
    const label = this.locate(column)?.label ?? `column ${column}`;
    throw new InputError(`${this.reader.file} row ${this.row.line} ${label}: ${problem}`);
  }

  required(column: string): string {
    const v = this.cell(column);
    if (v === '') this.fail(column, 'is blank');
    return v;
  }
}

/** Collects output rows and skip counts for one output file. */
class OutputTable {
  readonly rows: string[][] = [];
  constructor(
    readonly path: string,
    readonly header: readonly string[],
    readonly manifest: Omit<ManifestFile, 'version' | 'rows' | 'import'>,
  ) {}

  add(values: Readonly<Record<string, string>>): void {
    this.rows.push(this.header.map((h) => values[h] ?? ''));
  }

  render(version: string, imported: ManifestImport): ImportedReferenceFile {
    const text = [formatCsvRow(this.header), ...this.rows.map(formatCsvRow)].join('\n') + '\n';
    return {
      path: this.path,
      text,
      manifest: { version, rows: this.rows.length, ...this.manifest, import: imported },
    };
  }
}

/** Money cell as published ('£1,234', '1234.5', blank or '-') → '1234.50', null, or false when it is not an amount. */
function money(value: string): string | null | false {
  const v = value.replace(/[£\uFFFD,\s]/g, '');
  if (v === '' || v === '-') return null;
  if (!/^[0-9]+(\.[0-9]+)?$/.test(v)) return false;
  return Number(v).toFixed(2);
}

function wholeDays(value: string): number | null | false {
  const v = value.replace(/[,\s]/g, '');
  if (v === '' || v === '-') return null;
  return /^[0-9]+$/.test(v) ? Number(v) : false;
}

/** 'YYYY/YY' → its first and last day. */
function financialYearDates(fy: string): { from: string; to: string } {
  const start = Number(fy.slice(0, 4));
  return { from: `${start}-04-01`, to: `${start + 1}-03-31` };
}

/** The financial year label 'YYYY/YY' as a file-name part 'YYYY-YY'. */
const fileYear = (fy: string): string => fy.replace('/', '-');

/**
 * Streams one official file through its layout into the project's reference files. Push the
 * source text with {@link push} (chunks of any size), then call {@link finish}.
 */
export class ReferenceImport {
  private readonly reader: LayoutReader;
  private readonly tables: OutputTable[] = [];
  private readonly skipped = new Map<string, number>();
  private readonly seen = new Set<string>();
  private readonly finishers: (() => void)[] = [];
  private readonly source: string;
  private readonly verified: string;

  constructor(private readonly options: ReferenceImportOptions) {
    const layout: ReferenceLayout = REFERENCE_LAYOUTS[options.layout];
    this.source = `${layout.title}: ${options.sourceFile} (${options.publishedOn})`;
    this.verified = layout.verified === 'verified' ? 'yes' : `layout-${layout.verified}`;
    this.reader = new LayoutReader(layout, options.sourceFile, this.handlerFor(options.layout));
  }

  push(chunk: string): void {
    this.reader.push(chunk);
  }

  /** Ends the source; `sha256` is the hex SHA-256 of its bytes (the version is derived from it). */
  finish(sha256: string): ReferenceImportResult {
    this.reader.end();
    for (const f of this.finishers) f();
    const o = this.options;
    // Options that shape the output are part of the version: the same bytes read differently are a
    // different version (and the default reading keeps the plain content hash).
    const shaping: Record<string, string> = {};
    if (o.financialYear !== undefined) shaping.financialYear = o.financialYear;
    if (o.lsoaVintage === '2011') shaping.lsoaVintage = o.lsoaVintage;
    if (o.postcodeAreas !== undefined) shaping.postcodeAreas = [...o.postcodeAreas].sort().join(',');
    const extra = [o.successors?.sha256 ?? '', JSON.stringify(shaping)].join('\n');
    const hash = o.successors || Object.keys(shaping).length > 0 ? combinedHash(sha256, extra) : sha256;
    const version = `${o.publishedOn}.${hash.slice(0, 12)}`;
    const imported: ManifestImport = {
      layout: o.layout,
      sourceFile: o.sourceFile,
      publishedOn: o.publishedOn,
      sha256,
      ...(o.successors ? { successorsFile: o.successors.sourceFile, successorsSha256: o.successors.sha256 } : {}),
      ...(Object.keys(shaping).length > 0 ? { options: shaping } : {}),
    };
    return {
      layout: o.layout,
      version,
      rowsRead: this.reader.rowsRead,
      skipped: Object.fromEntries([...this.skipped].sort(([a], [b]) => a.localeCompare(b))),
      files: this.tables.map((t) => t.render(version, imported)),
    };
  }

  private skip(reason: string): void {
    this.skipped.set(reason, (this.skipped.get(reason) ?? 0) + 1);
  }

  /** False (and counted) when `key` was already imported from this file. */
  private first(key: string): boolean {
    if (this.seen.has(key)) {
      this.skip('duplicate code (first row kept)');
      return false;
    }
    this.seen.add(key);
    return true;
  }

  private table(path: string, header: readonly string[], manifest: OutputTable['manifest']): OutputTable {
    const t = new OutputTable(path, header, manifest);
    this.tables.push(t);
    return t;
  }

  private common(from: string, to: string | null): Record<string, string> {
    return { effective_from: from, effective_to: to ?? '', source: this.source, verified: this.verified };
  }

  private handlerFor(layout: ReferenceLayoutId): (row: LayoutRow) => void {
    switch (layout) {
      case 'ods-etr':
        return this.organisations('trust', ODS_TRUSTS.id);
      case 'ods-ets':
        return this.organisations('site', ODS_SITES.id);
      case 'ods-epraccur':
        return this.organisations('gp_practice', ODS_GP_PRACTICES.id);
      case 'nhs-payment-scheme-apc':
        return this.tariffs();
      case 'onspd':
        return this.postcodes();
      case 'imd':
        return this.deprivation();
      case 'bnf-code-information':
        return this.bnfCodes();
      case 'bnf-snomed-mapping':
      case 'dmd-vmp':
      case 'dmd-amp':
        return this.dmdProducts(layout);
    }
  }

  private organisations(kind: OrganisationKind & OdsKind, id: string): (row: LayoutRow) => void {
    const { current, successors, publishedOn } = this.options;
    const out = this.table(`${IMPORTED_FOLDER}/${id}.csv`, ORG_HEADER, {
      kind: 'organisations',
      description: `${REFERENCE_LAYOUTS[id as ReferenceLayoutId].title}, imported from the official file`,
      synthetic: 'none',
    });
    const defaultType = { trust: 'NHS trust', site: 'trust site', gp_practice: 'GP practice' } as Record<string, string>;
    const areaOfIcb = (icb: string | null): AreaId => (icb ? (current.organisation(icb)?.area ?? 'other') : 'other');
    return (row: LayoutRow) => {
      const code = row.required('code');
      const check = validateOdsCode(code, kind);
      if (kind === 'gp_practice' && row.cell('prescribingSetting') !== '4') {
        this.skip('not a GP practice (prescribing setting is not 4)');
        return;
      }
      if (!check.ok) row.fail('code', `not a valid ODS ${kind} code: ${check.reason}`);
      const open = odsDate(row.cell('openDate'));
      const close = odsDate(row.cell('closeDate'));
      if (open === false) row.fail('openDate', "is not a date 'YYYYMMDD'");
      if (close === false) row.fail('closeDate', "is not a date 'YYYYMMDD'");
      const from = open ?? publishedOn;
      if (close !== null && close < from) row.fail('closeDate', 'is before the open date');
      const known = current.organisation(code);
      let parent: string | null;
      let subIcb: string | null = null;
      let icb: string | null;
      // A column read under an unverified mapping must at least hold a code of the expected kind,
      // so a wrong guess fails loudly instead of filing organisations under a wrong parent.
      const coded = (column: string, as: OdsKind, what: string): string | null => {
        const v = row.cell(column);
        if (v === '') return null;
        const c = validateOdsCode(v, as);
        if (!c.ok) row.fail(column, `is not ${what}: ${c.reason} (docs/reference-data.md: check the layout)`);
        return v;
      };
      if (kind === 'trust') {
        icb = coded('highLevelHealthGeography', 'icb', 'an ICB code');
        parent = icb;
      } else if (kind === 'site') {
        parent = coded('parentCode', 'trust', 'an NHS trust code') ?? code.slice(0, 3);
        icb = current.organisation(parent)?.icbCode ?? null;
      } else {
        subIcb = coded('commissioner', 'sub_icb', 'a sub-ICB location code');
        icb = coded('highLevelHealthGeography', 'icb', 'an ICB code');
        parent = subIcb;
        if (subIcb === null || icb === null) {
          this.skip('GP practice without a commissioner or ICB');
          return;
        }
      }
      if (!this.first(code)) return;
      const succession = successors?.byPredecessor.get(code);
      out.add({
        code,
        name: row.required('name'),
        kind,
        org_type: known?.kind === kind && known.orgType !== '' ? known.orgType : (defaultType[kind] ?? kind),
        parent_code: parent ?? '',
        sub_icb_code: subIcb ?? '',
        icb_code: icb ?? '',
        area: areaOfIcb(icb),
        notes: '',
        successor_code: succession?.successor ?? '',
        successor_date: succession?.date ?? '',
        ...this.common(from, close),
      });
    };
  }

  private tariffs(): (row: LayoutRow) => void {
    const fy = this.options.financialYear;
    if (fy === undefined || !/^[0-9]{4}\/[0-9]{2}$/.test(fy))
      throw new InputError(`${this.options.sourceFile}: the ${PAYMENT_SCHEME_APC.title} layout needs a financial year 'YYYY/YY'`);
    const { from, to } = financialYearDates(fy);
    const out = this.table(`${IMPORTED_FOLDER}/hrg-tariffs-${fileYear(fy)}.csv`, HRG_HEADER, {
      kind: 'hrg_tariffs',
      description: `${PAYMENT_SCHEME_APC.title} ${fy}, imported from the official workbook`,
      synthetic: 'none',
    });
    return (row: LayoutRow) => {
      const hrg = row.cell('hrgCode');
      const check = validateHrgCode(hrg);
      // Notes and blank rows under the table carry no HRG name; a named row must have a valid code.
      if (hrg === '' || (!check.ok && row.cell('hrgName') === '')) {
        this.skip('no HRG (notes or blank rows)');
        return;
      }
      if (!check.ok) row.fail('hrgCode', `is not an HRG4+ code: ${check.reason}`);
      const price = (column: string): string => {
        const v = money(row.cell(column));
        if (v === false) row.fail(column, 'is not an amount in pounds');
        return v ?? '';
      };
      const days = (column: string): string => {
        const v = wholeDays(row.cell(column));
        if (v === false) row.fail(column, 'is not a whole number of days');
        return v === null ? '' : String(v);
      };
      const combined = price('combinedElective');
      const ordinary = price('ordinaryElective');
      const nonElective = price('nonElective');
      const elective = combined !== '' ? combined : ordinary;
      const applicableRaw = row.cell('reducedShortStayApplicable').toLowerCase();
      const applicable = ['yes', 'y'].includes(applicableRaw) ? 'Y' : ['no', 'n'].includes(applicableRaw) ? 'N' : applicableRaw === '' || applicableRaw === '-' ? '' : null;
      if (applicable === null) row.fail('reducedShortStayApplicable', "is not 'Yes', 'No' or blank");
      const percentRaw = row.cell('reducedShortStayPercent').replace(/[%\s]/g, '');
      if (percentRaw !== '' && percentRaw !== '-' && !/^[0-9]+(\.[0-9]+)?$/.test(percentRaw))
        row.fail('reducedShortStayPercent', 'is not a percentage');
      const tariff = {
        hrg_code: hrg,
        label: row.required('hrgName'),
        financial_year: fy,
        elective_tariff_gbp: elective,
        non_elective_tariff_gbp: nonElective,
        day_case_tariff_gbp: price('dayCase'),
        ordinary_elective_tariff_gbp: ordinary,
        ordinary_elective_trim_point_days: days('ordinaryElectiveTrimPoint'),
        non_elective_trim_point_days: days('nonElectiveTrimPoint'),
        per_day_long_stay_gbp: price('perDayLongStay'),
        reduced_short_stay_emergency_applicable: applicable,
        reduced_short_stay_emergency_percent: percentRaw === '-' ? '' : percentRaw,
        reduced_short_stay_emergency_tariff_gbp: price('reducedShortStayTariff'),
        notes: '',
        ...this.common(from, to),
      };
      if (elective === '' && nonElective === '') {
        this.skip('no elective or non-elective spell tariff');
        return;
      }
      if (!this.first(hrg)) return;
      out.add(tariff);
    };
  }

  private postcodes(): (row: LayoutRow) => void {
    const { current, publishedOn } = this.options;
    const vintage = this.options.lsoaVintage ?? '2021';
    const lsoaColumn = vintage === '2021' ? 'lsoa2021' : 'lsoa2011';
    const postcodes = this.table(`${IMPORTED_FOLDER}/onspd-postcodes.csv`, POSTCODE_HEADER, {
      kind: 'postcodes',
      description: `${ONSPD.title}: postcode → LSOA (${vintage})`,
      synthetic: 'none',
    });
    const lsoas = this.table(`${IMPORTED_FOLDER}/onspd-lsoas.csv`, LSOA_HEADER, {
      kind: 'lsoas',
      description: `${ONSPD.title}: the LSOAs (${vintage}) its postcodes point at; IMD decile carried from existing rows, else blank`,
      synthetic: 'none',
    });
    const lsoaArea = new Map<string, AreaId>();
    const areas = this.options.postcodeAreas ? new Set(this.options.postcodeAreas) : null;
    const known = new Map(current.lsoas().map((l) => [l.code, l]));
    this.finishers.push(() => {
      for (const [code, area] of [...lsoaArea].sort(([a], [b]) => a.localeCompare(b))) {
        const before = known.get(code);
        lsoas.add({
          lsoa_code: code,
          name: before?.name ?? code,
          area: before?.area ?? area,
          imd_decile: before?.imdDecile == null ? '' : String(before.imdDecile),
          notes: before ? '' : 'name is the LSOA code (ONSPD carries no LSOA names)',
          ...this.common(before?.effectiveFrom ?? '1990-01-01', null),
        });
      }
    });
    let checkedColumn = false;
    return (row: LayoutRow) => {
      if (!checkedColumn) {
        checkedColumn = true;
        if (!row.has(lsoaColumn))
          throw new InputError(
            `${this.options.sourceFile}: no column '${ONSPD.columns[lsoaColumn].headers[0] ?? ''}' for the ${vintage} LSOA vintage`,
          );
      }
      const raw = row.required('postcode');
      const check = validatePostcode(raw);
      if (!check.ok) row.fail('postcode', `is not a UK postcode: ${check.reason}`);
      const postcode = normalisePostcode(raw);
      if (areas !== null && !areas.has(/^[A-Z]+/.exec(postcode)?.[0] ?? '')) {
        this.skip('outside the postcode areas asked for');
        return;
      }
      const lsoa = row.cell(lsoaColumn);
      if (!validateLsoa(lsoa).ok) {
        this.skip('no English or Welsh LSOA (blank, pseudo or another nation’s code)');
        return;
      }
      const introduced = monthDate(row.cell('introduced'), 'first');
      const terminated = monthDate(row.cell('terminated'), 'last');
      if (introduced === false) row.fail('introduced', "is not a month 'YYYYMM'");
      if (terminated === false) row.fail('terminated', "is not a month 'YYYYMM'");
      const from = introduced ?? publishedOn;
      if (terminated !== null && terminated < from) row.fail('terminated', 'is before the date of introduction');
      if (!this.first(postcode)) return;
      const area: AreaId = AREA_OF_ONS_ICB[row.cell('icb')] ?? 'other';
      if (!lsoaArea.has(lsoa)) lsoaArea.set(lsoa, area);
      postcodes.add({ postcode, lsoa_code: lsoa, area, notes: '', ...this.common(from, terminated) });
    };
  }

  private deprivation(): (row: LayoutRow) => void {
    const { current, publishedOn } = this.options;
    const out = this.table(`${IMPORTED_FOLDER}/imd-lsoas.csv`, LSOA_HEADER, {
      kind: 'lsoas',
      description: `${IMD.title}: IMD decile per LSOA (1 = most deprived 10 %)`,
      synthetic: 'none',
    });
    const known = new Map(current.lsoas().map((l) => [l.code, l]));
    return (row: LayoutRow) => {
      const lsoa = row.required('lsoa');
      const check = validateLsoa(lsoa);
      if (!check.ok) row.fail('lsoa', `is not an LSOA code: ${check.reason}`);
      const decile = row.required('decile');
      if (!/^([1-9]|10)$/.test(decile)) row.fail('decile', 'is not a decile 1-10');
      if (!this.first(lsoa)) return;
      const before = known.get(lsoa);
      out.add({
        lsoa_code: lsoa,
        name: row.cell('name') || before?.name || lsoa,
        area: before?.area ?? 'other',
        imd_decile: decile,
        notes: '',
        ...this.common(publishedOn, null),
      });
    };
  }

  private bnfCodes(): (row: LayoutRow) => void {
    const out = this.table(`${IMPORTED_FOLDER}/bnf-codes.csv`, BNF_HEADER, {
      kind: 'bnf_codes',
      description: `${BNF_CODE_INFORMATION.title}: BNF presentation codes`,
      synthetic: 'none',
    });
    return (row: LayoutRow) => {
      const code = row.required('presentationCode');
      const check = validateBnfCode(code);
      if (!check.ok) row.fail('presentationCode', `is not a BNF presentation code: ${check.reason}`);
      if (!this.first(code)) return;
      out.add({
        bnf_code: code,
        presentation: row.required('presentation'),
        chemical_code: code.slice(0, 9),
        chemical_substance: row.required('chemicalSubstance'),
        ...this.common(this.options.publishedOn, null),
      });
    };
  }

  private dmdProducts(layout: 'bnf-snomed-mapping' | 'dmd-vmp' | 'dmd-amp'): (row: LayoutRow) => void {
    const title = REFERENCE_LAYOUTS[layout].title;
    const out = this.table(`${IMPORTED_FOLDER}/${layout}.csv`, DMD_HEADER, {
      kind: 'dmd_products',
      description: `${title}: dm+d products with their BNF code`,
      synthetic: 'none',
    });
    const codeColumn = layout === 'bnf-snomed-mapping' ? 'snomedCode' : 'code';
    return (row: LayoutRow) => {
      let level: 'VMP' | 'AMP';
      if (layout === 'bnf-snomed-mapping') {
        const l = row.required('level').toUpperCase();
        if (l !== 'VMP' && l !== 'AMP') {
          this.skip('a pack (VMPP or AMPP), not a product');
          return;
        }
        level = l;
      } else level = layout === 'dmd-vmp' ? 'VMP' : 'AMP';
      const code = row.required(codeColumn);
      const check = validateSnomedId(code, 'concept');
      if (!check.ok) row.fail(codeColumn, `is not a dm+d (SNOMED CT) concept id: ${check.reason}`);
      const bnf = row.cell('bnfCode');
      if (bnf !== '') {
        const b = validateBnfCode(bnf);
        if (!b.ok) row.fail('bnfCode', `is not a BNF code: ${b.reason}`);
      }
      const vmp = layout === 'dmd-amp' ? row.cell('vmpCode') : '';
      if (vmp !== '' && !validateSnomedId(vmp, 'concept').ok) row.fail('vmpCode', 'is not a dm+d (SNOMED CT) concept id');
      if (!this.first(code)) return;
      out.add({
        dmd_code: code,
        level,
        name: row.required('name'),
        bnf_code: bnf,
        vmp_code: vmp,
        ...this.common(this.options.publishedOn, null),
      });
    };
  }
}

/** Parses the ODS successor file (succ.csv) into predecessor → succession. */
export function parseSuccessors(text: string, file: string): Map<string, Succession> {
  const map = new Map<string, Succession>();
  const reader = new LayoutReader(ODS_SUCCESSORS, file, (row: LayoutRow) => {
    const predecessor = row.required('predecessor');
    const successor = row.required('successor');
    const date = odsDate(row.required('effectiveDate'));
    if (date === false || date === null) row.fail('effectiveDate', "is not a date 'YYYYMMDD'");
    const before = map.get(predecessor);
    // A later succession of the same predecessor (a further change) wins.
    if (!before || before.date <= date) map.set(predecessor, { successor, date });
  });
  reader.push(text);
  reader.end();
  return map;
}

/** The version hash of an import: the source's hash with what else shaped the output. */
function combinedHash(a: string, b: string): string {
  return createHash('sha256').update(`${a}\n${b}`).digest('hex');
}
