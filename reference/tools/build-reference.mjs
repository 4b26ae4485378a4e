#!/usr/bin/env node
// Builds the code lists and the SAMPLE reference data in reference/ from the NHS fact pack's code
// CSVs (copied into reference/tools/fact-pack/, the ones this script reads) plus the seeded synthetic
// parts (GP practices, LSOAs, postcodes, placeholder tariffs, factors and NICs). Every file but the
// code lists is labelled a sample in MANIFEST.json; real data is loaded with `nhs-flows reference
// import` (docs/reference-data.md), never by this script.
// Deterministic: same inputs → byte-identical files. Usage:
//   node reference/tools/build-reference.mjs [path/to/nhs/codes]   (default reference/tools/fact-pack)
// The output is committed; the loader never runs this script. It rewrites MANIFEST.json with the
// files it writes only: run it on a folder without imported files (or import them again after).
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'csv-parse/sync';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const SRC = process.argv[2] ?? join(ROOT, 'tools', 'fact-pack');
const VERSION = '2026-11-23.1';
const FLOOR = '1990-01-01'; // "effective since before any data we process" (not a real opening date)
const SAMPLES_NOTE =
  'Files marked "sample": true are small SAMPLES shipped with the repository (two systems\' organisations, placeholder tariffs, synthetic geography, generator placeholders): never a source of truth. Load the official files with nhs-flows reference import (docs/reference-data.md); imported files are listed after them and replace their rows for the same codes.';
const manifest = { schemaVersion: 1, generatedBy: 'reference/tools/build-reference.mjs', samples: SAMPLES_NOTE, files: {} };

// ---------- small helpers ----------
let seed = 20261123;
function rnd() {
  // mulberry32
  seed |= 0;
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const pick = (xs) => xs[Math.floor(rnd() * xs.length)];
const csvCell = (v) => {
  const s = v === null || v === undefined ? '' : String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};
function write(rel, header, rows, meta) {
  const text = [header.join(','), ...rows.map((r) => header.map((h) => csvCell(r[h])).join(','))].join('\n') + '\n';
  mkdirSync(dirname(join(ROOT, rel)), { recursive: true });
  writeFileSync(join(ROOT, rel), text);
  // Everything but the product's code lists is a sample: say so in the description and a flag.
  const sample = rel.startsWith('code-lists/') ? {} : { description: `SAMPLE: ${meta.description}`, sample: true };
  manifest.files[rel] = { version: VERSION, rows: rows.length, ...meta, ...sample };
}
const readSrc = (name) => parse(readFileSync(join(SRC, name), 'utf8'), { columns: true, skip_empty_lines: true });
/** Resolves the fact pack's "same" / "same (…)" source cells to the last explicit source. */
function resolveSources(rows, col = 'source') {
  let last = '';
  return rows.map((r) => {
    const s = (r[col] ?? '').trim();
    if (s === 'same' || s.startsWith('same ') || s.startsWith('same;')) {
      const extra = s.slice(4).trim().replace(/^[;(]\s*/, '').replace(/\)$/, '');
      return { ...r, [col]: extra ? `${last}; ${extra}` : last };
    }
    last = s;
    return r;
  });
}

// ---------- code lists ----------
const CODE_LIST_HEADER = ['code', 'description', 'group', 'notes', 'effective_from', 'effective_to', 'source', 'verified'];
function codeList(list, description, rows, synthetic = 'none') {
  write(`code-lists/${list}.csv`, CODE_LIST_HEADER, rows, { kind: 'code_list', list, description, synthetic });
}
function fromSrc(file, { code = 'code', group, notes = 'notes', retired = () => false, verified = 'verified' } = {}) {
  return resolveSources(readSrc(file)).map((r) => ({
    code: r[code],
    description: r.description,
    group: group ? r[group] : '',
    notes: [r[notes] ?? '', retired(r) ? 'retired; effective_to is a placeholder date (unverified)' : '']
      .filter(Boolean)
      .join('; '),
    effective_from: FLOOR,
    effective_to: retired(r) ? '2021-03-31' : '',
    source: r.source,
    verified: r[verified] || 'unverified',
  }));
}

codeList('admission_method', 'SUS APC method of admission', fromSrc('admission_method.csv', { group: 'group', retired: (r) => r.code === '28' }));
codeList('admission_source', 'SUS APC source of admission', fromSrc('admission_source.csv', { retired: (r) => r.code === '39' }));
codeList('patient_classification', 'SUS APC patient classification', fromSrc('patient_classification.csv'));
codeList('discharge_method', 'SUS APC discharge method (6, 7 are MHSDS only)', fromSrc('discharge_method.csv'));
codeList(
  'discharge_destination',
  'SUS APC discharge destination',
  fromSrc('discharge_destination_apc.csv', { group: 'status', notes: 'none', retired: (r) => r.code === '38' }),
);
codeList('treatment_function', 'Treatment function codes (76 common codes)', fromSrc('treatment_function.csv'));
codeList('ethnic_category', 'Ethnic category (A-S, Z not stated, 99 not known, X legacy)', fromSrc('ethnic_category.csv', { group: 'broad_group' }));
codeList('sex', 'Person stated gender / sex code (0 legacy not known)', fromSrc('person_stated_gender.csv'));
codeList('ecds_department_type', 'ECDS emergency care department type', fromSrc('ecds_department_type.csv'));
codeList('ecds_attendance_category', 'ECDS attendance category', fromSrc('ecds_attendance_category.csv'));
codeList('ecds_arrival_mode', 'ECDS arrival mode (SNOMED CT)', fromSrc('ecds_arrival_mode.csv', { code: 'snomed_code', group: 'group' }));
codeList('ecds_acuity', 'ECDS acuity (SNOMED CT)', fromSrc('ecds_acuity.csv', { code: 'snomed_code', group: 'triage_level' }));
codeList('ecds_discharge_status', 'ECDS discharge status (SNOMED CT)', fromSrc('ecds_discharge_status.csv', { code: 'snomed_code' }));
codeList(
  'ecds_discharge_destination',
  'ECDS discharge destination (SNOMED CT)',
  fromSrc('discharge_destination_ecds.csv', { code: 'snomed_code', group: 'group' }),
);
codeList('mhsds_source_of_referral', 'MHSDS source of referral for mental health', fromSrc('mhsds_source_of_referral.csv'));
codeList('mhsds_service_team_type', 'MHSDS service or team type referred to', fromSrc('mhsds_service_team_type.csv', {
  retired: (r) => /retired/i.test(r.description),
}));
codeList(
  'mh_care_cluster',
  'MHSDS PbR mental health care clusters 0-21 (9 is blank/unused)',
  resolveSources(readSrc('mh_care_clusters.csv')).map((r) => ({
    code: r.cluster,
    description: r.description,
    group: r.super_class,
    notes: r.cluster === '9' ? 'not used' : '',
    effective_from: FLOOR,
    effective_to: r.cluster === '9' ? '2000-01-01' : '',
    source: r.source,
    verified: r.verified,
  })),
);
codeList('attend_or_dna', 'Attended or did not attend (MHSDS / CSDS care contacts)', fromSrc('attend_or_dna.csv'));
codeList('activity_location_type', 'Activity location type (CSDS care contacts)', fromSrc('activity_location_type.csv'));
codeList(
  'csds_care_activity_type',
  'CSDS community care activity type (08-12 partial: individual meanings not retrieved)',
  resolveSources(readSrc('csds_care_activity_type.csv')).flatMap((r) =>
    r.code === '08-12'
      ? ['08', '09', '10', '11', '12'].map((code) => ({
          code,
          description: 'Health visitor / child health activity type (individual meaning not retrieved)',
          group: 'health visiting',
          notes: 'partial: expanded from the range 08-12',
          effective_from: FLOOR,
          effective_to: '',
          source: r.source,
          verified: 'partial',
        }))
      : [{ code: r.code, description: r.description, group: '', notes: '', effective_from: FLOOR, effective_to: '', source: r.source, verified: r.verified }],
  ),
);
codeList('dids_patient_source_setting', 'DIDS patient source setting (01-07; meanings order-inferred)', fromSrc('dids_patient_source_setting.csv'));

// Lists the fact pack does not tabulate: built here from background knowledge, flagged.
const known = (rows, source, verified) =>
  rows.map(([code, description, group = '', notes = '']) => ({ code, description, group, notes, effective_from: FLOOR, effective_to: '', source, verified }));
codeList(
  'csds_team_type',
  'CSDS service or team type referred to (community care): PLACEHOLDER codes, the real list was not retrieved',
  known(
    [
      ['01', 'District nursing', 'adult'], ['02', 'Community matron / case management', 'adult'], ['03', 'Health visiting', 'children'],
      ['04', 'School nursing', 'children'], ['05', 'Community physiotherapy', 'adult'], ['06', 'Community occupational therapy', 'adult'],
      ['07', 'Podiatry', 'adult'], ['08', 'Speech and language therapy', 'children'], ['09', 'Community paediatrics', 'children'],
      ['10', 'Intermediate care / rapid response', 'adult'], ['11', 'Continence service', 'adult'], ['12', 'Tissue viability', 'adult'],
      ['13', 'Diabetes specialist nursing', 'adult'], ['14', 'Respiratory (COPD) community team', 'adult'], ['15', 'Heart failure nursing', 'adult'],
      ['16', 'Palliative care (community)', 'adult'], ['17', 'Musculoskeletal service', 'adult'], ['18', 'Dietetics', 'adult'],
      ['19', 'Community audiology', 'children'], ['20', 'Wheelchair service', 'adult'],
    ],
    'nhs-flows synthetic placeholder (CSDS team type code list not retrieved; see docs/reference-data.md)',
    'synthetic',
  ),
  'all rows',
);
codeList(
  'csds_priority_type',
  'Priority type (referral)',
  known([['1', 'Routine'], ['2', 'Urgent'], ['3', 'Two week wait']], 'NHS DD PRIORITY TYPE (from knowledge)', 'unverified'),
);
codeList(
  'mhsds_consultation_medium',
  'MHSDS consultation mechanism (care contact)',
  known(
    [
      ['01', 'Face to face'], ['02', 'Telephone'], ['04', 'Talk type for a person unable to speak'], ['05', 'Email'],
      ['09', 'Text message (asynchronous)'], ['10', 'Instant messaging (synchronous)'], ['11', 'Video consultation'],
      ['12', 'Message board (asynchronous)'], ['13', 'Chat room (synchronous)'], ['98', 'Other'],
    ],
    'MHSDS v5 CONSULTATION MECHANISM (from knowledge)',
    'unverified',
  ),
);
codeList(
  'imaging_modality',
  'DIDS modality letter (first letter of the NICIP code)',
  known(
    [
      ['C', 'Computerised axial tomography (CT)'], ['M', 'Magnetic resonance imaging (MRI)'], ['U', 'Diagnostic ultrasonography'],
      ['X', 'Plain radiography (X-ray)'], ['F', 'Fluoroscopy'], ['N', 'Nuclear medicine'], ['P', 'PET-CT'],
    ],
    'shared/nhs OVERVIEW (NICIP first letter; unverified); P for PET-CT is an nhs-flows choice',
    'unverified',
  ),
);
codeList(
  'bnf_chapter',
  'BNF chapters (01-15 medicines, 18-23 pseudo-chapters)',
  readSrc('bnf_chapters.csv').map((r) => ({
    code: r.chapter, description: r.name, group: Number(r.chapter) <= 15 ? 'medicines' : 'pseudo-chapter', notes: '',
    effective_from: FLOOR, effective_to: '', source: 'NHSBSA / BNF (shared/nhs/codes/bnf_chapters.csv)', verified: r.verified,
  })),
);

// ---------- organisations ----------
const ORG_HEADER = ['code', 'name', 'kind', 'org_type', 'parent_code', 'sub_icb_code', 'icb_code', 'area', 'notes', 'effective_from', 'effective_to', 'source', 'verified'];
const orgSrc = readSrc('organisations.csv');
const AREA = { 'Birmingham & Solihull': 'bsol', 'Norfolk & Waveney': 'nw' };
const TRUST_ICB = { RRK: 'QHL', RQ3: 'QHL', RRJ: 'QHL', RXT: 'QHL', RYW: 'QHL', RXK: 'QUA', RYA: '', RM1: 'QMM', RGP: 'QMM', RCX: 'QMM', RMY: 'QMM', RY3: 'QMM', RYC: '' };
const orgs = [];
for (const r of orgSrc) {
  const kind = r.org_type === 'ICB' ? 'icb' : r.org_type === 'sub-ICB' ? 'sub_icb' : r.org_type === 'region' ? 'region' : 'trust';
  const icb = kind === 'trust' ? TRUST_ICB[r.ods_code] ?? '' : kind === 'sub_icb' ? (r.ods_code === '15E' ? 'QHL' : 'QMM') : kind === 'icb' ? r.ods_code : '';
  orgs.push({
    code: r.ods_code, name: r.name, kind, org_type: r.org_type,
    parent_code: kind === 'sub_icb' ? icb : kind === 'icb' ? (AREA[r.area] === 'bsol' ? 'Y60' : AREA[r.area] === 'nw' ? 'Y61' : '') : kind === 'trust' ? icb : '',
    sub_icb_code: kind === 'sub_icb' ? r.ods_code : '',
    icb_code: icb,
    area: AREA[r.area] ?? 'other',
    notes: r.notes,
    effective_from: kind === 'icb' || kind === 'sub_icb' ? '2022-07-01' : FLOOR,
    effective_to: '',
    source: r.source, verified: r.verified,
  });
}
const SITES = [
  ['RRK', '02', 'Queen Elizabeth Hospital Birmingham'], ['RRK', '97', 'Birmingham Heartlands Hospital'], ['RRK', '98', 'Good Hope Hospital'],
  ['RRK', '99', 'Solihull Hospital'], ['RQ3', '01', "Birmingham Children's Hospital"], ['RQ3', '08', "Birmingham Women's Hospital"],
  ['RRJ', '01', 'Royal Orthopaedic Hospital'], ['RXT', '01', 'Barberry (mental health inpatient site)'], ['RYW', '01', 'Birmingham community services base'],
  ['RM1', '02', 'Norfolk and Norwich University Hospital'], ['RM1', '05', 'Cromer and District Hospital'], ['RGP', '75', 'James Paget University Hospital'],
  ['RCX', '70', "The Queen Elizabeth Hospital, King's Lynn"], ['RMY', '01', 'Hellesdon Hospital'], ['RY3', '01', 'Norwich Community Hospital'],
];
for (const [trust, suffix, name] of SITES) {
  const t = orgs.find((o) => o.code === trust);
  orgs.push({
    code: trust + suffix, name, kind: 'site', org_type: 'trust site', parent_code: trust, sub_icb_code: '', icb_code: t.icb_code, area: t.area,
    notes: 'site name real, 2-character site suffix NOT verified (check the ODS ets file)', effective_from: FLOOR, effective_to: '',
    source: 'nhs-flows (site suffix invented; trust code real)', verified: 'unverified',
  });
}
const NAMES = ['Church Road', 'Park Lane', 'Station Road', 'Victoria', 'Oak Tree', 'Riverside', 'Market Street', 'Hill Top', 'Elm Grove', 'Meadow View', 'High Street', 'Woodland', 'Bridge Street', 'Kings', 'Queens', 'Abbey', 'Green Lane', 'Manor', 'Mill Lane', 'Orchard'];
function practices(area, icb, subIcb, prefixes, n) {
  const used = new Set();
  for (let i = 0; i < n; i++) {
    let code;
    do code = pick(prefixes) + String(Math.floor(rnd() * 1000)).padStart(3, '0');
    while (used.has(code));
    used.add(code);
    const closed = i >= n - 2; // the last two close, so effective-dated lookups have something to show
    orgs.push({
      code, name: `${pick(NAMES)} ${pick(['Surgery', 'Medical Centre', 'Health Centre', 'Medical Practice'])} (synthetic)`,
      kind: 'gp_practice', org_type: 'GP practice', parent_code: subIcb, sub_icb_code: subIcb, icb_code: icb, area,
      notes: closed ? 'SYNTHETIC practice; closed (merged) at the end of 2024/25' : 'SYNTHETIC practice code (pattern-correct; not a real practice)',
      effective_from: '2015-04-01', effective_to: closed ? '2025-03-31' : '',
      source: 'nhs-flows synthetic (seeded)', verified: 'synthetic',
    });
  }
}
practices('bsol', 'QHL', '15E', ['M85', 'M88', 'M89'], 40);
practices('nw', 'QMM', '26A', ['D82', 'D83'], 40);
const kindOrder = { region: 0, icb: 1, sub_icb: 2, trust: 3, site: 4, gp_practice: 5 };
orgs.sort((a, b) => kindOrder[a.kind] - kindOrder[b.kind] || a.code.localeCompare(b.code));
write('organisations.csv', ORG_HEADER, orgs, {
  kind: 'organisations',
  description: 'Regions, ICBs, sub-ICB locations, trusts, trust sites and GP practices for Birmingham & Solihull and Norfolk & Waveney',
  synthetic: 'GP practices (all rows with verified=synthetic); trust site suffixes are unverified inventions',
});

// ---------- HRG tariffs ----------
const YEARS = [['2023/24', '2023-04-01', '2024-03-31'], ['2024/25', '2024-04-01', '2025-03-31'], ['2025/26', '2025-04-01', '2026-03-31'], ['2026/27', '2026-04-01', '2027-03-31']];
const hrgRows = [];
for (const r of readSrc('hrg_examples.csv')) {
  const m = /~?([0-9]+)/.exec(r.indicative_price_gbp_APPROXIMATE ?? '');
  const base = m ? Number(m[1]) : 0;
  YEARS.forEach(([fy, from, to], y) => {
    const uplift = 1 + 0.025 * (y - 2); // 2025/26 = the indicative price
    const nel = Math.round(base * uplift);
    const el = Math.round(base * 0.88 * uplift);
    // Placeholder long-stay and short-stay columns in the workbook's layout (no rnd(): the other files stay byte-identical).
    const nelTrim = Math.max(2, Math.min(45, Math.round(base / 450)));
    const shortStay = nel >= 1000;
    hrgRows.push({
      hrg_code: r.hrg_code, label: r.label, financial_year: fy,
      elective_tariff_gbp: el.toFixed(2), non_elective_tariff_gbp: nel.toFixed(2),
      ordinary_elective_trim_point_days: Math.max(2, Math.round(nelTrim * 0.75)),
      non_elective_trim_point_days: nelTrim,
      per_day_long_stay_gbp: Math.max(120, Math.round(nel * 0.035)).toFixed(2),
      reduced_short_stay_emergency_applicable: shortStay ? 'Y' : 'N',
      reduced_short_stay_emergency_percent: shortStay ? '40' : '',
      reduced_short_stay_emergency_tariff_gbp: shortStay ? Math.round(nel * 0.4).toFixed(2) : '',
      notes: ['PLACEHOLDER price: order-of-magnitude from the indicative price, +/-2.5% a year, elective = 88% of non-elective', 'PLACEHOLDER trim points (non-elective = indicative price / 450 days, 2-45; ordinary elective = 75% of it), per-day long stay payment (3.5% of the non-elective price, at least 120) and reduced short stay emergency tariff (40% where the non-elective price is 1000 or more)', r.notes].filter(Boolean).join('; '),
      effective_from: from, effective_to: to,
      source: `shared/nhs/codes/hrg_examples.csv (label ${r.label_verified})`, verified: 'unverified',
    });
  });
}
write('hrg-tariffs.csv', ['hrg_code', 'label', 'financial_year', 'elective_tariff_gbp', 'non_elective_tariff_gbp', 'ordinary_elective_trim_point_days', 'non_elective_trim_point_days', 'per_day_long_stay_gbp', 'reduced_short_stay_emergency_applicable', 'reduced_short_stay_emergency_percent', 'reduced_short_stay_emergency_tariff_gbp', 'notes', 'effective_from', 'effective_to', 'source', 'verified'], hrgRows, {
  version: '2026-12-06.1',
  kind: 'hrg_tariffs',
  description: 'HRG4+ codes with elective and non-elective spell tariff, long stay trim points, per-day long stay payment and reduced short stay emergency tariff per financial year',
  synthetic: 'all prices, trim points and short-stay values are placeholders (unverified); labels verified only for AA2x',
});

// ---------- market forces factors (placeholders) ----------
// REFERENCE.md names the factor (mff_factor) but gives no values: one placeholder per trust and year, 0.97-1.05.
const mffRows = [];
for (const t of orgs.filter((o) => o.kind === 'trust')) {
  const spread = [...t.code].reduce((sum, ch) => sum + ch.charCodeAt(0), 0) % 9;
  for (const [fy, from, to] of YEARS)
    mffRows.push({
      provider_code: t.code, financial_year: fy, mff: (1 + (spread - 3) / 100).toFixed(5),
      notes: 'PLACEHOLDER market forces factor (not the published value; load the NHS Payment Scheme MFF for real work)',
      effective_from: from, effective_to: to, source: 'nhs-flows placeholder', verified: 'synthetic',
    });
}
write('market-forces-factors.csv', ['provider_code', 'financial_year', 'mff', 'notes', 'effective_from', 'effective_to', 'source', 'verified'], mffRows, {
  version: '2026-12-06.1',
  kind: 'market_forces_factors',
  description: 'Market forces factor per provider (trust) and financial year, applied to the spell tariff',
  synthetic: 'all rows (placeholder factors)',
  sample: true,
});

// ---------- BNF presentations ----------
const NIC = { '0601022B0AAABAB': 0.03, '0601022B0AAADAD': 0.04, '0601022B0AAASAS': 0.06, '0601022B0AAAVAV': 0.11, '0601023ADAAAAAA': 0.5, '0407010H0AAAMAM': 0.02, '0212000B0AAABAB': 0.04, '0501013B0AAABAB': 0.06, '0301011R0AAAPAP': 0.01, '0602010V0AABWBW': 0.05 };
const QTY = (desc) => (/inhaler/i.test(desc) ? 200 : /capsules/i.test(desc) && /amoxicillin/i.test(desc) ? 21 : 28);
const bnfRows = readSrc('bnf_examples.csv').map((r) => ({
  bnf_code: r.bnf_code, description: r.description, chemical_substance: r.chemical_substance, chemical_code: r.chemical_code_9, chapter: r.chapter,
  is_generic: r.is_generic, unit_nic_gbp: (NIC[r.bnf_code] ?? Math.round((0.02 + rnd() * 0.2) * 1000) / 1000).toFixed(3), typical_quantity: QTY(r.description),
  notes: 'unit_nic_gbp is a PLACEHOLDER (per tablet/capsule/dose); typical_quantity is a generator default',
  effective_from: FLOOR, effective_to: '', source: r.source, verified: r.verified,
}));
write('bnf-presentations.csv', ['bnf_code', 'description', 'chemical_substance', 'chemical_code', 'chapter', 'is_generic', 'unit_nic_gbp', 'typical_quantity', 'notes', 'effective_from', 'effective_to', 'source', 'verified'], bnfRows, {
  kind: 'bnf_presentations',
  description: 'BNF presentations the generator prescribes, with a unit net ingredient cost',
  synthetic: 'unit_nic_gbp and typical_quantity are placeholders; code meanings per the verified column',
});

// ---------- imaging codes ----------
function verhoeffCheck(digits) {
  const D = [[0,1,2,3,4,5,6,7,8,9],[1,2,3,4,0,6,7,8,9,5],[2,3,4,0,1,7,8,9,5,6],[3,4,0,1,2,8,9,5,6,7],[4,0,1,2,3,9,5,6,7,8],[5,9,8,7,6,0,4,3,2,1],[6,5,9,8,7,1,0,4,3,2],[7,6,5,9,8,2,1,0,4,3],[8,7,6,5,9,3,2,1,0,4],[9,8,7,6,5,4,3,2,1,0]];
  const F = [[0,1,2,3,4,5,6,7,8,9],[1,5,7,6,2,8,3,0,9,4]];
  for (let i = 2; i < 8; i++) F[i] = F[1].map((_, j) => F[i - 1][F[1][j]]);
  const INV = [0,4,3,2,1,5,6,7,8,9];
  let c = 0;
  for (let i = 0; i < digits.length; i++) c = D[c][F[(i + 1) % 8][Number(digits[digits.length - 1 - i])]];
  return INV[c];
}
// Synthetic SCTIDs: long-format concept ids in namespace 9999999 (not an allocated namespace), so they
// can never be mistaken for a real concept.
let synthItem = 100;
const synthSctid = () => { const body = `${synthItem++}999999910`; return body + verhoeffCheck(body); };
const IMAGING = [
  ['XCHES', 'X-ray chest', 'X', '399208008', 'unverified'], ['XABDO', 'X-ray abdomen', 'X'], ['XKNEB', 'X-ray knee both', 'X'], ['XHIPL', 'X-ray hip left', 'X'],
  ['XWRIR', 'X-ray wrist right', 'X'], ['XLSPI', 'X-ray lumbar spine', 'X'], ['CHEAD', 'CT head', 'C'], ['CCHAPC', 'CT chest abdomen and pelvis with contrast', 'C'],
  ['CCHES', 'CT chest', 'C'], ['CTPA', 'CT pulmonary angiogram', 'C'], ['CABPEC', 'CT abdomen and pelvis with contrast', 'C'], ['MBRAI', 'MRI brain', 'M'],
  ['MLSPI', 'MRI lumbar spine', 'M'], ['MKNEL', 'MRI knee left', 'M'], ['MPROS', 'MRI prostate', 'M'], ['UABDO', 'US abdomen', 'U'],
  ['UPELV', 'US pelvis', 'U'], ['UDVTL', 'US Doppler leg veins left', 'U'], ['UOBSF', 'US obstetric first trimester', 'U'], ['FBASW', 'Fluoroscopy barium swallow', 'F'],
  ['FSWAL', 'Fluoroscopy video swallow', 'F'], ['NBONE', 'NM bone scan whole body', 'N'], ['NMPIS', 'NM myocardial perfusion stress', 'N'], ['PPETWB', 'PET-CT whole body FDG', 'P'],
  ['CCOLO', 'CT colonography', 'C'],
];
const imagingRows = IMAGING.map(([nicip, description, modality, snomed, v]) => ({
  nicip_code: nicip, description, modality, snomed_code: snomed ?? synthSctid(),
  notes: snomed ? 'SNOMED mapping from knowledge (unverified); NICIP code is NICIP-style, unverified' : 'NICIP-style code invented; SNOMED id SYNTHETIC (namespace 9999999)',
  effective_from: FLOOR, effective_to: '', source: 'nhs-flows synthetic (NICIP-style, see shared/nhs REFERENCE §6)', verified: v ?? 'synthetic',
}));
write('imaging-codes.csv', ['nicip_code', 'description', 'modality', 'snomed_code', 'notes', 'effective_from', 'effective_to', 'source', 'verified'], imagingRows, {
  kind: 'imaging_codes',
  description: 'NICIP-style imaging codes with modality and a SNOMED CT mapping',
  synthetic: 'all NICIP codes are NICIP-style inventions; SNOMED ids in namespace 9999999 are synthetic; XCHES→399208008 is from knowledge',
});

// ---------- LSOAs and postcodes ----------
const lsoaRows = [];
const pcRows = [];
const INWARD_LETTERS = 'ABDEFGHJLNPQRSTUWXYZ';
function area(areaId, name, base, count, decileWeights, outwards, postcodes) {
  const lsoas = [];
  for (let i = 0; i < count; i++) {
    const lsoa = `E01${String(base + i).padStart(6, '0')}`;
    let x = rnd(), decile = 1;
    for (let d = 0; d < 10; d++) { x -= decileWeights[d]; if (x <= 0) { decile = d + 1; break; } decile = d + 1; }
    lsoas.push(lsoa);
    lsoaRows.push({
      lsoa_code: lsoa, name: `${name} ${String(i + 1).padStart(3, '0')}X (synthetic)`, area: areaId, imd_decile: decile,
      notes: 'SYNTHETIC LSOA code (E0109xxxx is outside the real range) and IMD decile', effective_from: '2021-03-21', effective_to: '',
      source: 'nhs-flows synthetic (seeded)', verified: 'synthetic',
    });
  }
  const seen = new Set();
  while (seen.size < postcodes) {
    const out = pick(outwards);
    const pc = `${out} ${Math.floor(rnd() * 10)}${pick([...INWARD_LETTERS])}${pick([...INWARD_LETTERS])}`;
    if (seen.has(pc)) continue;
    seen.add(pc);
    pcRows.push({
      postcode: pc, lsoa_code: pick(lsoas), area: areaId, notes: 'SYNTHETIC postcode (real-looking outward code, invented inward code)',
      effective_from: '2021-03-21', effective_to: '', source: 'nhs-flows synthetic (seeded)', verified: 'synthetic',
    });
  }
}
const range = (p, a, b) => Array.from({ length: b - a + 1 }, (_, i) => `${p}${a + i}`);
// Birmingham skews deprived; Norfolk & Waveney flatter (synthetic shapes, not IMD 2019).
area('bsol', 'Birmingham and Solihull', 90001, 80, [0.22, 0.15, 0.11, 0.09, 0.08, 0.08, 0.07, 0.07, 0.07, 0.06],
  [...range('B', 1, 38), ...range('B', 42, 45), ...range('B', 72, 76), ...range('B', 90, 94)], 300);
area('nw', 'Norfolk and Waveney', 91001, 80, [0.07, 0.08, 0.09, 0.1, 0.11, 0.12, 0.12, 0.11, 0.1, 0.1],
  [...range('NR', 1, 35), 'IP21', 'IP22'], 300);
pcRows.sort((a, b) => a.area.localeCompare(b.area) || a.postcode.localeCompare(b.postcode));
write('lsoas.csv', ['lsoa_code', 'name', 'area', 'imd_decile', 'notes', 'effective_from', 'effective_to', 'source', 'verified'], lsoaRows, {
  kind: 'lsoas', description: 'LSOAs (2021 vintage) for the two areas with IMD decile (1 = most deprived)', synthetic: 'all rows',
});
write('postcodes.csv', ['postcode', 'lsoa_code', 'area', 'notes', 'effective_from', 'effective_to', 'source', 'verified'], pcRows, {
  kind: 'postcodes', description: 'Postcode → LSOA lookup for the two areas (about 300 postcodes each)', synthetic: 'all rows',
});

// ---------- dm+d prices (synthetic) ----------
// The price per unit of each dm+d product the generator dispenses, so a FHIR MedicationDispense (which
// carries no cost) gets its net ingredient cost: price per unit × quantity (docs/fhir.md). The ids are
// the generator's SYNTHETIC dm+d ids (syntheticDmdId in shared/synthetic/rows/prescribing.rows.ts:
// namespace 9999999, never allocated) and each price is the presentation's placeholder unit NIC.
// Load the Drug Tariff / dm+d prices for real work.
const syntheticDmdId = (bnfCode) => {
  let h = 0;
  for (let i = 0; i < bnfCode.length; i++) h = (Math.imul(h, 31) + bnfCode.charCodeAt(i)) >>> 0;
  const body = `${500_000 + (h % 400_000)}999999910`;
  return body + verhoeffCheck(body);
};
const dmdPriceRows = bnfRows.map((r) => ({
  dmd_code: syntheticDmdId(r.bnf_code), level: 'VMP', bnf_code: r.bnf_code, price_per_unit_gbp: r.unit_nic_gbp,
  unit: /inhaler/i.test(r.description) ? 'dose' : /capsules/i.test(r.description) ? 'capsule' : 'tablet',
  notes: 'SYNTHETIC dm+d id (namespace 9999999) and PLACEHOLDER price per unit (the presentation\'s unit_nic_gbp)',
  effective_from: FLOOR, effective_to: '', source: 'nhs-flows synthetic (generator dm+d ids)', verified: 'synthetic',
}));
write('dmd-prices.csv', ['dmd_code', 'level', 'bnf_code', 'price_per_unit_gbp', 'unit', 'notes', 'effective_from', 'effective_to', 'source', 'verified'], dmdPriceRows, {
  version: '2026-12-06.1',
  kind: 'dmd_prices',
  description: 'dm+d price per unit of the products the generator dispenses (the net ingredient cost of a FHIR MedicationDispense)',
  synthetic: 'all rows (synthetic dm+d ids, placeholder prices)',
});

writeFileSync(join(ROOT, 'MANIFEST.json'), JSON.stringify(manifest, null, 2) + '\n');
console.log(`wrote ${Object.keys(manifest.files).length} files to ${ROOT}`);
