import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'csv-parse/sync';
import { systemClock } from '../../../shared/application/ports/clock.port.js';
import {
  createApiKey,
  isWritableSecretStore,
} from '../../../shared/application/use-cases/data-api/api-keys.use-case.js';
import { readUsage } from '../../../shared/application/use-cases/data-api/usage-log.js';
import { defaultDataApiCatalogue } from '../../../shared/domain/data-api/data-api-projects.js';
import { renderDataApiOpenApi } from '../../../shared/domain/data-api/openapi-document.js';
import { columnsOfRole } from '../../../shared/domain/disclosure/published-table.js';
import { MART_TABLES } from '../../../shared/domain/gold/mart-tables.js';
import { openPipelineHarness, type PipelineHarness } from '../pipeline/pipeline-harness.js';

// The data API over real HTTP on loopback: the local host serving the real functions/ registration,
// keys in the local secrets file, the mart in the embedded warehouse, usage records in Azurite.

let h: PipelineHarness;
let careflowKey: string;
let communityKey: string;
const catalogue = defaultDataApiCatalogue();
const [martKey, mart] = [...catalogue.marts.entries()].find(([, m]) => m.project === 'careflow')!;
const url = (path: string) => `${h.host.origin ?? ''}/api/v1/${path}`;

before(async () => {
  h = await openPipelineHarness();
  const secrets = h.services.pipeline.secrets;
  assert.ok(isWritableSecretStore(secrets));
  careflowKey = (await createApiKey('careflow-analytics', { catalogue, secrets, clock: systemClock })).key;
  communityKey = (await createApiKey('community360-analytics', { catalogue, secrets, clock: systemClock }))
    .key;
  // The careflow mart with exact counts from 0 to 29 across three trusts and ten months.
  const warehouse = await h.services.pipeline.warehouse();
  await warehouse.ensureSchema(MART_TABLES);
  const dimensions = columnsOfRole(mart.published, 'dimension');
  const counts = columnsOfRole(mart.published, 'count');
  const values: string[] = [];
  let n = 0;
  for (const trust of ['RRK', 'RM1', 'RGP'])
    for (let m = 1; m <= 10; m++) {
      const cells = mart.table.columns.map((c) => {
        const dim = dimensions.find((d) => d.name === c.name);
        if (dim?.type === 'month') return `'2025-${String(m).padStart(2, '0')}'`;
        if (dim) return `'${trust}'`;
        if (counts.some((k) => k.name === c.name)) return String((n++ * 7) % 30);
        return 'NULL';
      });
      values.push(`(${cells.join(', ')})`);
    }
  await warehouse.query(
    `INSERT INTO "${mart.table.name}" (${mart.table.columns.map((c) => `"${c.name}"`).join(', ')}) VALUES ${values.join(', ')}`,
  );
});
after(async () => {
  await h?.close();
});

test('401 without credentials and with a wrong key', async () => {
  const none = await fetch(url(martKey));
  assert.equal(none.status, 401);
  assert.equal(((await none.json()) as { error: string }).error, 'UNAUTHENTICATED');
  const wrong = await fetch(url(martKey), { headers: { 'x-api-key': `${careflowKey.slice(0, -2)}xx` } });
  assert.equal(wrong.status, 401);
});

test('a granted client reads the mart as JSON and CSV, suppressed: no count from 1 to 7', async () => {
  const counts = columnsOfRole(mart.published, 'count').map((c) => c.name);
  const json = await fetch(url(`${martKey}?trust=RRK,RM1&from=2025-03&to=2025-08`), {
    headers: { authorization: `Bearer ${careflowKey}` },
  });
  assert.equal(json.status, 200, await json.clone().text());
  const body = (await json.json()) as { rows: Record<string, unknown>[]; page: { total: number } };
  assert.equal(body.rows.length, 12);
  assert.equal(body.page.total, 12);
  const cells = body.rows.flatMap((r) => counts.map((c) => r[c]));
  assert.ok(cells.includes('*'));
  for (const v of cells)
    assert.ok(v === '*' || v === 0 || (typeof v === 'number' && v >= 8 && v % 5 === 0), String(v));

  const csv = await fetch(url(martKey), { headers: { 'x-api-key': careflowKey, accept: 'text/csv' } });
  assert.equal(csv.status, 200);
  assert.match(csv.headers.get('content-type') ?? '', /^text\/csv/);
  const records: Record<string, string>[] = parse(await csv.text(), { columns: true });
  assert.equal(records.length, 30);
  for (const r of records)
    for (const c of counts) assert.ok(r[c] === '*' || r[c] === '0' || Number(r[c]) >= 8, `${c}=${r[c]}`);
});

test('403 for the other project’s client; 404 for restricted tables and unknown marts', async () => {
  const other = await fetch(url(martKey), { headers: { 'x-api-key': communityKey } });
  assert.equal(other.status, 403);
  for (const table of ['fact_activity', 'dim_patient', 'fact_spell_prescribing', 'no_such_mart']) {
    const answer = await fetch(url(`careflow/${table}`), { headers: { 'x-api-key': careflowKey } });
    assert.equal(answer.status, 404, table);
  }
});

test('GET /api/v1/openapi.json serves the generated document without credentials', async () => {
  const answer = await fetch(url('openapi.json'));
  assert.equal(answer.status, 200);
  assert.equal(await answer.text(), renderDataApiOpenApi());
});

test('usage records name client, mart, filters and rows; no key reaches the log or the lake', async () => {
  const since = new Date(Date.now() - 60_000);
  const records = await readUsage(h.services.pipeline.lake, { since, until: new Date() });
  const read = records.find((r) => r.status === 200 && r.filters.trust !== undefined);
  assert.deepEqual(read && [read.client, read.method, read.project, read.mart, read.rows, read.filters], [
    'careflow-analytics',
    'api-key',
    'careflow',
    mart.table.name,
    12,
    { trust: ['RRK', 'RM1'], from: '2025-03', to: '2025-08' },
  ]);
  assert.ok(records.some((r) => r.status === 403 && r.client === 'community360-analytics'));
  for (const key of [careflowKey, communityKey]) {
    assert.ok(!h.logs().includes(key.slice(-43)), 'a key in the logs');
    assert.ok(!JSON.stringify(records).includes(key.slice(-43)), 'a key in the usage log');
  }
});

test('429 with Retry-After past the client’s rate limit', async () => {
  const limit = catalogue.clients.get('careflow-analytics')!.rateLimitPerMinute;
  let limited: Response | undefined;
  // The bucket refills at limit/60 a second while the loop runs: allow for it.
  for (let i = 0; i <= 2 * limit && !limited; i++) {
    const answer = await fetch(url('careflow/no_such_mart'), { headers: { 'x-api-key': careflowKey } });
    if (answer.status === 429) limited = answer;
    else assert.equal(answer.status, 404);
  }
  assert.ok(limited, `no 429 within ${2 * limit + 1} requests`);
  assert.ok(Number(limited.headers.get('retry-after')) >= 1);
  // The other client has its own allowance.
  assert.equal((await fetch(url(martKey), { headers: { 'x-api-key': communityKey } })).status, 403);
});
