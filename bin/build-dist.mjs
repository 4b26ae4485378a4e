// Builds dist/ (tsc -p tsconfig.json) when this is a development checkout, i.e. when the TypeScript
// sources, tsconfig.json and the `typescript` devDependency are all present. Used by `npm install`
// (the `prepare` script, see bin/prepare.mjs) and by bin/nhs-flows.js when dist/ is missing.
//
// A production-only install (`npm ci --omit=dev`, as a deployment or a remote build may run it)
// also runs the root package's `prepare` script, but has no TypeScript: then nothing is built and
// the dist/ that shipped with the package is used as it is.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** The TypeScript compiler's entry script, or why dist/ cannot be built here. */
export function compiler() {
  if (!existsSync(join(root, 'tsconfig.json')) || !existsSync(join(root, 'functions', 'index.ts'))) {
    return { reason: 'no TypeScript sources here (a packaged app): dist/ is used as shipped' };
  }
  try {
    return { tsc: createRequire(join(root, 'package.json')).resolve('typescript/bin/tsc') };
  } catch {
    return { reason: 'TypeScript is not installed (a production-only install): dist/ is used as shipped' };
  }
}

/** Runs tsc -p tsconfig.json in the project root; returns tsc's exit code, or undefined when it cannot run. */
export function buildDist() {
  const found = compiler();
  if (!found.tsc) return { built: false, reason: found.reason };
  const run = spawnSync(process.execPath, [found.tsc, '-p', 'tsconfig.json'], {
    cwd: root,
    stdio: 'inherit',
  });
  return { built: run.status === 0, status: run.status ?? 1 };
}
