import { InputError } from '../errors.js';
import { validateBnfCode } from '../nhs/bnf-code.js';
import { validateHrgCode } from '../nhs/hrg-code.js';
import { validateLsoa } from '../nhs/lsoa.js';
import { validateOdsCode, type OdsKind } from '../nhs/ods-code.js';
import { normalisePostcode, validatePostcode } from '../nhs/postcode.js';
import { validateSnomedId } from '../nhs/snomed.js';
import { parseCsv, type CsvRecord } from './reference-csv.js';

/**
 * Versioned reference data (reference/*.csv + reference/MANIFEST.json), parsed and indexed.
 *
 * Every row carries `effective_from`, `effective_to` (blank = open), `source` and `verified`
 * (`yes`, `partial`, `unverified`, `synthetic`, …). Lookups that take `asOf` ('YYYY-MM-DD', or any
 * ISO timestamp, of which the date part is used) return only the version effective on that date;
 * without `asOf` any version counts.
 */

/** The code lists shipped in reference/code-lists/<name>.csv. */
export const CODE_LIST_NAMES = [
  'admission_method',
  'admission_source',
  'patient_classification',
  'discharge_method',
  'discharge_destination',
  'treatment_function',
  'ethnic_category',
  'sex',
  'ecds_department_type',
  'ecds_attendance_category',
  'ecds_arrival_mode',
  'ecds_acuity',
  'ecds_discharge_status',
  'ecds_discharge_destination',
  'ecds_diagnosis_qualifier',
  'mhsds_source_of_referral',
  'mhsds_service_team_type',
  'mhsds_consultation_medium',
  'mh_care_cluster',
  'attend_or_dna',
  'activity_location_type',
  'csds_team_type',
  'csds_care_activity_type',
  'csds_priority_type',
  'dids_patient_source_setting',
  'imaging_modality',
  'bnf_chapter',
] as const;
export type CodeListName = (typeof CODE_LIST_NAMES)[number];

/** Code lists whose codes are SNOMED CT concept ids (checked with Verhoeff on load). */
const SNOMED_LISTS: ReadonlySet<CodeListName> = new Set([
  'ecds_arrival_mode',
  'ecds_acuity',
  'ecds_discharge_status',
  'ecds_discharge_destination',
  'ecds_diagnosis_qualifier',
]);

export interface Effective {
  readonly effectiveFrom: string;
  /** null = open-ended. */
  readonly effectiveTo: string | null;
  readonly source: string;
  readonly verified: string;
  /** True when `verified` is `synthetic` (invented by nhs-flows, not a real value). */
  readonly synthetic: boolean;
}

export interface CodeListEntry extends Effective {
  readonly list: CodeListName;
  readonly code: string;
  readonly description: string;
  readonly group: string;
  readonly notes: string;
}

export type OrganisationKind = 'region' | 'icb' | 'sub_icb' | 'trust' | 'site' | 'gp_practice';
/** The two areas the product covers, or `other`. */
export type AreaId = 'bsol' | 'nw' | 'other';

export interface Organisation extends Effective {
  readonly code: string;
  readonly name: string;
  readonly kind: OrganisationKind;
  /** Free-text type from ODS (acute trust, mental health trust, …). */
  readonly orgType: string;
  /** site → trust, trust → ICB, practice → sub-ICB, sub-ICB → ICB, ICB → region. */
  readonly parentCode: string | null;
  readonly subIcbCode: string | null;
  readonly icbCode: string | null;
  readonly area: AreaId;
  readonly notes: string;
  /** The organisation that took this one over (ODS successor file), or null. */
  readonly successorCode: string | null;
  /** 'YYYY-MM-DD' the succession took effect, or null. */
  readonly successorDate: string | null;
}

export type AdmissionType = 'elective' | 'non_elective';

export interface HrgTariff extends Effective {
  readonly hrg: string;
  readonly label: string;
  /** 'YYYY/YY', e.g. '2025/26'. */
  readonly financialYear: string;
  /**
   * Decimal strings in pounds, 2 places (the SourceRow wire form of decimals); null where the
   * workbook has no price of that type for the HRG. Elective is the combined day case / ordinary
   * elective spell tariff.
   */
  readonly electiveTariffGbp: string | null;
  readonly nonElectiveTariffGbp: string | null;
  /** Null in files without the column (the shipped sample) or where the workbook leaves it blank. */
  readonly dayCaseTariffGbp: string | null;
  readonly ordinaryElectiveTariffGbp: string | null;
  readonly ordinaryElectiveTrimPointDays: number | null;
  readonly nonElectiveTrimPointDays: number | null;
  /** Per day long stay payment for days beyond the trim point. */
  readonly perDayLongStayGbp: string | null;
  /** Whether the reduced short stay emergency tariff applies (null when not given). */
  readonly reducedShortStayEmergencyApplicable: boolean | null;
  /** '% applied in calculation of reduced short stay emergency tariff', as a decimal string. */
  readonly reducedShortStayEmergencyPercent: string | null;
  readonly reducedShortStayEmergencyTariffGbp: string | null;
  readonly notes: string;
}

/**
 * A provider's market forces factor for a financial year (NHS Payment Scheme). The shipped file
 * holds placeholders (verified `synthetic`): REFERENCE.md names the field (`mff_factor`) but gives
 * no values, so a real team loads the published factors.
 */
export interface MarketForcesFactor extends Effective {
  /** ODS code of the provider (trust). */
  readonly providerCode: string;
  /** 'YYYY/YY'. */
  readonly financialYear: string;
  /** The factor as a decimal string ('1.02345'). */
  readonly factor: string;
  readonly notes: string;
}

export interface BnfPresentation extends Effective {
  readonly code: string;
  readonly description: string;
  readonly chemicalSubstance: string;
  readonly chemicalCode: string;
  readonly chapter: string;
  readonly isGeneric: boolean;
  /** Net ingredient cost per unit of quantity (tablet, capsule, dose), decimal string, placeholder. */
  readonly unitNicGbp: string;
  readonly typicalQuantity: number;
}

export interface ImagingCode extends Effective {
  readonly nicip: string;
  readonly description: string;
  /** Modality letter (imaging_modality code list). */
  readonly modality: string;
  readonly snomedCode: string;
  readonly notes: string;
}

export interface Lsoa extends Effective {
  readonly code: string;
  readonly name: string;
  readonly area: AreaId;
  /** 1 = most deprived 10 %, 10 = least deprived; null when the source gives none (an ONSPD import). */
  readonly imdDecile: number | null;
}

export interface PostcodeLsoa extends Effective {
  /** Normalised (`B1 1AA`). */
  readonly postcode: string;
  readonly lsoa: string;
  readonly area: AreaId;
}

/** One BNF presentation code from the NHSBSA BNF code information file. */
export interface BnfCode extends Effective {
  readonly code: string;
  readonly presentation: string;
  /** Characters 1-9 of the code. */
  readonly chemicalCode: string;
  readonly chemicalSubstance: string;
}

/** A dm+d product (VMP or AMP) with its name and, where mapped, its BNF code. */
export interface DmdProduct extends Effective {
  /** The dm+d id (a SNOMED CT concept id): VPID for a VMP, APID for an AMP. */
  readonly code: string;
  readonly level: 'VMP' | 'AMP';
  readonly name: string;
  readonly bnfCode: string | null;
  /** The VMP an AMP is an instance of (null for a VMP, or when not given). */
  readonly vmpCode: string | null;
}

/**
 * The price of one unit of a dm+d product (VMP or AMP: tablet, capsule, dose, millilitre…), the
 * basic price the net ingredient cost is built from: NIC = price per unit × quantity dispensed. The
 * shipped file (`reference/dmd-prices.csv`) is SYNTHETIC (the generator's dm+d ids, placeholder
 * prices); a real team loads the Drug Tariff / dm+d prices (unverified: no import layout yet).
 */
export interface DmdPrice extends Effective {
  /** The dm+d id (a SNOMED CT concept id): VPID for a VMP, APID for an AMP. */
  readonly code: string;
  readonly level: 'VMP' | 'AMP';
  readonly bnfCode: string | null;
  /** Price of one unit in GBP, decimal string with 2 or 3 places ('0.030'). */
  readonly pricePerUnitGbp: string;
  /** The unit the price and the dispensed quantity are in ('tablet', 'dose', 'ml'). */
  readonly unit: string;
}

/** The datasets a provider can be expected to submit (prescribing comes from NHSBSA, not providers). */
export const SUBMITTED_DATASETS = ['sus_apc', 'ecds', 'mhsds', 'csds', 'dids'] as const;
export type SubmittedDataset = (typeof SUBMITTED_DATASETS)[number];

/**
 * A provider expected to submit a dataset every month it is effective (reference/expected-submitters.csv):
 * the denominator of DQ coverage (DQMI coverage: submitted ÷ expected, REFERENCE.md §10.1).
 */
export interface ExpectedSubmitter extends Effective {
  readonly providerCode: string;
  readonly dataset: SubmittedDataset;
  readonly notes: string;
}

/** What `nhs-flows reference import` records about the official file a reference file came from. */
export interface ManifestImport {
  readonly layout: string;
  /** The source file's base name (no folder). */
  readonly sourceFile: string;
  /** 'YYYY-MM-DD': the publication date given, or --effective-from. */
  readonly publishedOn: string;
  /** SHA-256 of the source file's bytes, hex. */
  readonly sha256: string;
  /** The ODS successor file applied (ODS layouts given --successors). */
  readonly successorsFile?: string;
  readonly successorsSha256?: string;
  /** Options that shaped the output (financial year, LSOA vintage 2011, postcode areas). */
  readonly options?: Readonly<Record<string, string>>;
}

export interface ManifestFile {
  readonly version: string;
  readonly kind: string;
  readonly description: string;
  /** Which values in the file are synthetic, in words (`none`, `all rows`, …). */
  readonly synthetic: string;
  readonly list?: string;
  readonly rows?: number;
  /** True for the small samples shipped with the repository (not a source of truth). */
  readonly sample?: boolean;
  /** Set on files written by `nhs-flows reference import`. */
  readonly import?: ManifestImport;
}

export interface ReferenceManifest {
  readonly schemaVersion: number;
  readonly files: Readonly<Record<string, ManifestFile>>;
}

/** Typed, effective-dated lookups over the reference data. All lookups are O(1) or O(versions). */
export interface ReferenceData {
  readonly manifest: ReferenceManifest;
  /** The organisation version effective on `asOf` (any version without it). */
  organisation(code: string, asOf?: string): Organisation | undefined;
  /** All organisation rows (every version), optionally of one kind. */
  organisations(kind?: OrganisationKind): readonly Organisation[];
  /** GP practices whose ICB is `icb`, open on `asOf` when given. */
  practicesInIcb(icb: string, asOf?: string): readonly Organisation[];
  /** Tariff row for an HRG in a financial year ('2025/26'). */
  hrg(hrg: string, financialYear: string): HrgTariff | undefined;
  /** Spell tariff in pounds as a decimal string, or undefined when the HRG has no price that year. */
  hrgTariff(hrg: string, financialYear: string, admissionType: AdmissionType): string | undefined;
  /** True when the HRG appears in the tariff file for any year. */
  isKnownHrg(hrg: string): boolean;
  /** Every HRG tariff row (each HRG × financial year): the star schema's dim_hrg. */
  hrgTariffs(): readonly HrgTariff[];
  /** The provider's market forces factor for a financial year, or undefined when none is loaded. */
  marketForcesFactor(providerCode: string, financialYear: string): MarketForcesFactor | undefined;
  /** True when `code` is in `list` (and effective on `asOf` when given). */
  isValidCode(list: CodeListName, code: string, asOf?: string): boolean;
  codeEntry(list: CodeListName, code: string, asOf?: string): CodeListEntry | undefined;
  codeList(list: CodeListName, asOf?: string): readonly CodeListEntry[];
  /**
   * LSOA for a postcode in any spacing/case, or undefined when the postcode is not in the table (or,
   * with `asOf`, not live on that date: introduced later or terminated before).
   */
  lsoaForPostcode(postcode: string, asOf?: string): string | undefined;
  imdDecile(lsoa: string): number | undefined;
  lsoas(area?: AreaId): readonly Lsoa[];
  postcodes(area?: AreaId): readonly PostcodeLsoa[];
  bnfPresentation(code: string): BnfPresentation | undefined;
  bnfPresentations(): readonly BnfPresentation[];
  imagingCode(nicip: string): ImagingCode | undefined;
  imagingCodeForSnomed(snomedCode: string): ImagingCode | undefined;
  imagingCodes(): readonly ImagingCode[];
  /** A BNF presentation code from an imported BNF code file, effective on `asOf` when given. */
  bnfCode(code: string, asOf?: string): BnfCode | undefined;
  /** A dm+d product (VPID or APID), effective on `asOf` when given. */
  dmdProduct(code: string, asOf?: string): DmdProduct | undefined;
  /** A dm+d product's price per unit, the version effective on `asOf` (the latest without it). */
  dmdPrice(code: string, asOf?: string): DmdPrice | undefined;
  /** Providers expected to submit a dataset (every version without `asOf`; those effective on it with). */
  expectedSubmitters(dataset?: SubmittedDataset, asOf?: string): readonly ExpectedSubmitter[];
}

/** The NHS financial year ('2025/26') a date ('YYYY-MM-DD…') falls in (April to March). */
export function financialYearOf(date: string): string {
  const year = Number(date.slice(0, 4));
  const month = Number(date.slice(5, 7));
  const start = month >= 4 ? year : year - 1;
  return `${start}/${String((start + 1) % 100).padStart(2, '0')}`;
}

/** True when the row is effective on the date part of `asOf`. */
export function isEffective(row: Effective, asOf: string): boolean {
  const day = asOf.length > 10 ? asOf.slice(0, 10) : asOf;
  return row.effectiveFrom <= day && (row.effectiveTo === null || day <= row.effectiveTo);
}

// ---------- parsing ----------

const DATE = /^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$/;
const MONEY = /^[0-9]+\.[0-9]{2,3}$/;
const PERCENT = /^[0-9]+(\.[0-9]+)?$/;
const FACTOR = /^[0-9]\.[0-9]{1,5}$/;

/** Reads one CSV file, checking the common columns on every row and failing with file and line. */
class FileReader {
  constructor(
    readonly file: string,
    readonly records: readonly CsvRecord[],
  ) {}

  fail(line: number, message: string): never {
    throw new InputError(`reference data ${this.file} line ${line}: ${message}`);
  }

  /** `columns` must be in the header; `optional` columns read as blank when absent. */
  static open(file: string, text: string, columns: readonly string[]): FileReader {
    const { header, records } = parseCsv(text, `reference data ${file}`);
    const required = [...columns, 'effective_from', 'effective_to', 'source', 'verified'];
    const missing = required.filter((c) => !header.includes(c));
    if (missing.length > 0)
      throw new InputError(`reference data ${file} line 1: missing column(s) ${missing.join(', ')}`);
    return new FileReader(file, records);
  }

  effective(r: CsvRecord): Effective {
    const from = r.values.effective_from ?? '';
    const to = r.values.effective_to ?? '';
    const source = r.values.source ?? '';
    const verified = r.values.verified ?? '';
    if (!DATE.test(from)) this.fail(r.line, "effective_from is not a date 'YYYY-MM-DD'");
    if (to !== '' && !DATE.test(to)) this.fail(r.line, "effective_to is neither blank nor a date 'YYYY-MM-DD'");
    if (to !== '' && to < from) this.fail(r.line, 'effective_to is before effective_from');
    if (source.trim() === '') this.fail(r.line, 'source is blank');
    if (verified.trim() === '') this.fail(r.line, 'verified is blank');
    return {
      effectiveFrom: from,
      effectiveTo: to === '' ? null : to,
      source,
      verified,
      synthetic: verified === 'synthetic',
    };
  }

  text(r: CsvRecord, column: string, required = true): string {
    const value = r.values[column] ?? '';
    if (required && value.trim() === '') this.fail(r.line, `${column} is blank`);
    return value;
  }

  /** An optional column (absent from older files) read as null when absent or blank. */
  optional(r: CsvRecord, column: string): string | null {
    const value = r.values[column] ?? '';
    return value.trim() === '' ? null : value;
  }

  money(r: CsvRecord, column: string): string | null {
    const value = this.optional(r, column);
    if (value !== null && !MONEY.test(value)) this.fail(r.line, `${column} is not a decimal amount in pounds`);
    return value;
  }

  days(r: CsvRecord, column: string): number | null {
    const value = this.optional(r, column);
    if (value === null) return null;
    const n = Number(value);
    if (!/^[0-9]+$/.test(value) || !Number.isSafeInteger(n)) this.fail(r.line, `${column} is not a whole number of days`);
    return n;
  }

  date(r: CsvRecord, column: string): string | null {
    const value = this.optional(r, column);
    if (value !== null && !DATE.test(value)) this.fail(r.line, `${column} is neither blank nor a date 'YYYY-MM-DD'`);
    return value;
  }
}

const ORG_KINDS: ReadonlySet<string> = new Set(['region', 'icb', 'sub_icb', 'trust', 'site', 'gp_practice']);
const AREAS: ReadonlySet<string> = new Set(['bsol', 'nw', 'other']);

function area(reader: FileReader, r: CsvRecord): AreaId {
  const a = reader.text(r, 'area');
  if (!AREAS.has(a)) reader.fail(r.line, "area is not one of 'bsol', 'nw', 'other'");
  return a as AreaId;
}

function pushTo<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

function pickVersion<T extends Effective>(versions: readonly T[] | undefined, asOf?: string): T | undefined {
  if (!versions) return undefined;
  if (asOf === undefined) return versions[versions.length - 1];
  for (const v of versions) if (isEffective(v, asOf)) return v;
  return undefined;
}

/**
 * Rows of one kind keyed by their lookup key, across files. A file's rows for a key replace every
 * row an earlier file (in manifest order) gave that key, so an imported official file listed after
 * a shipped sample wins for the codes it holds; within one file a key may have several versions
 * only where `versionsPerFile` allows it.
 */
class KeyedVersions<T> {
  readonly byKey = new Map<string, T[]>();
  private readonly fileOf = new Map<string, string>();

  constructor(private readonly versionsPerFile: boolean) {}

  add(reader: FileReader, line: number, key: string, row: T, duplicate: string): void {
    const from = this.fileOf.get(key);
    if (from === reader.file) {
      if (!this.versionsPerFile) reader.fail(line, duplicate);
      pushTo(this.byKey, key, row);
      return;
    }
    this.fileOf.set(key, reader.file);
    this.byKey.set(key, [row]);
  }

  all(): T[] {
    return [...this.byKey.values()].flat();
  }
}

/**
 * Parses the manifest and every file it lists into {@link ReferenceData}.
 * `readFile(relativePath)` returns a file's text (the loader reads disk; tests pass strings).
 * Throws {@link InputError} naming the file and line of the first malformed row, or the manifest
 * entry that is wrong. Unknown `kind`s in the manifest fail too, so nothing is silently ignored.
 * Files are read in manifest order; for organisations, HRG tariffs (HRG and year), market forces
 * factors (provider and year), LSOAs,
 * postcodes, BNF presentations and codes, dm+d products and imaging codes, a later file's rows for a
 * key replace an earlier file's (see {@link KeyedVersions}).
 */
export function parseReferenceData(manifestText: string, readFile: (path: string) => string): ReferenceData {
  let manifest: ReferenceManifest;
  try {
    manifest = JSON.parse(manifestText) as ReferenceManifest;
  } catch (cause) {
    throw new InputError('reference data MANIFEST.json is not valid JSON', { cause });
  }
  if (typeof manifest !== 'object' || manifest === null || typeof manifest.files !== 'object')
    throw new InputError("reference data MANIFEST.json: expected an object with 'files'");

  const orgs = new KeyedVersions<Organisation>(true);
  const hrgs = new KeyedVersions<HrgTariff>(false);
  const codes = new Map<CodeListName, Map<string, CodeListEntry[]>>();
  const lists = new Map<CodeListName, CodeListEntry[]>();
  const lsoaRows = new KeyedVersions<Lsoa>(true);
  const postcodeRows = new KeyedVersions<PostcodeLsoa & { readonly at: { file: string; line: number } }>(false);
  const bnf = new KeyedVersions<BnfPresentation>(true);
  const bnfCodes = new KeyedVersions<BnfCode>(false);
  const dmd = new KeyedVersions<DmdProduct>(false);
  const dmdPrices = new KeyedVersions<DmdPrice>(true);
  const imaging = new KeyedVersions<ImagingCode>(true);
  const mff = new KeyedVersions<MarketForcesFactor>(false);
  const submitters = new KeyedVersions<ExpectedSubmitter>(true);

  for (const [file, meta] of Object.entries(manifest.files)) {
    if (typeof meta.version !== 'string' || meta.version === '')
      throw new InputError(`reference data MANIFEST.json: ${file} has no version`);
    const text = readFile(file);
    switch (meta.kind) {
      case 'code_list': {
        const list = meta.list as CodeListName;
        if (!(CODE_LIST_NAMES as readonly string[]).includes(list))
          throw new InputError(`reference data MANIFEST.json: ${file} names an unknown code list`);
        const reader = FileReader.open(file, text, ['code', 'description', 'group', 'notes']);
        const byCode = new Map<string, CodeListEntry[]>();
        const all: CodeListEntry[] = [];
        for (const r of reader.records) {
          const code = reader.text(r, 'code');
          if (SNOMED_LISTS.has(list)) {
            const check = validateSnomedId(code, 'concept');
            if (!check.ok) reader.fail(r.line, `code is not a SNOMED CT concept id: ${check.reason}`);
          }
          const entry: CodeListEntry = {
            list,
            code,
            description: reader.text(r, 'description'),
            group: reader.text(r, 'group', false),
            notes: reader.text(r, 'notes', false),
            ...reader.effective(r),
          };
          pushTo(byCode, code, entry);
          all.push(entry);
        }
        codes.set(list, byCode);
        lists.set(list, all);
        break;
      }
      case 'organisations': {
        const reader = FileReader.open(file, text, [
          'code', 'name', 'kind', 'org_type', 'parent_code', 'sub_icb_code', 'icb_code', 'area', 'notes',
        ]);
        for (const r of reader.records) {
          const code = reader.text(r, 'code');
          const kind = reader.text(r, 'kind');
          if (!ORG_KINDS.has(kind)) reader.fail(r.line, 'kind is not a known organisation kind');
          if (kind === 'region') {
            if (!/^Y[0-9]{2}$/.test(code)) reader.fail(r.line, "code is not an NHS England region code ('Y' + 2 digits)");
          } else {
            const check = validateOdsCode(code, kind as OdsKind);
            if (!check.ok) reader.fail(r.line, `code is not a valid ODS ${kind} code: ${check.reason}`);
          }
          const orNull = (v: string) => (v === '' ? null : v);
          const org: Organisation = {
            code,
            name: reader.text(r, 'name'),
            kind: kind as OrganisationKind,
            orgType: reader.text(r, 'org_type', false),
            parentCode: orNull(reader.text(r, 'parent_code', false)),
            subIcbCode: orNull(reader.text(r, 'sub_icb_code', false)),
            icbCode: orNull(reader.text(r, 'icb_code', false)),
            area: area(reader, r),
            notes: reader.text(r, 'notes', false),
            successorCode: reader.optional(r, 'successor_code'),
            successorDate: reader.date(r, 'successor_date'),
            ...reader.effective(r),
          };
          if (kind === 'gp_practice' && (org.subIcbCode === null || org.icbCode === null))
            reader.fail(r.line, 'a GP practice needs sub_icb_code and icb_code');
          orgs.add(reader, r.line, code, org, 'organisation appears twice');
        }
        break;
      }
      case 'hrg_tariffs': {
        const reader = FileReader.open(file, text, [
          'hrg_code', 'label', 'financial_year', 'elective_tariff_gbp', 'non_elective_tariff_gbp', 'notes',
        ]);
        for (const r of reader.records) {
          const hrg = reader.text(r, 'hrg_code');
          const check = validateHrgCode(hrg);
          if (!check.ok) reader.fail(r.line, `hrg_code is not an HRG4+ code: ${check.reason}`);
          const fy = reader.text(r, 'financial_year');
          if (!/^[0-9]{4}\/[0-9]{2}$/.test(fy)) reader.fail(r.line, "financial_year is not 'YYYY/YY'");
          const applicable = reader.optional(r, 'reduced_short_stay_emergency_applicable');
          if (applicable !== null && applicable !== 'Y' && applicable !== 'N')
            reader.fail(r.line, "reduced_short_stay_emergency_applicable is not 'Y', 'N' or blank");
          const percent = reader.optional(r, 'reduced_short_stay_emergency_percent');
          if (percent !== null && !PERCENT.test(percent))
            reader.fail(r.line, 'reduced_short_stay_emergency_percent is not a decimal number');
          const row: HrgTariff = {
            hrg,
            label: reader.text(r, 'label'),
            financialYear: fy,
            electiveTariffGbp: reader.money(r, 'elective_tariff_gbp'),
            nonElectiveTariffGbp: reader.money(r, 'non_elective_tariff_gbp'),
            dayCaseTariffGbp: reader.money(r, 'day_case_tariff_gbp'),
            ordinaryElectiveTariffGbp: reader.money(r, 'ordinary_elective_tariff_gbp'),
            ordinaryElectiveTrimPointDays: reader.days(r, 'ordinary_elective_trim_point_days'),
            nonElectiveTrimPointDays: reader.days(r, 'non_elective_trim_point_days'),
            perDayLongStayGbp: reader.money(r, 'per_day_long_stay_gbp'),
            reducedShortStayEmergencyApplicable: applicable === null ? null : applicable === 'Y',
            reducedShortStayEmergencyPercent: percent,
            reducedShortStayEmergencyTariffGbp: reader.money(r, 'reduced_short_stay_emergency_tariff_gbp'),
            notes: reader.text(r, 'notes', false),
            ...reader.effective(r),
          };
          if (row.electiveTariffGbp === null && row.nonElectiveTariffGbp === null)
            reader.fail(r.line, 'neither elective_tariff_gbp nor non_elective_tariff_gbp is given');
          hrgs.add(reader, r.line, `${hrg}|${fy}`, row, 'the HRG already has a tariff for this financial year');
        }
        break;
      }
      case 'market_forces_factors': {
        const reader = FileReader.open(file, text, ['provider_code', 'financial_year', 'mff', 'notes']);
        for (const r of reader.records) {
          const providerCode = reader.text(r, 'provider_code');
          const check = validateOdsCode(providerCode, 'trust');
          if (!check.ok) reader.fail(r.line, `provider_code is not a valid ODS trust code: ${check.reason}`);
          const fy = reader.text(r, 'financial_year');
          if (!/^[0-9]{4}\/[0-9]{2}$/.test(fy)) reader.fail(r.line, "financial_year is not 'YYYY/YY'");
          const factor = reader.text(r, 'mff');
          if (!FACTOR.test(factor) || Number(factor) <= 0)
            reader.fail(r.line, 'mff is not a positive decimal factor with up to 5 places');
          const row: MarketForcesFactor = {
            providerCode,
            financialYear: fy,
            factor,
            notes: reader.text(r, 'notes', false),
            ...reader.effective(r),
          };
          mff.add(reader, r.line, `${providerCode}|${fy}`, row, 'the provider already has a factor for this financial year');
        }
        break;
      }
      case 'bnf_presentations': {
        const reader = FileReader.open(file, text, [
          'bnf_code', 'description', 'chemical_substance', 'chemical_code', 'chapter', 'is_generic', 'unit_nic_gbp', 'typical_quantity',
        ]);
        for (const r of reader.records) {
          const code = reader.text(r, 'bnf_code');
          const check = validateBnfCode(code);
          if (!check.ok) reader.fail(r.line, `bnf_code is not a BNF code: ${check.reason}`);
          const nic = reader.text(r, 'unit_nic_gbp');
          if (!MONEY.test(nic)) reader.fail(r.line, 'unit_nic_gbp is not a decimal amount in pounds');
          const qty = Number(reader.text(r, 'typical_quantity'));
          if (!Number.isInteger(qty) || qty <= 0) reader.fail(r.line, 'typical_quantity is not a positive whole number');
          const chemicalCode = reader.text(r, 'chemical_code');
          if (!code.startsWith(chemicalCode)) reader.fail(r.line, 'chemical_code is not the first 9 characters of bnf_code');
          bnf.add(reader, r.line, code, {
            code,
            description: reader.text(r, 'description'),
            chemicalSubstance: reader.text(r, 'chemical_substance'),
            chemicalCode,
            chapter: reader.text(r, 'chapter'),
            isGeneric: reader.text(r, 'is_generic') === 'Y',
            unitNicGbp: nic,
            typicalQuantity: qty,
            ...reader.effective(r),
          }, '');
        }
        break;
      }
      case 'bnf_codes': {
        const reader = FileReader.open(file, text, ['bnf_code', 'presentation', 'chemical_code', 'chemical_substance']);
        for (const r of reader.records) {
          const code = reader.text(r, 'bnf_code');
          const check = validateBnfCode(code);
          if (!check.ok) reader.fail(r.line, `bnf_code is not a BNF code: ${check.reason}`);
          const chemicalCode = reader.text(r, 'chemical_code');
          if (!code.startsWith(chemicalCode)) reader.fail(r.line, 'chemical_code is not the first 9 characters of bnf_code');
          bnfCodes.add(reader, r.line, code, {
            code,
            presentation: reader.text(r, 'presentation'),
            chemicalCode,
            chemicalSubstance: reader.text(r, 'chemical_substance'),
            ...reader.effective(r),
          }, 'bnf_code appears twice');
        }
        break;
      }
      case 'dmd_products': {
        const reader = FileReader.open(file, text, ['dmd_code', 'level', 'name', 'bnf_code', 'vmp_code']);
        for (const r of reader.records) {
          const code = reader.text(r, 'dmd_code');
          const check = validateSnomedId(code, 'concept');
          if (!check.ok) reader.fail(r.line, `dmd_code is not a SNOMED CT concept id: ${check.reason}`);
          const rawLevel = reader.text(r, 'level');
          if (rawLevel !== 'VMP' && rawLevel !== 'AMP') reader.fail(r.line, "level is not 'VMP' or 'AMP'");
          const level = rawLevel as DmdProduct['level'];
          const bnfCode = reader.optional(r, 'bnf_code');
          if (bnfCode !== null && !validateBnfCode(bnfCode).ok) reader.fail(r.line, 'bnf_code is not a BNF code');
          dmd.add(reader, r.line, code, {
            code,
            level,
            name: reader.text(r, 'name'),
            bnfCode,
            vmpCode: reader.optional(r, 'vmp_code'),
            ...reader.effective(r),
          }, 'dmd_code appears twice');
        }
        break;
      }
      case 'dmd_prices': {
        const reader = FileReader.open(file, text, ['dmd_code', 'level', 'bnf_code', 'price_per_unit_gbp', 'unit']);
        for (const r of reader.records) {
          const code = reader.text(r, 'dmd_code');
          const check = validateSnomedId(code, 'concept');
          if (!check.ok) reader.fail(r.line, `dmd_code is not a SNOMED CT concept id: ${check.reason}`);
          const rawLevel = reader.text(r, 'level');
          if (rawLevel !== 'VMP' && rawLevel !== 'AMP') reader.fail(r.line, "level is not 'VMP' or 'AMP'");
          const bnfCode = reader.optional(r, 'bnf_code');
          if (bnfCode !== null && !validateBnfCode(bnfCode).ok) reader.fail(r.line, 'bnf_code is not a BNF code');
          const price = reader.text(r, 'price_per_unit_gbp');
          if (!MONEY.test(price)) reader.fail(r.line, 'price_per_unit_gbp is not a decimal amount in pounds');
          dmdPrices.add(reader, r.line, code, {
            code,
            level: rawLevel as DmdPrice['level'],
            bnfCode,
            pricePerUnitGbp: price,
            unit: reader.text(r, 'unit'),
            ...reader.effective(r),
          }, '');
        }
        break;
      }
      case 'imaging_codes': {
        const reader = FileReader.open(file, text, ['nicip_code', 'description', 'modality', 'snomed_code', 'notes']);
        for (const r of reader.records) {
          const nicip = reader.text(r, 'nicip_code');
          if (!/^[A-Z][A-Z0-9]{3,9}$/.test(nicip)) reader.fail(r.line, 'nicip_code is not 4-10 upper-case letters or digits');
          const modality = reader.text(r, 'modality');
          if (nicip[0] !== modality) reader.fail(r.line, 'modality is not the first letter of nicip_code');
          const snomed = reader.text(r, 'snomed_code');
          const check = validateSnomedId(snomed, 'concept');
          if (!check.ok) reader.fail(r.line, `snomed_code is not a SNOMED CT concept id: ${check.reason}`);
          imaging.add(reader, r.line, nicip, {
            nicip,
            description: reader.text(r, 'description'),
            modality,
            snomedCode: snomed,
            notes: reader.text(r, 'notes', false),
            ...reader.effective(r),
          }, '');
        }
        break;
      }
      case 'lsoas': {
        const reader = FileReader.open(file, text, ['lsoa_code', 'name', 'area', 'imd_decile']);
        for (const r of reader.records) {
          const code = reader.text(r, 'lsoa_code');
          const check = validateLsoa(code);
          if (!check.ok) reader.fail(r.line, `lsoa_code is not an LSOA code: ${check.reason}`);
          const rawDecile = reader.text(r, 'imd_decile', false);
          const decile = rawDecile === '' ? null : Number(rawDecile);
          if (decile !== null && (!Number.isInteger(decile) || decile < 1 || decile > 10))
            reader.fail(r.line, 'imd_decile is neither blank nor 1-10');
          lsoaRows.add(reader, r.line, code, { code, name: reader.text(r, 'name'), area: area(reader, r), imdDecile: decile, ...reader.effective(r) }, '');
        }
        break;
      }
      case 'postcodes': {
        const reader = FileReader.open(file, text, ['postcode', 'lsoa_code', 'area']);
        for (const r of reader.records) {
          const raw = reader.text(r, 'postcode');
          const check = validatePostcode(raw);
          if (!check.ok) reader.fail(r.line, `postcode is not a UK postcode: ${check.reason}`);
          const row = {
            postcode: normalisePostcode(raw),
            lsoa: reader.text(r, 'lsoa_code'),
            area: area(reader, r),
            ...reader.effective(r),
            at: { file, line: r.line },
          };
          postcodeRows.add(reader, r.line, row.postcode, row, 'postcode appears twice');
        }
        break;
      }
      case 'expected_submitters': {
        const reader = FileReader.open(file, text, ['provider_code', 'dataset', 'notes']);
        for (const r of reader.records) {
          const providerCode = reader.text(r, 'provider_code');
          const check = validateOdsCode(providerCode, 'trust');
          if (!check.ok) reader.fail(r.line, `provider_code is not a valid ODS trust code: ${check.reason}`);
          const dataset = reader.text(r, 'dataset');
          if (!(SUBMITTED_DATASETS as readonly string[]).includes(dataset))
            reader.fail(r.line, `dataset is not one of ${SUBMITTED_DATASETS.join(', ')}`);
          const row: ExpectedSubmitter = {
            providerCode,
            dataset: dataset as SubmittedDataset,
            notes: reader.text(r, 'notes', false),
            ...reader.effective(r),
          };
          submitters.add(reader, r.line, `${providerCode}|${dataset}`, row, '');
        }
        break;
      }
      default:
        throw new InputError(`reference data MANIFEST.json: ${file} has an unknown kind`);
    }
  }
  const lsoaMap = new Map<string, Lsoa>();
  for (const [code, versions] of lsoaRows.byKey) {
    const last = versions[versions.length - 1];
    if (last) lsoaMap.set(code, last);
  }
  const postcodeMap = new Map<string, PostcodeLsoa>();
  for (const { at, ...row } of postcodeRows.all()) {
    if (!lsoaMap.has(row.lsoa))
      throw new InputError(`reference data ${at.file} line ${at.line}: lsoa_code is not in the LSOA file`);
    postcodeMap.set(row.postcode, row);
  }
  const missingLists = CODE_LIST_NAMES.filter((l) => !codes.has(l));
  if (missingLists.length > 0)
    throw new InputError(`reference data MANIFEST.json: missing code list(s) ${missingLists.join(', ')}`);

  const orgList = orgs.all();
  const submitterList = submitters.all();
  const lsoaList = [...lsoaMap.values()];
  const postcodeList = [...postcodeMap.values()];
  const practicesByIcb = new Map<string, Organisation[]>();
  for (const o of orgList) if (o.kind === 'gp_practice' && o.icbCode) pushTo(practicesByIcb, o.icbCode, o);
  const bnfMap = new Map([...bnf.byKey].map(([k, v]) => [k, v[v.length - 1] as BnfPresentation]));
  const bnfList = [...bnfMap.values()];
  const imagingMap = new Map([...imaging.byKey].map(([k, v]) => [k, v[v.length - 1] as ImagingCode]));
  const imagingList = [...imagingMap.values()];
  const imagingBySnomed = new Map(imagingList.map((c) => [c.snomedCode, c]));
  const hrgRow = (hrg: string, fy: string): HrgTariff | undefined => hrgs.byKey.get(`${hrg}|${fy}`)?.[0];
  const knownHrgs = new Set(hrgs.all().map((h) => h.hrg));
  const hrgList = hrgs.all();
  const single = <T extends Effective>(versions: readonly T[] | undefined, asOf?: string): T | undefined => {
    const row = versions?.[0];
    return row === undefined || asOf === undefined || isEffective(row, asOf) ? row : undefined;
  };

  return {
    manifest,
    organisation: (code, asOf) => pickVersion(orgs.byKey.get(code), asOf),
    organisations: (kind) => (kind === undefined ? orgList : orgList.filter((o) => o.kind === kind)),
    practicesInIcb: (icb, asOf) => {
      const all = practicesByIcb.get(icb) ?? [];
      return asOf === undefined ? all : all.filter((p) => isEffective(p, asOf));
    },
    hrg: (hrg, fy) => hrgRow(hrg, fy),
    hrgTariff: (hrg, fy, type) => {
      const row = hrgRow(hrg, fy);
      if (!row) return undefined;
      return (type === 'elective' ? row.electiveTariffGbp : row.nonElectiveTariffGbp) ?? undefined;
    },
    isKnownHrg: (hrg) => knownHrgs.has(hrg),
    hrgTariffs: () => hrgList,
    marketForcesFactor: (provider, fy) => mff.byKey.get(`${provider}|${fy}`)?.[0],
    isValidCode: (list, code, asOf) => pickVersion(codes.get(list)?.get(code), asOf) !== undefined,
    codeEntry: (list, code, asOf) => pickVersion(codes.get(list)?.get(code), asOf),
    codeList: (list, asOf) => {
      const all = lists.get(list) ?? [];
      return asOf === undefined ? all : all.filter((e) => isEffective(e, asOf));
    },
    lsoaForPostcode: (postcode, asOf) => {
      const row = postcodeMap.get(normalisePostcode(postcode));
      return row === undefined || asOf === undefined || isEffective(row, asOf) ? row?.lsoa : undefined;
    },
    imdDecile: (lsoa) => lsoaMap.get(lsoa)?.imdDecile ?? undefined,
    lsoas: (a) => (a === undefined ? lsoaList : lsoaList.filter((l) => l.area === a)),
    postcodes: (a) => (a === undefined ? postcodeList : postcodeList.filter((p) => p.area === a)),
    bnfPresentation: (code) => bnfMap.get(code),
    bnfPresentations: () => bnfList,
    imagingCode: (nicip) => imagingMap.get(nicip),
    imagingCodeForSnomed: (sctid) => imagingBySnomed.get(sctid),
    imagingCodes: () => imagingList,
    bnfCode: (code, asOf) => single(bnfCodes.byKey.get(code), asOf),
    dmdProduct: (code, asOf) => single(dmd.byKey.get(code), asOf),
    dmdPrice: (code, asOf) => pickVersion(dmdPrices.byKey.get(code), asOf),
    expectedSubmitters: (dataset, asOf) =>
      submitterList.filter(
        (s) => (dataset === undefined || s.dataset === dataset) && (asOf === undefined || isEffective(s, asOf)),
      ),
  };
}
