#!/usr/bin/env node
// Writes docs/api/openapi.json, the data API's OpenAPI document, from the zod schemas and the
// catalogue of published marts (shared/domain/data-api/openapi-document.ts).
//
//   node scripts/data-api-openapi.mjs           rewrite it (after a published mart or a schema changes)
//   node scripts/data-api-openapi.mjs --check   exit 1 when it is stale
//
// tests/unit/data-api/openapi.test.ts makes the same comparison in memory.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { register } = await import('tsx/esm/api');
register();
const { renderDataApiOpenApi, OPENAPI_DOC_PATH } =
  await import('../shared/domain/data-api/openapi-document.ts');

const file = join(root, OPENAPI_DOC_PATH);
const text = renderDataApiOpenApi();
let current = '';
try {
  current = readFileSync(file, 'utf8');
} catch {
  // not written yet
}
if (current === text) {
  console.log(`${OPENAPI_DOC_PATH} is current`);
} else if (process.argv.includes('--check')) {
  console.error(`${OPENAPI_DOC_PATH} is stale: run node scripts/data-api-openapi.mjs`);
  process.exit(1);
} else {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text);
  console.log(`wrote ${OPENAPI_DOC_PATH}`);
}
