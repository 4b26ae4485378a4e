import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  copyIntoSql,
  createTableSql,
  loadBatchSql,
  type SynapseTableSpec,
} from '../../shared/domain/warehouse/synapse-sql.js';
import {
  rejectedRows,
  SynapseWarehouse,
  type SqlPoolLike,
  type SqlResultLike,
} from '../../shared/adapters/azure/synapse-warehouse.azure.js';
import { DIM_PATIENT, FACT_ACTIVITY, GOLD_TABLES } from '../../shared/domain/gold/gold-tables.js';
import { DATASET_FACT_TABLES } from '../../shared/domain/star/fact-tables.js';
import { ReconciliationError } from '../../shared/domain/errors.js';

const fact: SynapseTableSpec = {
  name: 'fact_activity',
  kind: 'fact',
  key: ['activity_id'],
  columns: [
    { name: 'activity_id', type: 'string', nullable: false },
    { name: 'activity_date', type: 'date', nullable: false },
    { name: 'cost_gbp', type: 'decimal(12,2)', nullable: true },
  ],
};

const versionedFact: SynapseTableSpec = {
  ...fact,
  columns: [...fact.columns, { name: 'source_captured_at', type: 'timestamp', nullable: true }],
  version: ['source_captured_at'],
};

/**
 * A fake `mssql` pool that records every request it is given, in order, as the text of that one
 * request. A request is one round trip on one pooled connection: statements in different requests
 * may run on different connections, so a transaction must never span two of them.
 */
function recordingPool(answer: (sql: string) => SqlResultLike = () => ({})): SqlPoolLike & {
  requests: string[];
} {
  const requests: string[] = [];
  return {
    requests,
    request: () => ({
      query: async (sql: string) => {
        requests.push(sql);
        return answer(sql);
      },
    }),
    close: async () => undefined,
  };
}

/** Every BEGIN TRANSACTION is closed by a COMMIT in the same request, after SET XACT_ABORT ON. */
function assertTransactionsAreSingleRequests(requests: readonly string[]): void {
  for (const sql of requests) {
    const begins = sql.match(/BEGIN TRAN(SACTION)?\b/g)?.length ?? 0;
    const commits = sql.match(/COMMIT TRAN(SACTION)?\b/g)?.length ?? 0;
    assert.equal(begins, commits, `a request opens and closes its own transaction:\n${sql}`);
    if (begins > 0) {
      assert.ok(sql.startsWith('SET XACT_ABORT ON;\nBEGIN TRANSACTION;\n'), sql);
      assert.ok(sql.endsWith('\nCOMMIT TRANSACTION;'), sql);
    }
  }
  for (const sql of requests.filter((s) => /^(DELETE|INSERT|UPDATE)\b/m.test(s)))
    assert.ok(sql.startsWith('SET XACT_ABORT ON;'), `a data change outside a transaction batch:\n${sql}`);
}

test('facts are hash-distributed on their key and dimensions replicated, as columnstore tables', () => {
  const sql = createTableSql(fact);
  assert.match(sql, /CREATE TABLE \[gold\]\.\[fact_activity\]/);
  assert.match(sql, /\[cost_gbp\] DECIMAL\(12,2\) NULL/);
  assert.match(sql, /DISTRIBUTION = HASH\(\[activity_id\]\), CLUSTERED COLUMNSTORE INDEX/);
  assert.match(
    createTableSql({ ...fact, name: 'dim_patient', kind: 'dimension' }),
    /DISTRIBUTION = REPLICATE/,
  );
});

test('a batch load copies the gold Parquet into staging with managed identity, then applies it in one transaction request', () => {
  const requests = loadBatchSql({
    table: fact,
    batchId: 'b-1',
    goldUrl: 'https://acct.dfs.core.windows.net/gold/',
    files: ['fact_activity/batch=b-1/part-00000.parquet', "fact_activity/batch=b-1/part-0'1.parquet"],
  });
  const copy = requests.find((s) => s.startsWith('COPY INTO'));
  assert.ok(copy);
  assert.match(copy, /COPY INTO \[staging\]\.\[fact_activity_b_1\]/);
  assert.match(
    copy,
    /'https:\/\/acct\.dfs\.core\.windows\.net\/gold\/fact_activity\/batch=b-1\/part-00000\.parquet'/,
  );
  assert.match(copy, /part-0''1\.parquet/, 'quotes in paths are escaped');
  assert.match(copy, /WITH \(FILE_TYPE = 'PARQUET', CREDENTIAL = \(IDENTITY = 'Managed Identity'\)\);$/);
  assert.doesNotMatch(copy, /MAXERRORS|ERRORFILE|AUTO_CREATE_TABLE/, 'MAXERRORS 0 is the default');
  const apply = requests.filter((s) => /DELETE|INSERT/.test(s));
  assert.equal(apply.length, 1, 'the delete and the insert travel in one request');
  assert.equal(
    apply[0],
    [
      'SET XACT_ABORT ON;',
      'BEGIN TRANSACTION;',
      'DELETE FROM [gold].[fact_activity] WHERE EXISTS (SELECT 1 FROM [staging].[fact_activity_b_1] AS s WHERE [fact_activity].[activity_id] = s.[activity_id]);',
      'INSERT INTO [gold].[fact_activity] ([activity_id], [activity_date], [cost_gbp])',
      'SELECT [activity_id], [activity_date], [cost_gbp] FROM (',
      '  SELECT *, ROW_NUMBER() OVER (PARTITION BY [activity_id] ORDER BY [_seq] DESC) AS [_rn] FROM [staging].[fact_activity_b_1]',
      ") AS s WHERE s.[_rn] = 1 AND s.[_op] = 'upsert';",
      'COMMIT TRANSACTION;',
    ].join('\n'),
  );
  assertTransactionsAreSingleRequests(requests);
  assert.equal(requests.at(-1), 'DROP TABLE [staging].[fact_activity_b_1];');
});

test('no DELETE uses the aliased-target or JOIN forms outside the Synapse dedicated pool grammar', () => {
  const tables = [fact, versionedFact, { ...versionedFact, replaceBy: ['activity_date'] }];
  for (const table of tables) {
    const requests = loadBatchSql({ table, batchId: 'b1', goldUrl: 'https://a/gold', files: ['f.parquet'] });
    const deletes = requests.flatMap((r) => r.split('\n')).filter((l) => l.startsWith('DELETE'));
    assert.ok(deletes.length > 0);
    for (const d of deletes) {
      assert.match(
        d,
        /^DELETE FROM \[gold\]\.\[[a-z_]+\] WHERE EXISTS \(SELECT 1 FROM \[staging\]\.\[[a-z0-9_]+\] AS s WHERE /,
      );
      assert.doesNotMatch(d, /^DELETE \w+ FROM|\bJOIN\b| AS t WHERE| AS d WHERE/, d);
    }
  }
});

test('with MAXERRORS above 0 COPY INTO names its error folder in gold and the managed identity for it', () => {
  const copy = copyIntoSql('[staging].[x]', 'https://acct.dfs.core.windows.net/gold', ['t/p.parquet'], {
    maxErrors: 25,
    rejectedPath: '_rejected/b1/fact_activity/',
  });
  assert.equal(
    copy,
    "COPY INTO [staging].[x]\nFROM 'https://acct.dfs.core.windows.net/gold/t/p.parquet'\nWITH (FILE_TYPE = 'PARQUET', CREDENTIAL = (IDENTITY = 'Managed Identity'), MAXERRORS = 25, ERRORFILE = 'https://acct.dfs.core.windows.net/gold/_rejected/b1/fact_activity/', ERRORFILE_CREDENTIAL = (IDENTITY = 'Managed Identity'));",
  );
});

test('the Synapse adapter sends one load as: staging, COPY, one transaction request, counts, cleanup', async () => {
  const pool = recordingPool((sql) =>
    sql.startsWith('SELECT')
      ? { recordset: [{ rows_in_files: 5, deletes_in_files: 1, rows_in_table: 5 }] }
      : sql.startsWith('COPY INTO')
        ? { rowsAffected: [6] }
        : {},
  );
  const warehouse = new SynapseWarehouse(pool, { goldUrl: 'https://acct.dfs.core.windows.net/gold' });
  const result = await warehouse.load({
    table: { ...fact, description: 'x' },
    batchId: 'b1',
    files: ['fact_activity/batch=b1/part-00000.parquet'],
  });
  assert.deepEqual(result, { table: 'fact_activity', rowsInFiles: 5, deletesInFiles: 1, rowsInTable: 5 });
  assert.deepEqual(
    pool.requests.map((r) => r.split('\n')[0]!.slice(0, 30)),
    [
      "IF OBJECT_ID(N'staging.fact_ac",
      'CREATE TABLE [staging].[fact_a',
      'COPY INTO [staging].[fact_acti',
      'SET XACT_ABORT ON;',
      'SELECT',
      'DROP TABLE [staging].[fact_act',
    ],
  );
  assertTransactionsAreSingleRequests(pool.requests);
});

test('a versioned load applies its four guarded statements in one transaction request', async () => {
  const pool = recordingPool((sql) =>
    sql.startsWith('SELECT') ? { recordset: [{ rows_in_files: 2, rows_in_table: 2, superseded: 0 }] } : {},
  );
  const warehouse = new SynapseWarehouse(pool, 'https://acct.dfs.core.windows.net/gold');
  await warehouse.load({
    table: { ...versionedFact, description: 'x' },
    batchId: 'b1',
    files: ['f.parquet'],
  });
  const tx = pool.requests.filter((r) => r.includes('BEGIN TRANSACTION'));
  assert.equal(tx.length, 1);
  const statements = tx[0]!.split(/;\n/).map((s) => s.split('\n')[0]!.slice(0, 40));
  assert.deepEqual(statements, [
    'SET XACT_ABORT ON',
    'BEGIN TRANSACTION',
    'DELETE FROM [gold].[fact_activity] WHERE',
    'INSERT INTO [gold].[fact_activity] ([act',
    'DELETE FROM [gold].[fact_activity_tombst',
    'INSERT INTO [gold].[fact_activity_tombst',
    'COMMIT TRANSACTION;',
  ]);
  assertTransactionsAreSingleRequests(pool.requests);
});

test('newer wins on Synapse: the apply replaces a row only with a change at least as new, and keeps tombstones', () => {
  const requests = loadBatchSql({
    table: versionedFact,
    batchId: 'b-1',
    goldUrl: 'https://acct.dfs.core.windows.net/gold',
    files: ['fact_activity/batch=b-1/part-00000.parquet'],
  });
  const latest = '[staging].[fact_activity_b_1_latest]';
  const apply = requests.find((s) => s.startsWith('SET XACT_ABORT ON;'));
  assert.ok(apply);
  const statements = apply.split(/;\n/);
  const del = statements.find((s) => s.startsWith('DELETE FROM [gold].[fact_activity] '));
  assert.equal(
    del,
    `DELETE FROM [gold].[fact_activity] WHERE EXISTS (SELECT 1 FROM ${latest} AS s WHERE [fact_activity].[activity_id] = s.[activity_id] AND ([fact_activity].[source_captured_at] IS NULL OR s.[source_captured_at] >= [fact_activity].[source_captured_at]))`,
  );
  const insert = statements.find((s) => s.startsWith('INSERT INTO [gold].[fact_activity] '));
  assert.ok(insert);
  assert.match(
    insert,
    /NOT EXISTS \(SELECT 1 FROM \[gold\]\.\[fact_activity\] AS t WHERE t\.\[activity_id\] = s\.\[activity_id\]\)/,
  );
  assert.ok(
    insert.includes(
      'NOT EXISTS (SELECT 1 FROM [gold].[fact_activity_tombstones] AS d WHERE d.[activity_id] = s.[activity_id] AND NOT (d.[source_captured_at] IS NULL OR s.[source_captured_at] >= d.[source_captured_at]))',
    ),
    insert,
  );
  assert.ok(statements.some((s) => s.startsWith('INSERT INTO [gold].[fact_activity_tombstones]')));
  assert.ok(
    statements.some((s) =>
      s.startsWith(
        'DELETE FROM [gold].[fact_activity_tombstones] WHERE EXISTS (SELECT 1 FROM [staging].[fact_activity_b_1_latest] AS s WHERE [fact_activity_tombstones].[activity_id] = s.[activity_id]',
      ),
    ),
  );
  assert.equal(
    requests.filter((s) => s.includes('COPY INTO')).length,
    1,
    'one COPY per batch; the guard is set-based (no statement per row)',
  );
  assert.match(createTableSql(versionedFact), /\[source_captured_at\] DATETIME2\(3\) NULL/);
});

test('Synapse resolves a batch\u2019s fact surrogate keys with the shared SQL: members once per dimension, then per fact table its scope, one re-key UPDATE in a transaction request and the check', async () => {
  const pool = recordingPool((sql) =>
    sql.startsWith('SELECT')
      ? { recordset: [{ orphans_0: 0, mismatched_0: 0, orphans_1: 2, mismatched_1: 0 }] }
      : {},
  );
  const warehouse = new SynapseWarehouse(pool, 'https://acct.dfs.core.windows.net/gold');
  const spell = DATASET_FACT_TABLES.find((t) => t.name === 'fact_apc_spell')!;
  const result = await warehouse.resolveReferences({ tables: [FACT_ACTIVITY, spell], batchId: "b'1" });
  assert.deepEqual(result, [
    { table: 'fact_activity', column: 'patient_sk', dimension: 'dim_patient', orphans: 0, mismatched: 0 },
    { table: 'fact_apc_spell', column: 'patient_sk', dimension: 'dim_patient', orphans: 0, mismatched: 0 },
    {
      table: 'fact_apc_spell',
      column: 'organisation_sk',
      dimension: 'dim_organisation',
      orphans: 2,
      mismatched: 0,
    },
  ]);
  const sent = pool.requests;
  // dim_patient's members are read once for both fact tables; dim_organisation's once.
  const members = sent.filter((s) => /^CREATE TABLE \[staging\]\.\[dim_\w+_members_\d+_b_1\]/.test(s));
  assert.equal(members.length, 2);
  assert.ok(
    members[0]!.includes("FROM [gold].[dim_patient] WHERE [batch_id] = 'b''1'"),
    'the batch id is a quoted literal',
  );
  assert.ok(members[1]!.includes('SELECT DISTINCT [organisation_code] FROM [gold].[dim_organisation]'));
  const updates = sent.filter((s) => s.includes('UPDATE '));
  assert.equal(updates.length, 2, 'one re-key UPDATE per fact table, whatever its number of references');
  assert.ok(
    updates[1]!.startsWith(
      'SET XACT_ABORT ON;\nBEGIN TRANSACTION;\nUPDATE [gold].[fact_apc_spell] SET [patient_sk] = r.[_r0], [organisation_sk] = r.[_r1]\nFROM [staging].[fact_apc_spell_scope_1_b_1] AS r',
    ),
  );
  const scope = sent.find((s) => s.startsWith('CREATE TABLE [staging].[fact_apc_spell_scope_1_b_1]'))!;
  assert.ok(scope.includes('d0.[valid_from] <= s.[activity_date] AND s.[activity_date] < d0.[valid_to]'));
  assert.ok(
    scope.includes('d1.[organisation_code] = s.[provider_code]'),
    'the dimension names the member its own way',
  );
  // The scope is a UNION of key-selective reads, not a per-fact OR EXISTS.
  assert.ok(scope.includes('UNION\n  SELECT'));
  assert.doesNotMatch(scope, / OR EXISTS /);
  assertTransactionsAreSingleRequests(sent);
  // Every staging table created is dropped after it was created.
  sent.forEach((s, i) => {
    const name = /^CREATE TABLE (\S+)/.exec(s)?.[1];
    if (!name) return;
    const drop = `IF OBJECT_ID(N'${name.replace(/[[\]]/g, '')}') IS NOT NULL DROP TABLE ${name};`;
    assert.ok(sent.lastIndexOf(drop) > i, `${name} is dropped after use`);
  });
  assert.equal(
    sent.at(-1),
    "IF OBJECT_ID(N'staging.dim_organisation_members_1_b_1') IS NOT NULL DROP TABLE [staging].[dim_organisation_members_1_b_1];",
  );
});

test('Synapse records a referenced dimension\u2019s changed members in its apply transaction and resolves from them, forgetting them after every fact table', async () => {
  const pool = recordingPool((sql) =>
    sql.startsWith('SELECT') ? { recordset: [{ rows_in_files: 1, rows_in_table: 1 }] } : {},
  );
  const warehouse = new SynapseWarehouse(pool, 'https://acct.dfs.core.windows.net/gold');
  await warehouse.ensureSchema(GOLD_TABLES);
  const ddl = pool.requests.filter((s) => s.includes('_changed_members'));
  assert.equal(
    ddl.length,
    1,
    'one changed-members table: dim_patient, the versioned dimension facts reference',
  );
  assert.ok(ddl[0]!.startsWith("IF OBJECT_ID(N'gold.dim_patient_changed_members') IS NULL\nCREATE TABLE"));
  const schemaRequests = pool.requests.length;
  await warehouse.load({ table: DIM_PATIENT, batchId: 'b1', files: ['dim_patient/b1.parquet'] });
  const apply = pool.requests.slice(schemaRequests).find((s) => s.startsWith('SET XACT_ABORT ON;'))!;
  assert.ok(
    apply.startsWith(
      "SET XACT_ABORT ON;\nBEGIN TRANSACTION;\nINSERT INTO [gold].[dim_patient_changed_members] ([batch_id], [project], [patient_token])\nSELECT DISTINCT 'b1', s.[project], s.[patient_token] FROM [staging].[dim_patient_b1_latest] AS s",
    ),
    'recorded first, in the apply transaction',
  );
  assert.ok(
    apply.includes(
      't.[patient_sk] = s.[patient_sk] AND t.[valid_from] = s.[valid_from] AND t.[valid_to] = s.[valid_to]',
    ),
  );
  const loadRequests = pool.requests.length;
  await warehouse.resolveReferences({ tables: [FACT_ACTIVITY], batchId: 'b1' });
  const sent = pool.requests.slice(loadRequests);
  assert.ok(
    sent.some((s) =>
      s.includes(
        "SELECT DISTINCT [project], [patient_token] FROM [gold].[dim_patient_changed_members] WHERE [batch_id] = 'b1'",
      ),
    ),
  );
  assert.equal(
    sent.at(-1),
    "SET XACT_ABORT ON;\nBEGIN TRANSACTION;\nDELETE FROM [gold].[dim_patient_changed_members] WHERE [batch_id] = 'b1';\nCOMMIT TRANSACTION;",
  );
  assertTransactionsAreSingleRequests(pool.requests);
});

test('rejected rows are the files\u2019 rows minus the rows COPY INTO loaded, and a COPY that loaded more fails', () => {
  assert.equal(rejectedRows('fact_activity', 1_000, 1_000), 0);
  assert.equal(rejectedRows('fact_activity', 1_000, 993), 7);
  assert.throws(() => rejectedRows('fact_activity', 10, 11), ReconciliationError);
});

test('with MAXERRORS above 0 the adapter reports the rejected rows from the lake count and COPY INTO\u2019s row count', async () => {
  const counted: string[][] = [];
  const pool = recordingPool((sql) =>
    sql.startsWith('COPY INTO')
      ? { rowsAffected: [97] }
      : sql.startsWith('SELECT')
        ? { recordset: [{ rows_in_files: 90, deletes_in_files: 7, rows_in_table: 90 }] }
        : {},
  );
  const warehouse = new SynapseWarehouse(pool, {
    goldUrl: 'https://acct.dfs.core.windows.net/gold',
    maxErrors: 10,
    countFileRows: async (paths) => {
      counted.push([...paths]);
      return 100;
    },
  });
  const result = await warehouse.load({
    table: { ...fact, description: 'x' },
    batchId: 'b1',
    files: ['fact_activity/batch=b1/part-00000.parquet'],
  });
  assert.equal(result.rejectedRows, 3);
  assert.deepEqual(counted, [['fact_activity/batch=b1/part-00000.parquet']]);
  const copy = pool.requests.find((r) => r.startsWith('COPY INTO'));
  assert.match(
    copy ?? '',
    /MAXERRORS = 10, ERRORFILE = 'https:\/\/acct\.dfs\.core\.windows\.net\/gold\/_rejected\/b1\/fact_activity\/'/,
  );
});

test('with MAXERRORS 0 no file is counted and no rejected count is reported (a rejected row fails the COPY)', async () => {
  const pool = recordingPool((sql) =>
    sql.startsWith('SELECT') ? { recordset: [{ rows_in_files: 1 }] } : {},
  );
  const warehouse = new SynapseWarehouse(pool, {
    goldUrl: 'https://a/gold',
    countFileRows: async () => assert.fail('not counted when MAXERRORS is 0'),
  });
  const result = await warehouse.load({
    table: { ...fact, description: 'x' },
    batchId: 'b1',
    files: ['f.parquet'],
  });
  assert.equal(result.rejectedRows, undefined);
});

test('a load is retried whole after a transient error and not after a constraint violation', async () => {
  let failures = 1;
  const transient = Object.assign(new Error('service busy'), { number: 40501 });
  const pool = recordingPool((sql) => {
    if (sql.startsWith('SET XACT_ABORT') && failures-- > 0) throw transient;
    return sql.startsWith('SELECT') ? { recordset: [{ rows_in_files: 1, rows_in_table: 1 }] } : {};
  });
  const slept: number[] = [];
  const warehouse = new SynapseWarehouse(pool, {
    goldUrl: 'https://a/gold',
    retry: { attempts: 3, sleep: async (ms) => void slept.push(ms), random: () => 0.5 },
  });
  const result = await warehouse.load({
    table: { ...fact, description: 'x' },
    batchId: 'b1',
    files: ['f.parquet'],
  });
  assert.equal(result.rowsInTable, 1);
  assert.deepEqual(slept, [750]);
  assert.equal(
    pool.requests.filter((r) => r.startsWith('COPY INTO')).length,
    2,
    'staging and COPY ran again',
  );

  const duplicate = Object.assign(new Error('Violation of PRIMARY KEY constraint'), { number: 2627 });
  const failing = recordingPool((sql) => {
    if (sql.startsWith('SET XACT_ABORT')) throw duplicate;
    return {};
  });
  const once = new SynapseWarehouse(failing, {
    goldUrl: 'https://a/gold',
    retry: { attempts: 3, sleep: async () => assert.fail('no retry of a constraint violation') },
  });
  await assert.rejects(
    once.load({ table: { ...fact, description: 'x' }, batchId: 'b1', files: ['f.parquet'] }),
    duplicate,
  );
  assert.equal(failing.requests.filter((r) => r.startsWith('SET XACT_ABORT')).length, 1);
});
