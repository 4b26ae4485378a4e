import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

/**
 * How the tests start the nhs-flows CLI: `node bin/nhs-flows.js`, the built dist/ that `npx
 * nhs-flows` and `npm start` run, when dist/ is the build of the sources as they are now (`npm
 * install` builds it, and CI installs on a clean clone); otherwise from the sources through tsx
 * (`node --import tsx shared/cli/run.ts`), as before. The same code either way; the build costs no
 * tsx loader, which took a fifth to a quarter of the CPU of a small `start` (its host's worker threads
 * load the registrations too) and more than a second of every other command.
 * `NHSFLOWS_TEST_CLI=sources` (or `dist`) forces one.
 */
export const CLI = cliCommand();

function cliCommand(): { readonly args: readonly string[]; readonly dist: boolean; readonly from: string } {
  const sources = {
    args: ['--import', 'tsx', 'shared/cli/run.ts'],
    dist: false,
    from: 'the sources (tsx)',
  } as const;
  const forced = process.env.NHSFLOWS_TEST_CLI;
  if (forced === 'sources') return { ...sources, from: `${sources.from}: NHSFLOWS_TEST_CLI=sources` };
  const stale = forced === 'dist' ? undefined : staleDist();
  if (stale) return { ...sources, from: `${sources.from}: ${stale}` };
  return { args: ['bin/nhs-flows.js'], dist: true, from: 'dist/, built from the current sources' };
}

/**
 * Why dist/ is not the build of the current sources (undefined when it is): every .ts of functions/
 * and shared/ has its .js in dist/, written after it, and nothing the build reads besides (tsconfig.json,
 * the projects file it copies) changed since. A checkout or an edit gives a source a newer time.
 */
export function staleDist(root = process.cwd()): string | undefined {
  const dist = join(root, 'dist');
  if (!existsSync(join(dist, 'shared', 'cli', 'main.js'))) return 'dist/ is not built';
  const sources: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) sources.push(path);
    }
  };
  walk(join(root, 'functions'));
  walk(join(root, 'shared'));
  let oldest = Infinity;
  for (const source of sources) {
    const built = join(dist, `${relative(root, source).slice(0, -'.ts'.length)}.js`);
    if (!existsSync(built)) return `dist/ lacks ${relative(root, built)}`;
    const at = statSync(built).mtimeMs;
    if (at < statSync(source).mtimeMs) return `${relative(root, source)} changed after dist/ was built`;
    oldest = Math.min(oldest, at);
  }
  for (const [input, output] of [
    ['tsconfig.json', undefined],
    [join('projects', 'projects.json'), join('dist', 'projects', 'projects.json')],
  ] as const) {
    if (output !== undefined && !existsSync(join(root, output))) return `dist/ lacks ${output}`;
    const built = output === undefined ? oldest : statSync(join(root, output)).mtimeMs;
    if (statSync(join(root, input)).mtimeMs > built) return `${input} changed after dist/ was built`;
  }
  return undefined;
}
