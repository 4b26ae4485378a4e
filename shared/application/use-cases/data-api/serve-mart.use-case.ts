import type { Clock } from '../../ports/clock.port.js';
import type { Logger } from '../../ports/logger.port.js';
import type { ObjectStore } from '../../ports/object-store.port.js';
import type { Warehouse } from '../../ports/warehouse.port.js';
import { refusalFor, type DataApiMart } from '../../../domain/data-api/api-clients.js';
import {
  disclosureLegend,
  martQuerySchema,
  periodDimension,
  trustDimension,
  type MartQuery,
} from '../../../domain/data-api/mart-api-schema.js';
import type { TokenBuckets } from '../../../domain/data-api/rate-limit.js';
import type { PublishedRow } from '../../../domain/disclosure/apply-disclosure-control.js';
import {
  DEFAULT_DISCLOSURE_POLICY,
  type DisclosurePolicy,
} from '../../../domain/disclosure/disclosure-policy.js';
import { disclosureControlledRows } from '../../../domain/disclosure/published-rows.js';
import { csvField, csvHeader } from '../../../domain/export/csv-cells.js';
import {
  authenticateClient,
  type AuthenticateDeps,
  type PresentedCredentials,
} from './authenticate-client.js';
import { recordUsage } from './usage-log.js';

/** One `GET /api/v1/{project}/{mart}` as the handler hands it over. */
export interface MartRequest {
  readonly project: string;
  readonly mart: string;
  /** The query string's parameters (first value of each). */
  readonly query: Readonly<Record<string, string>>;
  readonly credentials: PresentedCredentials;
  readonly accept?: string | null;
  /** Unique per request: names the usage record. */
  readonly requestId: string;
}

/** What the handler writes back. */
export interface ApiResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

export interface DataApiDeps extends AuthenticateDeps {
  readonly warehouse: () => Promise<Warehouse>;
  readonly lake: ObjectStore;
  readonly clock: Clock;
  readonly limiter: TokenBuckets;
  readonly logger: Logger;
  readonly policy?: DisclosurePolicy;
}

const COMMON_HEADERS = { 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' } as const;

function error(
  status: number,
  code: string,
  message: string,
  extra: { problems?: readonly string[]; headers?: Record<string, string> } = {},
): ApiResponse {
  return {
    status,
    headers: { ...COMMON_HEADERS, 'content-type': 'application/json; charset=utf-8', ...extra.headers },
    body: JSON.stringify({ error: code, message, ...(extra.problems ? { problems: extra.problems } : {}) }),
  };
}

/**
 * Serves a page of a published mart (docs/api.md). In order: 401 without valid credentials; 429
 * past the client's rate limit (with `Retry-After`); 404 for a project that is not declared; 403
 * when the client is not granted the project; 404 for a mart the project does not publish
 * (restricted tables included: they are not told apart from absent ones); 400 for a bad query.
 * Then the whole mart is read, disclosure-controlled (every response is suppressed: 1–7 as `*`,
 * the rest rounded), filtered by trust and period, and paged; JSON or CSV. Every authenticated
 * request leaves a usage record (who, what, when, filters, rows returned; never the data).
 */
export async function serveMart(request: MartRequest, deps: DataApiDeps): Promise<ApiResponse> {
  const started = deps.clock.now();
  const auth = await authenticateClient(request.credentials, deps);
  if (!auth.ok) {
    deps.logger.info('data api request refused', { status: 401, reason: auth.reason });
    return error(401, 'UNAUTHENTICATED', auth.reason, {
      headers: { 'www-authenticate': 'Bearer realm="nhs-flows data API"' },
    });
  }
  const { client } = auth;
  const format = formatOf(request);
  let rows = 0;
  let query: MartQuery | undefined;
  let remaining: number | undefined;
  const answer = await (async (): Promise<ApiResponse> => {
    const decision = deps.limiter.take(client.name, client.rateLimitPerMinute, started.getTime());
    if (!decision.allowed)
      return error(
        429,
        'RATE_LIMITED',
        `client '${client.name}' is limited to ${client.rateLimitPerMinute} requests a minute; retry after ${decision.retryAfterSeconds} s`,
        { headers: { 'retry-after': String(decision.retryAfterSeconds) } },
      );
    remaining = decision.remaining;
    const project = deps.catalogue.projects.find((p) => p === request.project);
    if (!project) return error(404, 'NOT_FOUND', `no project '${request.project}'`);
    const refusal = refusalFor(client, project);
    if (refusal) return error(403, 'FORBIDDEN', refusal);
    const mart = deps.catalogue.marts.get(`${project}/${request.mart}`);
    if (!mart) return error(404, 'NOT_FOUND', `project '${project}' publishes no mart '${request.mart}'`);
    const parsed = martQuerySchema.safeParse(request.query);
    if (!parsed.success)
      return error(400, 'INPUT_INVALID', 'the query is not valid', {
        problems: parsed.error.issues.map((i) => `${i.path.join('.') || 'query'}: ${i.message}`),
      });
    query = parsed.data;
    const unsupported = unsupportedFilters(mart, query);
    if (unsupported.length > 0)
      return error(400, 'INPUT_INVALID', 'the query is not valid', { problems: unsupported });
    const page = await readPage(mart, query, deps);
    rows = page.rows.length;
    return format === 'csv' ? csvResponse(mart, page) : jsonResponse(mart, query, page, request, deps);
  })();
  const limitHeaders: Record<string, string> = {
    'ratelimit-limit': String(client.rateLimitPerMinute),
    'ratelimit-remaining': String(remaining ?? 0),
  };
  await recordUsage(deps.lake, {
    at: deps.clock.now().toISOString(),
    requestId: request.requestId,
    client: client.name,
    method: auth.method,
    principal: auth.principal.slice(0, 128),
    project: request.project.slice(0, 64),
    mart: request.mart.slice(0, 128),
    filters: query
      ? {
          ...(query.trust ? { trust: query.trust } : {}),
          ...(query.from ? { from: query.from } : {}),
          ...(query.to ? { to: query.to } : {}),
        }
      : {},
    format,
    offset: query?.offset ?? 0,
    limit: query?.limit ?? 0,
    status: answer.status,
    rows,
    durationMs: Math.max(0, deps.clock.now().getTime() - started.getTime()),
  });
  deps.logger.info('data api request', {
    client: client.name,
    project: request.project.slice(0, 64),
    mart: request.mart.slice(0, 128),
    status: answer.status,
    rows,
  });
  return { ...answer, headers: { ...answer.headers, ...limitHeaders } };
}

function formatOf(request: MartRequest): 'json' | 'csv' {
  const asked = request.query.format;
  if (asked === 'csv' || asked === 'json') return asked;
  const accept = (request.accept ?? '').toLowerCase();
  return accept.includes('text/csv') && !accept.startsWith('application/json') ? 'csv' : 'json';
}

function unsupportedFilters(mart: DataApiMart, query: MartQuery): string[] {
  const problems: string[] = [];
  if (query.trust && !trustDimension(mart.published))
    problems.push(`trust: ${mart.table.name} has no provider (trust) dimension`);
  if ((query.from || query.to) && !periodDimension(mart.published))
    problems.push(`from/to: ${mart.table.name} has no month dimension`);
  return problems;
}

interface Page {
  readonly rows: PublishedRow[];
  readonly total: number;
  readonly offset: number;
  readonly limit: number;
}

/**
 * The whole mart, disclosure-controlled as one table (so any filtered or paged view shows exactly
 * the cells of the whole: views cannot be differenced), then filtered, then cut to the page.
 */
async function readPage(mart: DataApiMart, query: MartQuery, deps: DataApiDeps): Promise<Page> {
  const warehouse = await deps.warehouse();
  await warehouse.ensureSchema([mart.table]);
  const columns = mart.table.columns.map((c) => c.name);
  const select = columns.map((c) => `CAST("${c}" AS VARCHAR) AS "${c}"`).join(', ');
  const order = columns.map((c) => `"${c}"`).join(', ');
  const raw = await warehouse.query(`SELECT ${select} FROM "${mart.table.name}" ORDER BY ${order}`);
  const published = disclosureControlledRows(mart.published, raw, deps.policy ?? DEFAULT_DISCLOSURE_POLICY);
  const trust = trustDimension(mart.published);
  const period = periodDimension(mart.published);
  const trusts = query.trust ? new Set(query.trust) : undefined;
  const matching = published.filter((row) => {
    if (trusts && trust && !trusts.has(String(row[trust]))) return false;
    const month = period ? String(row[period]) : '';
    if (query.from && period && month < query.from) return false;
    if (query.to && period && month > query.to) return false;
    return true;
  });
  return {
    rows: matching.slice(query.offset, query.offset + query.limit),
    total: matching.length,
    offset: query.offset,
    limit: query.limit,
  };
}

function csvResponse(mart: DataApiMart, page: Page): ApiResponse {
  const columns = mart.table.columns.map((c) => c.name);
  const lines = [
    csvHeader(columns),
    ...page.rows.map((row) => columns.map((c) => csvField(row[c])).join(',')),
  ];
  return {
    status: 200,
    headers: {
      ...COMMON_HEADERS,
      'content-type': 'text/csv; charset=utf-8',
      'content-disposition': `attachment; filename="${mart.table.name}.csv"`,
      'x-total-rows': String(page.total),
    },
    body: `${lines.join('\n')}\n`,
  };
}

function jsonResponse(
  mart: DataApiMart,
  query: MartQuery,
  page: Page,
  request: MartRequest,
  deps: DataApiDeps,
): ApiResponse {
  const policy = deps.policy ?? DEFAULT_DISCLOSURE_POLICY;
  const nextOffset = page.offset + page.rows.length;
  const next =
    nextOffset < page.total
      ? `/api/v1/${mart.project}/${mart.table.name}?${new URLSearchParams({
          ...request.query,
          offset: String(nextOffset),
          limit: String(page.limit),
        }).toString()}`
      : null;
  const columns = mart.table.columns.map((c) => c.name);
  return {
    status: 200,
    headers: { ...COMMON_HEADERS, 'content-type': 'application/json; charset=utf-8' },
    body: JSON.stringify({
      project: mart.project,
      mart: mart.table.name,
      disclosure: { policy: policy.name, legend: disclosureLegend(policy) },
      filters: {
        ...(query.trust ? { trust: query.trust } : {}),
        ...(query.from ? { from: query.from } : {}),
        ...(query.to ? { to: query.to } : {}),
      },
      page: { offset: page.offset, limit: page.limit, returned: page.rows.length, total: page.total, next },
      rows: page.rows.map((row) => Object.fromEntries(columns.map((c) => [c, row[c] ?? null]))),
    }),
  };
}
