// Type-checked lint, plus the dependency rules of the architecture (see docs/adr/0001-layout.md).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const azureSdks = ['@azure/*', 'durable-functions', 'applicationinsights', 'mssql', 'rhea', '@duckdb/*'];
/** The Functions programming model: what a registration in functions/ is written against. */
const functionsModel = ['@azure/functions', 'durable-functions'];
const adapterFolders = ['azure', 'local', 'memory', 'parquet'];

/**
 * The layering, checked here rather than by goodwill (one config block per folder: in flat config
 * the last block matching a file sets a rule, so each folder states its whole list):
 *   domain       → zod and other domain files only: no SDK, no I/O, no process
 *   synthetic/   → the test-data generator (it seeds the embedded source, so it ships): zod and the
 *                  domain only, pure like the domain; the domain never imports it
 *   config       → zod and domain
 *   application  → domain, config, its own ports and use cases: no SDK, no local disk, no adapter,
 *                  runtime, cli or functions
 *   adapters/*   → domain, application ports (and the port types a use case declares): never
 *                  another adapter folder, a use case, the runtime, the cli or functions/
 *   runtime/     → the local stand-in for the Functions host and the Durable extension: domain,
 *                  ports and the storage SDKs it polls; never adapters, use cases, cli or functions/
 *   functions/   → registrations: the composition root, use cases, domain and the Functions model;
 *                  only the composition root (and its SQL source helper) picks adapters and SDKs;
 *                  never the local runtime or the cli
 *   cli/         → the local operator's entry point: anything above, but Azure adapters and SDKs
 *                  only through the composition root
 */
const restrict = (files, patterns, extra = {}) => ({
  files,
  rules: {
    'no-restricted-imports': 'off',
    '@typescript-eslint/no-restricted-imports': ['error', { patterns }],
    ...extra,
  },
});
const group = (group, message, more = {}) => ({ group, message, ...more });
/**
 * Another adapter folder, however it is reached: `../local/…` from a sibling, `../../adapters/local/…`
 * from elsewhere (a sibling import never names `adapters`, so a glob on it alone misses it).
 */
const siblingAdapters = (folder) => {
  const others = adapterFolders.filter((other) => other !== folder).join('|');
  // Allowed: the embedded warehouse and source run on DuckDB too and share its SQL helpers
  // (identifier quoting, column types, the private spill folder) with the Parquet lake.
  const exception = folder === 'local' ? '(?!parquet/duckdb-parquet\\.js$)' : '';
  return {
    regex: `^(\\.\\./)+(adapters/)?${exception}(${others})/`,
    message: 'Adapters never import each other (each implements ports on its own).',
  };
};

/** The layer blocks alone (tests/unit/lint-layers.test.ts lints planted imports against them). */
export const layers = [
  restrict(
    ['shared/domain/**/*.ts'],
    [
      group([...azureSdks, 'node:fs*', 'node:net', 'node:http'], 'Domain code is pure: no SDK, no I/O.'),
      group(['**/adapters/**', '**/application/**', '**/runtime/**', '**/cli/**', '**/config/**', '**/functions/**', '**/synthetic/**'], 'Domain code imports only zod and other domain files.'),
    ],
    { 'no-restricted-globals': ['error', { name: 'process', message: 'Domain code never reads process; inject it.' }] },
  ),
  // The synthetic generator is test-data tooling beside the product code: it builds source rows from
  // the domain's table declarations, and is as pure as the domain (seeded, no clock, no I/O).
  restrict(
    ['shared/synthetic/**/*.ts'],
    [
      group([...azureSdks, 'node:fs*', 'node:net', 'node:http'], 'The synthetic generator is pure: no SDK, no I/O (sinks are adapters).'),
      group(['**/adapters/**', '**/application/**', '**/runtime/**', '**/cli/**', '**/config/**', '**/functions/**'], 'The synthetic generator imports only zod and the domain.'),
    ],
    { 'no-restricted-globals': ['error', { name: 'process', message: 'The synthetic generator never reads process; its configuration is passed in.' }] },
  ),
  restrict(
    ['shared/config/**/*.ts'],
    [group([...azureSdks, '**/adapters/**', '**/application/**', '**/runtime/**', '**/cli/**', '**/functions/**', '**/synthetic/**'], 'The settings schema imports only zod and domain.')],
  ),
  restrict(
    ['shared/application/**/*.ts'],
    [
      // Use cases reach files only through ports (the lake, the Parquet lake): no local disk.
      group([...azureSdks, 'node:fs*'], 'Use cases reach SDKs and files only through ports.'),
      group(['**/adapters/**', '**/runtime/**', '**/cli/**', '**/functions/**'], 'The application layer never imports an adapter, the runtime, the cli or functions/.'),
    ],
    {
      'no-restricted-syntax': [
        'error',
        {
          selector: "NewExpression[callee.name='Error'], CallExpression[callee.name='Error']",
          message: 'Throw a coded error from shared/domain/errors.ts (failures carry a code to logs, the ledger and alerts).',
        },
      ],
    },
  ),
  // Plain `Error` is fine in ports' in-memory twins and state helpers; the rule above is for use cases only.
  {
    files: ['shared/application/ports/**/*.ts', 'shared/application/state/**/*.ts', 'shared/application/lake-state/**/*.ts', 'shared/application/reference/**/*.ts'],
    rules: { 'no-restricted-syntax': 'off' },
  },
  ...adapterFolders.map((folder) =>
    restrict(
      [`shared/adapters/${folder}/**/*.ts`],
      [
        siblingAdapters(folder),
        group(['**/application/use-cases/**'], 'Adapters implement ports: they import a use case only for the port type it declares.', { allowTypeImports: true }),
        group(['**/runtime/**', '**/cli/**', '**/functions/**'], 'Adapters never import the runtime, the cli or functions/.'),
      ],
    ),
  ),
  restrict(
    ['shared/runtime/**/*.ts'],
    [
      group(['mssql', 'rhea', 'applicationinsights', '@azure/identity', '@azure/event-hubs', '@azure/keyvault-secrets', '@azure/data-tables', '@duckdb/*', 'durable-functions', '@azure/functions'], 'The local runtime drives registrations through the core API; it uses only the storage SDKs it polls.'),
      group(['**/adapters/**', '**/application/use-cases/**', '**/cli/**', '**/functions/**'], 'The runtime hosts registrations; it never imports adapters, use cases, the cli or functions/.'),
    ],
  ),
  restrict(
    ['functions/**/*.ts'],
    [
      group([...azureSdks, ...functionsModel.map((p) => `!${p}`)], 'Registrations use SDKs only through the composition root.'),
      group(['**/adapters/**'], 'Registrations get adapters from the composition root.'),
      group(['**/runtime/**', '**/cli/**'], 'functions/ runs on Azure: never the local runtime or the cli.'),
    ],
  ),
  // The composition root picks the adapters and credentials; its SQL Server source helper with it.
  restrict(
    ['functions/composition-root.ts', 'functions/mssql-source.ts'],
    [group(['**/runtime/**', '**/cli/**'], 'functions/ runs on Azure: never the local runtime or the cli.')],
  ),
  restrict(
    ['shared/cli/**/*.ts'],
    [
      group(azureSdks, 'The cli reaches Azure SDKs only through adapters picked by the composition root.'),
      group(['**/adapters/azure/**'], 'The cli gets Azure adapters from the composition root.'),
    ],
  ),
];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.data/**', 'bin/**', '**/*.mjs', '**/*.js'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { project: './tsconfig.check.json', tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        { allowForKnownSafeCalls: [{ from: 'package', name: ['test', 'it', 'describe', 'suite'], package: 'node:test' }] },
      ],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', ignoreRestSiblings: true }],
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true }],
    },
  },
  ...layers,
  {
    files: ['tests/**/*.ts', 'bench/**/*.ts'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
    },
  },
);
