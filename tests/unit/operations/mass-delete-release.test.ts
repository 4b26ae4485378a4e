import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryObjectStore } from '../../../shared/adapters/memory/memory-object-store.js';
import { MemoryStateStore } from '../../../shared/adapters/memory/memory-state-store.js';
import { fixedClock } from '../../../shared/application/ports/clock.port.js';
import { silentLogger } from '../../../shared/application/ports/logger.port.js';
import {
  massDeleteReleases,
  releaseMassDelete,
} from '../../../shared/application/use-cases/operations/mass-delete-release.use-case.js';
import { InputError } from '../../../shared/domain/errors.js';

function deps() {
  return {
    lake: new MemoryObjectStore(),
    state: new MemoryStateStore(),
    clock: fixedClock('2026-12-06T17:00:00Z'),
    logger: silentLogger,
  };
}

test("a source feed's guard is released by its capture name, for that feed's next poll only", async () => {
  const d = deps();
  const captured = ['ecds_attendance', 'ecds_attendance_rxx'];
  const released = await releaseMassDelete(
    { table: 'ecds_attendance_rxx', reason: 'site closed' },
    'ops',
    d,
    captured,
  );
  assert.equal(released.table, 'ecds_attendance_rxx');
  assert.equal(released.replacedPending, false);
  const releases = massDeleteReleases(d);
  assert.equal(
    await releases.pending('ecds_attendance'),
    null,
    'the declared table of the same data is not released',
  );
  const pending = await releases.pending('ecds_attendance_rxx');
  assert.deepEqual(pending, { table: 'ecds_attendance_rxx', actor: 'ops', auditId: released.audit.id });
  await releases.used(pending, { deletes: 12, published: 12 });
  assert.equal(await releases.pending('ecds_attendance_rxx'), null, 'one poll uses it up');
});

test('a name that is not captured here, or is not a capture name, is refused naming what is captured', async () => {
  const captured = ['sus_apc_episode', 'sus_apc_episode_rxx'];
  await assert.rejects(
    releaseMassDelete({ table: 'ecds_attendance_rxx' }, 'ops', deps(), captured),
    (error: unknown) =>
      error instanceof InputError &&
      /not captured here.*sus_apc_episode, sus_apc_episode_rxx/.test(error.message),
  );
  await assert.rejects(
    releaseMassDelete({ table: 'Robert); DROP' }, 'ops', deps(), captured),
    (error: unknown) =>
      error instanceof InputError && /needs --table, one of: sus_apc_episode/.test(error.message),
  );
});
