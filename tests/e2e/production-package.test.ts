// The deployable package, made as Azure gets it: bin/package-function-app.mjs builds a copy of this
// checkout and installs only the production dependencies from package-lock.json (npm ci --omit=dev,
// for Linux x64, from the local npm cache first). Then a plain node process, with nothing of the
// development install in reach, loads package.json `main` with the local stand-in for the Functions
// host's `@azure/functions-core` and must see every registration; every package the built code
// imports must resolve, and DuckDB's native binding must load.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { ACTIVITIES, FUNCTIONS, ORCHESTRATIONS } from '../../functions/function-names.js';
import { packageName, scan, sourceFiles } from '../support/package-imports.js';

const repo = resolve('.');
const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as {
  main: string;
  devDependencies: Record<string, string>;
};
const lock = JSON.parse(readFileSync('package-lock.json', 'utf8')) as {
  packages: Record<string, { dev?: boolean }>;
};
/** devDependencies the local tooling imports (tests/unit/packaging.test.ts: never reachable from main). */
const DEV_ONLY = new Set(['azurite', 'tsx']);
/** npm failures that mean "the cache lacks a package and the registry cannot be reached", not a defect. */
const OFFLINE =
  /ENOTCACHED|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|ECONNREFUSED|ECONNRESET|ENETUNREACH|request to .* failed/;

const probe = `
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
const dir = process.cwd();
const { main } = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
const specifiers = JSON.parse(process.argv[2]);
const unresolved = [];
for (const s of specifiers) {
  try { import.meta.resolve(s); } catch (e) { unresolved.push(s + ': ' + e.message); }
}
const { captureRegistrations } = await import(pathToFileURL(join(dir, 'dist/shared/runtime/local/registration-capture.js')).href);
const registry = await captureRegistrations(() => import(pathToFileURL(join(dir, main)).href));
const { DuckDBInstance } = await import('@duckdb/node-api');
const connection = await (await DuckDBInstance.create(':memory:')).connect();
const answer = (await connection.runAndReadAll('select 42 as answer')).getRows()[0][0];
const registrations = [...registry.functions.values()].map((r) => ({ name: r.name, trigger: r.trigger.type }));
console.log(JSON.stringify({ registrations, unresolved, duckdb: Number(answer), duckdbPath: import.meta.resolve('@duckdb/node-api') }));
`;

test(
  'the production-only package loads every registration with only its own dependencies',
  { timeout: 300_000 },
  (t) => {
    const work = mkdtempSync(join(tmpdir(), 'nhs-flows-package-'));
    try {
      // A copy of the checkout (sources as they are now), building with this checkout's compiler.
      const checkout = join(work, 'checkout');
      for (const entry of [
        'package.json',
        'package-lock.json',
        'tsconfig.json',
        'host.json',
        'functions',
        'shared',
        'reference',
        'projects',
        'bin',
      ]) {
        cpSync(entry, join(checkout, entry), { recursive: true });
      }
      symlinkSync(join(repo, 'node_modules'), join(checkout, 'node_modules'), 'dir');
      const app = join(work, 'app');
      const started = Date.now();
      const made = spawnSync(
        process.execPath,
        [join(checkout, 'bin', 'package-function-app.mjs'), '--out', app, '--prefer-offline'],
        { cwd: work, encoding: 'utf8' },
      );
      const output = `${made.stdout}\n${made.stderr}`;
      if (made.status !== 0 && OFFLINE.test(output)) {
        t.skip(
          `npm could not fetch a package missing from the local cache (registry unreachable): ${OFFLINE.exec(output)?.[0]}`,
        );
        return;
      }
      assert.equal(made.status, 0, output);
      t.diagnostic(`packaged in ${((Date.now() - started) / 1000).toFixed(1)} s`);

      // Nothing above the package may supply a module it lacks.
      for (let dir = dirname(app); dir !== dirname(dir); dir = dirname(dir)) {
        assert.ok(!existsSync(join(dir, 'node_modules')), `no node_modules in ${dir}`);
      }
      // A production install: the development-only packages are absent.
      const devOnly = Object.keys(pkg.devDependencies).filter(
        (d) => lock.packages[`node_modules/${d}`]?.dev === true,
      );
      assert.ok(devOnly.includes('typescript') && devOnly.includes('azurite'));
      for (const d of devOnly)
        assert.ok(!existsSync(join(app, 'node_modules', d)), `${d} (dev only) is not installed`);
      assert.ok(
        existsSync(join(app, 'node_modules', '@duckdb', 'node-bindings-linux-x64')),
        'the Linux x64 DuckDB binding',
      );
      assert.ok(!existsSync(join(app, 'node_modules', '@duckdb', 'node-bindings-darwin-arm64')));
      assert.ok(existsSync(join(app, 'host.json')) && existsSync(join(app, 'reference', 'MANIFEST.json')));
      // The shipped projects file, where the packaged loader finds it (docs/projects.md).
      assert.deepEqual(
        JSON.parse(readFileSync(join(app, 'dist', 'projects', 'projects.json'), 'utf8')),
        JSON.parse(readFileSync(join(repo, 'projects', 'projects.json'), 'utf8')),
      );
      assert.ok(
        !existsSync(join(app, 'functions')) && !existsSync(join(app, 'tests')),
        'no sources or tests',
      );

      // Every package the built code imports, lazily or not (mssql, applicationinsights are loaded on first use).
      const built = scan(app, sourceFiles(app, ['dist']));
      const specifiers = [
        ...new Set(
          built
            .filter(
              (r) => !r.typeOnly && packageName(r.specifier) && !DEV_ONLY.has(packageName(r.specifier)!),
            )
            .map((r) => r.specifier),
        ),
      ];
      assert.ok(specifiers.includes('durable-functions') && specifiers.includes('mssql'));
      writeFileSync(join(app, 'probe.mjs'), probe);
      if (process.platform !== 'linux' || process.arch !== 'x64') {
        t.skip(
          `the package is for linux-x64; this machine is ${process.platform}-${process.arch}, so it cannot load it`,
        );
        return;
      }
      const loaded = spawnSync(process.execPath, ['probe.mjs', JSON.stringify(specifiers)], {
        cwd: app,
        encoding: 'utf8',
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' },
      });
      assert.equal(loaded.status, 0, `${loaded.stdout}\n${loaded.stderr}`);
      const result = JSON.parse(loaded.stdout.trim().split('\n').at(-1)!) as {
        registrations: { name: string; trigger: string }[];
        unresolved: string[];
        duckdb: number;
        duckdbPath: string;
      };
      assert.deepEqual(result.unresolved, []);
      assert.equal(result.duckdb, 42);
      assert.ok(result.duckdbPath.startsWith(`file://${app}/node_modules/`), result.duckdbPath);
      const expected = [
        ...Object.values(FUNCTIONS),
        ...Object.values(ORCHESTRATIONS),
        ...Object.values(ACTIVITIES),
      ];
      assert.deepEqual(result.registrations.map((r) => r.name).sort(), [...expected].sort());
      const triggers = new Map(result.registrations.map((r) => [r.name, r.trigger]));
      for (const name of Object.values(ACTIVITIES)) assert.equal(triggers.get(name), 'activityTrigger');
      for (const name of Object.values(ORCHESTRATIONS))
        assert.equal(triggers.get(name), 'orchestrationTrigger');
      assert.equal(triggers.get(FUNCTIONS.cdcConsumer), 'eventHubTrigger');
      assert.equal(triggers.get(FUNCTIONS.landingFile), 'eventGridTrigger');
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  },
);
