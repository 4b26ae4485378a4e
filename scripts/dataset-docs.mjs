#!/usr/bin/env node
// Writes docs/datasets/<dataset>.md from the dataset declarations (shared/domain/datasets/<dataset>/).
//
//   node scripts/dataset-docs.mjs           rewrite every dataset doc (npm run docs:datasets)
//   node scripts/dataset-docs.mjs --check   exit 1, naming the stale docs, when any differs
//
// tests/unit/datasets/dataset-docs.test.ts makes the same comparison in memory.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { register } = await import('tsx/esm/api');
register();
const { renderDatasetDocs } = await import('../shared/domain/datasets/dataset-docs.ts');

const check = process.argv.includes('--check');
const stale = [];
for (const { path, text } of renderDatasetDocs()) {
  const file = join(root, path);
  let current = '';
  try {
    current = readFileSync(file, 'utf8');
  } catch {
    // a new dataset: no doc yet
  }
  if (current === text) continue;
  stale.push(path);
  if (!check) writeFileSync(file, text);
}
if (check && stale.length > 0) {
  console.error(`stale dataset docs (run npm run docs:datasets): ${stale.join(', ')}`);
  process.exit(1);
}
console.log(
  stale.length === 0 ? 'dataset docs are current' : `${check ? 'stale' : 'wrote'}: ${stale.join(', ')}`,
);
