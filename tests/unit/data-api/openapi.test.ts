import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { defaultDataApiCatalogue } from '../../../shared/domain/data-api/data-api-projects.js';
import { OPENAPI_DOC_PATH, renderDataApiOpenApi } from '../../../shared/domain/data-api/openapi-document.js';
import { MART_TABLES } from '../../../shared/domain/gold/mart-tables.js';
import { GOLD_TABLES } from '../../../shared/domain/gold/gold-tables.js';
import { testCatalogue } from './data-api-fixtures.js';

// The OpenAPI document is generated from the zod schemas and the published marts: the copy in
// docs/api/ must be what the code generates now, and the document must be well formed.

type Json = Record<string, unknown>;

test('docs/api/openapi.json is in step with the code (node scripts/data-api-openapi.mjs rewrites it)', () => {
  assert.equal(readFileSync(OPENAPI_DOC_PATH, 'utf8'), renderDataApiOpenApi());
});

/** Every `$ref` in a value, with where it is. */
function refs(value: unknown, at = '#'): [string, string][] {
  if (Array.isArray(value)) return value.flatMap((v, i) => refs(v, `${at}/${i}`));
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([k, v]) =>
    k === '$ref' && typeof v === 'string' ? [[at, v] as [string, string]] : refs(v, `${at}/${k}`),
  );
}

function resolve(doc: Json, ref: string): unknown {
  if (!ref.startsWith('#/')) return undefined;
  return ref
    .slice(2)
    .split('/')
    .reduce<unknown>(
      (node, part) => (node as Json | undefined)?.[part.replace(/~1/g, '/').replace(/~0/g, '~')],
      doc,
    );
}

for (const [name, catalogue] of [
  ['the shipped marts', defaultDataApiCatalogue()],
  ['hand-built marts', testCatalogue()],
] as const)
  test(`the document is well formed OpenAPI 3.1 for ${name}: one path per published mart, refs resolve, rows are the mart's columns`, () => {
    const doc = JSON.parse(renderDataApiOpenApi(catalogue)) as Json;
    assert.equal(doc.openapi, '3.1.0');
    assert.ok((doc.info as Json).title && (doc.info as Json).version);
    const paths = doc.paths as Record<string, { get: Json }>;
    const martPaths = Object.keys(paths).filter((p) => p !== '/v1/openapi.json');
    assert.deepEqual(martPaths.sort(), [...catalogue.marts.keys()].map((k) => `/v1/${k}`).sort());
    const ids = Object.values(paths).map((p) => p.get.operationId);
    assert.equal(new Set(ids).size, ids.length, 'operationIds are unique');
    for (const [at, ref] of refs(doc))
      assert.notEqual(resolve(doc, ref), undefined, `${at}: ${ref} resolves`);
    const schemes = Object.keys(((doc.components as Json).securitySchemes as Json) ?? {});
    for (const requirement of doc.security as Json[])
      for (const scheme of Object.keys(requirement)) assert.ok(schemes.includes(scheme), scheme);
    for (const [key, mart] of catalogue.marts) {
      const get = paths[`/v1/${key}`]!.get;
      const responses = get.responses as Record<string, Json>;
      assert.deepEqual(Object.keys(responses).sort(), ['200', '400', '401', '403', '404', '429']);
      const params = (get.parameters as Json[]).map((p) => [p.name, p.in]);
      assert.deepEqual(
        params,
        ['trust', 'from', 'to', 'format', 'limit', 'offset'].map((n) => [n, 'query']),
      );
      const page = ((responses['200']!.content as Json)['application/json'] as Json).schema as Json;
      const rows = ((page.properties as Json).rows as Json).items as Json;
      assert.deepEqual(
        Object.keys(rows.properties as Json),
        mart.table.columns.map((c) => c.name),
      );
      assert.equal(rows.additionalProperties, false);
    }
  });

test('no restricted table has a path', () => {
  const doc = JSON.parse(renderDataApiOpenApi()) as Json;
  const served = new Set(Object.keys(doc.paths as Json).map((p) => p.split('/').at(-1)));
  for (const table of [...MART_TABLES, ...GOLD_TABLES].filter((t) => t.access === 'restricted'))
    assert.ok(!served.has(table.name), table.name);
});
