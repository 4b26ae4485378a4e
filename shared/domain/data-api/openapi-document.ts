import { z } from 'zod';
import type { DataApiCatalogue } from './api-clients.js';
import { defaultDataApiCatalogue } from './data-api-projects.js';
import { apiErrorSchema, martPageSchema, martQuerySchema } from './mart-api-schema.js';

/** The version of the data API's contract (the `v1` of its paths is its major version). */
export const DATA_API_VERSION = '1.0.0';

/**
 * The data API's OpenAPI 3.1 document, generated from the zod schemas the handlers parse with
 * (`mart-api-schema.ts`) and the catalogue (one path per project and published mart, with that
 * mart's row schema). Generated with zod's own JSON Schema converter (`z.toJSONSchema`): OpenAPI
 * 3.1 schemas are JSON Schema 2020-12, which is the converter's default target, so no extra
 * library is needed. Served at `GET /api/v1/openapi.json` and kept in docs/api/openapi.json
 * (`node scripts/data-api-openapi.mjs`, checked by tests/unit/data-api/openapi.test.ts).
 */
export function dataApiOpenApi(catalogue: DataApiCatalogue, version: string): Record<string, unknown> {
  const input = (schema: z.ZodType): Record<string, unknown> => {
    return withoutDialect(z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }));
  };
  const output = (schema: z.ZodType): Record<string, unknown> => {
    return withoutDialect(z.toJSONSchema(schema, { io: 'output', reused: 'inline' }));
  };
  const parameters = Object.entries(martQuerySchema.shape).map(([name, schema]) => {
    const json = input(schema as z.ZodType);
    const { description, ...rest } = json;
    return {
      name,
      in: 'query',
      required: false,
      ...(typeof description === 'string' ? { description } : {}),
      schema: rest,
    };
  });
  const errorResponse = (description: string) => ({
    description,
    content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
  });
  const paths: Record<string, unknown> = {};
  for (const [key, mart] of [...catalogue.marts.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    paths[`/v1/${key}`] = {
      get: {
        operationId: `get_${mart.project}_${mart.table.name}`,
        summary: mart.table.description,
        description: `${mart.table.name} of project ${mart.project}, disclosure-controlled (docs/disclosure-control.md).`,
        tags: [mart.project],
        parameters,
        responses: {
          '200': {
            description: 'a page of the mart, disclosure-controlled',
            headers: {
              'RateLimit-Remaining': { schema: { type: 'integer' }, description: 'requests left now' },
            },
            content: {
              'application/json': { schema: output(martPageSchema(mart)) },
              'text/csv': {
                schema: { type: 'string' },
                description:
                  'the same page as CSV: header, then rows; cells that start like a formula are written as text',
              },
            },
          },
          '400': errorResponse('a query parameter is not valid'),
          '401': errorResponse('no credentials, or an unknown, wrong, expired or badly signed key or token'),
          '403': errorResponse('the client is not granted this project'),
          '404': errorResponse('no such project or published mart (restricted tables are never served)'),
          '429': {
            ...errorResponse('past the client’s rate limit'),
            headers: { 'Retry-After': { schema: { type: 'integer' }, description: 'seconds' } },
          },
        },
      },
    };
  }
  paths['/v1/openapi.json'] = {
    get: {
      operationId: 'get_openapi',
      summary: 'this document',
      security: [],
      responses: { '200': { description: 'the OpenAPI document', content: { 'application/json': {} } } },
    },
  };
  return {
    openapi: '3.1.0',
    info: {
      title: 'nhs-flows data API',
      version,
      description:
        'Published (aggregate, disclosure-controlled) marts for commissioners. Every count from 1 to 7 is shown as *, other counts rounded to the nearest 5 (the HES/ECDS 2018 rule; docs/disclosure-control.md). Rate-limited per client; every request is recorded in a usage log (docs/api.md).',
    },
    servers: [{ url: '/api' }],
    security: [{ bearer: [] }, { apiKey: [] }],
    paths,
    components: {
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          description:
            'An Entra ID access token for the data API (on Azure), or a named API key (nhsflows_<client>_<secret>)',
        },
        apiKey: { type: 'apiKey', in: 'header', name: 'x-api-key', description: 'a named API key' },
      },
      schemas: { Error: output(apiErrorSchema) },
    },
  };
}

/** A generated schema without its `$schema` line (the document's dialect is OpenAPI 3.1's default). */
function withoutDialect(schema: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(schema).filter(([key]) => key !== '$schema'));
}

/** Where the document is kept in the repository. */
export const OPENAPI_DOC_PATH = 'docs/api/openapi.json';

/** The document as served and as kept in docs/api/openapi.json (two-space JSON, newline at the end). */
export function renderDataApiOpenApi(catalogue: DataApiCatalogue = defaultDataApiCatalogue()): string {
  return `${JSON.stringify(dataApiOpenApi(catalogue, DATA_API_VERSION), null, 2)}\n`;
}
