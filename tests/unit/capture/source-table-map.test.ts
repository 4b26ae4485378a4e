import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  MssqlChangeSource,
  type MssqlPoolLike,
} from '../../../shared/adapters/azure/mssql-change-source.azure.js';
import { KEY_COLLATION } from '../../../shared/adapters/azure/mssql-sql.azure.js';
import { parseSourceTableMap } from '../../../shared/domain/capture/source-table-map.js';
import { captureTable } from '../../../shared/domain/capture/capture-config.js';
import { SOURCE_TABLES } from '../../../shared/domain/datasets/source-tables.js';
import { ConfigError } from '../../../shared/domain/errors.js';

const spec = SOURCE_TABLES.ecds_attendance;
const RENAMES = {
  attendance_id: 'AttendanceRef',
  provider_code: 'OrgCode',
  nhs_number: 'NHSNo',
  change_version: 'RowVer',
};
const MAP = parseSourceTableMap({
  tables: [{ table: 'ecds_attendance', source: 'pas.EDAttendances', columns: RENAMES }],
});

/** sys.columns of the user's table: the declared columns under the user's names. */
const sourceColumns = spec.columns.map((c) => ({
  name: (RENAMES as Record<string, string>)[c.name] ?? c.name,
  nativeType: c.name === spec.changeVersionColumn ? 'timestamp' : c.type,
  maxLength: c.name === spec.changeVersionColumn ? 8 : (c.length ?? 0),
  precision: c.precision ?? 0,
  scale: c.scale ?? 0,
  nullable: c.nullable,
  collation: c.type === 'varchar' || c.type === 'char' ? KEY_COLLATION : null,
}));

function fakePool(answer: (text: string) => unknown[][]): MssqlPoolLike & { seen: string[] } {
  const seen: string[] = [];
  return {
    seen,
    request: () => ({
      input: () => undefined,
      query: async (text: string) => {
        seen.push(text);
        const recordsets = answer(text);
        return { recordsets, recordset: recordsets[0] };
      },
    }),
    close: async () => undefined,
  };
}

/** A renamed declared column may appear in a statement only as an alias (`AS [declared]`). */
function assertOnlySourceNames(text: string): void {
  const withoutAliases = text.replace(/ AS \[[^\]]+\]/g, '');
  for (const [declared, source] of Object.entries(RENAMES)) {
    assert.equal(
      withoutAliases.includes(`[${declared}]`),
      false,
      `'${declared}' referenced by its declared name in ${text}`,
    );
    assert.ok(
      text.includes(`[${source}]`) || !text.includes(`AS [${declared}]`),
      `'${source}' missing in ${text}`,
    );
  }
  assert.doesNotMatch(text, /\[dbo\]\.\[ecds_attendance\]/);
}

test('a table map places a declared table under another schema, table and column names; every problem is listed at once', () => {
  const m = MAP.get('ecds_attendance')!;
  assert.equal(m.schema, 'pas');
  assert.equal(m.sourceTable, 'EDAttendances');
  assert.equal(m.columns.get('attendance_id'), 'AttendanceRef');
  assert.equal(
    parseSourceTableMap({ tables: [{ table: 'csds_referral', source: 'Referrals' }] }).get('csds_referral')
      ?.schema,
    'dbo',
  );
  assert.throws(
    () =>
      parseSourceTableMap({
        tables: [
          { table: 'ecds_attendances', source: 'x' },
          {
            table: 'csds_referral',
            source: 'pas.Refs',
            columns: { referral_ref: 'Ref', referral_id: 'Ref2' },
          },
          { table: 'csds_referral', source: 'pas.Refs2' },
          {
            table: 'dids_imaging_test',
            source: 'pas.refs',
            columns: { provider_code: 'Org', site_code: 'org' },
          },
          { table: 'ecds_attendance', source: 'pas.Bad]Name' },
          { table: 'mhsds_referral', source: 'a.b.c' },
        ],
      }),
    (e: unknown) => {
      assert.ok(e instanceof ConfigError);
      const text = e.message;
      for (const expected of [/tables\.4\.source/, /tables\.5\.source/]) assert.match(text, expected);
      return true;
    },
  );
  assert.throws(
    () =>
      parseSourceTableMap({
        tables: [
          { table: 'ecds_attendances', source: 'x' },
          {
            table: 'csds_referral',
            source: 'pas.Refs',
            columns: { referral_ref: 'Ref', referral_id: 'Ref2' },
          },
          { table: 'csds_referral', source: 'pas.Refs2' },
          {
            table: 'dids_imaging_test',
            source: 'pas.refs',
            columns: { provider_code: 'Org', site_code: 'org' },
          },
          { table: 'mhsds_referral', source: 'x', columns: { referral_id: 'provider_code' } },
        ],
      }),
    (e: unknown) => {
      assert.ok(e instanceof ConfigError);
      const text = e.message;
      for (const expected of [
        /tables\.0\.table: 'ecds_attendances' is not a declared source table/,
        /tables\.1\.columns\.referral_ref: not a column of csds_referral/,
        /tables\.2\.table: 'csds_referral' is mapped twice/,
        /tables\.3\.source: 'pas\.refs' is already the source of csds_referral/,
        /tables\.3\.columns\.site_code: 'org' is already the source of provider_code/,
        /tables\.4\.columns\.referral_id: 'provider_code' is the declared column provider_code, which is not renamed/,
      ])
        assert.match(text, expected);
      return true;
    },
  );
});

test('with a table map every statement reads the source names and projects the declared ones, so rows keep their declared shape', async () => {
  const resolved = captureTable(spec);
  const row = Object.fromEntries(spec.columns.map((c) => [c.name, null]));
  const pool = fakePool((text) => {
    if (text.includes('sys.columns')) return [sourceColumns];
    if (text.includes('DECLARE @upTo'))
      return [[{ upToVersion: '9', rowCount: '1', valid: true }], [{ changed: '1' }], [row]];
    if (text.includes('[hash]')) return [[]];
    if (text.includes('[range]')) return [[{ range: 0, count: '1', sum: '0' }]];
    if (text.includes('AS version')) return [[{ version: '9' }]];
    if (text.includes('AS [count]')) return [[{ count: '1' }]];
    return [[row]];
  });
  const source = new MssqlChangeSource(pool, { tableMap: MAP, snapshotIsolation: true });
  const described = await source.describeTable('ecds_attendance');
  assert.deepEqual(
    described.map((c) => c.name),
    spec.columns.map((c) => c.name),
    'the table is described under its declared column names',
  );
  assert.match(pool.seen[0]!, /SELECT c\.name AS name/);
  const rows = await source.readRows({
    table: 'ecds_attendance',
    keyColumns: resolved.layout.keyColumns,
    after: ['EC1'],
    limit: 10,
  });
  assert.deepEqual(
    Object.keys(rows[0]!),
    spec.columns.map((c) => c.name),
  );
  const page = pool.seen.at(-1)!;
  assert.match(page, /\[AttendanceRef\] AS \[attendance_id\]/);
  assert.match(
    page,
    /FROM \[pas\]\.\[EDAttendances\]\nWHERE \[AttendanceRef\] > @p0\nORDER BY \[AttendanceRef\];/,
  );
  await source.readChangesSince({
    table: 'ecds_attendance',
    keyColumns: resolved.layout.keyColumns,
    versionColumn: 'change_version',
    sinceVersion: '5',
    limit: 10,
  });
  assert.match(pool.seen.at(-1)!, /t\.\[RowVer\] > CONVERT\(binary\(8\), @p0\)/);
  await source.readRowsByKeys({
    table: 'ecds_attendance',
    keyColumns: resolved.layout.keyColumns,
    keys: [['EC1']],
  });
  await source.readRowHashes({ layout: resolved.layout, after: null, limit: 10 });
  for await (const p of source.scanRowHashes({ layout: resolved.layout, pageSize: 10 })) void p;
  await source.rangeChecksums({ layout: resolved.layout, ranges: [{ from: null, to: null }] });
  await source.currentVersion('ecds_attendance', 'change_version');
  await source.countRows('ecds_attendance');
  assert.ok(pool.seen.length >= 9);
  for (const text of pool.seen.slice(1)) assertOnlySourceNames(text);

  const tracked = new MssqlChangeSource(pool, { tableMap: MAP, changeTrackingTables: ['ecds_attendance'] });
  await tracked.readChangesSince({
    table: 'ecds_attendance',
    keyColumns: resolved.layout.keyColumns,
    versionColumn: 'change_version',
    sinceVersion: '5',
    limit: 10,
  });
  const ct = pool.seen.at(-1)!;
  assert.match(ct, /JOIN \[pas\]\.\[EDAttendances\] AS t ON t\.\[AttendanceRef\] = ct\.\[AttendanceRef\]/);
  assert.match(ct, /OBJECT_ID\(N'\[pas\]\.\[EDAttendances\]'\)/);
});

test('a mapped table that is not there names the source table and the declared one', async () => {
  const source = new MssqlChangeSource(
    fakePool(() => [[]]),
    { tableMap: MAP, secretName: 'source-sql-connection' },
  );
  await assert.rejects(
    source.describeTable('ecds_attendance'),
    /table 'pas\.EDAttendances' \(declared ecds_attendance\) does not exist/,
  );
});
