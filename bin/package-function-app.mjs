#!/usr/bin/env node
// Packages the Function App for Azure (Flex Consumption, Linux x64), whatever machine runs it:
//
//   node bin/package-function-app.mjs [--out DIR] [--os linux] [--cpu x64] [--libc glibc] [--prefer-offline] [--no-build]
//
// 1. builds dist/ (tsc -p tsconfig.json; skipped with --no-build),
// 2. copies what the Functions host loads into DIR (default .deploy/function-app): package.json,
//    host.json, dist/ (with dist/projects/projects.json, the shipped projects file the build copies
//    because the domain imports it; checked here), reference/ (without its build tools),
// 3. installs the production dependencies there from package-lock.json for the TARGET platform
//    (`npm ci --omit=dev --os=linux --cpu=x64 --libc=glibc --ignore-scripts`), so a laptop on macOS,
//    Windows or arm64 still ships DuckDB's Linux x64 binding (@duckdb/node-bindings-linux-x64),
// 4. checks that binding is there, and writes a package.json without scripts or devDependencies
//    (nothing runs at deploy time; the host only reads `main` and `type`).
//
// `azd package` / `azd up` run this (azure.yaml: the service's prepackage hook; `dist` points here,
// `remoteBuild: false`). To publish by hand: zip the folder's contents and deploy the zip
// (`az functionapp deployment source config-zip`, or `func azure functionapp publish <app> --no-build`
// from inside the folder).
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { buildDist, root } from './build-dist.mjs';

const marker = '.nhs-flows-package';

function parseArgs(argv) {
  const options = {
    out: join(root, '.deploy', 'function-app'),
    os: 'linux',
    cpu: 'x64',
    libc: 'glibc',
    preferOffline: false,
    build: true,
  };
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    const value = () => {
      const v = argv[(i += 1)];
      if (!v) throw new Error(`${arg} needs a value`);
      return v;
    };
    if (arg === '--out') options.out = value();
    else if (arg === '--os') options.os = value();
    else if (arg === '--cpu') options.cpu = value();
    else if (arg === '--libc') options.libc = value();
    else if (arg === '--prefer-offline') options.preferOffline = true;
    else if (arg === '--no-build') options.build = false;
    else if (arg === '--help' || arg === '-h') options.help = true;
    else throw new Error(`unknown option ${arg}`);
  }
  if (!isAbsolute(options.out)) options.out = resolve(process.cwd(), options.out);
  return options;
}

/** The DuckDB binding package npm should install for a platform (see @duckdb/node-bindings' optionalDependencies). */
export function duckdbBinding({ os, cpu, libc }) {
  return `@duckdb/node-bindings-${os}-${cpu}${os === 'linux' && libc === 'musl' ? '-musl' : ''}`;
}

export function packageFunctionApp(options) {
  const main = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).main;
  if (options.build) {
    const result = buildDist();
    if (result.reason) console.log(`package: not building dist/: ${result.reason}`);
    else if (!result.built) throw new Error(`tsc -p tsconfig.json failed (exit ${result.status})`);
  }
  if (!existsSync(join(root, main))) throw new Error(`${main} is missing: run npm run build first`);
  // The shipped projects file (docs/projects.md): the build copies it into dist/ because the domain
  // imports it; the Function App reads it at start unless NHSFLOWS_PROJECTS_FILE names another.
  if (!existsSync(join(root, 'dist', 'projects', 'projects.json')))
    throw new Error('dist/projects/projects.json is missing: the build did not copy the projects file');

  // Start from an empty folder; only ever delete a folder this script made.
  if (existsSync(options.out)) {
    const entries = readdirSync(options.out);
    if (entries.length > 0 && !entries.includes(marker)) {
      throw new Error(`${options.out} exists and is not a package this script made; choose another --out`);
    }
    rmSync(options.out, { recursive: true, force: true });
  }
  mkdirSync(options.out, { recursive: true });
  writeFileSync(join(options.out, marker), 'made by bin/package-function-app.mjs; safe to delete\n');

  for (const file of ['package.json', 'package-lock.json', 'host.json'])
    cpSync(join(root, file), join(options.out, file));
  cpSync(join(root, 'dist'), join(options.out, 'dist'), { recursive: true });
  cpSync(join(root, 'reference'), join(options.out, 'reference'), {
    recursive: true,
    filter: (src) => !src.startsWith(join(root, 'reference', 'tools')),
  });

  const npmArgs = [
    'ci',
    '--omit=dev',
    '--ignore-scripts',
    '--no-audit',
    '--no-fund',
    `--os=${options.os}`,
    `--cpu=${options.cpu}`,
    `--libc=${options.libc}`,
    ...(options.preferOffline ? ['--prefer-offline'] : []),
  ];
  console.log(`package: npm ${npmArgs.join(' ')} (in ${options.out})`);
  const npm = spawnSync(process.platform === 'win32' ? 'npm.cmd' : 'npm', npmArgs, {
    cwd: options.out,
    encoding: 'utf8',
    shell: process.platform === 'win32',
    env: { ...process.env, NODE_ENV: 'production' },
  });
  process.stdout.write(npm.stdout ?? '');
  process.stderr.write(npm.stderr ?? '');
  if (npm.status !== 0) {
    const error = new Error(`npm ci failed (exit ${npm.status ?? npm.signal})`);
    error.npmOutput = `${npm.stdout ?? ''}\n${npm.stderr ?? ''}`;
    throw error;
  }

  const binding = duckdbBinding(options);
  if (!existsSync(join(options.out, 'node_modules', ...binding.split('/'), 'package.json'))) {
    throw new Error(
      `${binding} was not installed: the lockfile must list it, and npm must honour --os/--cpu/--libc (npm ≥ 10)`,
    );
  }

  // What the host reads: name, type (ESM), main. No scripts (nothing runs at deploy time), no
  // devDependencies, no bin (the CLI is not shipped). The lockfile goes too: it lists the
  // devDependencies this package.json no longer has; node_modules/.package-lock.json records the tree.
  const pkg = JSON.parse(readFileSync(join(options.out, 'package.json'), 'utf8'));
  for (const key of ['scripts', 'devDependencies', 'bin', 'allowScripts']) delete pkg[key];
  writeFileSync(join(options.out, 'package.json'), `${JSON.stringify(pkg, null, 2)}\n`);
  rmSync(join(options.out, 'package-lock.json'));
  console.log(`package: ${options.out} is ready for ${options.os}-${options.cpu} (${binding})`);
  return { out: options.out, binding };
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(root, 'bin', 'package-function-app.mjs')) {
  try {
    const options = parseArgs(process.argv.slice(2));
    if (options.help) {
      console.log(
        readFileSync(new URL(import.meta.url), 'utf8')
          .split('\n')
          .slice(1, 20)
          .join('\n'),
      );
    } else {
      packageFunctionApp(options);
    }
  } catch (error) {
    console.error(`package: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  }
}
