import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  BATCH_LEDGER_TABLE,
  LANDING_LEDGER_PARTITION,
} from '../../../shared/application/use-cases/pipeline/batch-ledger.use-case.js';
import { SOURCE_TABLE_NAMES } from '../../../shared/domain/datasets/source-tables.js';
import { FHIR_SYSTEMS } from '../../../shared/domain/fhir/fhir-systems.js';
import type { BatchManifest, PipelineInput } from '../../../shared/domain/pipeline/pipeline-contracts.js';
import {
  openPipelineHarness,
  testNhsNumber,
  waitUntil,
  type PipelineHarness,
} from '../pipeline/pipeline-harness.js';
import * as f from '../../unit/fhir/fhir-fixtures.js';
import { loadReferenceData } from '../../../shared/adapters/local/reference-data.loader.js';
import { syntheticDmdId } from '../../../shared/synthetic/rows/prescribing.rows.js';

// FHIR files dropped in landing/ on the embedded default: the real blob trigger, orchestrator,
// activities and DuckDB warehouse. Small on purpose: one Bundle and one bulk NDJSON file.

let h: PipelineHarness;
before(async () => {
  h = await openPipelineHarness();
});
after(async () => {
  await h?.close();
});

/** Synthetic patients: 999-range NHS numbers, postcodes and birth dates that must never leak. */
const people = [1, 2, 3].map((i) => ({
  id: `pat-${i}`,
  nhs: testNhsNumber(300 + i),
  postcode: `B${i} 7QX`,
  birthDate: `19${60 + i}-0${i}-1${i}`,
}));
const patient = (p: (typeof people)[number], changes: Record<string, unknown> = {}) =>
  f.patient(p.id, {
    identifier: [{ system: FHIR_SYSTEMS.nhsNumber.uri, value: p.nhs }],
    birthDate: p.birthDate,
    address: [{ use: 'home', postalCode: p.postcode }],
    ...changes,
  });
const subject = (p: (typeof people)[number]) => ({ subject: { reference: `Patient/${p.id}` } });

const BUNDLE_NAME = 'sus_apc_episode/2026-11-fhir.json';
const BUNDLE = f.bundle([
  patient(people[0]!),
  patient(people[1]!),
  // No NHS number: the Encounter that refers to this Patient is quarantined.
  patient(people[2]!, { identifier: [] }),
  f.inpatient('enc-a', subject(people[0]!)),
  f.condition('cond-a', 'enc-a', 'I50.0'),
  f.procedure('proc-a', 'enc-a', 'K40.1'),
  f.inpatient('enc-b', subject(people[1]!)),
  f.inpatient('enc-c', subject(people[2]!)),
  f.inpatient('enc-d', { ...subject(people[0]!), class: { system: FHIR_SYSTEMS.actCode.uri, code: 'AMB' } }),
  { resourceType: 'Observation', id: 'obs-1', status: 'final' },
]);

const NDJSON_NAME = 'ecds_attendance/2026-11-export.fhir.ndjson';
const NDJSON = [
  JSON.stringify(patient(people[0]!)),
  JSON.stringify(f.emergency('ae-a', subject(people[0]!))),
  '{"resourceType": "Encounter", "id": "ae-broken"',
  JSON.stringify(f.emergency('ae-b', { subject: { reference: 'Patient/not-in-file' } })),
  JSON.stringify(f.inpatient('enc-x', subject(people[0]!))),
].join('\n');

async function batchOf(name: string): Promise<string> {
  const id = await waitUntil(
    `an orchestration for landing/${name}`,
    () =>
      h.host.durable
        .list()
        .find(
          (i) =>
            i.name === 'pipelineOrchestrator' && (i.input as PipelineInput | null)?.batch.origin === name,
        )?.instanceId,
  );
  await h.host.waitForIdle({ timeoutMs: 60_000 });
  return id;
}

async function manifest(batchId: string): Promise<BatchManifest> {
  const body = await h.blobs
    .getContainerClient('gold')
    .getBlobClient(`manifests/${batchId}.json`)
    .downloadToBuffer();
  return JSON.parse(body.toString('utf8')) as BatchManifest;
}

async function quarantined(batchId: string): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  for (const n of (await h.list('quarantine')).filter((x) => x.includes(batchId)))
    for (const line of (await h.text('quarantine', n)).split('\n'))
      if (line.trim() !== '') out.push(JSON.parse(line) as Record<string, unknown>);
  return out;
}

async function facts(table: string): Promise<number> {
  const warehouse = await h.services.pipeline.warehouse();
  const [row] = await warehouse.query(
    `SELECT count(*)::INTEGER AS n FROM fact_activity WHERE source_table = '${table}'`,
  );
  return Number(row?.n);
}

test('the same Bundle dropped for SUS+ APC spells first: each inpatient stay becomes a spell row in gold', async () => {
  const name = BUNDLE_NAME.replace('sus_apc_episode/', 'sus_apc_spell/');
  await h.drop(name, JSON.stringify(BUNDLE));
  const batchId = await batchOf(name);
  assert.equal(h.host.instance(batchId)?.runtimeStatus, 'Completed', JSON.stringify(h.host.status()));
  const m = await manifest(batchId);
  assert.equal(m.status, 'succeeded');
  assert.equal(m.counts.records, 2, 'the two inpatient stays with an NHS number, each its own spell');
  assert.equal(m.counts.accepted, 2);
  assert.equal(await facts('sus_apc_spell'), 2);
});

test('a FHIR Bundle dropped for SUS+ APC: mapped episodes reach gold, unmappable Encounters are quarantined with their locations', async () => {
  await h.drop(BUNDLE_NAME, JSON.stringify(BUNDLE));
  const batchId = await batchOf(BUNDLE_NAME);
  assert.equal(h.host.instance(batchId)?.runtimeStatus, 'Completed', JSON.stringify(h.host.status()));
  const m = await manifest(batchId);
  assert.equal(m.status, 'succeeded');
  assert.equal(m.counts.records, 2, 'two inpatient Encounters mapped');
  assert.equal(m.counts.accepted, 2);
  assert.equal(m.counts.unreadable, 2, 'the Encounter without an NHS number and the AMB one');
  assert.equal(m.counts.factRows, 2);
  assert.equal(await facts('sus_apc_episode'), 2);
  const records = await quarantined(batchId);
  assert.deepEqual(
    records.filter((r) => !String(r.rule).startsWith('FHIR.') && r.severity === 'reject'),
    [],
  );
  // Their spells loaded first (the test above): every episode finds its spell.
  assert.deepEqual(
    records.filter((r) => String(r.rule).includes('SPELL_NOT_FOUND')),
    [],
    'no episode is an orphan',
  );
  const q = records
    .filter((r) => String(r.rule).startsWith('FHIR.'))
    .map((r) => [r.rule, r.field])
    .sort();
  assert.deepEqual(q, [
    ['FHIR.ENCOUNTER_CLASS', 'Encounter/enc-d.class'],
    ['FHIR.NHS_NUMBER_MISSING', `Patient/pat-3.identifier.where(system='${FHIR_SYSTEMS.nhsNumber.uri}')`],
  ]);
  assert.match(h.logs(), /"fhirResources":10/);
  assert.match(h.logs(), /"fhirReported":2/, 'the Observation and the Patient no row used are reported');
});

test('a bulk NDJSON file dropped for ECDS: the attendance reaches gold; the broken line and the dangling reference are quarantined', async () => {
  await h.drop(NDJSON_NAME, NDJSON);
  const batchId = await batchOf(NDJSON_NAME);
  assert.equal(h.host.instance(batchId)?.runtimeStatus, 'Completed', JSON.stringify(h.host.status()));
  const m = await manifest(batchId);
  assert.equal(m.counts.records, 1);
  assert.equal(m.counts.accepted, 1);
  assert.equal(m.counts.unreadable, 2);
  assert.equal(await facts('ecds_attendance'), 1);
  const q = (await quarantined(batchId)).map((r) => [r.rule, r.field, r.line]).sort();
  assert.deepEqual(q, [
    ['FHIR.JSON_MALFORMED', 'Resource/(line 3)', 3],
    ['FHIR.REFERENCE_UNRESOLVED', 'Encounter/ae-b.subject.reference', 4],
  ]);
});

test('a FHIR Bundle of dispensed items dropped for prescribing: the dispense is priced from the dm+d prices and reaches gold with its cost', async () => {
  const presentation = loadReferenceData().bnfPresentations()[0]!;
  const name = 'prescribing_item/2026-11-dispensed.json';
  const dispense = (id: string, p: (typeof people)[number], dmd: string) => ({
    ...f.medicationDispense(id, 'rx-1'),
    ...subject(p),
    medicationCodeableConcept: {
      coding: [
        { system: FHIR_SYSTEMS.bnf.uri, code: presentation.code },
        { system: FHIR_SYSTEMS.dmd.uri, code: dmd },
      ],
    },
    quantity: { value: 28 },
  });
  await h.drop(
    name,
    JSON.stringify(
      f.bundle([
        patient(people[0]!),
        patient(people[1]!),
        { ...f.medicationRequest('rx-1'), ...subject(people[0]!) },
        dispense('disp-a', people[0]!, syntheticDmdId(presentation.code)),
        // A product the reference does not price (a Verhoeff-valid id outside the price file).
        dispense('disp-b', people[1]!, '22298006'),
      ]),
    ),
  );
  const batchId = await batchOf(name);
  assert.equal(h.host.instance(batchId)?.runtimeStatus, 'Completed', JSON.stringify(h.host.status()));
  const m = await manifest(batchId);
  assert.equal(m.counts.accepted, 1);
  assert.equal(m.counts.unreadable, 1);
  assert.equal(await facts('prescribing_item'), 1);
  const warehouse = await h.services.pipeline.warehouse();
  const [row] = await warehouse.query(
    `SELECT cost_gbp::VARCHAR AS cost FROM fact_activity WHERE source_table = 'prescribing_item'`,
  );
  const pence = Math.round(Number(presentation.unitNicGbp) * 28 * 100);
  assert.equal(Number(row?.cost), pence / 100, 'NIC = price per unit × quantity');
  assert.deepEqual(
    (await quarantined(batchId))
      .filter((r) => String(r.rule).startsWith('FHIR.'))
      .map((r) => [r.rule, r.field]),
    [
      [
        'FHIR.NO_PRICE',
        `MedicationDispense/disp-b.medicationCodeableConcept.coding.where(system='${FHIR_SYSTEMS.dmd.uri}' or system='${FHIR_SYSTEMS.snomed.uri}')`,
      ],
    ],
  );
});

test('no NHS number, postcode or birth date of the FHIR inputs leaks into quarantine, manifests, logs, the poison queue or the ledger', async () => {
  const ledger: unknown[] = [];
  for (const partition of [...SOURCE_TABLE_NAMES, LANDING_LEDGER_PARTITION])
    for await (const e of h.services.pipeline.state.list(BATCH_LEDGER_TABLE, partition)) ledger.push(e);
  const haystacks: [string, string][] = [
    ['quarantine', await h.text('quarantine')],
    ['gold manifests', await h.text('gold', 'manifests/')],
    ['logs', h.logs()],
    ['poison queue', JSON.stringify(await h.peekQueue('nhs-flows-batches-poison'))],
    ['the ledger', JSON.stringify(ledger)],
  ];
  assert.ok(h.logs().includes('batch manifest written'), 'the logs were captured');
  for (const [where, text] of haystacks)
    for (const p of people)
      for (const value of [p.nhs, p.postcode, p.birthDate])
        assert.ok(!text.includes(value), `a patient identifier leaked into ${where}`);
  const silver = await h.list('silver');
  assert.ok(silver.length > 0 && silver.every((p) => p.endsWith('.parquet')));
});
