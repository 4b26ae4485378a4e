import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { ESLint, type Linter } from 'eslint';
import tseslint from 'typescript-eslint';

// Issue 10 item 8: the layer rules of eslint.config.js cover every folder, and each rule fires on
// the import it forbids (and not on the ones the layering allows). Planted imports are linted as
// text at a path in each folder, with the layer blocks alone (no type information needed).

const root = join(import.meta.dirname, '..', '..');
const { layers } = (await import(join(root, 'eslint.config.js'))) as { layers: Linter.Config[] };
const eslint = new ESLint({
  cwd: root,
  overrideConfigFile: true,
  overrideConfig: [
    {
      files: ['**/*.ts'],
      languageOptions: { parser: tseslint.parser },
      plugins: { '@typescript-eslint': tseslint.plugin as unknown as ESLint.Plugin },
    },
    ...layers,
  ],
});

async function problems(path: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: join(root, path) });
  return (result?.messages ?? []).map((m) => `${m.ruleId}: ${m.message}`);
}

const cases: { at: string; imports: string; allowed: boolean }[] = [
  // domain
  { at: 'shared/domain/x/a.ts', imports: "import { z } from 'zod';", allowed: true },
  {
    at: 'shared/domain/x/a.ts',
    imports: "import { BlobClient } from '@azure/storage-blob';",
    allowed: false,
  },
  { at: 'shared/domain/x/a.ts', imports: "import { readFile } from 'node:fs/promises';", allowed: false },
  {
    at: 'shared/domain/x/a.ts',
    imports: "import type { Logger } from '../../application/ports/logger.port.js';",
    allowed: false,
  },
  {
    at: 'shared/domain/x/a.ts',
    imports: "import { settingKeys } from '../../config/settings.schema.js';",
    allowed: false,
  },
  {
    at: 'shared/domain/x/a.ts',
    imports: "import { generatePopulationRows } from '../../synthetic/population-generator.js';",
    allowed: false,
  },
  // synthetic (test-data tooling: the domain and zod only)
  {
    at: 'shared/synthetic/rows/a.rows.ts',
    imports: "import type { SourceRow } from '../../domain/datasets/source-tables.js';",
    allowed: true,
  },
  { at: 'shared/synthetic/a.ts', imports: "import { writeFile } from 'node:fs/promises';", allowed: false },
  {
    at: 'shared/synthetic/a.ts',
    imports: "import type { SourceWriter } from '../application/ports/source-writer.port.js';",
    allowed: false,
  },
  {
    at: 'shared/synthetic/a.ts',
    imports: "import { EmbeddedSource } from '../adapters/local/embedded-source.js';",
    allowed: false,
  },
  {
    at: 'shared/synthetic/a.ts',
    imports: "import { settingKeys } from '../config/settings.schema.js';",
    allowed: false,
  },
  {
    at: 'shared/application/use-cases/a.ts',
    imports: "import { generatePopulationRows } from '../../synthetic/population-generator.js';",
    allowed: true,
  },
  // application
  {
    at: 'shared/application/use-cases/a.ts',
    imports: "import type { Logger } from '../ports/logger.port.js';",
    allowed: true,
  },
  {
    at: 'shared/application/use-cases/a.ts',
    imports: "import { BlobObjectStore } from '../../adapters/azure/blob-object-store.azure.js';",
    allowed: false,
  },
  {
    at: 'shared/application/use-cases/a.ts',
    imports: "import { createLocalHost } from '../../runtime/local/local-host.js';",
    allowed: false,
  },
  {
    at: 'shared/application/use-cases/a.ts',
    imports: "import { services } from '../../../functions/composition-root.js';",
    allowed: false,
  },
  {
    at: 'shared/application/use-cases/a.ts',
    imports: "import { main } from '../../cli/main.js';",
    allowed: false,
  },
  { at: 'shared/application/use-cases/a.ts', imports: "import sql from 'mssql';", allowed: false },
  // adapters
  {
    at: 'shared/adapters/azure/a.azure.ts',
    imports: "import type { Logger } from '../../application/ports/logger.port.js';",
    allowed: true,
  },
  {
    at: 'shared/adapters/azure/a.azure.ts',
    imports: "import { LocalEventLog } from '../local/event-log/local-event-log.js';",
    allowed: false,
  },
  {
    at: 'shared/adapters/azure/a.azure.ts',
    imports: "import { DuckDbParquetLake } from '../parquet/duckdb-parquet-lake.js';",
    allowed: false,
  },
  {
    at: 'shared/adapters/local/a.ts',
    imports: "import { BlobObjectStore } from '../azure/blob-object-store.azure.js';",
    allowed: false,
  },
  {
    at: 'shared/adapters/local/a.ts',
    imports: "import { quoteIdent } from '../parquet/duckdb-parquet.js';",
    allowed: true,
  },
  {
    at: 'shared/adapters/local/a.ts',
    imports: "import { DuckDbParquetLake } from '../parquet/duckdb-parquet-lake.js';",
    allowed: false,
  },
  {
    at: 'shared/adapters/memory/a.ts',
    imports: "import { LocalEventLog } from '../local/event-log/local-event-log.js';",
    allowed: false,
  },
  {
    at: 'shared/adapters/parquet/a.ts',
    imports: "import { MemoryObjectStore } from '../memory/memory-object-store.js';",
    allowed: false,
  },
  {
    at: 'shared/adapters/local/a.ts',
    imports:
      "import type { SyntheticRowSink } from '../../application/use-cases/generate-population.use-case.js';",
    allowed: true,
  },
  {
    at: 'shared/adapters/local/a.ts',
    imports: "import { runGenerate } from '../../application/use-cases/generate-population.use-case.js';",
    allowed: false,
  },
  { at: 'shared/adapters/local/a.ts', imports: "import { main } from '../../cli/main.js';", allowed: false },
  {
    at: 'shared/adapters/local/a.ts',
    imports: "import { createLocalHost } from '../../runtime/local/local-host.js';",
    allowed: false,
  },
  // runtime
  {
    at: 'shared/runtime/local/a.ts',
    imports: "import { QueueClient } from '@azure/storage-queue';",
    allowed: true,
  },
  {
    at: 'shared/runtime/local/a.ts',
    imports: "import type { Logger } from '../../application/ports/logger.port.js';",
    allowed: true,
  },
  {
    at: 'shared/runtime/local/a.ts',
    imports: "import { LocalEventLog } from '../../adapters/local/event-log/local-event-log.js';",
    allowed: false,
  },
  {
    at: 'shared/runtime/local/a.ts',
    imports: "import { services } from '../../../functions/composition-root.js';",
    allowed: false,
  },
  { at: 'shared/runtime/local/a.ts', imports: "import { main } from '../../cli/main.js';", allowed: false },
  {
    at: 'shared/runtime/local/a.ts',
    imports: "import { planChunks } from '../../application/use-cases/pipeline/plan-chunks.use-case.js';",
    allowed: false,
  },
  // functions
  {
    at: 'functions/a.function.ts',
    imports: "import * as df from 'durable-functions';\nimport { app } from '@azure/functions';",
    allowed: true,
  },
  {
    at: 'functions/a.function.ts',
    imports: "import { services } from './composition-root.js';",
    allowed: true,
  },
  {
    at: 'functions/a.function.ts',
    imports: "import { BlobServiceClient } from '@azure/storage-blob';",
    allowed: false,
  },
  {
    at: 'functions/a.function.ts',
    imports: "import { DefaultAzureCredential } from '@azure/identity';",
    allowed: false,
  },
  {
    at: 'functions/a.function.ts',
    imports: "import { BlobObjectStore } from '../shared/adapters/azure/blob-object-store.azure.js';",
    allowed: false,
  },
  {
    at: 'functions/a.function.ts',
    imports: "import { createLocalHost } from '../shared/runtime/local/local-host.js';",
    allowed: false,
  },
  {
    at: 'functions/composition-root.ts',
    imports:
      "import { DefaultAzureCredential } from '@azure/identity';\nimport { BlobObjectStore } from '../shared/adapters/azure/blob-object-store.azure.js';",
    allowed: true,
  },
  {
    at: 'functions/composition-root.ts',
    imports: "import { main } from '../shared/cli/main.js';",
    allowed: false,
  },
  // cli
  {
    at: 'shared/cli/a.command.ts',
    imports: "import { services } from '../../functions/composition-root.js';",
    allowed: true,
  },
  {
    at: 'shared/cli/a.command.ts',
    imports: "import { LocalEventLog } from '../adapters/local/event-log/local-event-log.js';",
    allowed: true,
  },
  {
    at: 'shared/cli/a.command.ts',
    imports: "import { BlobServiceClient } from '@azure/storage-blob';",
    allowed: false,
  },
  {
    at: 'shared/cli/a.command.ts',
    imports: "import { BlobObjectStore } from '../adapters/azure/blob-object-store.azure.js';",
    allowed: false,
  },
  // config
  { at: 'shared/config/a.ts', imports: "import { ConfigError } from '../domain/errors.js';", allowed: true },
  {
    at: 'shared/config/a.ts',
    imports: "import type { Logger } from '../application/ports/logger.port.js';",
    allowed: false,
  },
  {
    at: 'shared/config/a.ts',
    imports: "import { DEFECT_CLASSES } from '../synthetic/defect-classes.js';",
    allowed: false,
  },
];

test('each layer rule forbids the imports the layering forbids and allows the others', async () => {
  const wrong: string[] = [];
  for (const c of cases) {
    const found = await problems(c.at, `${c.imports}\nexport {};\n`);
    if (c.allowed !== (found.length === 0))
      wrong.push(`${c.at}: ${c.imports} → ${c.allowed ? `refused: ${found.join('; ')}` : 'allowed'}`);
  }
  assert.deepEqual(wrong, []);
});

test('a use case constructing a plain Error is refused; ports may', async () => {
  const code = "export function f(): never {\n  throw new Error('x');\n}\n";
  assert.match(
    (await problems('shared/application/use-cases/pipeline/a.use-case.ts', code)).join('\n'),
    /coded error/,
  );
  assert.deepEqual(await problems('shared/application/ports/a.port.ts', code), []);
});

test('the whole layer config names every source folder', async () => {
  const covered = new Set(
    layers.flatMap((block) => (block.files ?? []).flat().filter((f): f is string => typeof f === 'string')),
  );
  for (const folder of [
    'shared/domain/**/*.ts',
    'shared/synthetic/**/*.ts',
    'shared/config/**/*.ts',
    'shared/application/**/*.ts',
    'shared/adapters/azure/**/*.ts',
    'shared/adapters/local/**/*.ts',
    'shared/adapters/memory/**/*.ts',
    'shared/adapters/parquet/**/*.ts',
    'shared/runtime/**/*.ts',
    'shared/cli/**/*.ts',
    'functions/**/*.ts',
  ])
    assert.ok(covered.has(folder), folder);
});
