import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRemoteJWKSet, exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { EntraTokenValidator } from '../../../shared/adapters/azure/entra-token-validator.azure.js';
import { authenticateClient } from '../../../shared/application/use-cases/data-api/authenticate-client.js';
import { createApiKey } from '../../../shared/application/use-cases/data-api/api-keys.use-case.js';
import { apiKeySecretName } from '../../../shared/domain/data-api/api-key.js';
import { memorySecrets, testCatalogue } from './data-api-fixtures.js';

// Who is calling: named API keys against their hashed record in the secret store, and Entra ID
// access tokens validated against a tenant's signing keys, here a key pair made for the test and
// its JWKS served on loopback (never the network).

const TENANT = '11111111-2222-3333-4444-555555555555';
const AUDIENCE = 'api://nhs-flows-data';
const clock = { now: () => new Date('2026-12-06T10:00:00Z') };
const catalogue = testCatalogue();

let server: Server;
let jwksUrl: URL;
let signing: CryptoKey;
let stranger: CryptoKey;
before(async () => {
  const pair = await generateKeyPair('RS256');
  signing = pair.privateKey;
  stranger = (await generateKeyPair('RS256')).privateKey;
  const jwk: JWK = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
  server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  jwksUrl = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/discovery/v2.0/keys`);
});
after(() => new Promise<void>((resolve) => server.close(() => resolve())));

const validator = () =>
  new EntraTokenValidator({
    tenantId: TENANT,
    audience: AUDIENCE,
    keys: createRemoteJWKSet(jwksUrl),
    clockToleranceSeconds: 0,
  });

async function token(
  claims: Record<string, unknown> = {},
  options: {
    key?: CryptoKey;
    issuer?: string;
    audience?: string;
    expiresIn?: number | string;
    kid?: string;
  } = {},
): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({
    roles: ['careflow-analytics'],
    azp: 'aaaaaaaa-0000-0000-0000-000000000001',
    ...claims,
  })
    .setProtectedHeader({ alg: 'RS256', kid: options.kid ?? 'k1' })
    .setIssuer(options.issuer ?? `https://login.microsoftonline.com/${TENANT}/v2.0`)
    .setAudience(options.audience ?? AUDIENCE)
    .setIssuedAt(now - 60)
    .setExpirationTime(options.expiresIn ?? now + 600)
    .sign(options.key ?? signing);
}

test('a key created for a client authenticates as that client, by either header; only its hash is stored', async () => {
  const secrets = memorySecrets();
  const { key } = await createApiKey('careflow-analytics', { catalogue, secrets, clock });
  assert.match(key, /^nhsflows_careflow-analytics_[A-Za-z0-9_-]{43}$/);
  const stored = await secrets.getSecret(apiKeySecretName('careflow-analytics'));
  // The secret part is everything after the client's prefix (base64url: it may itself hold '_').
  const secretPart = key.slice('nhsflows_careflow-analytics_'.length);
  assert.equal(secretPart.length, 43);
  assert.ok(!stored.includes(secretPart), 'the secret part of the key is not stored');
  for (const presented of [{ apiKey: key }, { authorization: `Bearer ${key}` }]) {
    const auth = await authenticateClient(presented, { catalogue, secrets });
    assert.equal(auth.ok, true);
    if (auth.ok) {
      assert.equal(auth.client.name, 'careflow-analytics');
      assert.equal(auth.client.project, 'careflow');
      assert.equal(auth.method, 'api-key');
    }
  }
});

test('no credentials, a wrong key, a replaced key, a key of an undeclared client: refused without echoing them', async () => {
  const secrets = memorySecrets();
  const { key: first } = await createApiKey('careflow-analytics', { catalogue, secrets, clock });
  const { key: second } = await createApiKey('careflow-analytics', { catalogue, secrets, clock });
  const tampered = `${second.slice(0, -1)}${second.endsWith('A') ? 'B' : 'A'}`;
  const cases: [string, Record<string, string>][] = [
    ['nothing', {}],
    ['a Basic header', { authorization: 'Basic dXNlcjpwYXNz' }],
    ['a replaced key', { apiKey: first }],
    ['one character changed', { apiKey: tampered }],
    ['an undeclared client', { apiKey: second.replace('careflow-analytics', 'someone-else') }],
    ['a client with no key yet', { apiKey: second.replace('careflow-analytics', 'community360-analytics') }],
    ['not a key at all', { apiKey: 'letmein' }],
  ];
  for (const [what, presented] of cases) {
    const auth = await authenticateClient(presented, { catalogue, secrets });
    assert.equal(auth.ok, false, what);
    if (!auth.ok)
      for (const v of Object.values(presented))
        assert.ok(!auth.reason.includes(v), `${what}: reason echoes it`);
  }
  assert.equal((await authenticateClient({ apiKey: second }, { catalogue, secrets })).ok, true);
});

test('a valid Entra ID token authenticates as the client its app role names', async () => {
  const auth = await authenticateClient(
    { authorization: `Bearer ${await token()}` },
    { catalogue, secrets: memorySecrets(), tokens: validator() },
  );
  assert.deepEqual(auth.ok && { client: auth.client.name, method: auth.method, principal: auth.principal }, {
    client: 'careflow-analytics',
    method: 'entra-id',
    principal: 'aaaaaaaa-0000-0000-0000-000000000001',
  });
  const v1 = await validator().validate(await token({}, { issuer: `https://sts.windows.net/${TENANT}/` }));
  assert.equal(v1.valid, true, 'the tenant’s v1 issuer is accepted too');
});

test('an expired, foreign, mis-addressed or badly signed token is refused, naming the failed check', async () => {
  const now = Math.floor(Date.now() / 1000);
  const cases: [string, Promise<string>, RegExp][] = [
    ['expired', token({}, { expiresIn: now - 5 }), /expired/],
    ['another audience', token({}, { audience: 'api://something-else' }), /aud/],
    ['another tenant', token({}, { issuer: 'https://login.microsoftonline.com/other-tenant/v2.0' }), /iss/],
    ['signed by another key with the same key id', token({}, { key: stranger }), /signature/],
    ['a key id the tenant does not publish', token({}, { kid: 'k2' }), /key the tenant does not publish/],
    ['no role naming a client', token({ roles: ['Reader'] }), /no app role/],
    [
      'roles of two clients',
      token({ roles: ['careflow-analytics', 'community360-analytics'] }),
      /more than one/,
    ],
  ];
  for (const [what, pending, reason] of cases) {
    const jwt = await pending;
    const auth = await authenticateClient(
      { authorization: `Bearer ${jwt}` },
      { catalogue, secrets: memorySecrets(), tokens: validator() },
    );
    assert.equal(auth.ok, false, what);
    if (!auth.ok) {
      assert.match(auth.reason, reason, what);
      assert.ok(!auth.reason.includes(jwt.split('.')[1]!), `${what}: the reason does not echo the token`);
    }
  }
  // An unsigned token (alg none) is not a token at all.
  const [, payload] = (await token()).split('.');
  const unsigned = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${payload}.`;
  assert.equal((await validator().validate(unsigned)).valid, false);
});

test('signing keys out of reach are an outage (thrown), not a refused token', async () => {
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const port = (closed.address() as AddressInfo).port;
  await new Promise<void>((resolve) => closed.close(() => resolve()));
  const unreachable = new EntraTokenValidator({
    tenantId: TENANT,
    audience: AUDIENCE,
    keys: createRemoteJWKSet(new URL(`http://127.0.0.1:${port}/keys`)),
  });
  await assert.rejects(unreachable.validate(await token()), { code: 'ENTRA_KEYS_UNAVAILABLE' });
});

test('without a tenant configured, a bearer token is refused rather than tried as a key', async () => {
  const auth = await authenticateClient(
    { authorization: `Bearer ${await token()}` },
    { catalogue, secrets: memorySecrets() },
  );
  assert.equal(auth.ok, false);
  if (!auth.ok) assert.match(auth.reason, /not accepted here/);
});
