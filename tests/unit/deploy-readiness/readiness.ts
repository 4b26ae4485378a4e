/**
 * The deploy-readiness checks: what the code needs on Azure, read from the code, against what
 * infra/ declares, read from the Bicep text. Each check is a pure function of the sources (so a
 * test can plant a mismatch in an in-memory copy) and returns its problems as sentences; none means
 * ready. No Bicep CLI and no Azure: this is what can be known from the text.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { LAKE_CONTAINERS } from '../../../shared/domain/lake/lake-paths.js';
import {
  appSettings,
  declarations,
  property,
  stringArray,
  stringObject,
  stripComments,
  variables,
  type BicepDeclaration,
} from './bicep-text.js';

/** File path (relative to the repository) → text. */
export type Sources = Record<string, string>;

function filesUnder(dir: string, ext: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory()
      ? filesUnder(join(dir, e.name), ext)
      : e.name.endsWith(ext) && !e.name.endsWith('.test.ts')
        ? [join(dir, e.name)]
        : [],
  );
}

/** infra/**\/*.bicep, host.json, functions/*.ts and shared/**\/*.ts as they are on disk. */
export function loadSources(): Sources {
  const files = [
    ...filesUnder('infra', '.bicep'),
    'host.json',
    ...filesUnder('functions', '.ts'),
    ...filesUnder('shared', '.ts'),
  ];
  return Object.fromEntries(
    files.map((f) => [relative('.', f).split('\\').join('/'), readFileSync(f, 'utf8')]),
  );
}

/** A copy of the sources with one file's text changed (a planted mismatch). */
export function plant(sources: Sources, file: string, change: (text: string) => string): Sources {
  const before = sources[file];
  if (before === undefined) throw new Error(`no source ${file}`);
  const after = change(before);
  if (after === before) throw new Error(`planting in ${file} changed nothing`);
  return { ...sources, [file]: after };
}

const bicepFiles = (s: Sources): string[] => Object.keys(s).filter((f) => f.endsWith('.bicep'));
const codeFiles = (s: Sources): string[] =>
  Object.keys(s).filter((f) => f.endsWith('.ts') && (f.startsWith('functions/') || f.startsWith('shared/')));
const bicep = (s: Sources, file: string): string => stripComments(s[file] ?? '');

// ---------------------------------------------------------------------------------------------
// What the code uses

/** Constants naming a storage resource that are not one (with the reason). */
const NOT_AZURE_STORAGE: Record<string, string> = {
  SEED_RECORD_TABLE: 'a table of the embedded DuckDB source database, local only',
};

export interface CodeNeeds {
  readonly containers: string[];
  readonly tables: string[];
  readonly queues: string[];
  readonly eventHubs: string[];
  readonly consumerGroups: string[];
}

/**
 * Containers, tables, queues, hubs and consumer groups the code uses: LAKE_CONTAINERS, every
 * `export const *_CONTAINER|*_TABLE = '…'` in shared/ and functions/, the schema defaults of the
 * queue and hub names, and the consumer groups of the Event Hubs registrations.
 */
export function codeNeeds(s: Sources, defaults: { poisonQueue: string; eventHub: string }): CodeNeeds {
  const containers = new Set<string>(LAKE_CONTAINERS);
  const tables = new Set<string>();
  for (const file of codeFiles(s))
    for (const m of (s[file] ?? '').matchAll(/export const (\w+_(CONTAINER|TABLE)) = '([^']+)'/g)) {
      if (NOT_AZURE_STORAGE[m[1]!]) continue;
      (m[2] === 'CONTAINER' ? containers : tables).add(m[3]!);
    }
  const consumerGroups = new Set<string>();
  for (const file of codeFiles(s).filter((f) => f.startsWith('functions/')))
    for (const m of (s[file] ?? '').matchAll(/consumerGroup:\s*'([^']+)'/g)) consumerGroups.add(m[1]!);
  // The blob trigger writes a file that fails every retry to this queue on its connection's account.
  const usesBlobTrigger = codeFiles(s).some((f) => /\.storageBlob\(/.test(s[f] ?? ''));
  return {
    containers: [...containers],
    tables: [...tables],
    queues: [defaults.poisonQueue, ...(usesBlobTrigger ? ['webjobs-blobtrigger-poison'] : [])],
    eventHubs: [defaults.eventHub],
    consumerGroups: [...consumerGroups],
  };
}

// ---------------------------------------------------------------------------------------------
// Resource names

function resolveStrings(expr: string, vars: Map<string, string>): string[] | undefined {
  const direct = stringArray(expr);
  if (direct) return direct;
  const name = expr.trim();
  const v = vars.get(name);
  return v === undefined ? undefined : stringArray(v);
}

/** Names a resource declaration creates (a literal name, or each item of the array it loops over). */
function declaredNames(d: BicepDeclaration, vars: Map<string, string>): string[] {
  const name = property(d.body, 'name');
  if (d.loop) {
    const items = resolveStrings(d.loop.over, vars);
    if (items && name === d.loop.item) return items;
    return [];
  }
  const literal = name && /^'([^'$]+)'$/.exec(name);
  if (literal) return [literal[1]!];
  if (name && /^\w+$/.test(name)) {
    const v = vars.get(name);
    const m = v && /^'([^'$]+)'$/.exec(v);
    if (m) return [m[1]!];
  }
  return [];
}

/** Names of every non-`existing` resource of a type across infra/, with the module param values for hubs. */
export function bicepNames(s: Sources, type: string): string[] {
  const names: string[] = [];
  for (const file of bicepFiles(s)) {
    const text = bicep(s, file);
    const vars = variables(text);
    for (const d of declarations(text))
      if (d.kind === 'resource' && !d.existing && d.target === type) names.push(...declaredNames(d, vars));
  }
  return names;
}

/** The hub name main.bicep passes to the event-hubs module. */
function hubNames(s: Sources): string[] {
  const main = bicep(s, 'infra/main.bicep');
  return declarations(main)
    .filter((d) => d.kind === 'module' && d.target === 'app/event-hubs.bicep')
    .map((d) => /hubName:\s*'([^']+)'/.exec(d.body)?.[1])
    .filter((n): n is string => Boolean(n));
}

/** Every container, table, queue, hub and consumer group the code uses exists in Bicep. */
export function resourceNameProblems(s: Sources, needs: CodeNeeds): string[] {
  const problems: string[] = [];
  const have = {
    container: bicepNames(s, 'Microsoft.Storage/storageAccounts/blobServices/containers'),
    table: bicepNames(s, 'Microsoft.Storage/storageAccounts/tableServices/tables'),
    queue: bicepNames(s, 'Microsoft.Storage/storageAccounts/queueServices/queues'),
    consumerGroup: ['$Default', ...bicepNames(s, 'Microsoft.EventHub/namespaces/eventhubs/consumergroups')],
    hub: hubNames(s),
  };
  const check = (kind: keyof typeof have, names: readonly string[]): void => {
    for (const n of names)
      if (!have[kind].includes(n))
        problems.push(`${kind} '${n}' is used by the code but no Bicep creates it`);
  };
  check('container', needs.containers);
  check('table', needs.tables);
  check('queue', needs.queues);
  check('hub', needs.eventHubs);
  check('consumerGroup', needs.consumerGroups);
  if (!have.container.includes('deployments'))
    problems.push("container 'deployments' (Flex Consumption's package container) is not created");
  const app = bicep(s, 'infra/app/function-app.bicep');
  if (!/deployment:\s*\{[\s\S]*?value:\s*deploymentContainerUrl/.test(app))
    problems.push('function-app.bicep does not deploy from the deployment container storage.bicep creates');
  return problems;
}

// ---------------------------------------------------------------------------------------------
// App settings

/** Settings of the schema that the Function App does not set, each with why (local only, or optional). */
export const NOT_SET_ON_AZURE: Record<string, string> = {
  NHSFLOWS_LAKE_CONNECTION: 'connection strings are local (Azurite); Azure uses NHSFLOWS_LAKE_ACCOUNT_URL',
  NHSFLOWS_STATE_CONNECTION: 'local; Azure uses NHSFLOWS_STATE_TABLE_URL',
  NHSFLOWS_EVENTHUB_CONNECTION: 'local or keyed; Azure uses NHSFLOWS_EVENTHUB_NAMESPACE (managed identity)',
  NHSFLOWS_AZURITE_BLOB_PORT: 'local runner only',
  NHSFLOWS_AZURITE_QUEUE_PORT: 'local runner only',
  NHSFLOWS_AZURITE_TABLE_PORT: 'local runner only',
  NHSFLOWS_LOCAL_SECRETS_FILE: 'local only: Azure reads Key Vault',
  NHSFLOWS_LOCAL_ACTIVITY_WORKERS: 'local host only',
  NHSFLOWS_SEED: 'synthetic population, local only',
  NHSFLOWS_SYNTHETIC_PATIENTS: 'synthetic population, local only',
  NHSFLOWS_TELEMETRY_DISABLED: 'tests and local runs; Azure always sends telemetry',
  NHSFLOWS_CDC_TABLES:
    'optional: every source table by default; the operator sets it for a subset (docs/deploy.md)',
  NHSFLOWS_LINEAGE_URL:
    'optional: run events always go to the lake; set it to also POST them to an OpenLineage endpoint (docs/lineage.md)',
  NHSFLOWS_SOURCE_MSSQL_TABLE_MAP:
    'optional: source tables under their declared names by default; a file in the package names other ones (docs/sources.md)',
  NHSFLOWS_PROJECTS_FILE:
    'optional: the projects file shipped in the package (dist/projects/projects.json) by default (docs/projects.md)',
};

/** Suffixes an identity-based connection needs, per trigger kind (Functions identity-based connections). */
const CONNECTION_SUFFIXES: Record<string, string[]> = {
  eventHub: ['fullyQualifiedNamespace', 'credential', 'clientId'],
  storageBlob: ['blobServiceUri', 'queueServiceUri', 'credential', 'clientId'],
  storageQueue: ['queueServiceUri', 'credential', 'clientId'],
};

/** `connection:` values of the registrations with their trigger kind, resolved through CONNECTIONS. */
export function bindingConnections(s: Sources): { connection: string; kind: string }[] {
  const names = s['functions/function-names.ts'] ?? '';
  const block = /export const CONNECTIONS = \{([\s\S]*?)\}/.exec(names)?.[1] ?? '';
  const constants = Object.fromEntries([...block.matchAll(/(\w+):\s*'([^']+)'/g)].map((m) => [m[1]!, m[2]!]));
  const found: { connection: string; kind: string }[] = [];
  for (const file of codeFiles(s).filter((f) => f.startsWith('functions/'))) {
    const text = s[file] ?? '';
    for (const call of text.matchAll(
      /\.(eventHub|storageBlob|storageQueue)\(\s*[\w.]+,\s*\{([\s\S]*?)\n\}\);/g,
    )) {
      const conn = /connection:\s*(?:CONNECTIONS\.(\w+)|'([^']+)')/.exec(call[2]!);
      if (!conn) continue;
      const connection = conn[2] ?? constants[conn[1]!];
      if (connection) found.push({ connection, kind: call[1]! });
    }
  }
  return found;
}

/** `%NAME%` app-setting references in host.json and the registrations. */
export function settingReferences(s: Sources): string[] {
  const refs = new Set<string>();
  for (const file of ['host.json', ...codeFiles(s).filter((f) => f.startsWith('functions/'))])
    for (const m of (s[file] ?? '').matchAll(/%(\w+)%/g)) refs.add(m[1]!);
  return [...refs];
}

/**
 * Every setting the code reads on Azure is set by function-app.bicep (schema keys not listed in
 * NOT_SET_ON_AZURE, `%…%` references, each binding connection's identity-based settings and the
 * host's AzureWebJobsStorage__*), and every NHSFLOWS_* the Bicep sets is known to the code.
 */
export function settingProblems(s: Sources, schemaKeys: readonly string[]): string[] {
  const problems: string[] = [];
  const set = appSettings(bicep(s, 'infra/app/function-app.bicep'));
  const need = (name: string, why: string): void => {
    if (!set.has(name)) problems.push(`app setting ${name} (${why}) is not set by function-app.bicep`);
  };
  for (const key of schemaKeys)
    if (!NOT_SET_ON_AZURE[key])
      need(
        key,
        'read by the settings schema; or list it in NOT_SET_ON_AZURE, deploy-readiness/readiness.ts, with why',
      );
  for (const key of Object.keys(NOT_SET_ON_AZURE))
    if (!schemaKeys.includes(key))
      problems.push(`NOT_SET_ON_AZURE lists ${key}, which the schema no longer has`);
  for (const ref of settingReferences(s)) need(ref, 'referenced as %…% by host.json or a registration');
  const connections = bindingConnections(s);
  for (const { connection, kind } of connections)
    for (const suffix of CONNECTION_SUFFIXES[kind] ?? [])
      need(`${connection}__${suffix}`, `identity-based connection of a ${kind} trigger`);
  for (const suffix of ['accountName', 'credential', 'clientId'])
    need(`AzureWebJobsStorage__${suffix}`, 'host storage, identity-based');
  need(
    'APPLICATIONINSIGHTS_AUTHENTICATION_STRING',
    'the host sends telemetry with Entra ID (local auth is off)',
  );
  const prefixes = connections.map((c) => `${c.connection}__`);
  const refs = settingReferences(s);
  for (const name of set.keys()) {
    if (!name.startsWith('NHSFLOWS_')) continue;
    if (schemaKeys.includes(name) || refs.includes(name) || prefixes.some((p) => name.startsWith(p)))
      continue;
    problems.push(
      `function-app.bicep sets ${name}, which no code reads (not in the schema, host.json or a binding)`,
    );
  }
  if (set.get('NHSFLOWS_MODE') !== "'azure'")
    problems.push("NHSFLOWS_MODE is not 'azure' on the Function App");
  if (set.get('NHSFLOWS_WAREHOUSE_KIND') !== "'synapse'")
    problems.push(
      "NHSFLOWS_WAREHOUSE_KIND is not 'synapse' on the Function App (azure mode refuses the embedded warehouse)",
    );
  return problems;
}

// ---------------------------------------------------------------------------------------------
// Roles

/** Built-in role definition ids this deployment may grant, by name. */
export const ROLE_IDS = {
  storageBlobDataContributor: 'ba92f5b4-2d11-453d-a403-e96b0029c9fe',
  storageBlobDataReader: '2a2b9908-6ea1-4ae2-8e65-a410df84e7d1',
  storageQueueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88',
  storageTableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3',
  eventHubsDataSender: '2b629674-e913-4c01-ae53-ef4638d8f975',
  eventHubsDataReceiver: 'a638d3c7-ab3a-418d-83e6-5f17a39d4fde',
  keyVaultSecretsUser: '4633458b-17de-408a-b874-0445c86b69e6',
  monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb',
} as const;

/** Role definition ids refused anywhere in infra/ (broader than any operation needs). */
export const REFUSED_ROLE_IDS: Record<string, string> = {
  '8e3af657-a8ff-443c-a75c-2fe8c4bcb635': 'Owner',
  'b24988ac-6180-42a0-ab88-20f7382dd24c': 'Contributor',
  '18d7d88d-d35e-4fb5-a5c3-7773c20a72d9': 'User Access Administrator',
  '17d1049b-9a84-46fb-8f53-869881c3d3ab': 'Storage Account Contributor',
  'b7e6dc6d-f1e8-4753-8033-0f276bb0955b': 'Storage Blob Data Owner',
  'f526a384-b230-433a-b45c-95f59c4a2dec': 'Azure Event Hubs Data Owner',
  '090c5cfd-751d-490a-894a-3ce6f1109419': 'Azure Service Bus Data Owner',
  '00482a5a-887f-4fb3-b363-3b7fe8e74483': 'Key Vault Administrator',
  'b86a8fe4-44ce-4948-aee5-eccb2c155cd7': 'Key Vault Secrets Officer',
};

const CONTAINER = 'Microsoft.Storage/storageAccounts/blobServices/containers';
const ACCOUNT = 'Microsoft.Storage/storageAccounts';

/**
 * The allow-list: per principal, each role at the one scope type it may have (and, for account
 * scope, the one account). Anything granted outside it is a problem; anything the code needs and
 * not granted is a problem.
 */
export const ALLOWED_GRANTS: readonly {
  principal: 'app' | 'synapse' | 'eventgrid';
  role: string;
  scopeType: string;
  scopeSymbol?: string;
  why: string;
}[] = [
  {
    principal: 'app',
    role: ROLE_IDS.storageBlobDataContributor,
    scopeType: CONTAINER,
    why: 'lake containers it writes, one assignment each',
  },
  {
    principal: 'app',
    role: ROLE_IDS.storageBlobDataContributor,
    scopeType: ACCOUNT,
    scopeSymbol: 'host',
    why: 'host storage (task hub, leases, checkpoints, package)',
  },
  {
    principal: 'app',
    role: ROLE_IDS.storageQueueDataContributor,
    scopeType: ACCOUNT,
    scopeSymbol: 'host',
    why: 'durable task hub queues',
  },
  {
    principal: 'app',
    role: ROLE_IDS.storageTableDataContributor,
    scopeType: ACCOUNT,
    scopeSymbol: 'host',
    why: 'durable task hub history and instances',
  },
  {
    principal: 'app',
    role: ROLE_IDS.storageQueueDataContributor,
    scopeType: 'Microsoft.Storage/storageAccounts/queueServices/queues',
    why: 'poison queues, one each',
  },
  {
    principal: 'app',
    role: ROLE_IDS.storageTableDataContributor,
    scopeType: 'Microsoft.Storage/storageAccounts/tableServices/tables',
    why: 'control-state tables, one each',
  },
  {
    principal: 'app',
    role: ROLE_IDS.eventHubsDataSender,
    scopeType: 'Microsoft.EventHub/namespaces/eventhubs',
    why: 'cdcPoller publishes',
  },
  {
    principal: 'app',
    role: ROLE_IDS.eventHubsDataReceiver,
    scopeType: 'Microsoft.EventHub/namespaces/eventhubs',
    why: 'cdcConsumer receives',
  },
  {
    principal: 'app',
    role: ROLE_IDS.keyVaultSecretsUser,
    scopeType: 'Microsoft.KeyVault/vaults',
    why: 'reads keys and connection strings',
  },
  {
    principal: 'app',
    role: ROLE_IDS.monitoringMetricsPublisher,
    scopeType: 'Microsoft.Insights/components',
    why: 'telemetry with Entra ID',
  },
  {
    principal: 'eventgrid',
    role: ROLE_IDS.storageBlobDataContributor,
    scopeType: CONTAINER,
    scopeSymbol: 'containers',
    why: "the lake's Event Grid topic dead-letters undeliverable landing events (landing-deadletter only)",
  },
  {
    principal: 'synapse',
    role: ROLE_IDS.storageBlobDataReader,
    scopeType: CONTAINER,
    scopeSymbol: 'gold',
    why: 'COPY INTO reads gold only',
  },
];

export interface Grant {
  readonly file: string;
  readonly symbol: string;
  readonly principal: 'app' | 'synapse' | 'eventgrid' | 'unknown';
  readonly role: string;
  readonly scopeType: string;
  /** The symbol of the scope resource, and for a container the names it covers. */
  readonly scopeSymbol: string;
  readonly scopeNames: string[];
}

function resolveRole(expr: string, vars: Map<string, string>, loopValues: Map<string, string[]>): string[] {
  const e = expr.trim();
  const guid = /'([0-9a-f-]{36})'/.exec(e);
  if (guid) return [guid[1]!];
  const dotted = /^(\w+)\.(\w+)$/.exec(e);
  if (dotted) {
    const obj = stringObject(vars.get(dotted[1]!) ?? '');
    return obj[dotted[2]!] ? [obj[dotted[2]!]!] : [];
  }
  if (loopValues.has(e)) return loopValues.get(e)!;
  const v = vars.get(e);
  const lit = v && /^'([0-9a-f-]{36})'$/.exec(v);
  return lit ? [lit[1]!] : [];
}

/** Every role assignment in infra/, with its principal, role and scope resolved from the text. */
export function grants(s: Sources): Grant[] {
  const found: Grant[] = [];
  for (const file of bicepFiles(s)) {
    const text = bicep(s, file);
    const vars = variables(text);
    const decls = declarations(text);
    const bySymbol = new Map(decls.map((d) => [d.symbol, d]));
    for (const d of decls.filter((x) => x.target === 'Microsoft.Authorization/roleAssignments')) {
      const loopValues = new Map<string, string[]>();
      if (d.loop) {
        const items = /^\[([\s\S]*)\]$/.exec(d.loop.over.trim());
        if (items)
          loopValues.set(
            d.loop.item,
            items[1]!
              .split(/[\s,]+/)
              .filter(Boolean)
              .flatMap((x) => resolveRole(x, vars, new Map())),
          );
      }
      const roleExpr =
        /roleDefinitionId:\s*subscriptionResourceId\([^,]+,\s*([^)]+)\)/.exec(d.body)?.[1] ?? '';
      const principalExpr = property(d.body, 'principalId') ?? '';
      const principal =
        principalExpr === 'principalId'
          ? 'app'
          : /workspace\.identity\.principalId/.test(principalExpr)
            ? 'synapse'
            : /lakeEvents\.identity\.principalId/.test(principalExpr)
              ? 'eventgrid'
              : 'unknown';
      const scopeExpr = (property(d.body, 'scope') ?? '').replace(/\[\w+\]$/, '');
      const scope = bySymbol.get(scopeExpr);
      const scopeNames = scope ? declaredNames(scope, vars) : [];
      if (scope?.existing) {
        const n = /name:\s*'([^']+)'/.exec(scope.body)?.[1];
        if (n) scopeNames.push(n);
      }
      const roles = resolveRole(roleExpr, vars, loopValues);
      for (const role of roles.length > 0 ? roles : [`unresolved role '${roleExpr.trim()}'`])
        found.push({
          file,
          symbol: d.symbol,
          principal,
          role,
          scopeType: scope?.target ?? `unresolved scope '${scopeExpr}'`,
          scopeSymbol: scopeExpr,
          scopeNames,
        });
    }
  }
  return found;
}

/**
 * Nothing refused anywhere; every grant on the allow-list at its scope; every operation of the code
 * granted: a Blob Data Contributor assignment covering each container the app uses, Queue and Table
 * Data Contributor on each queue and table, Sender and Receiver on the hub, Secrets User on the vault,
 * Metrics Publisher on App Insights, and the Synapse identity's reader on gold.
 */
export function roleProblems(s: Sources, needs: CodeNeeds): string[] {
  const problems: string[] = [];
  for (const file of bicepFiles(s)) {
    const text = (s[file] ?? '').toLowerCase();
    for (const [id, name] of Object.entries(REFUSED_ROLE_IDS))
      if (text.includes(id)) problems.push(`${file} names role ${name} (${id}): refused`);
  }
  const all = grants(s);
  for (const g of all) {
    const allowed = ALLOWED_GRANTS.some(
      (a) =>
        a.principal === g.principal &&
        a.role === g.role &&
        a.scopeType === g.scopeType &&
        (a.scopeSymbol === undefined || a.scopeSymbol === g.scopeSymbol),
    );
    if (!allowed)
      problems.push(
        `${g.file} ${g.symbol}: ${g.principal} gets ${g.role} on ${g.scopeType} '${g.scopeSymbol}', outside the allow-list`,
      );
  }
  const covered = (principal: string, role: string, scopeType: string, name: string): boolean =>
    all.some(
      (g) =>
        g.principal === principal &&
        g.role === role &&
        g.scopeType === scopeType &&
        g.scopeNames.includes(name),
    );
  const has = (principal: string, role: string, scopeType: string): boolean =>
    all.some((g) => g.principal === principal && g.role === role && g.scopeType === scopeType);
  for (const c of needs.containers)
    if (!covered('app', ROLE_IDS.storageBlobDataContributor, CONTAINER, c))
      problems.push(`the app identity has no Blob Data Contributor on container '${c}'`);
  for (const q of needs.queues)
    if (
      !covered(
        'app',
        ROLE_IDS.storageQueueDataContributor,
        'Microsoft.Storage/storageAccounts/queueServices/queues',
        q,
      )
    )
      problems.push(`the app identity has no Queue Data Contributor on queue '${q}'`);
  for (const t of needs.tables)
    if (
      !covered(
        'app',
        ROLE_IDS.storageTableDataContributor,
        'Microsoft.Storage/storageAccounts/tableServices/tables',
        t,
      )
    )
      problems.push(`the app identity has no Table Data Contributor on table '${t}'`);
  const single: [string, string, string][] = [
    [
      ROLE_IDS.eventHubsDataSender,
      'Microsoft.EventHub/namespaces/eventhubs',
      'Event Hubs Data Sender on the hub',
    ],
    [
      ROLE_IDS.eventHubsDataReceiver,
      'Microsoft.EventHub/namespaces/eventhubs',
      'Event Hubs Data Receiver on the hub',
    ],
    [ROLE_IDS.keyVaultSecretsUser, 'Microsoft.KeyVault/vaults', 'Key Vault Secrets User on the vault'],
    [
      ROLE_IDS.monitoringMetricsPublisher,
      'Microsoft.Insights/components',
      'Monitoring Metrics Publisher on App Insights',
    ],
    [ROLE_IDS.storageBlobDataContributor, ACCOUNT, 'Blob Data Contributor on the host account'],
    [ROLE_IDS.storageQueueDataContributor, ACCOUNT, 'Queue Data Contributor on the host account'],
    [ROLE_IDS.storageTableDataContributor, ACCOUNT, 'Table Data Contributor on the host account'],
  ];
  for (const [role, scopeType, what] of single)
    if (!has('app', role, scopeType)) problems.push(`the app identity lacks ${what}`);
  if (!covered('synapse', ROLE_IDS.storageBlobDataReader, CONTAINER, 'gold'))
    problems.push('the Synapse identity cannot read the gold container');
  return problems;
}

/** The code's needs with the schema's default queue and hub names. */
export function needsOf(
  s: Sources,
  defaults: { NHSFLOWS_POISON_QUEUE: string; NHSFLOWS_EVENTHUB_NAME: string },
): CodeNeeds {
  return codeNeeds(s, {
    poisonQueue: defaults.NHSFLOWS_POISON_QUEUE,
    eventHub: defaults.NHSFLOWS_EVENTHUB_NAME,
  });
}

/**
 * The environment the Function App gets from function-app.bicep: literal values as written, Bicep
 * expressions (outputs of other modules) replaced by a value of the right shape.
 */
export function bicepEnvironment(s: Sources): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, expr] of appSettings(bicep(s, 'infra/app/function-app.bicep'))) {
    const literal = /^'([^'$]*)'$/.exec(expr);
    if (literal) env[name] = literal[1]!;
    else if (/URL$|_URI$|Uri$/.test(name) || /Url$/.test(expr)) env[name] = 'https://example.invalid/';
    else if (/NAMESPACE$|fullyQualifiedNamespace$/.test(name))
      env[name] = 'evhns-example.servicebus.windows.net';
    else env[name] = 'example';
  }
  return env;
}
