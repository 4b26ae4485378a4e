import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'csv-parse/sync';
import { MemoryObjectStore } from '../../../shared/adapters/memory/memory-object-store.js';
import { createLogger } from '../../../shared/application/ports/logger.port.js';
import { createApiKey } from '../../../shared/application/use-cases/data-api/api-keys.use-case.js';
import {
  serveMart,
  type DataApiDeps,
  type MartRequest,
} from '../../../shared/application/use-cases/data-api/serve-mart.use-case.js';
import { readUsage } from '../../../shared/application/use-cases/data-api/usage-log.js';
import { martPageSchema } from '../../../shared/domain/data-api/mart-api-schema.js';
import { TokenBuckets } from '../../../shared/domain/data-api/rate-limit.js';
import {
  ADMISSIONS,
  exactRows,
  fakeWarehouse,
  memorySecrets,
  ROW_LEVEL,
  testCatalogue,
} from './data-api-fixtures.js';

// serveMart on hand-built marts: the refusals in order (401, 429, 403, 404), every response
// disclosure-controlled whatever the filter or page, CSV escaped, and a usage record per request.

const clock = { now: () => new Date('2026-12-06T10:00:00Z') };

async function setUp(rateLimitPerMinute = 60) {
  const catalogue = testCatalogue(rateLimitPerMinute);
  const secrets = memorySecrets();
  const lake = new MemoryObjectStore();
  const careflow = (await createApiKey('careflow-analytics', { catalogue, secrets, clock })).key;
  const community = (await createApiKey('community360-analytics', { catalogue, secrets, clock })).key;
  const warehouse = fakeWarehouse(exactRows());
  const deps: DataApiDeps = {
    catalogue,
    secrets,
    warehouse: async () => warehouse,
    lake,
    clock,
    limiter: new TokenBuckets(),
    logger: createLogger(() => undefined, 'error'),
  };
  let n = 0;
  const get = (path: string, headers: Partial<Pick<MartRequest, 'credentials' | 'accept'>> = {}) => {
    const url = new URL(path, 'http://x');
    const [, , project = '', mart = ''] = url.pathname.split('/');
    return serveMart(
      {
        project,
        mart,
        query: Object.fromEntries(url.searchParams.entries()),
        credentials: headers.credentials ?? { apiKey: careflow },
        accept: headers.accept ?? null,
        requestId: `req-${++n}`,
      },
      deps,
    );
  };
  return { get, careflow, community, lake, warehouse };
}

interface PageBody {
  rows: Record<string, unknown>[];
  page: { total: number; next: string | null };
}
const body = (answer: { body: string }): PageBody => JSON.parse(answer.body) as PageBody;
const errorOf = (answer: { body: string }) =>
  JSON.parse(answer.body) as { error: string; message: string; problems?: string[] };

const countsOf = (rows: Record<string, unknown>[]) => rows.flatMap((r) => [r.elective, r.emergency]);

test('401 without credentials or with a wrong key, and no usage record for them', async () => {
  const { get, lake } = await setUp();
  const none = await get('/v1/careflow/admissions_trust_month', { credentials: {} });
  assert.equal(none.status, 401);
  assert.equal(errorOf(none).error, 'UNAUTHENTICATED');
  assert.match(none.headers['www-authenticate'] ?? '', /^Bearer/);
  const wrong = await get('/v1/careflow/admissions_trust_month', {
    credentials: { apiKey: `nhsflows_careflow-analytics_${'A'.repeat(43)}` },
  });
  assert.equal(wrong.status, 401);
  assert.deepEqual(await readUsage(lake, { since: clock.now(), until: clock.now() }), []);
});

test('403 for another project’s client; 404 for a restricted or unknown mart and an unknown project', async () => {
  const { get, community } = await setUp();
  const other = await get('/v1/careflow/admissions_trust_month', { credentials: { apiKey: community } });
  assert.equal(other.status, 403);
  assert.match(errorOf(other).message, /granted project 'community360' only/);
  // The restricted mart is listed as published by the project, and still never served.
  for (const path of [`/v1/careflow/${ROW_LEVEL.name}`, '/v1/careflow/no_such_mart', '/v1/nobody/x']) {
    const answer = await get(path);
    assert.equal(answer.status, 404, path);
    assert.ok(!answer.body.includes('restricted'), 'a restricted mart is not told apart from an absent one');
  }
});

test('429 past the client’s limit, with Retry-After; another client is not affected', async () => {
  const { get, community } = await setUp(3);
  for (let i = 0; i < 3; i++) assert.equal((await get('/v1/careflow/admissions_trust_month')).status, 200);
  const limited = await get('/v1/careflow/admissions_trust_month');
  assert.equal(limited.status, 429);
  assert.equal(limited.headers['retry-after'], '20');
  assert.equal(
    (await get('/v1/community360/attendances_trust_month', { credentials: { apiKey: community } })).status,
    200,
  );
});

test('every response is suppressed: no count from 1 to 7, counts rounded to 5, same cells in every view', async () => {
  const { get } = await setUp();
  const whole = body(await get('/v1/careflow/admissions_trust_month'));
  assert.equal(whole.rows.length, 12);
  martPageSchema(testCatalogue().marts.get('careflow/admissions_trust_month')!).parse(whole);
  const counts = countsOf(whole.rows);
  assert.ok(counts.includes('*'), 'the small counts are suppressed');
  for (const c of counts)
    assert.ok(c === '*' || (typeof c === 'number' && c % 5 === 0 && (c === 0 || c >= 8)), String(c));
  // Filters and pages are cut from the whole controlled table: each row is the whole's row.
  const key = (r: Record<string, unknown>) => `${String(r.provider_code)}|${String(r.period)}`;
  const byKey = new Map(whole.rows.map((r) => [key(r), r]));
  for (const query of [
    'trust=RRK',
    'trust=rq3,RM1&from=2025-02&to=2025-03',
    'limit=5&offset=5',
    'from=2025-04',
  ]) {
    const page = body(await get(`/v1/careflow/admissions_trust_month?${query}`));
    assert.ok(page.rows.length > 0, query);
    for (const row of page.rows) assert.deepEqual(row, byKey.get(key(row)), query);
  }
  const filtered = body(
    await get('/v1/careflow/admissions_trust_month?trust=rq3,RM1&from=2025-02&to=2025-03'),
  );
  assert.deepEqual(filtered.rows.map(key).sort(), [
    'RM1|2025-02',
    'RM1|2025-03',
    'RQ3|2025-02',
    'RQ3|2025-03',
  ]);
  assert.equal(filtered.page.total, 4);
});

test('a mart stored disclosure-controlled (as the marts refresh writes it) is served as stored', async () => {
  const { get, warehouse } = await setUp();
  const first = body(await get('/v1/careflow/admissions_trust_month'));
  // The warehouse now holds the controlled rows, as text: a second pass must change nothing.
  const stored = first.rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, String(v)])));
  warehouse.rows.splice(0, warehouse.rows.length, ...stored);
  assert.deepEqual(body(await get('/v1/careflow/admissions_trust_month')).rows, first.rows);
});

test('paging: limit and offset with a next link until the last page', async () => {
  const { get } = await setUp();
  const seen: string[] = [];
  let path: string | null = '/v1/careflow/admissions_trust_month?limit=5';
  while (path) {
    const page = body(await get(path.replace(/^\/api/, '')));
    seen.push(
      ...page.rows.map((r: Record<string, unknown>) => `${String(r.provider_code)}${String(r.period)}`),
    );
    path = page.page.next;
  }
  assert.equal(seen.length, 12);
  assert.equal(new Set(seen).size, 12);
});

test('CSV by format= or Accept: the same cells, formula-like text written as text, quotes escaped', async () => {
  const { get } = await setUp();
  const json = body(await get('/v1/careflow/admissions_trust_month'));
  for (const answer of [
    await get('/v1/careflow/admissions_trust_month?format=csv'),
    await get('/v1/careflow/admissions_trust_month', { accept: 'text/csv' }),
  ]) {
    assert.equal(answer.status, 200);
    assert.match(answer.headers['content-type'] ?? '', /^text\/csv/);
    const records: Record<string, string>[] = parse(answer.body, { columns: true });
    assert.deepEqual(
      Object.keys(records[0]!),
      ADMISSIONS.columns.map((c) => c.name),
    );
    assert.equal(records.length, json.rows.length);
    const notes = records.map((r) => r.note);
    assert.ok(notes.includes('\'=HYPERLINK("http://x")'), 'a formula is prefixed with a quote');
    assert.ok(notes.includes('\'+1 more, "quoted"'), 'a leading + is text; commas and quotes survive');
    for (const r of records)
      for (const c of [r.elective, r.emergency]) assert.ok(c === '*' || Number(c) === 0 || Number(c) >= 8, c);
  }
});

test('400 names the bad parameter; a usage record for each authenticated request, never a value', async () => {
  const { get, lake } = await setUp();
  const bad = await get('/v1/careflow/admissions_trust_month?from=2025-13&limit=0&colour=red');
  assert.equal(bad.status, 400);
  const problems = errorOf(bad).problems ?? [];
  assert.ok(problems.some((p) => p.startsWith('from:')));
  assert.ok(problems.some((p) => p.startsWith('limit:')));
  assert.ok(problems.some((p) => /colour/.test(p)));
  await get('/v1/careflow/admissions_trust_month?trust=RRK&format=csv');
  const records = await readUsage(lake, { since: clock.now(), until: clock.now() });
  assert.deepEqual(
    records.map((r) => [r.client, r.method, r.project, r.mart, r.status, r.rows, r.format, r.filters]),
    [
      ['careflow-analytics', 'api-key', 'careflow', 'admissions_trust_month', 400, 0, 'json', {}],
      [
        'careflow-analytics',
        'api-key',
        'careflow',
        'admissions_trust_month',
        200,
        4,
        'csv',
        { trust: ['RRK'] },
      ],
    ],
  );
  const text = JSON.stringify(records);
  assert.ok(!/HYPERLINK|row \d/.test(text), 'no data values in the usage log');
});
