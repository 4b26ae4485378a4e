import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryObjectStore } from '../../../shared/adapters/memory/memory-object-store.js';
import { fixedClock } from '../../../shared/application/ports/clock.port.js';
import { readAudit, recordAudit } from '../../../shared/application/use-cases/audit/audit-trail.js';

test('audit records are written create-only, one per action, and read back by day and kind', async () => {
  const lake = new MemoryObjectStore();
  const day1 = { lake, clock: fixedClock('2026-12-05T23:59:00Z') };
  const day2 = { lake, clock: fixedClock('2026-12-06T08:00:00Z') };
  await recordAudit(
    {
      kind: 'replay',
      actor: 'local:ops',
      outcome: 'dry-run',
      details: { table: 'sus_apc_episode', batches: 3 },
    },
    day1,
  );
  await recordAudit(
    { kind: 'key-rotate', actor: 'local:ops', outcome: 'refused', reason: 'ROLE_REQUIRED', details: {} },
    day2,
  );
  await recordAudit({ kind: 'replay', actor: 'local:ops', outcome: 'done', details: { batches: 1 } }, day2);
  const all = await readAudit({ since: new Date('2026-12-05T00:00:00Z') }, day2);
  assert.deepEqual(
    all.map((r) => [r.kind, r.outcome]),
    [
      ['replay', 'dry-run'],
      ['key-rotate', 'refused'],
      ['replay', 'done'],
    ],
  );
  const replays = await readAudit({ since: new Date('2026-12-06T00:00:00Z'), kind: 'replay' }, day2);
  assert.deepEqual(
    replays.map((r) => r.outcome),
    ['done'],
  );
  await assert.rejects(
    recordAudit({ kind: 'replay', id: all[2]!.id, actor: 'x', outcome: 'done', details: {} }, day2),
    /already exists/,
  );
});

test('an audit record refuses structured or oversized details (no row can be pasted into it)', async () => {
  const deps = { lake: new MemoryObjectStore(), clock: fixedClock('2026-12-06T08:00:00Z') };
  await assert.rejects(
    recordAudit(
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      { kind: 'reidentify', actor: 'a', outcome: 'done', details: { row: { nhs: 'x' } as any } },
      deps,
    ),
  );
  await assert.rejects(
    recordAudit(
      { kind: 'reidentify', actor: 'a', outcome: 'done', details: { note: 'x'.repeat(600) } },
      deps,
    ),
  );
});
