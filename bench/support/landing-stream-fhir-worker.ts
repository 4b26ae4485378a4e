// One size of the FHIR bulk-file benchmark, in its own process (peak RSS is per process): writes a
// synthetic ECDS bulk export of N attendances to a temporary `.fhir.ndjson` file (a Patient for
// every 3 attendances, each attendance an EMER Encounter with one SNOMED CT Condition, the lines
// grouped by type as a bulk export is), then reads it through the landing reader in its two
// streaming passes from disk, and prints {"rows":…, "lines":…, "bytes":…, "peakMiB":…, "baselineMiB":…, "ms":…}.
import { createReadStream, createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readLandingFile } from '../../shared/application/use-cases/pipeline/landing-file-reader.js';
import { SOURCE_TABLES } from '../../shared/domain/datasets/source-tables.js';
import { FHIR_SYSTEMS } from '../../shared/domain/fhir/fhir-systems.js';
import type { BatchDescriptor } from '../../shared/domain/pipeline/batch-record.js';
import { peakMemorySampler } from '../bench-report.js';

const attendances = Number(process.argv[2]);
/** `held`: without a second read (the file held in memory while mapped), for comparison. */
const held = process.argv[3] === 'held';
const spec = SOURCE_TABLES.ecds_attendance;
const dir = mkdtempSync(join(tmpdir(), 'nhsflows-fhir-bench-'));
const file = join(dir, 'export.fhir.ndjson');
/** A 999-range NHS number with a valid check digit (synthetic). */
function nhsNumber(i: number): string {
  for (let k = 0; ; k++) {
    const nine = `999${String((i * 7 + k) % 1_000_000).padStart(6, '0')}`;
    const sum = [...nine].reduce((s, d, j) => s + Number(d) * (10 - j), 0);
    const check = 11 - (sum % 11);
    if (check === 10) continue;
    return `${nine}${check === 11 ? 0 : check}`;
  }
}
try {
  const out = createWriteStream(file);
  let lines = 0;
  const write = async (resource: unknown) => {
    lines += 1;
    if (!out.write(`${JSON.stringify(resource)}\n`)) await once(out, 'drain');
  };
  const patients = Math.ceil(attendances / 3);
  for (let p = 0; p < patients; p++)
    await write({
      resourceType: 'Patient',
      id: `pat-${p}`,
      identifier: [{ system: FHIR_SYSTEMS.nhsNumber.uri, value: nhsNumber(p) }],
      gender: p % 2 ? 'female' : 'male',
      birthDate: `19${50 + (p % 49)}-0${1 + (p % 9)}-1${p % 9}`,
      address: [{ use: 'home', postalCode: `B${1 + (p % 30)} 1AA` }],
      generalPractitioner: [{ identifier: { system: FHIR_SYSTEMS.odsOrganisation.uri, value: 'M85001' } }],
    });
  for (let a = 0; a < attendances; a++) {
    const day = String(1 + (a % 28)).padStart(2, '0');
    await write({
      resourceType: 'Encounter',
      id: `ae-${a}`,
      status: 'finished',
      class: { system: FHIR_SYSTEMS.actCode.uri, code: 'EMER' },
      type: [{ coding: [{ code: '01' }] }],
      subject: { reference: `Patient/pat-${a % patients}` },
      period: { start: `2026-09-${day}T08:10:00+01:00`, end: `2026-09-${day}T11:40:00+01:00` },
      serviceProvider: { identifier: { system: FHIR_SYSTEMS.odsOrganisation.uri, value: 'RRK' } },
      hospitalization: {
        dischargeDisposition: { coding: [{ system: FHIR_SYSTEMS.snomed.uri, code: '306689006' }] },
      },
    });
  }
  for (let a = 0; a < attendances; a++)
    await write({
      resourceType: 'Condition',
      id: `ae-${a}-c1`,
      subject: { reference: `Patient/pat-${a % patients}` },
      encounter: { reference: `Encounter/ae-${a}` },
      code: { coding: [{ system: FHIR_SYSTEMS.snomed.uri, code: '22298006' }] },
    });
  out.end();
  await once(out, 'finish');
  global.gc?.();
  const baselineMiB = process.memoryUsage().rss / (1024 * 1024);
  const batch: BatchDescriptor = {
    batchId: 'bench',
    table: spec.table,
    origin: 'ecds_attendance/export.fhir.ndjson',
    bronzePath: 'export.fhir.ndjson',
    format: 'fhir',
    receivedAt: '2026-12-01T00:00:00.000Z',
  };
  const sampler = peakMemorySampler(20);
  const started = performance.now();
  let rows = 0;
  for await (const item of readLandingFile(
    batch,
    spec,
    createReadStream(file),
    undefined,
    held ? {} : { reopenStream: () => Promise.resolve(createReadStream(file)) },
  ))
    if ('n' in item) rows += 1;
  const ms = performance.now() - started;
  const peakMiB = sampler.stop();
  if (rows !== attendances) throw new Error(`expected ${attendances} rows, read ${rows}`);
  console.log(JSON.stringify({ rows, lines, bytes: statSync(file).size, peakMiB, baselineMiB, ms }));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
