import { randomUUID } from 'node:crypto';
import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { dataApiTokenValidator, services } from './composition-root.js';
import { FUNCTIONS } from './function-names.js';
import { observed } from './observed.js';
import { serveMart } from '../shared/application/use-cases/data-api/serve-mart.use-case.js';
import type { BearerTokenValidator } from '../shared/application/use-cases/data-api/bearer-token.port.js';
import { defaultDataApiCatalogue } from '../shared/domain/data-api/data-api-projects.js';
import { renderDataApiOpenApi } from '../shared/domain/data-api/openapi-document.js';
import { TokenBuckets } from '../shared/domain/data-api/rate-limit.js';

/** Rate-limit buckets of this instance (docs/api.md, "Limits"). */
const limiter = new TokenBuckets();
let tokens: { validator: BearerTokenValidator | undefined } | undefined;

/**
 * `GET /api/v1/{project}/{mart}`: a page of a published mart, disclosure-controlled, for a client
 * granted the project (named API key, or Entra ID token on Azure). Anonymous at the host: the API
 * authenticates each request itself (serveMart).
 */
export async function dataApiMart(
  request: HttpRequest,
  _context: InvocationContext,
): Promise<HttpResponseInit> {
  const s = await services();
  tokens ??= { validator: dataApiTokenValidator(s.settings) };
  const answer = await serveMart(
    {
      project: request.params.project ?? '',
      mart: request.params.mart ?? '',
      query: Object.fromEntries(request.query.entries()),
      credentials: {
        authorization: request.headers.get('authorization'),
        apiKey: request.headers.get('x-api-key'),
      },
      accept: request.headers.get('accept'),
      requestId: randomUUID(),
    },
    {
      catalogue: defaultDataApiCatalogue(),
      secrets: s.pipeline.secrets,
      ...(tokens.validator ? { tokens: tokens.validator } : {}),
      warehouse: s.pipeline.warehouse,
      lake: s.pipeline.lake,
      clock: s.pipeline.clock,
      limiter,
      logger: s.logger,
    },
  );
  return { status: answer.status, headers: answer.headers, body: answer.body };
}

/** `GET /api/v1/openapi.json`: the OpenAPI document (anonymous: it holds no data). */
export async function dataApiOpenApiDocument(
  _request: HttpRequest,
  _context: InvocationContext,
): Promise<HttpResponseInit> {
  return {
    status: 200,
    headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-cache' },
    body: renderDataApiOpenApi(defaultDataApiCatalogue()),
  };
}

app.http(FUNCTIONS.dataApiOpenApi, {
  route: 'v1/openapi.json',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: observed(FUNCTIONS.dataApiOpenApi, 'http', dataApiOpenApiDocument),
});
app.http(FUNCTIONS.dataApiMart, {
  route: 'v1/{project}/{mart}',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: observed(FUNCTIONS.dataApiMart, 'http', dataApiMart),
});
