import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { startCommand } from '../../../shared/cli/start.command.js';
import { SOURCE_TABLES, type SourceRow } from '../../../shared/domain/datasets/source-tables.js';
import { CLEAN_ROWS } from '../../unit/datasets/clean-rows.js';
import { testNhsNumber } from '../pipeline/pipeline-harness.js';
import { installFakeSqlServer, type FakeSqlServer } from '../../support/fake-sql-server.js';

/**
 * `nhs-flows start` with NHSFLOWS_SOURCE_KIND=mssql, in this process: the real composition root,
 * local Functions host, registrations and embedded warehouse, with only the `mssql` driver's wire
 * faked (tests/support/fake-sql-server.ts). Two runs: the first snapshots the table in keyset
 * pages, the second reads the changes since the first watermark under SNAPSHOT isolation.
 */

const PASSWORD = 'Not-A-Real-Pa55word!';
const LOGIN = 'nhsflows_reader_login';
const TABLE = 'ecds_attendance';
const dataDir = mkdtempSync(join(tmpdir(), 'nhsflows-mssql-start-'));
const saved = { ...process.env };
let server: FakeSqlServer;
const nhsNumbers = [1, 2, 3, 4].map((n) => testNhsNumber(n, 456_000));

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
  let out = '';
  const before = { ...process.env };
  try {
    const code = await startCommand.run(
      { values: { 'log-format': 'json' }, positionals: [] },
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

const readStatements = (): { text: string; params: Record<string, unknown> }[] =>
  server.statements.filter((s) => s.text.startsWith('SELECT TOP (') || s.text.includes('DECLARE @upTo'));

before(() => {
  Object.assign(process.env, {
    NHSFLOWS_DATA_DIR: dataDir,
    NHSFLOWS_LOCAL_SECRETS_FILE: join(dataDir, 'local-secrets.json'),
    NHSFLOWS_SOURCE_KIND: 'mssql',
    NHSFLOWS_EVENTS_KIND: 'local',
    NHSFLOWS_CDC_TABLES: TABLE,
    NHSFLOWS_CDC_BATCH_SIZE: '2',
    NHSFLOWS_SOURCE_MSSQL_SNAPSHOT: 'true',
    NHSFLOWS_SECRET_SOURCE_SQL_CONNECTION: `Server=tcp:127.0.0.1,14330;Database=trust_pas;User Id=${LOGIN};Password=${PASSWORD};Encrypt=True;TrustServerCertificate=True`,
  });
  server = installFakeSqlServer([SOURCE_TABLES[TABLE]]);
  for (const n of [1, 2, 3]) server.upsert(TABLE, attendance(n));
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

  const [facts] = await warehouse(
    `SELECT count(*)::INTEGER AS n FROM fact_activity WHERE source_table = '${TABLE}'`,
  );
  assert.equal(facts?.n, 3, 'every source row is one fact in gold');
});

test('a second start reads only the changes since the watermark, under SNAPSHOT isolation, bounded by MIN_ACTIVE_ROWVERSION', async () => {
  const watermark = 1003; // three rows upserted: rowversions 1001..1003
  server.statements.length = 0;
  server.upsert(TABLE, attendance(2, { discharge_status: '1066331000000109' }));
  server.upsert(TABLE, attendance(4));
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

  const [facts] = await warehouse(
    `SELECT count(*)::INTEGER AS n FROM fact_activity WHERE source_table = '${TABLE}'`,
  );
  assert.equal(facts?.n, 4, 'the new attendance is added and the changed one is not duplicated');
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
