// How the app installs and is packaged, checked statically (the production install itself is
// tests/e2e/production-package.test.ts): runtime code imports only `dependencies`, the lockfile is
// complete for every platform, and azure.yaml / .funcignore package what the host needs for Linux x64.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageName, reachableFrom, scan, sourceFiles } from '../support/package-imports.js';

interface PackageJson {
  main: string;
  scripts: Record<string, string>;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
}
interface LockEntry {
  version?: string;
  dev?: boolean;
  optional?: boolean;
  os?: string[];
  cpu?: string[];
  libc?: string[];
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
}

const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as PackageJson;
const lock = JSON.parse(readFileSync('package-lock.json', 'utf8')) as { packages: Record<string, LockEntry> };

/**
 * devDependencies that non-test code may import, because they serve only the local tooling in a
 * development checkout and are never reachable from the Function App's entry point (checked below).
 */
const DEV_ONLY = new Map<string, { files: RegExp; why: string }>([
  [
    'azurite',
    { files: /^shared\/runtime\/local\/azurite\.ts$/, why: 'the local storage emulator the CLI starts' },
  ],
  [
    'tsx',
    {
      files: /^shared\/runtime\/local\/activity-workers\.ts$/,
      why: 'loads TypeScript sources into worker threads, only when running from source (tests, benches)',
    },
  ],
]);

/**
 * dependencies read as files rather than imported: the browser builds the dashboard inlines into
 * its HTML page (ADR 0014), each read by the stated module.
 */
const FILE_ASSETS = new Map<string, string>([
  ['vega', 'shared/adapters/local/dashboard-assets.ts'],
  ['vega-lite', 'shared/adapters/local/dashboard-assets.ts'],
  ['vega-embed', 'shared/adapters/local/dashboard-assets.ts'],
]);

const files = sourceFiles('.', ['functions', 'shared', 'bin']);
const refs = scan('.', files);
const mainSource = pkg.main.replace(/^dist\//, '').replace(/\.js$/, '.ts');
const reachable = reachableFrom('.', mainSource, refs);
const valueImports = refs
  .filter((r) => !r.typeOnly)
  .map((r) => ({ ...r, pkg: packageName(r.specifier) }))
  .filter((r): r is typeof r & { pkg: string } => r.pkg !== undefined);

test('the Function App entry point and its module graph are found', () => {
  assert.ok(files.includes(mainSource), `${mainSource} (package.json main ${pkg.main}) exists`);
  assert.ok(reachable.size > 50, `the graph from ${mainSource} has ${reachable.size} files`);
  assert.ok(reachable.has('functions/composition-root.ts'));
});

test('non-test code imports only packages in dependencies (a few dev-only tools excepted, never from main)', () => {
  const problems: string[] = [];
  for (const r of valueImports) {
    if (pkg.dependencies[r.pkg]) continue;
    const devOnly = DEV_ONLY.get(r.pkg);
    if (devOnly && pkg.devDependencies[r.pkg] && devOnly.files.test(r.file) && !reachable.has(r.file))
      continue;
    const where = pkg.devDependencies[r.pkg] ? 'is only a devDependency' : 'is not in package.json';
    problems.push(
      `${r.file} imports '${r.specifier}', but ${r.pkg} ${where}` +
        (reachable.has(r.file) ? ` (and ${r.file} is loaded by ${pkg.main})` : ''),
    );
  }
  assert.deepEqual(problems, [], 'move these to "dependencies" (a production install omits devDependencies)');
});

test('the dev-only exceptions are devDependencies imported only where stated', () => {
  for (const [name, { files: where, why }] of DEV_ONLY) {
    assert.ok(pkg.devDependencies[name], `${name} (${why}) is a devDependency`);
    assert.equal(pkg.dependencies[name], undefined, `${name} is not shipped`);
    for (const r of valueImports.filter((v) => v.pkg === name)) {
      assert.match(r.file, where, `${name} is imported only by its stated file`);
      assert.ok(!reachable.has(r.file), `${r.file} is not reachable from ${pkg.main}`);
    }
  }
});

test('every runtime dependency is imported by non-test code (test-only packages are devDependencies)', () => {
  const used = new Set(valueImports.map((r) => r.pkg));
  for (const [name, reader] of FILE_ASSETS)
    if (readFileSync(reader, 'utf8').includes(`'${name}'`)) used.add(name);
  const unused = Object.keys(pkg.dependencies).filter((d) => !used.has(d));
  assert.deepEqual(
    unused,
    [],
    'no code under functions/ shared/ bin/ imports these: move them to devDependencies (tests only) or remove them',
  );
});

test('package-lock.json is in sync with package.json (npm ci accepts it)', () => {
  const rootEntry = lock.packages[''];
  assert.ok(rootEntry);
  assert.deepEqual(rootEntry.dependencies ?? {}, pkg.dependencies);
  assert.deepEqual(rootEntry.devDependencies ?? {}, pkg.devDependencies);
  for (const name of [...Object.keys(pkg.dependencies), ...Object.keys(pkg.devDependencies)]) {
    assert.ok(lock.packages[`node_modules/${name}`], `the lockfile installs ${name}`);
  }
  for (const name of Object.keys(pkg.dependencies)) {
    assert.notEqual(
      lock.packages[`node_modules/${name}`]?.dev,
      true,
      `${name} is not marked dev in the lockfile`,
    );
  }
});

test('the lockfile lists every platform package of every optional dependency (DuckDB on Linux, macOS, Windows, arm64)', () => {
  // npm writes a lockfile without the platform packages of other machines only when the lockfile was
  // made by an old npm; then `npm ci` there installs no binary and `npm install` rewrites the lockfile.
  const missing: string[] = [];
  for (const [path, entry] of Object.entries(lock.packages)) {
    for (const dep of Object.keys(entry.optionalDependencies ?? {})) {
      const nested = `${path}/node_modules/${dep}`;
      if (!lock.packages[nested] && !lock.packages[`node_modules/${dep}`])
        missing.push(`${dep} (of ${path})`);
    }
  }
  assert.deepEqual(missing, []);
  const platforms = [
    ['linux', 'x64', 'glibc', 'linux-x64'],
    ['linux', 'arm64', 'glibc', 'linux-arm64'],
    ['darwin', 'x64', undefined, 'darwin-x64'],
    ['darwin', 'arm64', undefined, 'darwin-arm64'],
    ['win32', 'x64', undefined, 'win32-x64'],
  ] as const;
  const bindings = lock.packages['node_modules/@duckdb/node-bindings'];
  assert.ok(bindings, '@duckdb/node-bindings is locked');
  for (const [os, cpu, libc, suffix] of platforms) {
    const name = `@duckdb/node-bindings-${suffix}`;
    const entry = lock.packages[`node_modules/${name}`];
    assert.ok(entry, `${name} is in the lockfile`);
    assert.equal(entry.optional, true, `${name} is optional`);
    assert.equal(
      entry.version,
      bindings.version,
      `${name} matches @duckdb/node-bindings ${bindings.version}`,
    );
    assert.deepEqual(entry.os, [os]);
    assert.deepEqual(entry.cpu, [cpu]);
    if (libc) assert.deepEqual(entry.libc, [libc]);
    assert.ok(bindings.optionalDependencies?.[name], `@duckdb/node-bindings names ${name}`);
  }
});

test('azure.yaml packages the app here for Linux x64 and deploys it without a remote build', () => {
  const yaml = readFileSync('azure.yaml', 'utf8').replace(/#.*$/gm, '');
  const service = /\n {2}pipeline:\n((?: {4}.*\n|\s*\n)+)/.exec(yaml)?.[1] ?? '';
  assert.match(service, /^ {4}host: function$/m);
  assert.match(service, /^ {4}language: ts$/m);
  assert.match(service, /^ {4}project: \.$/m);
  assert.match(service, /^ {4}dist: \.deploy\/function-app$/m, 'azd zips the packaged folder');
  assert.match(service, /^ {4}remoteBuild: false$/m, 'no build on Azure: the package is complete');
  const hooks = [...service.matchAll(/run: (.+)$/gm)].map((m) => m[1]!.trim());
  assert.ok(hooks.length >= 1);
  for (const run of hooks)
    assert.equal(run, 'node bin/package-function-app.mjs', 'the prepackage hook packages the app');
  assert.match(service, /^ {4}hooks:\n {6}prepackage:/m);
  // The old project-level hook ran `npm ci` for the machine running azd, whose binaries then shipped.
  assert.doesNotMatch(yaml, /npm ci(?! --omit=dev)/);
  const script = readFileSync('bin/package-function-app.mjs', 'utf8');
  assert.match(
    script,
    /os: 'linux',\s*cpu: 'x64',\s*libc: 'glibc'/,
    'the target platform is Linux x64 (glibc)',
  );
  assert.match(script, /'--omit=dev'/);
  assert.match(script, /\.deploy', 'function-app'/, 'the script writes where azure.yaml dist points');
  assert.equal(pkg.scripts['package:azure'], 'node bin/package-function-app.mjs');
  // Flex Consumption on Linux: the platform the package is built for.
  const app = readFileSync('infra/app/function-app.bicep', 'utf8');
  assert.match(app, /tier: 'FlexConsumption'/);
  assert.match(app, /kind: 'functionapp,linux'/);
});

/** Whether an anchored .funcignore pattern list (gitignore syntax, the subset used here) excludes `path`. */
function ignored(patterns: readonly string[], path: string, isDir: boolean): boolean {
  let result = false;
  for (const raw of patterns) {
    const negate = raw.startsWith('!');
    const pattern = negate ? raw.slice(1) : raw;
    const dirOnly = pattern.endsWith('/');
    const body = pattern.replace(/^\//, '').replace(/\/$/, '');
    const anchored = pattern.startsWith('/');
    const regex = new RegExp(
      `${anchored ? '^' : '(^|/)'}${body.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*')}$`,
    );
    const segments = path.split('/');
    // A path is excluded when it, or a directory above it, matches.
    for (let i = 1; i <= segments.length; i += 1) {
      const prefix = segments.slice(0, i).join('/');
      const prefixIsDir = i < segments.length || isDir;
      if (regex.test(prefix) && (!dirOnly || prefixIsDir)) result = !negate;
    }
  }
  return result;
}

test('.funcignore leaves out development files and keeps what the Functions host loads', () => {
  const patterns = readFileSync('.funcignore', 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  for (const [path, isDir] of [
    ['.git', true],
    ['tests', true],
    ['bench', true],
    ['.data', true],
    ['docs', true],
    ['infra', true],
    ['.deploy', true],
    ['local.settings.json', false],
    ['functions/index.ts', false],
    ['shared/cli/main.ts', false],
    ['tsconfig.json', false],
    ['reference/tools/build-reference.mjs', false],
  ] as const) {
    assert.ok(ignored(patterns, path, isDir), `.funcignore excludes ${path}`);
  }
  for (const [path, isDir] of [
    ['host.json', false],
    ['package.json', false],
    [pkg.main, false],
    ['dist/functions/composition-root.js', false],
    ['dist/shared/adapters/local/reference-data.loader.js', false],
    ['reference/MANIFEST.json', false],
    ['reference/code-lists', true],
    // azd refuses `remoteBuild: false` when .funcignore excludes node_modules.
    ['node_modules', true],
  ] as const) {
    assert.ok(!ignored(patterns, path, isDir), `.funcignore keeps ${path}`);
  }
});

test('the prepare script builds nothing and succeeds where TypeScript or the sources are absent (production installs)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nhs-flows-prepare-'));
  try {
    mkdirSync(join(dir, 'bin'));
    for (const f of ['prepare.mjs', 'build-dist.mjs']) cpSync(join('bin', f), join(dir, 'bin', f));
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'probe', type: 'module' }));
    // A packaged app: no sources.
    let run = spawnSync(process.execPath, ['bin/prepare.mjs'], { cwd: dir, encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /no TypeScript sources/);
    // `npm ci --omit=dev` in a checkout: sources, but no compiler installed.
    cpSync('tsconfig.json', join(dir, 'tsconfig.json'));
    mkdirSync(join(dir, 'functions'));
    writeFileSync(join(dir, 'functions', 'index.ts'), 'export {};\n');
    run = spawnSync(process.execPath, ['bin/prepare.mjs'], { cwd: dir, encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /TypeScript is not installed/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  assert.equal(pkg.scripts.prepare, 'node bin/prepare.mjs');
});
