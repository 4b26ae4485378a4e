import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openEmbeddedSource } from '../../../shared/adapters/local/embedded-source/embedded-source.js';
import { MemoryObjectStore } from '../../../shared/adapters/memory/memory-object-store.js';
import { MemoryStateStore } from '../../../shared/adapters/memory/memory-state-store.js';
import { fixedClock } from '../../../shared/application/ports/clock.port.js';
import { silentLogger } from '../../../shared/application/ports/logger.port.js';
import { memoryTelemetry } from '../../../shared/application/ports/telemetry.port.js';
import type { EventPublisher } from '../../../shared/application/ports/event-publisher.port.js';
import type { Delta } from '../../../shared/domain/capture/delta.js';
import { SOURCE_TABLES } from '../../../shared/domain/datasets/source-tables.js';
import { captureTables, pollSources } from '../../../shared/application/use-cases/poll-sources.use-case.js';
import { LakeReferralIndex } from '../../../shared/application/lake-state/lake-referral-index.js';
import { memoryLakeState } from '../../support/lake-state.js';

test('a poll captures parents before children and indexes every referral before its contacts are published', async () => {
  const clock = fixedClock('2026-11-01T09:00:00Z');
  const source = await openEmbeddedSource({ path: ':memory:', clock });
  await source.createTables(Object.values(SOURCE_TABLES));
  const referral = {
    referral_id: 'R1',
    provider_code: 'RYW',
    nhs_number: null,
    local_patient_id: null,
    date_of_birth: null,
    sex: '1',
    postcode: null,
    gp_practice_code: null,
    referral_received_date: '2026-10-01',
    source_of_referral: null,
    priority_type: null,
    team_type: null,
    service_discharge_date: null,
    modified_at: '2026-10-01T00:00:00.000Z',
    change_version: '0',
  };
  await source.insertRows('csds_referral', [referral]);
  await source.insertRows('csds_care_contact', [
    {
      care_contact_id: 'C1',
      referral_id: 'R1',
      provider_code: 'RYW',
      local_patient_id: null,
      contact_date: '2026-10-02',
      activity_location_type: null,
      attend_or_dna: null,
      care_activity_type: null,
      modified_at: '2026-10-02T00:00:00.000Z',
      change_version: '0',
    },
  ]);
  const state = new MemoryStateStore();
  const index = new LakeReferralIndex(memoryLakeState());
  const published: { table: string; referralKnown: boolean }[] = [];
  const publisher: EventPublisher = {
    publish: async (deltas: readonly Delta[]) => {
      for (const d of deltas)
        published.push({ table: d.sourceTable, referralKnown: await index.has('csds_referral', 'R1') });
      return { deltas: deltas.length, events: 1, bytes: 0 };
    },
    close: async () => undefined,
  };
  const tables = captureTables('csds_care_contact,csds_referral', 1000, 0.5);
  assert.deepEqual(
    tables.map((t) => t.spec.table),
    ['csds_referral', 'csds_care_contact'],
  );
  const poll = await pollSources(tables, {
    source,
    publisher,
    objects: new MemoryObjectStore(),
    state,
    clock,
    telemetry: memoryTelemetry(),
    logger: silentLogger,
  }, index);
  assert.deepEqual(poll.failures, []);
  assert.deepEqual(published, [
    { table: 'csds_referral', referralKnown: true },
    { table: 'csds_care_contact', referralKnown: true },
  ]);
  await source.close();
});
