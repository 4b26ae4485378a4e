import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sourceTable, type SourceTableName } from '../../../shared/domain/datasets/source-tables.js';
import {
  FHIR_TABLE_MAPPINGS,
  PERSON_SOURCES,
  type DmdPriceLookup,
} from '../../../shared/domain/fhir/fhir-mapping.js';
import { mapFhirEntries, type FhirMappingResult } from '../../../shared/domain/fhir/fhir-mapper.js';
import { bundleEntries, fhirFileKind, ndjsonEntry } from '../../../shared/domain/fhir/fhir-resource-set.js';
import { FHIR_EXTENSIONS, FHIR_SYSTEMS } from '../../../shared/domain/fhir/fhir-systems.js';
import { loadReferenceData } from '../../../shared/adapters/local/reference-data.loader.js';
import { contractFor } from '../../../shared/domain/datasets/contracts.js';
import * as f from './fhir-fixtures.js';

const RECEIVED = '2026-11-01T00:00:00.000Z';
/** Hand-built dm+d prices: the fixture dispense's product, priced from 2026-04-01 only. */
const PRICES: Readonly<Record<string, { from: string; price: string }>> = {
  '320000009': { from: '2026-04-01', price: '0.045' },
  '320000010': { from: '2026-04-01', price: '0.025' },
};
const asked: string[] = [];
const dmdPrice: DmdPriceLookup = (code, asOf) => {
  asked.push(asOf);
  const p = PRICES[code];
  return p && asOf >= p.from
    ? {
        code,
        level: 'VMP',
        bnfCode: null,
        pricePerUnitGbp: p.price,
        unit: 'tablet',
        effectiveFrom: p.from,
        effectiveTo: null,
        source: 'test',
        verified: 'synthetic',
        synthetic: true,
      }
    : undefined;
};
const map = (resources: readonly unknown[], table: SourceTableName): FhirMappingResult =>
  mapFhirEntries(bundleEntries(JSON.stringify(f.bundle(resources))), sourceTable(table), RECEIVED, dmdPrice);

const everything = () => [
  f.patient(),
  f.inpatient(),
  f.condition('c1', 'enc-1', 'I50.0'),
  f.condition('c2', 'enc-1', 'E11.9'),
  f.procedure('p1', 'enc-1', 'K40.1'),
  f.procedure('p2', 'enc-1', 'Y53.1'),
  f.emergency(),
  f.condition('c3', 'ae-1', '22298006', FHIR_SYSTEMS.snomed.uri),
  f.imagingStudy(),
  f.serviceRequest(),
  f.medicationRequest(),
  f.medicationDispense(),
  { resourceType: 'Observation', id: 'obs-1', status: 'final' },
];

const addsUp = (r: FhirMappingResult) =>
  assert.equal(
    r.tally.rows + r.tally.joined + r.tally.quarantined + r.tally.reported,
    r.tally.resources,
    `every resource ends mapped, joined, quarantined or reported: ${JSON.stringify(r.tally)}`,
  );

test('every table mapping names only columns of its table declaration, and fills every required column', () => {
  for (const m of FHIR_TABLE_MAPPINGS) {
    const spec = sourceTable(m.table);
    const declared = new Set(spec.columns.map((c) => c.name));
    for (const c of m.columns) assert.ok(declared.has(c.column), `${m.table}.${c.column} is declared`);
    const filled = new Set([
      ...m.columns.map((c) => c.column),
      ...PERSON_SOURCES.map((c) => c.column),
      'modified_at',
      spec.changeVersionColumn,
    ]);
    const unfilled = spec.columns.filter((c) => !c.nullable && !filled.has(c.name)).map((c) => c.name);
    assert.deepEqual(unfilled, [], `${m.table}: required columns without a FHIR source`);
  }
});

test('an inpatient Encounter with its Conditions and Procedures becomes one SUS+ APC episode that passes the row contract', () => {
  const r = map(everything(), 'sus_apc_episode');
  addsUp(r);
  assert.equal(r.rows.length, 1);
  const row = r.rows[0]!.values;
  assert.equal(row.episode_id, 'enc-1');
  assert.equal(row.provider_code, 'RRK');
  assert.equal(row.nhs_number, f.NHS_NUMBER);
  assert.equal(row.admission_method, '21');
  assert.equal(row.primary_diagnosis, 'I500');
  assert.equal(row.secondary_diagnoses, 'E119');
  assert.equal(row.primary_procedure, 'K401');
  assert.equal(row.secondary_procedures, 'Y531');
  assert.equal(row.episode_start_date, '2026-09-01');
  assert.equal(row.discharge_date, '2026-09-05');
  // Every declared column is present (null for no value), as the contract requires.
  assert.deepEqual(
    Object.keys(row).sort(),
    sourceTable('sus_apc_episode')
      .columns.map((c) => c.name)
      .sort(),
  );
  // Patient, 2 Conditions, 2 Procedures joined into the row.
  assert.equal(r.tally.joined, 5);
  assert.equal(r.quarantined.length, 0);
});

test('each resource type maps to its table, and the other resources are reported with where they belong', () => {
  const expected: Record<string, { id: string; column: string }> = {
    ecds_attendance: { id: 'ae-1', column: 'attendance_id' },
    dids_imaging_test: { id: 'img-1', column: 'imaging_test_id' },
    csds_referral: { id: 'ref-1', column: 'referral_id' },
  };
  for (const [table, { id, column }] of Object.entries(expected)) {
    const r = map(everything(), table as SourceTableName);
    addsUp(r);
    assert.equal(r.rows.length, 1, table);
    assert.equal(r.rows[0]!.values[column], id, table);
    assert.equal(r.rows[0]!.values.nhs_number, f.NHS_NUMBER, table);
    assert.ok(
      r.reported.some((x) => x.code === 'FHIR.OTHER_TABLE' && x.table === 'sus_apc_episode'),
      table,
    );
    assert.ok(
      r.reported.some((x) => x.code === 'FHIR.TYPE_NOT_READ' && x.resourceType === 'Observation'),
      table,
    );
  }
  const ae = map(everything(), 'ecds_attendance').rows[0]!.values;
  assert.equal(ae.arrival_at, '2026-09-01T08:10:00+01:00');
  assert.equal(ae.diagnoses, '22298006');
});

test('a MedicationDispense is priced from the dm+d price per unit on its dispensing date × its quantity, and ', () => {
  asked.length = 0;
  const r = map(everything(), 'prescribing_item');
  addsUp(r);
  assert.deepEqual(r.quarantined, []);
  assert.equal(r.rows.length, 1);
  const row = r.rows[0]!.values;
  assert.equal(row.nic_gbp, '1.26', '28 × £0.045');
  assert.equal(row.quantity, '28.000');
  assert.equal(row.prescribing_practice_code, 'M85001');
  assert.deepEqual(asked, ['2026-09-10'], 'the price asked for is the one in force on the dispensing date');
});

test('NIC: pence rounded half up from exact thousandths, for fractional quantities too', () => {
  const dispense = (value: number) => ({
    ...f.medicationDispense(),
    medicationCodeableConcept: {
      coding: [
        { system: FHIR_SYSTEMS.bnf.uri, code: '0212000B0AAABAB' },
        { system: FHIR_SYSTEMS.snomed.uri, code: '320000010' },
      ],
    },
    quantity: { value },
  });
  const nic = (value: number) =>
    map([f.patient(), f.medicationRequest(), dispense(value)], 'prescribing_item').rows[0]?.values.nic_gbp;
  assert.equal(nic(21), '0.53', '21 × £0.025 = 52.5p rounds up');
  assert.equal(nic(1.5), '0.04', '1.5 × £0.025 = 3.75p');
  assert.equal(nic(100), '2.50');
});

test('a dispense without a price is quarantined FHIR.NO_PRICE naming the resource and the coding, never the code', () => {
  const cases: { name: string; changes: Record<string, unknown>; rule: string }[] = [
    {
      name: 'a product the reference does not price',
      changes: {
        medicationCodeableConcept: {
          coding: [
            { system: FHIR_SYSTEMS.bnf.uri, code: '0212000B0AAABAB' },
            { system: FHIR_SYSTEMS.dmd.uri, code: '999000011' },
          ],
        },
      },
      rule: 'FHIR.NO_PRICE',
    },
    {
      name: 'a price not yet in force on the dispensing date',
      changes: { whenHandedOver: '2026-03-31T09:00:00+01:00' },
      rule: 'FHIR.NO_PRICE',
    },
    {
      name: 'no dm+d coding at all (BNF only)',
      changes: {
        medicationCodeableConcept: { coding: [{ system: FHIR_SYSTEMS.bnf.uri, code: '0212000B0AAABAB' }] },
      },
      rule: 'FHIR.MISSING_ELEMENT',
    },
  ];
  for (const c of cases) {
    const r = map(
      [f.patient(), f.medicationRequest(), { ...f.medicationDispense(), ...c.changes }],
      'prescribing_item',
    );
    addsUp(r);
    assert.equal(r.rows.length, 0, c.name);
    assert.equal(r.quarantined.length, 1, c.name);
    const q = r.quarantined[0]!;
    assert.equal(q.rule, c.rule, c.name);
    assert.equal(q.resource, 'MedicationDispense/disp-1');
    assert.ok(
      q.location.startsWith('MedicationDispense/disp-1.medicationCodeableConcept.coding.where('),
      c.name,
    );
    const text = JSON.stringify(q);
    for (const value of ['999000011', '320000009', '0212000B0AAABAB', '2026-03-31'])
      assert.ok(!text.includes(value), `${c.name}: no value in the quarantine record`);
  }
});

test('a MedicationRequest is not an item (EPD counts dispensed items): without a dispense it is reported, not mapped', () => {
  const r = map([f.patient(), f.medicationRequest()], 'prescribing_item');
  addsUp(r);
  assert.equal(r.rows.length, 0);
  assert.deepEqual(r.reported.map((x) => [x.code, x.resourceType]).sort(), [
    ['FHIR.NOT_USED', 'MedicationRequest'],
    ['FHIR.NOT_USED', 'Patient'],
  ]);
});

/** Failure classes: each quarantines the row's resource with a rule and a location, never a value. */
const FAILURES: readonly {
  name: string;
  resources: unknown[];
  table: SourceTableName;
  rule: string;
  location: string;
}[] = [
  {
    name: 'a Patient without an NHS number',
    resources: [f.patient('pat-1', { identifier: [] }), f.inpatient()],
    table: 'sus_apc_episode',
    rule: 'FHIR.NHS_NUMBER_MISSING',
    location: `Patient/pat-1.identifier.where(system='${FHIR_SYSTEMS.nhsNumber.uri}')`,
  },
  {
    name: 'an NHS number in the wrong system',
    resources: [
      f.patient('pat-1', {
        identifier: [{ system: 'http://fhir.nhs.net/Id/nhs-number', value: f.NHS_NUMBER }],
      }),
      f.inpatient(),
    ],
    table: 'sus_apc_episode',
    rule: 'FHIR.IDENTIFIER_SYSTEM',
    location: 'Patient/pat-1.identifier[0].system',
  },
  {
    name: 'an ODS code in the wrong system',
    resources: [
      f.patient(),
      f.inpatient('enc-1', { serviceProvider: { identifier: { system: 'urn:local', value: 'RRK' } } }),
    ],
    table: 'sus_apc_episode',
    rule: 'FHIR.IDENTIFIER_SYSTEM',
    location: 'Encounter/enc-1.serviceProvider.identifier.system',
  },
  {
    name: 'an Encounter class no table takes',
    resources: [
      f.patient(),
      f.inpatient('enc-1', { class: { system: FHIR_SYSTEMS.actCode.uri, code: 'AMB' } }),
    ],
    table: 'sus_apc_episode',
    rule: 'FHIR.ENCOUNTER_CLASS',
    location: 'Encounter/enc-1.class',
  },
  {
    name: 'a reference to a Patient not in the bundle',
    resources: [f.inpatient('enc-1', { subject: { reference: 'Patient/elsewhere' } })],
    table: 'sus_apc_episode',
    rule: 'FHIR.REFERENCE_UNRESOLVED',
    location: 'Encounter/enc-1.subject.reference',
  },
  {
    name: 'a missing required element',
    resources: [f.patient(), f.inpatient('enc-1', { period: { end: '2026-09-05' } })],
    table: 'sus_apc_episode',
    rule: 'FHIR.MISSING_ELEMENT',
    location: 'Encounter/enc-1.period.start',
  },
  {
    name: 'an element of the wrong R4 type',
    resources: [f.patient(), f.inpatient('enc-1', { status: 'done' })],
    table: 'sus_apc_episode',
    rule: 'FHIR.SCHEMA',
    location: 'Encounter/enc-1.status',
  },
  {
    name: 'an arrival without a time',
    resources: [f.patient(), f.emergency('ae-1', { period: { start: '2026-09-01' } })],
    table: 'ecds_attendance',
    rule: 'FHIR.DATE_PRECISION',
    location: 'Encounter/ae-1.period.start',
  },
  {
    name: 'a community referral without a receiving provider',
    resources: [f.patient(), { ...f.serviceRequest(), performer: undefined }],
    table: 'csds_referral',
    rule: 'FHIR.MISSING_ELEMENT',
    location: 'ServiceRequest/ref-1.performer',
  },
];

for (const c of FAILURES)
  test(`${c.name} is quarantined with its rule and FHIRPath location, and the counts add up`, () => {
    const r = map(c.resources, c.table);
    addsUp(r);
    assert.equal(r.rows.length, 0);
    const q = r.quarantined.find((x) => x.rule === c.rule);
    assert.ok(q, `${c.rule} in ${JSON.stringify(r.quarantined)}`);
    assert.equal(q.location, c.location);
    const text = JSON.stringify(r.quarantined);
    for (const value of [f.NHS_NUMBER, f.POSTCODE, f.BIRTH_DATE, 'done', 'elsewhere'])
      assert.ok(!text.includes(value), `no value in the quarantine reasons (${value})`);
  });

test('a Condition coded in another system is quarantined on its own; the episode still maps', () => {
  const r = map(
    [f.patient(), f.inpatient(), f.condition('c1', 'enc-1', '84114007', FHIR_SYSTEMS.snomed.uri)],
    'sus_apc_episode',
  );
  addsUp(r);
  assert.equal(r.rows.length, 1);
  assert.equal(r.rows[0]!.values.primary_diagnosis, null);
  assert.deepEqual(
    r.quarantined.map((q) => [q.rule, q.location]),
    [['FHIR.CODE_SYSTEM', 'Condition/c1.code.coding.system']],
  );
});

test('episodes of one spell (partOf) are numbered by start, share the spell number, and only the last carries the discharge', () => {
  const spell = {
    ...(f.inpatient('spell-1') as object),
    period: { start: '2026-09-01T10:00:00+01:00', end: '2026-09-09T10:00:00+01:00' },
  };
  const e1 = f.inpatient('ep-1', {
    partOf: { reference: 'Encounter/spell-1' },
    period: { start: '2026-09-01T10:00:00+01:00', end: '2026-09-04T10:00:00+01:00' },
  });
  const e2 = f.inpatient('ep-2', {
    partOf: { reference: 'Encounter/spell-1' },
    period: { start: '2026-09-04T10:00:00+01:00', end: '2026-09-09T10:00:00+01:00' },
  });
  const r = map([f.patient(), e2, spell, e1], 'sus_apc_episode');
  addsUp(r);
  const byId = new Map(r.rows.map((x) => [x.values.episode_id, x.values]));
  assert.equal(r.rows.length, 2, 'the spell is not an episode of its own');
  assert.equal(byId.get('ep-1')?.episode_number, 1);
  assert.equal(byId.get('ep-2')?.episode_number, 2);
  assert.equal(byId.get('ep-1')?.hospital_provider_spell_number, 'spell-1');
  assert.equal(byId.get('ep-1')?.discharge_date, null);
  assert.equal(byId.get('ep-2')?.discharge_date, '2026-09-09');
  assert.equal(byId.get('ep-2')?.admission_date, '2026-09-01');
});

test('ids longer than the key column, or that may hold an NHS number, become F + a hash prefix; such an id never reaches a quarantine location', () => {
  const long = 'a0b1c2d3-e4f5-4a6b-8c7d-9e0f1a2b3c4d';
  const r = map([f.patient(), f.inpatient(long)], 'sus_apc_episode');
  assert.match(r.rows[0]!.values.episode_id as string, /^F[0-9a-f]{19}$/);
  const numeric = f.NHS_NUMBER;
  // A zero-padded record number is not an NHS number: kept as it is.
  assert.equal(
    map([f.patient(), f.inpatient('EP0000000123')], 'sus_apc_episode').rows[0]!.values.episode_id,
    'EP0000000123',
  );
  const ae = map([f.patient(), f.emergency(numeric)], 'ecds_attendance');
  assert.match(ae.rows[0]!.values.attendance_id as string, /^F[0-9a-f]{19}$/);
  const bad = map([f.patient(), f.emergency(numeric, { status: 'bad' })], 'ecds_attendance');
  assert.equal(bad.quarantined[0]?.location, 'Encounter/(entry 2).status');
  assert.ok(!JSON.stringify(bad.quarantined).includes(numeric));
});

test('bulk NDJSON: a malformed line is quarantined with its line number, and the other lines map', () => {
  const lines = [JSON.stringify(f.patient()), '{not json', '', JSON.stringify(f.inpatient())];
  const entries = lines
    .flatMap((text, i) => (text.trim() === '' ? [] : [{ text, line: i + 1 }]))
    .map((l, n) => ndjsonEntry(l.text, n + 1, l.line));
  const r = mapFhirEntries(entries, sourceTable('sus_apc_episode'), RECEIVED, dmdPrice);
  addsUp(r);
  assert.equal(r.rows.length, 1);
  assert.deepEqual(
    r.quarantined.map((q) => [q.rule, q.line, q.location]),
    [['FHIR.JSON_MALFORMED', 2, 'Resource/(line 2)']],
  );
});

test('a .json file that is not JSON, or not a Bundle, is one quarantined problem, not a crash', () => {
  assert.equal(bundleEntries('{"resourceType": "Bund')[0]?.problem?.rule, 'FHIR.JSON_MALFORMED');
  assert.equal(bundleEntries(JSON.stringify(f.patient()))[0]?.problem?.rule, 'FHIR.NOT_A_BUNDLE');
});

test('FHIR files are told apart by name: .json is a Bundle, .fhir.ndjson bulk export, plain .ndjson rows; manifests and maps are not FHIR', () => {
  assert.equal(fhirFileKind('sus_apc_episode/2026-11.json'), 'bundle');
  assert.equal(fhirFileKind('sus_apc_episode/export.FHIR.NDJSON'), 'ndjson');
  assert.equal(fhirFileKind('sus_apc_episode/export.fhir.jsonl'), 'ndjson');
  assert.equal(fhirFileKind('sus_apc_episode/2026-11.ndjson'), undefined);
  assert.equal(fhirFileKind('sus_apc_episode/2026-11.csv.manifest.json'), undefined);
  assert.equal(fhirFileKind('sus_apc_episode/2026-11.map.json'), undefined);
});

test("mapped rows pass the tables' row contracts (the wire form, codes and reference lookups the pipeline validates)", () => {
  const reference = loadReferenceData();
  for (const table of [
    'sus_apc_episode',
    'ecds_attendance',
    'dids_imaging_test',
    'csds_referral',
    'prescribing_item',
  ] as const) {
    const row = map(everything(), table).rows[0]!.values;
    const result = contractFor(table, reference, { asOf: '2026-11-01' }).check(row);
    assert.ok(
      result.ok,
      `${table}: ${result.ok ? '' : JSON.stringify(result.failures.map((x) => [x.field, x.rule]))}`,
    );
  }
});

test('a provider given as a reference to an Organization in the bundle is read from its ODS identifier; the Organization is joined', () => {
  const org = {
    resourceType: 'Organization',
    id: 'org-1',
    identifier: [{ system: FHIR_SYSTEMS.odsOrganisation.uri, value: 'RGP' }],
  };
  const r = map(
    [f.patient(), org, f.inpatient('enc-1', { serviceProvider: { reference: 'Organization/org-1' } })],
    'sus_apc_episode',
  );
  addsUp(r);
  assert.equal(r.rows[0]?.values.provider_code, 'RGP');
  assert.equal(r.tally.joined, 2, 'the Patient and the Organization');
  const noOds = map(
    [
      f.patient(),
      { ...org, identifier: [{ system: 'urn:local', value: 'X' }] },
      f.inpatient('enc-1', { serviceProvider: { reference: 'Organization/org-1' } }),
    ],
    'sus_apc_episode',
  );
  addsUp(noOds);
  assert.deepEqual(
    noOds.quarantined.map((q) => [q.rule, q.location]),
    [
      [
        'FHIR.IDENTIFIER_SYSTEM',
        `Organization/org-1.identifier.where(system='${FHIR_SYSTEMS.odsOrganisation.uri}')`,
      ],
    ],
  );
});

test('references by a Bundle entry fullUrl (urn:uuid) resolve like Type/id references', () => {
  const b = f.bundle([f.patient('pat-1'), f.inpatient('enc-1', { subject: { reference: 'urn:uuid:6f1c' } })]);
  b.entry![0]!.fullUrl = 'urn:uuid:6f1c';
  const r = mapFhirEntries(
    bundleEntries(JSON.stringify(b)),
    sourceTable('sus_apc_episode'),
    RECEIVED,
    dmdPrice,
  );
  addsUp(r);
  assert.equal(r.rows.length, 1);
});

test('the same resource twice in one file: the second is quarantined as a duplicate, the first maps', () => {
  const r = map([f.patient(), f.inpatient(), f.inpatient()], 'sus_apc_episode');
  addsUp(r);
  assert.equal(r.rows.length, 1);
  assert.deepEqual(
    r.quarantined.map((q) => [q.rule, q.row]),
    [['FHIR.DUPLICATE_RESOURCE', 3]],
  );
});

/** A spell Encounter (no hospitalization of its own) and its two consultant episodes. */
const stay = () => [
  f.patient(),
  f.inpatient('spell-1', {
    period: { start: '2026-09-01T10:00:00+01:00', end: '2026-09-09T12:00:00+01:00' },
    hospitalization: undefined,
    serviceType: undefined,
  }),
  f.inpatient('ep-2', {
    partOf: { reference: 'Encounter/spell-1' },
    period: { start: '2026-09-04T09:00:00+01:00', end: '2026-09-09T12:00:00+01:00' },
    hospitalization: {
      extension: [
        { url: FHIR_EXTENSIONS.dischargeMethod.uri, valueCodeableConcept: { coding: [{ code: '4' }] } },
      ],
      dischargeDisposition: { coding: [{ code: '79' }] },
    },
  }),
  f.inpatient('ep-1', {
    partOf: { reference: 'Encounter/spell-1' },
    period: { start: '2026-09-01T10:00:00+01:00', end: '2026-09-04T09:00:00+01:00' },
    hospitalization: {
      extension: [
        { url: FHIR_EXTENSIONS.admissionMethod.uri, valueCodeableConcept: { coding: [{ code: '21' }] } },
      ],
      admitSource: { coding: [{ code: '19' }] },
    },
  }),
];

test('the spell an inpatient episode is partOf becomes one sus_apc_spell row: admission from its first episode, discharge from its last, derived stay and age', () => {
  const r = map(stay(), 'sus_apc_spell');
  addsUp(r);
  assert.deepEqual(r.quarantined, []);
  assert.equal(r.rows.length, 1, 'one spell, not one per episode');
  const spell = r.rows[0]!.values;
  assert.deepEqual(
    {
      spell_id: spell.spell_id,
      hospital_provider_spell_number: spell.hospital_provider_spell_number,
      provider_code: spell.provider_code,
      admission_date: spell.admission_date,
      admission_method: spell.admission_method,
      admission_source: spell.admission_source,
      discharge_date: spell.discharge_date,
      discharge_method: spell.discharge_method,
      discharge_destination: spell.discharge_destination,
      length_of_stay_days: spell.length_of_stay_days,
      age_on_admission: spell.age_on_admission,
    },
    {
      spell_id: 'spell-1',
      hospital_provider_spell_number: 'spell-1',
      provider_code: 'RRK',
      admission_date: '2026-09-01',
      admission_method: '21',
      admission_source: '19',
      discharge_date: '2026-09-09',
      discharge_method: '4',
      discharge_destination: '79',
      length_of_stay_days: 8,
      age_on_admission: 70,
    },
  );
  assert.deepEqual(
    r.reported.map((x) => [x.code, x.resourceType, x.table]),
    [],
    'both episodes were read for the spell (joined)',
  );
  const reference = loadReferenceData();
  const checked = contractFor('sus_apc_spell', reference, { asOf: '2026-11-01' }).check(spell);
  assert.ok(checked.ok, checked.ok ? '' : JSON.stringify(checked.failures.map((x) => [x.field, x.rule])));
});

test("every episode names its spell by the spell row's own provider and spell number, hashed ids included", () => {
  // An id that could hold an NHS number is never a key as it is: both sides hash it the same way.
  const risky = f.NHS_NUMBER;
  for (const [name, resources] of [
    ['a spell with two episodes', stay()],
    [
      'a spell whose id may hold an NHS number',
      JSON.parse(JSON.stringify(stay()).replaceAll('spell-1', risky)) as unknown[],
    ],
    ['an inpatient Encounter with no partOf (its own spell)', [f.patient(), f.inpatient('solo-1')]],
  ] as const) {
    const spells = map(resources, 'sus_apc_spell').rows.map((x) => x.values);
    const episodes = map(resources, 'sus_apc_episode').rows.map((x) => x.values);
    assert.equal(spells.length, 1, name);
    assert.ok(episodes.length >= 1, name);
    for (const e of episodes) {
      assert.equal(e.provider_code, spells[0]!.provider_code, name);
      assert.equal(e.hospital_provider_spell_number, spells[0]!.hospital_provider_spell_number, name);
      assert.ok(!String(e.hospital_provider_spell_number).includes(risky), `${name}: no NHS number as a key`);
    }
  }
});

test('in the episodes folder the spell is joined, in the spells folder an episode of another stay is reported for its own table', () => {
  const episodes = map(stay(), 'sus_apc_episode');
  addsUp(episodes);
  assert.equal(episodes.rows.length, 2);
  const other = map(
    [...stay(), f.inpatient('ep-x', { partOf: { reference: 'Encounter/nowhere' } })],
    'sus_apc_spell',
  );
  addsUp(other);
  assert.equal(other.rows.length, 2, 'an episode whose spell is not in the file is its own spell');
});

test('the discharge method is read where UK Core puts it (Encounter.extension), and still from hospitalization.extension', () => {
  const ukCore = f.inpatient('enc-1', {
    extension: [
      { url: FHIR_EXTENSIONS.dischargeMethod.uri, valueCodeableConcept: { coding: [{ code: '4' }] } },
    ],
    hospitalization: {
      extension: [
        { url: FHIR_EXTENSIONS.admissionMethod.uri, valueCodeableConcept: { coding: [{ code: '21' }] } },
      ],
      dischargeDisposition: { coding: [{ code: '79' }] },
    },
  });
  assert.equal(map([f.patient(), ukCore], 'sus_apc_episode').rows[0]?.values.discharge_method, '4');
  assert.equal(map([f.patient(), f.inpatient()], 'sus_apc_episode').rows[0]?.values.discharge_method, '1');
  assert.equal(map([f.patient(), ukCore], 'sus_apc_spell').rows[0]?.values.discharge_method, '4');
});
