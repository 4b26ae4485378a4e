// Type-checked lint, plus the dependency rules of the architecture (see docs/adr/0001-layout.md).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const azureSdks = ['@azure/*', 'durable-functions', 'applicationinsights', 'mssql', 'rhea', '@duckdb/*'];

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
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true }],
    },
  },
  {
    files: ['shared/domain/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [...azureSdks, 'node:fs*', 'node:net', 'node:http', '**/adapters/**', '**/application/**', '**/runtime/**'] }],
      'no-restricted-globals': ['error', { name: 'process', message: 'Domain code never reads process; inject it.' }],
    },
  },
  {
    // Use cases reach files only through ports (the lake, the Parquet lake): no local disk.
    files: ['shared/application/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [...azureSdks, 'node:fs*', '**/adapters/**', '**/runtime/**'] }] },
  },
  {
    files: ['shared/adapters/azure/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: ['**/adapters/local/**'] }] },
  },
  {
    files: ['shared/adapters/local/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: ['**/adapters/azure/**'] }] },
  },
  {
    files: ['tests/**/*.ts', 'bench/**/*.ts'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
    },
  },
);
