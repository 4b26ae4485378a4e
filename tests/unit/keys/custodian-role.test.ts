import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryObjectStore } from '../../../shared/adapters/memory/memory-object-store.js';
import { fixedClock } from '../../../shared/application/ports/clock.port.js';
import { memoryLogger } from '../../../shared/application/ports/logger.port.js';
import { readAudit } from '../../../shared/application/use-cases/audit/audit-trail.js';
import {
  rekeyKeys,
  rotateKeys,
  type KeyLifecycleDeps,
} from '../../../shared/application/use-cases/rekey-project.use-case.js';
import { IdentityRegister } from '../../../shared/application/use-cases/pseudonymise-identity-register.js';

// Rotating or re-keying the pseudonymisation keys is role-gated when NHSFLOWS_KEY_CUSTODIAN_ROLE is
// set: a caller without the role is refused before any key or table is touched, and the refusal is
// audited.

function deps(custodianRole: string): KeyLifecycleDeps & { touched: string[] } {
  const touched: string[] = [];
  const lake = new MemoryObjectStore();
  const untouchable = new Proxy(
    {},
    {
      get: (_t, name) => () => {
        touched.push(String(name));
        throw new Error(`${String(name)} must not be called`);
      },
    },
  );
  return {
    touched,
    secrets: untouchable as KeyLifecycleDeps['secrets'],
    secretName: 'pseudonymisation-master-key',
    keys: untouchable as KeyLifecycleDeps['keys'],
    register: new IdentityRegister(lake),
    lake,
    clock: fixedClock('2026-12-06T10:00:00Z'),
    logger: memoryLogger(),
    custodianRole,
  };
}

for (const action of ['rotate', 'rekey'] as const) {
  test(`${action} without the custodian role is refused (ROLE_REQUIRED), audited, and touches nothing`, async () => {
    const d = deps('KeyCustodian');
    const run = () =>
      action === 'rotate'
        ? rotateKeys(d, { actor: 'oid-1', roles: ['Reader'] })
        : rekeyKeys(d, { actor: 'oid-1', roles: [], fromVersion: 'v1', toVersion: 'v2' });
    await assert.rejects(run(), (error: { code?: string }) => error.code === 'ROLE_REQUIRED');
    assert.deepEqual(d.touched, []);
    const audit = await readAudit({ since: new Date('2026-12-06T00:00:00Z') }, d);
    assert.deepEqual(
      audit.map((r) => [r.kind, r.actor, r.outcome, r.reason]),
      [[action === 'rotate' ? 'key-rotate' : 'key-rekey', 'oid-1', 'refused', 'ROLE_REQUIRED']],
    );
  });
}

test('with the role (or no role configured) the gate lets the action through to the key store', async () => {
  for (const [role, roles] of [
    ['KeyCustodian', ['KeyCustodian']],
    ['', []],
  ] as const) {
    const d = deps(role);
    // The key store is untouchable here, so the action fails past the gate: audited as failed, not refused.
    await assert.rejects(rotateKeys(d, { actor: 'oid-2', roles }));
    const audit = await readAudit({ since: new Date('2026-12-06T00:00:00Z') }, d);
    assert.deepEqual(
      audit.map((r) => r.outcome),
      ['failed'],
    );
  }
});
