import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { startCommand } from '../../../shared/cli/start.command.js';
import { reconcileCommand } from '../../../shared/cli/reconcile.command.js';
import { SOURCE_TABLES, type SourceRow } from '../../../shared/domain/datasets/source-tables.js';
import { CLEAN_ROWS } from '../../unit/datasets/clean-rows.js';
import { testNhsNumber } from '../pipeline/pipeline-harness.js';
import { installFakeSqlServer, type FakeSqlServer } from '../../support/fake-sql-server.js';

/**
 * `nhs-flows start` with NHSFLOWS_SOURCE_KIND=mssql, in this process: the real composition root,
 * local Functions host, registrations and embedded warehouse, with only the `mssql` driver's wire
 * faked (tests/support/fake-sql-server.ts). Two runs: the first snapshots the tables in keyset
 * pages, the second reads the changes since the first watermark under SNAPSHOT isolation: by
 * rowversion for ecds_attendance, through Change Tracking (CHANGETABLE) for dids_imaging_test, and
 * for two source feeds (two trusts' tables, declared as data) feeding sus_apc_spell with the same
 * source keys. Then `nhs-flows reconcile` over the same source reads keys and activity dates only.
 */

const PASSWORD = 'Not-A-Real-Pa55word!';
const LOGIN = 'nhsflows_reader_login';
const TABLE = 'ecds_attendance';
const CT_TABLE = 'dids_imaging_test';
/** Two trusts' spell tables feeding the declared sus_apc_spell (source feeds, docs/sources.md). */
const FEEDS = {
  feeds: [
    {
      name: 'apc_spell_trust_a',
      feeds: 'sus_apc_spell',
      source: 'trust_a.Spells',
      key: ['SpellRef'],
      keyPrefix: 'A-',
      changeVersion: 'RowVer',
      columns: {
        SpellRef: 'spell_id',
        RowVer: 'change_version',
        Method: { column: 'admission_method', recode: { EMERG: '21' } },
      },
      extraColumns: [{ name: 'PatientName', identifier: true }],
    },
    {
      name: 'apc_spell_trust_b',
      feeds: 'sus_apc_spell',
      source: 'trust_b.Spells',
      key: ['spell_id'],
      keyPrefix: 'B-',
      changeVersion: 'change_version',
    },
  ],
};
const dataDir = mkdtempSync(join(tmpdir(), 'nhsflows-mssql-start-'));
const saved = { ...process.env };
let server: FakeSqlServer;
const nhsNumbers = [1, 2, 3, 4].map((n) => testNhsNumber(n, 456_000));

function imaging(n: number, overrides: Partial<SourceRow> = {}): SourceRow {
  return {
    ...CLEAN_ROWS[CT_TABLE],
    imaging_test_id: `DI00000000${n}`,
    nhs_number: nhsNumbers[n - 1]!,
    ...overrides,
  };
}

function spell(n: number, overrides: Partial<SourceRow> = {}): SourceRow {
  return {
    ...CLEAN_ROWS.sus_apc_spell,
    spell_id: `SL00000000${n}`,
    hospital_provider_spell_number: `SP00000000${n}${overrides.admission_method === 'EMERG' ? 'A' : 'B'}`,
    nhs_number: nhsNumbers[n - 1]!,
    ...overrides,
  };
}

function attendance(n: number, overrides: Partial<SourceRow> = {}): SourceRow {
  return {
    ...CLEAN_ROWS[TABLE],
    attendance_id: `EC00000000${n}`,
    nhs_number: nhsNumbers[n - 1]!,
    ...overrides,
  };
}

/** One `nhs-flows start`, as its own process would see the environment (start publishes its settings into it). */
async function start(): Promise<{ code: number; out: string }> {
  return run(startCommand, { 'log-format': 'json' });
}

/** One CLI command run as its own process would: the environment put back afterwards. */
async function run(
  command: typeof startCommand,
  values: Record<string, string | boolean>,
): Promise<{ code: number; out: string }> {
  let out = '';
  const before = { ...process.env };
  try {
    const code = await command.run(
      { values, positionals: [] },
      { out: (l) => void (out += `${l}\n`), err: (l) => void (out += `${l}\n`) },
    );
    return { code, out };
  } finally {
    for (const key of Object.keys(process.env)) if (!(key in before)) delete process.env[key];
    Object.assign(process.env, before);
  }
}

async function warehouse(query: string): Promise<Record<string, unknown>[]> {
  const db = await DuckDBInstance.create(join(dataDir, 'warehouse.duckdb'), { access_mode: 'READ_ONLY' });
  const connection = await db.connect();
  try {
    return (await connection.runAndReadAll(query)).getRowObjectsJson();
  } finally {
    connection.closeSync();
    db.closeSync();
  }
}

function logs(): string {
  const dir = join(dataDir, 'logs');
  return readdirSync(dir)
    .map((f) => readFileSync(join(dir, f), 'utf8'))
    .join('\n');
}

const readStatements = (table = TABLE): { text: string; params: Record<string, unknown> }[] =>
  server.statements.filter(
    (s) =>
      (s.text.startsWith('SELECT TOP (') || s.text.includes('DECLARE @upTo')) &&
      s.text.includes(`[dbo].[${table}]`),
  );

/** Facts in the warehouse: an attendance is in fact_activity, an imaging test in fact_dids_test, a spell in fact_apc_spell. */
async function facts(table: string, where = 'true'): Promise<number> {
  const [row] = await warehouse(
    table === CT_TABLE
      ? `SELECT count(*)::INTEGER AS n FROM fact_dids_test WHERE ${where}`
      : table === 'sus_apc_spell'
        ? `SELECT count(*)::INTEGER AS n FROM fact_apc_spell WHERE ${where}`
        : `SELECT count(*)::INTEGER AS n FROM fact_activity WHERE source_table = '${table}' AND ${where}`,
  );
  return Number(row?.n);
}

before(() => {
  Object.assign(process.env, {
    NHSFLOWS_DATA_DIR: dataDir,
    NHSFLOWS_LOCAL_SECRETS_FILE: join(dataDir, 'local-secrets.json'),
    NHSFLOWS_SOURCE_KIND: 'mssql',
    NHSFLOWS_EVENTS_KIND: 'local',
    NHSFLOWS_CDC_TABLES: `${TABLE},${CT_TABLE},apc_spell_trust_a,apc_spell_trust_b`,
    NHSFLOWS_SOURCE_MSSQL_TABLE_MAP: join(dataDir, 'source-tables.json'),
    NHSFLOWS_SOURCE_MSSQL_CHANGE_TRACKING_TABLES: CT_TABLE,
    NHSFLOWS_CDC_BATCH_SIZE: '2',
    NHSFLOWS_SOURCE_MSSQL_SNAPSHOT: 'true',
    NHSFLOWS_SECRET_SOURCE_SQL_CONNECTION: `Server=tcp:127.0.0.1,14330;Database=trust_pas;User Id=${LOGIN};Password=${PASSWORD};Encrypt=True;TrustServerCertificate=True`,
  });
  writeFileSync(join(dataDir, 'source-tables.json'), JSON.stringify(FEEDS));
  server = installFakeSqlServer(
    [
      SOURCE_TABLES[TABLE],
      SOURCE_TABLES[CT_TABLE],
      {
        spec: SOURCE_TABLES.sus_apc_spell,
        source: 'trust_a.Spells',
        columns: { spell_id: 'SpellRef', change_version: 'RowVer', admission_method: 'Method' },
        extraColumns: ['PatientName'],
      },
      { spec: SOURCE_TABLES.sus_apc_spell, source: 'trust_b.Spells' },
    ],
    { changeTracking: [CT_TABLE] },
  );
  // The same source key in both trusts: the key prefixes keep them apart.
  for (const n of [1, 2]) server.upsert('trust_a.Spells', spell(n, { admission_method: 'EMERG' }));
  for (const n of [1, 3]) server.upsert('trust_b.Spells', spell(n));
  for (const n of [1, 2, 3]) server.upsert(TABLE, attendance(n));
  for (const n of [1, 2, 3]) server.upsert(CT_TABLE, imaging(n));
});

after(() => {
  server.restore();
  for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
  Object.assign(process.env, saved);
  rmSync(dataDir, { recursive: true, force: true });
});

test('start with NHSFLOWS_SOURCE_KIND=mssql snapshots the SQL Server table in keyset pages and the rows reach the warehouse, unseeded', async () => {
  const { code, out } = await start();
  assert.equal(code, 0, out.slice(-3000));
  assert.match(out, /source: your SQL Server \(connection string from secret 'source-sql-connection'/);
  assert.match(out, /nothing is seeded/);
  assert.equal(readdirSync(dataDir).includes('source.duckdb'), false, 'no embedded source is created');
  assert.match(server.connections[0] ?? '', /"database":"trust_pas"/);

  const pages = readStatements();
  assert.equal(pages.length, 2, 'three rows at batch size 2: two keyset pages');
  assert.doesNotMatch(pages[0]!.text, /WHERE/, 'the first page starts at the beginning of the key');
  assert.match(pages[0]!.text, /FROM \[dbo\]\.\[ecds_attendance\]\nORDER BY \[attendance_id\];$/);
  assert.match(pages[1]!.text, /WHERE \[attendance_id\] > @p0\nORDER BY \[attendance_id\];$/);
  assert.equal(pages[1]!.params.p0, 'EC000000002', 'the second page starts after the last key of the first');
  assert.ok(
    pages.every((p) => Object.values(p.params).at(-1) === 2),
    'TOP is the batch size',
  );

  assert.equal(await facts(TABLE), 3, 'every source row is one fact in gold');
  assert.equal(await facts(CT_TABLE), 3, 'the Change Tracking table is snapshotted too');
  assert.ok(
    server.statements.some((s) => s.text.includes('CHANGE_TRACKING_CURRENT_VERSION()) AS version')),
    'its watermark is the Change Tracking version',
  );
  assert.equal(await facts('sus_apc_spell'), 4, 'two feeds of sus_apc_spell: every row of both is a fact');
  assert.equal(await facts('sus_apc_spell', "spell_id LIKE 'A-%'"), 2, 'trust A’s keys carry its prefix');
  assert.equal(await facts('sus_apc_spell', "spell_id LIKE 'B-%'"), 2, 'trust B’s keys carry its prefix');
  assert.ok(
    server.statements.every((s) => !s.text.includes('PatientName')),
    'the extra identifier column is never read',
  );
  assert.ok(
    readStatements(CT_TABLE).every((s) => s.text.includes('CHANGETABLE(VERSION [dbo].[dids_imaging_test]')),
    'its pages read each row’s version from Change Tracking (the table has no version column)',
  );
});

test('a second start reads only the changes since the watermark, under SNAPSHOT isolation, bounded by MIN_ACTIVE_ROWVERSION', async () => {
  const watermark = 1007; // rowversions 1001..1007: three attendances, then four spells (one database-wide counter)
  server.statements.length = 0;
  server.upsert(TABLE, attendance(2, { discharge_status: '1066331000000109' }));
  server.upsert(TABLE, attendance(4));
  server.upsert(CT_TABLE, imaging(2, { report_issue_date: '2026-09-05' }));
  server.remove(CT_TABLE, 'DI000000003');
  server.remove('trust_b.Spells', 'SL000000003');
  const { code, out } = await start();
  assert.equal(code, 0, out.slice(-3000));
  const reads = readStatements();
  assert.equal(reads.length, 1, 'one change read, no snapshot pages');
  const [read] = reads;
  assert.ok(read!.text.startsWith('SET XACT_ABORT ON;\nSET TRANSACTION ISOLATION LEVEL SNAPSHOT;'));
  assert.match(read!.text, /DECLARE @upTo bigint = CAST\(MIN_ACTIVE_ROWVERSION\(\) AS bigint\) - 1;/);
  assert.match(
    read!.text,
    /\(@p0 IS NULL OR t\.\[change_version\] > CONVERT\(binary\(8\), @p0\)\) AND t\.\[change_version\] <= CONVERT\(binary\(8\), @upTo\)/,
  );
  assert.equal(
    String(read!.params.p0),
    String(watermark),
    'the change read starts at the first run’s watermark',
  );

  assert.equal(await facts(TABLE), 4, 'the new attendance is added and the changed one is not duplicated');
  assert.equal(await facts('sus_apc_spell', "spell_id LIKE 'B-%'"), 1, 'trust B’s delete removes its row');
  assert.equal(
    await facts('sus_apc_spell', "spell_id LIKE 'A-%'"),
    2,
    'and never trust A’s, though it had the same source key',
  );
});

test('a Change Tracking table: the second start reads CHANGETABLE since the snapshot’s version, and its update and delete reach gold', async () => {
  const reads = server.statements.filter((s) => s.text.includes(`[dbo].[${CT_TABLE}]`));
  const change = reads.find((s) => s.text.includes('CHANGETABLE(CHANGES [dbo].[dids_imaging_test]'));
  assert.ok(change, 'one change read through CHANGETABLE');
  assert.equal(String(change.params.p0), '3', 'from the version the snapshot recorded (three commits)');
  assert.match(
    change.text,
    /JOIN \[dbo\]\.\[dids_imaging_test\] AS t ON t\.\[imaging_test_id\] = ct\.\[imaging_test_id\]/,
  );
  assert.equal(
    reads.filter((s) => s.text.startsWith('SELECT TOP (') && !s.text.includes('WHERE')).length,
    0,
    'no snapshot pages',
  );
  assert.ok(
    reads.some((s) => s.text.includes("COUNT_BIG(*) AS [count], '0' AS [sum]")),
    'the delete is found by count-only range checks (a deleted row leaves no row to join)',
  );
  assert.equal(await facts(CT_TABLE), 2, 'the deleted imaging test is gone from gold');
  assert.equal(
    await facts(CT_TABLE, "CAST(report_issue_date AS VARCHAR) = '2026-09-05'"),
    1,
    'the update reached gold',
  );
});

test('reconcile over SQL Server reads each table’s keys and activity dates only, and source, silver, gold and the warehouse agree', async () => {
  server.statements.length = 0;
  const { code, out } = await run(reconcileCommand, {});
  assert.equal(code, 0, out.slice(-3000));
  assert.match(out, /every table reconciles/);
  for (const table of [TABLE, CT_TABLE] as const) {
    const pages = readStatements(table);
    assert.ok(pages.length > 0, `${table} is read`);
    const spec = SOURCE_TABLES[table];
    for (const page of pages)
      assert.deepEqual(
        [...page.text.matchAll(/ AS \[([^\]]+)\]/g)].map((m) => m[1]),
        [...spec.key, spec.activityDateColumn],
        `${table}: the page projects the key and the activity date, nothing else`,
      );
  }
});

test('a source that refuses the login or has no connection string stops start with exit 2, naming the secret and never the login or password', async () => {
  server.connectError = Object.assign(new Error(`Login failed for user '${LOGIN}'.`), {
    code: 'ELOGIN',
    number: 18456,
  });
  try {
    const refused = await start();
    assert.equal(refused.code, 2, refused.out.slice(-2000));
    assert.match(
      refused.out,
      /nhs-flows start: sql server source: connect failed: login failed; check User Id \/ Password or Authentication in the connection string held by secret source-sql-connection/,
    );
    for (const secret of [PASSWORD, LOGIN]) assert.equal(refused.out.includes(secret), false);
  } finally {
    server.connectError = undefined;
  }
  const connection = process.env.NHSFLOWS_SECRET_SOURCE_SQL_CONNECTION;
  delete process.env.NHSFLOWS_SECRET_SOURCE_SQL_CONNECTION;
  try {
    const missing = await start();
    assert.equal(missing.code, 2, missing.out.slice(-2000));
    assert.match(missing.out, /nhs-flows start: .*source-sql-connection/);
  } finally {
    process.env.NHSFLOWS_SECRET_SOURCE_SQL_CONNECTION = connection;
  }
});

test('neither the connection string’s password or login nor a source NHS number reaches the run logs or the output', () => {
  const everything = logs();
  assert.ok(everything.length > 0);
  for (const secret of [PASSWORD, LOGIN, ...nhsNumbers])
    assert.equal(everything.includes(secret), false, `the logs hold ${secret.slice(0, 3)}…`);
});
