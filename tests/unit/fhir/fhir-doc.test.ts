import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fhirMappingDoc } from '../../../shared/domain/fhir/fhir-mapping-doc.js';
import { FHIR_QUARANTINE_RULES, FHIR_REPORT_CODES } from '../../../shared/domain/fhir/fhir-resource-set.js';

const doc = readFileSync('docs/fhir.md', 'utf8');

test('docs/fhir.md holds the mapping tables as the declarations render them (regenerate the section when a mapping changes)', () => {
  const start = '<!-- fhir-mapping:start -->\n';
  const end = '<!-- fhir-mapping:end -->';
  const section = doc.slice(doc.indexOf(start) + start.length, doc.indexOf(end));
  assert.ok(doc.includes(start) && doc.includes(end), 'the markers are in the doc');
  assert.equal(section, fhirMappingDoc());
});

test('docs/fhir.md names every quarantine rule and report code', () => {
  for (const code of [...FHIR_QUARANTINE_RULES, ...FHIR_REPORT_CODES])
    assert.ok(doc.includes(`\`${code}\``), `${code} is documented`);
});
