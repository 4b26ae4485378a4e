import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  bracketsBalance,
  declarations,
  parameters,
  property,
  stripComments,
  topLevelKeys,
} from './deploy-readiness/bicep-text.js';
import { grants, loadSources, REFUSED_ROLE_IDS, ROLE_IDS } from './deploy-readiness/readiness.js';

// Bicep cannot be compiled here (its CLI downloads itself), so infra/ is checked structurally; the
// deploy-readiness suite (tests/unit/deploy-readiness) checks it against the code.
const read = (file: string): string => stripComments(readFileSync(file, 'utf8'));
const main = read('infra/main.bicep');
const modules = declarations(main).filter((d) => d.kind === 'module');
const infraFiles = ['infra/main.bicep', ...readdirSync('infra/app').map((f) => join('infra/app', f))].filter(
  (f) => f.endsWith('.bicep'),
);

test('every module main.bicep composes exists and receives exactly the params it declares', () => {
  assert.ok(modules.length >= 9);
  for (const m of modules) {
    const path = join('infra', m.target);
    assert.ok(existsSync(path), `${path} exists`);
    const declared = parameters(read(path));
    const passed = topLevelKeys(property(m.body, 'params') ?? '{}');
    for (const p of declared.filter((d) => d.default === undefined))
      assert.ok(passed.includes(p.name), `${m.symbol} is given required param ${p.name}`);
    for (const p of passed)
      assert.ok(
        declared.some((d) => d.name === p),
        `${m.symbol} declares param ${p}`,
      );
  }
});

test('infra grants roles to managed identities, never uses account keys, and its brackets balance', () => {
  for (const file of infraFiles) {
    const text = read(file);
    assert.doesNotMatch(text, /listKeys\(|AccountKey=|SharedAccessKey=/, `${file} uses no keys`);
    assert.ok(bracketsBalance(text), `${file} brackets balance`);
  }
  for (const file of ['infra/app/storage.bicep']) {
    const text = read(file);
    assert.equal(
      text.match(/allowSharedKeyAccess: false/g)?.length,
      2,
      'both storage accounts refuse shared keys',
    );
  }
  assert.match(read('infra/app/event-hubs.bicep'), /disableLocalAuth: true/);
  assert.match(read('infra/app/monitoring.bicep'), /DisableLocalAuth: true/);
  assert.match(read('infra/app/key-vault.bicep'), /enableRbacAuthorization: true/);
});

test('no Owner, Contributor, account-contributor or data-owner role is granted anywhere', () => {
  for (const file of infraFiles) {
    const text = readFileSync(file, 'utf8').toLowerCase();
    for (const [id, name] of Object.entries(REFUSED_ROLE_IDS))
      assert.ok(!text.includes(id), `${file} grants no ${name}`);
  }
  const all = grants(loadSources());
  assert.ok(all.length >= 10, 'role assignments are found');
  for (const g of all) assert.ok(!(g.role in REFUSED_ROLE_IDS), `${g.symbol}: ${g.role}`);
});

test('the Synapse identity reads the gold container only', () => {
  const synapse = grants(loadSources()).filter((g) => g.principal === 'synapse');
  assert.deepEqual(
    synapse.map((g) => ({ role: g.role, scope: g.scopeType, names: [...new Set(g.scopeNames)] })),
    [
      {
        role: ROLE_IDS.storageBlobDataReader,
        scope: 'Microsoft.Storage/storageAccounts/blobServices/containers',
        names: ['gold'],
      },
    ],
  );
});

test('the Function App runs Node 22 on Flex Consumption', () => {
  const app = read('infra/app/function-app.bicep');
  assert.match(app, /runtime: \{ name: 'node', version: '22' \}/);
  assert.match(app, /tier: 'FlexConsumption'/);
  assert.doesNotMatch(app, /version: '20'/);
});

test('private networking: with the option on, every data service gets a private endpoint and public access is off', () => {
  assert.match(main, /^param enablePrivateNetworking bool = false$/m);
  const endpoints = declarations(main).find((d) => d.symbol === 'endpoints');
  assert.ok(endpoints?.loop, 'main.bicep loops private endpoints');
  const list =
    /var privateEndpoints = enablePrivateNetworking\s*\?([\s\S]*?)\n {2}: \[\]/.exec(main)?.[1] ?? '';
  const groups = [...list.matchAll(/target: '(\w+)', group: '(\w+)'/g)].map((m) => `${m[1]}:${m[2]}`);
  assert.deepEqual(groups.sort(), [
    'eventHubs:namespace',
    'host:blob',
    'host:queue',
    'host:table',
    'keyVault:vault',
    'lake:blob',
    'lake:dfs',
    'lake:queue',
    'lake:table',
    'synapse:Sql',
  ]);
  const network = read('infra/app/network.bicep');
  for (const group of new Set(groups.map((g) => g.split(':')[1]!)))
    assert.match(network, new RegExp(`\\b${group}: '?privatelink\\.`), `a private DNS zone for ${group}`);
  assert.match(
    network,
    /serviceName: 'Microsoft\.App\/environments'/,
    'the app subnet is delegated for Flex Consumption',
  );
  for (const file of ['storage', 'event-hubs', 'key-vault', 'synapse'])
    assert.match(
      read(`infra/app/${file}.bicep`),
      /publicNetworkAccess: enablePrivateNetworking \? 'Disabled' : 'Enabled'/,
      `${file}: public access off with private networking`,
    );
  const app = read('infra/app/function-app.bicep');
  assert.match(app, /virtualNetworkSubnetId: empty\(appSubnetId\) \? null : appSubnetId/);
  assert.match(main, /appSubnetId: enablePrivateNetworking \? network\.outputs\.appSubnetId : ''/);
});

test('bronze and landing have lifecycle deletion; the identity register is outside both', () => {
  const storage = read('infra/app/storage.bicep');
  assert.match(
    storage,
    /prefixMatch: \['bronze\/'\][\s\S]*?daysAfterModificationGreaterThan: bronzeRetentionDays/,
  );
  assert.match(
    storage,
    /prefixMatch: \['landing\/'\][\s\S]*?daysAfterModificationGreaterThan: landingRetentionDays/,
  );
  const prefixes = [...storage.matchAll(/prefixMatch: \[([^\]]*)\]/g)].flatMap(
    (m) => m[1]!.match(/'[^']*'/g) ?? [],
  );
  assert.deepEqual(prefixes.sort(), ["'bronze/'", "'landing/'"]);
  assert.match(main, /@minValue\(1\)\nparam landingRetentionDays int = 30/);
});

test('every custom event and metric an alert rule watches is emitted by the code', () => {
  const alerts = readFileSync('infra/app/alerts.bicep', 'utf8');
  const names = [...alerts.matchAll(/name == "([\w.]+)"/g)].map((m) => m[1]!);
  assert.ok(names.length >= 5);
  const code = collect('shared');
  for (const name of names) assert.ok(code.includes(`'${name}'`), `code emits ${name}`);
});

function collect(dir: string): string {
  return readdirSync(dir, { withFileTypes: true })
    .map((e) =>
      e.isDirectory()
        ? collect(join(dir, e.name))
        : e.name.endsWith('.ts')
          ? readFileSync(join(dir, e.name), 'utf8')
          : '',
    )
    .join('\n');
}

test('the audit container is write-once: a time-based immutability policy, the period a parameter', () => {
  const storage = read('infra/app/storage.bicep');
  const policy = declarations(storage).find(
    (d) => d.kind === 'resource' && d.target.endsWith('containers/immutabilityPolicies'),
  );
  assert.ok(policy, 'an immutabilityPolicies resource');
  assert.match(policy.body, /parent:\s*containers\[indexOf\(lakeContainers, 'audit'\)\]/);
  assert.match(policy.body, /immutabilityPeriodSinceCreationInDays:\s*auditImmutabilityDays/);
  assert.match(policy.body, /allowProtectedAppendWrites:\s*false/);
  assert.ok(parameters(main).some((p) => p.name === 'auditImmutabilityDays' && p.default !== undefined));
});
