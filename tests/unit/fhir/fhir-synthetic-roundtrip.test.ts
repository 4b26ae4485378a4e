import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sourceTable, type SourceTableName } from '../../../shared/domain/datasets/source-tables.js';
import {
  FHIR_TABLE_MAPPINGS,
  PERSON_SOURCES,
  type DmdPriceLookup,
} from '../../../shared/domain/fhir/fhir-mapping.js';
import { loadReferenceData } from '../../../shared/adapters/local/reference-data.loader.js';
import { mapFhirEntries } from '../../../shared/domain/fhir/fhir-mapper.js';
import { bundleEntries, ndjsonEntry } from '../../../shared/domain/fhir/fhir-resource-set.js';
import { fhirBundleFromRows, fhirNdjsonFromRows } from '../../../shared/synthetic/fhir-bundles.js';
import { generated } from '../synthetic/synthetic-fixture.js';

// The synthetic population written as FHIR and mapped back: every mapped column comes back as the
// generator made it, for every row with an NHS number, and every resource is accounted for.

const TABLES = [
  'sus_apc_episode',
  'ecds_attendance',
  'dids_imaging_test',
  'csds_referral',
  'prescribing_item',
] as const;
// The shipped reference prices the generator's (synthetic) dm+d ids: a dispense's NIC comes back.
const reference = loadReferenceData();
const dmdPrice: DmdPriceLookup = (code, asOf) => reference.dmdPrice(code, asOf);
const population = generated({ patients: 60, seed: 13, defects: { classes: [] } });
const source = Object.fromEntries(
  TABLES.map((t) => [t, population.rows[t].filter((r) => r.nhs_number !== null)]),
) as Record<(typeof TABLES)[number], (typeof population.rows)[SourceTableName]>;
const bundleText = JSON.stringify(fhirBundleFromRows(source));

/** Columns the mapping fills (derived, not read, columns excluded: their source is the mapping). */
function comparable(table: SourceTableName): string[] {
  const m = FHIR_TABLE_MAPPINGS.find((x) => x.table === table)!;
  const derived = new Set([
    'patient_classification',
    'episode_status',
    'discharge_method',
    'discharge_destination',
    'sex',
  ]);
  return [...PERSON_SOURCES.map((s) => s.column), ...m.columns.map((c) => c.column)].filter(
    (c) => !derived.has(c) && sourceTable(table).columns.some((d) => d.name === c),
  );
}

for (const table of TABLES)
  test(`${table}: the synthetic rows written as a FHIR Bundle map back to the same values`, () => {
    assert.ok(source[table].length > 0, `the population has ${table} rows`);
    const r = mapFhirEntries(
      bundleEntries(bundleText),
      sourceTable(table),
      '2026-11-01T00:00:00.000Z',
      dmdPrice,
    );
    assert.equal(r.tally.rows + r.tally.joined + r.tally.quarantined + r.tally.reported, r.tally.resources);
    // Only the outpatient Encounters that carry a DIDS test's provider, in the other tables' drops.
    assert.deepEqual(
      r.quarantined.filter((q) => !(q.rule === 'FHIR.ENCOUNTER_CLASS' && q.location.endsWith('-enc.class'))),
      [],
      'nothing else quarantined from clean synthetic rows',
    );
    assert.equal(r.rows.length, source[table].length);
    const key = sourceTable(table).key[0]!;
    const byKey = new Map(source[table].map((row) => [row[key], row]));
    for (const { values } of r.rows) {
      const original = byKey.get(values[key]);
      assert.ok(original, `${table} ${String(values[key])} is a generated row`);
      for (const c of comparable(table))
        assert.equal(values[c], original[c] ?? null, `${table}.${c} round-trips`);
    }
  });

test('the same resources as bulk NDJSON map to the same rows as the Bundle', () => {
  const lines = fhirNdjsonFromRows(source)
    .split('\n')
    .filter((l) => l !== '');
  const entries = lines.map((l, i) => ndjsonEntry(l, i + 1, i + 1));
  for (const table of TABLES) {
    const fromNdjson = mapFhirEntries(entries, sourceTable(table), '2026-11-01T00:00:00.000Z', dmdPrice);
    const fromBundle = mapFhirEntries(
      bundleEntries(bundleText),
      sourceTable(table),
      '2026-11-01T00:00:00.000Z',
      dmdPrice,
    );
    assert.deepEqual(
      fromNdjson.rows.map((r) => r.values),
      fromBundle.rows.map((r) => r.values),
      table,
    );
  }
});

test('sus_apc_spell: the spells of the synthetic episodes come back from their spell Encounters as the generator made them', () => {
  const r = mapFhirEntries(
    bundleEntries(bundleText),
    sourceTable('sus_apc_spell'),
    '2026-11-01T00:00:00.000Z',
    dmdPrice,
  );
  assert.equal(r.tally.rows + r.tally.joined + r.tally.quarantined + r.tally.reported, r.tally.resources);
  const spellOf = (row: Record<string, unknown>) =>
    `${String(row.provider_code)}|${String(row.hospital_provider_spell_number)}`;
  const generated = new Map(population.rows.sus_apc_spell.map((row) => [spellOf(row), row]));
  const expected = new Set(source.sus_apc_episode.map(spellOf));
  assert.equal(r.rows.length, expected.size, 'one spell row per spell of the episodes');
  for (const { values } of r.rows) {
    const original = generated.get(spellOf(values));
    assert.ok(original, `${spellOf(values)} is a generated spell`);
    for (const c of [
      'admission_date',
      'admission_method',
      'admission_source',
      'discharge_date',
      'length_of_stay_days',
      'age_on_admission',
      'discharge_method',
      'discharge_destination',
    ])
      assert.equal(values[c], original[c] ?? null, `sus_apc_spell.${c} round-trips`);
  }
});
