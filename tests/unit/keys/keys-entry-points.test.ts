import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { HttpRequest } from '@azure/functions';
import { principalOf, reidentifyBodySchema, rekeyBodySchema } from '../../../functions/keys.function.js';
import { main } from '../../../shared/cli/main.js';
import { presentedLocalRole } from '../../../shared/cli/reidentify.command.js';

// The key lifecycle's entry points: who the caller is on Azure, what the admin endpoints accept,
// which role the local operator presents, and the CLI's argument errors (no environment opened).

/** The part of HttpRequest principalOf reads (the class cannot be imported by name from ESM here). */
const request = (headers: Record<string, string> = {}) =>
  ({ headers: new Headers(headers) }) as unknown as HttpRequest;

const principal = (claims: { typ: string; val: string }[]) =>
  Buffer.from(JSON.stringify({ auth_typ: 'aad', role_typ: 'roles', claims })).toString('base64');

test('the caller and roles come from the platform principal; without one the caller is the admin key holder with no role', () => {
  const withPrincipal = request({
    'x-ms-client-principal': principal([
      { typ: 'http://schemas.microsoft.com/identity/claims/objectidentifier', val: '0b7c-oid' },
      { typ: 'roles', val: 'analyst' },
      { typ: 'roles', val: 'caldicott-custodian' },
    ]),
  });
  assert.deepEqual(principalOf(withPrincipal), {
    actor: '0b7c-oid',
    roles: ['analyst', 'caldicott-custodian'],
  });
  assert.deepEqual(principalOf(request()), { actor: 'admin-key', roles: [] });
  assert.deepEqual(principalOf(request({ 'x-ms-client-principal': 'not base64 json' })), {
    actor: 'admin-key',
    roles: [],
  });
});

test('admin bodies are strict: unknown fields, bad versions and unknown projects are refused', () => {
  assert.ok(rekeyBodySchema.safeParse({}).success);
  assert.ok(rekeyBodySchema.safeParse({ fromVersion: 'v1', toVersion: 'v2', project: 'careflow' }).success);
  assert.ok(!rekeyBodySchema.safeParse({ fromVersion: '../v1' }).success);
  assert.ok(!rekeyBodySchema.safeParse({ project: 'elsewhere' }).success);
  assert.ok(!rekeyBodySchema.safeParse({ force: true }).success);
  assert.ok(
    reidentifyBodySchema.safeParse({
      project: 'careflow',
      purpose: 'SAR-1',
      tokens: [{ token: 'a', keyVersion: 'v1' }],
    }).success,
  );
  assert.ok(
    !reidentifyBodySchema.safeParse({ project: 'careflow', purpose: 'SAR-1', tokens: [], role: 'x' }).success,
  );
  assert.ok(!reidentifyBodySchema.safeParse({ project: 'careflow', purpose: 'SAR-1', tokens: 'a' }).success);
});

test('the local operator presents --role, else the configured role when the secrets file names it, else its first role', () => {
  assert.equal(presentedLocalRole(['analyst'], 'custodian', 'custodian'), 'custodian');
  assert.equal(presentedLocalRole(['analyst', 'custodian'], 'custodian', undefined), 'custodian');
  assert.equal(presentedLocalRole(['analyst'], 'custodian', undefined), 'analyst');
  assert.equal(presentedLocalRole([], 'custodian', undefined), '');
  assert.equal(presentedLocalRole(['custodian'], '', undefined), 'custodian');
});

test('nhs-flows keys without a known action exits 2 and says what it expected', async () => {
  const err: string[] = [];
  const io = { out: () => undefined, err: (line: string) => void err.push(line) };
  assert.equal(await main(['keys', 'delete'], io), 2);
  assert.deepEqual(err, ["nhs-flows keys: expected rotate, rekey or status; received 'delete'"]);
  const help: string[] = [];
  assert.equal(
    await main(['reidentify', '--help'], { out: (l) => void help.push(l), err: () => undefined }),
    0,
  );
  assert.match(help.join('\n'), /off by default; role-gated, audited/);
});
