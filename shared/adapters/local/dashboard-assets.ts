import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DashboardAssets } from '../../domain/dashboard/dashboard-page.js';
import { InputError } from '../../domain/errors.js';

/**
 * The charting library the dashboard inlines (ADR 0014): the browser builds of Vega, Vega-Lite and
 * Vega-Embed from the installed packages (`dependencies`, so a production install has them). Their
 * package `exports` hide the build files from `require.resolve`, so the files are found by walking
 * up from this module to the `node_modules` that holds them (works from `shared/` and `dist/`).
 */
const BUILDS = {
  vega: ['vega', 'build/vega.min.js'],
  vegaLite: ['vega-lite', 'build/vega-lite.min.js'],
  vegaEmbed: ['vega-embed', 'build/vega-embed.min.js'],
} as const satisfies Record<keyof DashboardAssets, readonly [string, string]>;

let cached: DashboardAssets | undefined;

/** Reads (once) the three browser builds; throws `InputError` naming the package when one is missing. */
export function loadDashboardAssets(): DashboardAssets {
  if (cached) return cached;
  const read = ([pkg, file]: readonly [string, string]): string => readFileSync(locate(pkg, file), 'utf8');
  cached = Object.freeze({
    vega: read(BUILDS.vega),
    vegaLite: read(BUILDS.vegaLite),
    vegaEmbed: read(BUILDS.vegaEmbed),
  });
  return cached;
}

function locate(pkg: string, file: string): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'node_modules', pkg, file);
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir)
      throw new InputError(
        `dashboard: ${pkg}/${file} is not installed (npm install puts it in node_modules)`,
      );
    dir = parent;
  }
}
