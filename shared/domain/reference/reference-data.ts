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
}

export type AdmissionType = 'elective' | 'non_elective';

export interface HrgTariff extends Effective {
  readonly hrg: string;
  readonly label: string;
  /** 'YYYY/YY', e.g. '2025/26'. */
  readonly financialYear: string;
  /** Decimal strings in pounds, 2 places (the SourceRow wire form of decimals). */
  readonly electiveTariffGbp: string;
  readonly nonElectiveTariffGbp: string;
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
  /** 1 = most deprived 10 %, 10 = least deprived. */
  readonly imdDecile: number;
}

export interface PostcodeLsoa extends Effective {
  /** Normalised (`B1 1AA`). */
  readonly postcode: string;
  readonly lsoa: string;
  readonly area: AreaId;
}

export interface ManifestFile {
  readonly version: string;
  readonly kind: string;
  readonly description: string;
  /** Which values in the file are synthetic, in words (`none`, `all rows`, …). */
  readonly synthetic: string;
  readonly list?: string;
  readonly rows?: number;
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
  /** True when `code` is in `list` (and effective on `asOf` when given). */
  isValidCode(list: CodeListName, code: string, asOf?: string): boolean;
  codeEntry(list: CodeListName, code: string, asOf?: string): CodeListEntry | undefined;
  codeList(list: CodeListName, asOf?: string): readonly CodeListEntry[];
  /** LSOA for a postcode in any spacing/case, or undefined when the postcode is not in the table. */
  lsoaForPostcode(postcode: string): string | undefined;
  imdDecile(lsoa: string): number | undefined;
  lsoas(area?: AreaId): readonly Lsoa[];
  postcodes(area?: AreaId): readonly PostcodeLsoa[];
  bnfPresentation(code: string): BnfPresentation | undefined;
  bnfPresentations(): readonly BnfPresentation[];
  imagingCode(nicip: string): ImagingCode | undefined;
  imagingCodeForSnomed(snomedCode: string): ImagingCode | undefined;
  imagingCodes(): readonly ImagingCode[];
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

/** Reads one CSV file, checking the common columns on every row and failing with file and line. */
class FileReader {
  constructor(
    readonly file: string,
    readonly records: readonly CsvRecord[],
  ) {}

  fail(line: number, message: string): never {
    throw new InputError(`reference data ${this.file} line ${line}: ${message}`);
  }

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
 * Parses the manifest and every file it lists into {@link ReferenceData}.
 * `readFile(relativePath)` returns a file's text (the loader reads disk; tests pass strings).
 * Throws {@link InputError} naming the file and line of the first malformed row, or the manifest
 * entry that is wrong. Unknown `kind`s in the manifest fail too, so nothing is silently ignored.
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

  const orgVersions = new Map<string, Organisation[]>();
  const orgs: Organisation[] = [];
  const hrgs = new Map<string, HrgTariff>();
  const knownHrgs = new Set<string>();
  const codes = new Map<CodeListName, Map<string, CodeListEntry[]>>();
  const lists = new Map<CodeListName, CodeListEntry[]>();
  const lsoaMap = new Map<string, Lsoa>();
  const postcodeMap = new Map<string, PostcodeLsoa>();
  const bnf = new Map<string, BnfPresentation>();
  const imaging = new Map<string, ImagingCode>();
  const imagingBySnomed = new Map<string, ImagingCode>();
  const deferredPostcodes: { reader: FileReader; r: CsvRecord; row: PostcodeLsoa }[] = [];

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
            ...reader.effective(r),
          };
          if (kind === 'gp_practice' && (org.subIcbCode === null || org.icbCode === null))
            reader.fail(r.line, 'a GP practice needs sub_icb_code and icb_code');
          pushTo(orgVersions, code, org);
          orgs.push(org);
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
          const el = reader.text(r, 'elective_tariff_gbp');
          const nel = reader.text(r, 'non_elective_tariff_gbp');
          if (!MONEY.test(el) || !MONEY.test(nel)) reader.fail(r.line, 'a tariff is not a decimal amount in pounds');
          const key = `${hrg}|${fy}`;
          if (hrgs.has(key)) reader.fail(r.line, 'the HRG already has a tariff for this financial year');
          hrgs.set(key, {
            hrg,
            label: reader.text(r, 'label'),
            financialYear: fy,
            electiveTariffGbp: el,
            nonElectiveTariffGbp: nel,
            notes: reader.text(r, 'notes', false),
            ...reader.effective(r),
          });
          knownHrgs.add(hrg);
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
          bnf.set(code, {
            code,
            description: reader.text(r, 'description'),
            chemicalSubstance: reader.text(r, 'chemical_substance'),
            chemicalCode,
            chapter: reader.text(r, 'chapter'),
            isGeneric: reader.text(r, 'is_generic') === 'Y',
            unitNicGbp: nic,
            typicalQuantity: qty,
            ...reader.effective(r),
          });
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
          const code: ImagingCode = {
            nicip,
            description: reader.text(r, 'description'),
            modality,
            snomedCode: snomed,
            notes: reader.text(r, 'notes', false),
            ...reader.effective(r),
          };
          imaging.set(nicip, code);
          imagingBySnomed.set(snomed, code);
        }
        break;
      }
      case 'lsoas': {
        const reader = FileReader.open(file, text, ['lsoa_code', 'name', 'area', 'imd_decile']);
        for (const r of reader.records) {
          const code = reader.text(r, 'lsoa_code');
          const check = validateLsoa(code);
          if (!check.ok) reader.fail(r.line, `lsoa_code is not an LSOA code: ${check.reason}`);
          const decile = Number(reader.text(r, 'imd_decile'));
          if (!Number.isInteger(decile) || decile < 1 || decile > 10) reader.fail(r.line, 'imd_decile is not 1-10');
          lsoaMap.set(code, { code, name: reader.text(r, 'name'), area: area(reader, r), imdDecile: decile, ...reader.effective(r) });
        }
        break;
      }
      case 'postcodes': {
        const reader = FileReader.open(file, text, ['postcode', 'lsoa_code', 'area']);
        for (const r of reader.records) {
          const raw = reader.text(r, 'postcode');
          const check = validatePostcode(raw);
          if (!check.ok) reader.fail(r.line, `postcode is not a UK postcode: ${check.reason}`);
          const row: PostcodeLsoa = {
            postcode: normalisePostcode(raw),
            lsoa: reader.text(r, 'lsoa_code'),
            area: area(reader, r),
            ...reader.effective(r),
          };
          if (postcodeMap.has(row.postcode)) reader.fail(r.line, 'postcode appears twice');
          postcodeMap.set(row.postcode, row);
          deferredPostcodes.push({ reader, r, row });
        }
        break;
      }
      default:
        throw new InputError(`reference data MANIFEST.json: ${file} has an unknown kind`);
    }
  }
  for (const { reader, r, row } of deferredPostcodes)
    if (!lsoaMap.has(row.lsoa)) reader.fail(r.line, 'lsoa_code is not in the LSOA file');
  const missingLists = CODE_LIST_NAMES.filter((l) => !codes.has(l));
  if (missingLists.length > 0)
    throw new InputError(`reference data MANIFEST.json: missing code list(s) ${missingLists.join(', ')}`);

  const lsoaList = [...lsoaMap.values()];
  const postcodeList = [...postcodeMap.values()];
  const practicesByIcb = new Map<string, Organisation[]>();
  for (const o of orgs) if (o.kind === 'gp_practice' && o.icbCode) pushTo(practicesByIcb, o.icbCode, o);
  const bnfList = [...bnf.values()];
  const imagingList = [...imaging.values()];

  return {
    manifest,
    organisation: (code, asOf) => pickVersion(orgVersions.get(code), asOf),
    organisations: (kind) => (kind === undefined ? orgs : orgs.filter((o) => o.kind === kind)),
    practicesInIcb: (icb, asOf) => {
      const all = practicesByIcb.get(icb) ?? [];
      return asOf === undefined ? all : all.filter((p) => isEffective(p, asOf));
    },
    hrg: (hrg, fy) => hrgs.get(`${hrg}|${fy}`),
    hrgTariff: (hrg, fy, type) => {
      const row = hrgs.get(`${hrg}|${fy}`);
      if (!row) return undefined;
      return type === 'elective' ? row.electiveTariffGbp : row.nonElectiveTariffGbp;
    },
    isKnownHrg: (hrg) => knownHrgs.has(hrg),
    isValidCode: (list, code, asOf) => pickVersion(codes.get(list)?.get(code), asOf) !== undefined,
    codeEntry: (list, code, asOf) => pickVersion(codes.get(list)?.get(code), asOf),
    codeList: (list, asOf) => {
      const all = lists.get(list) ?? [];
      return asOf === undefined ? all : all.filter((e) => isEffective(e, asOf));
    },
    lsoaForPostcode: (postcode) => postcodeMap.get(normalisePostcode(postcode))?.lsoa,
    imdDecile: (lsoa) => lsoaMap.get(lsoa)?.imdDecile,
    lsoas: (a) => (a === undefined ? lsoaList : lsoaList.filter((l) => l.area === a)),
    postcodes: (a) => (a === undefined ? postcodeList : postcodeList.filter((p) => p.area === a)),
    bnfPresentation: (code) => bnf.get(code),
    bnfPresentations: () => bnfList,
    imagingCode: (nicip) => imaging.get(nicip),
    imagingCodeForSnomed: (sctid) => imagingBySnomed.get(sctid),
    imagingCodes: () => imagingList,
  };
}
