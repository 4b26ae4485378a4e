#!/usr/bin/env node
// Writes the files generated from the gold and mart declarations (shared/domain/gold, shared/domain/star):
// infra/synapse/gold-tables.sql, the Power BI project in powerbi/ and docs/outputs.md.
//
//   node scripts/star-artefacts.mjs           rewrite every generated file (npm run star:generate)
//   node scripts/star-artefacts.mjs --check   exit 1, naming the stale files, when any differs
//
// tests/unit/star/star-artefacts.test.ts makes the same comparison in memory.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { register } = await import('tsx/esm/api');
register();
const { renderStarArtefacts } = await import('../shared/domain/star/star-artefacts.ts');

const check = process.argv.includes('--check');
const stale = [];
for (const { path, text } of renderStarArtefacts()) {
  const file = join(root, path);
  let current = '';
  try {
    current = readFileSync(file, 'utf8');
  } catch {
    // a new file: not generated yet
  }
  if (current === text) continue;
  stale.push(path);
  if (!check) {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, text);
  }
}
if (check && stale.length > 0) {
  console.error(`stale generated files (run npm run star:generate): ${stale.join(', ')}`);
  process.exit(1);
}
console.log(
  stale.length === 0
    ? 'star schema artefacts are current'
    : `${check ? 'stale' : 'wrote'}: ${stale.join(', ')}`,
);
