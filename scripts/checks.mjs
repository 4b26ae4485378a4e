#!/usr/bin/env node
// The lint and the typecheck in one process, as `npm test` runs them (npm run checks):
//
//   node scripts/checks.mjs     `npm run lint` (eslint ., the same config and files), then
//                               `npm run typecheck` (tsc -p tsconfig.check.json) on the lint's program
//
// The type-aware lint builds a TypeScript program of tsconfig.check.json (eslint.config.js:
// parserOptions.project) and type-checks much of it for its rules; a separate tsc parses, binds and
// checks the same 2,700 files again. Here the compiler's diagnostics are read from the program the
// lint built, which takes seconds instead of a second full check. That is the typecheck only when
// the program is tsc's: the same root files and the same compiler options, but for the three the
// lint adds (allowJs, checkJs, allowNonTsExtensions), which change nothing while no JavaScript file
// is in the program. All of that is checked first; if any of it does not hold, `tsc -p
// tsconfig.check.json` runs as before and the output says why. Exit 1 when either check fails.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import ts from 'typescript';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
process.chdir(root);
const TSCONFIG = 'tsconfig.check.json';
/** Options typescript-eslint adds to the tsconfig's (inert without JavaScript in the program). */
const LINT_ONLY_OPTIONS = new Set(['allowJs', 'checkJs', 'allowNonTsExtensions']);

// Every program a linted file was parsed into (one: the lint has one project).
const programs = new Set();
const grab = {
  rules: {
    program: {
      meta: { type: 'problem', schema: [] },
      create(context) {
        const program = context.sourceCode.parserServices?.program;
        if (program) programs.add(program);
        return {};
      },
    },
  },
};

const started = Date.now();
let lintFailed = false;
let lintSummary;
try {
  const eslint = new ESLint({
    cwd: root,
    overrideConfig: [
      { files: ['**/*.ts', '**/*.mts', '**/*.cts'], plugins: { grab }, rules: { 'grab/program': 'error' } },
    ],
  });
  const results = await eslint.lintFiles(['.']);
  const errors = results.reduce((n, r) => n + r.errorCount, 0);
  const warnings = results.reduce((n, r) => n + r.warningCount, 0);
  const text = await (await eslint.loadFormatter('stylish')).format(results);
  if (text.trim()) process.stdout.write(`${text.trimEnd()}\n`);
  lintFailed = errors > 0;
  lintSummary = `${results.length} files, ${errors} error(s), ${warnings} warning(s)`;
} catch (error) {
  lintFailed = true;
  lintSummary = 'did not run';
  process.stdout.write(
    `eslint failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
}
const lintSeconds = (Date.now() - started) / 1000;

const typecheckStarted = Date.now();
const parsed = ts.getParsedCommandLineOfConfigFile(TSCONFIG, undefined, {
  ...ts.sys,
  onUnRecoverableConfigFileDiagnostic: (d) => {
    throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
  },
});
const [program, reason] = lintProgram(parsed);
let typecheckFailed;
let typecheckSummary;
if (program) {
  const diagnostics = ts.getPreEmitDiagnostics(program);
  if (diagnostics.length > 0) {
    process.stdout.write(
      ts.formatDiagnostics(diagnostics, {
        getCanonicalFileName: (f) => f,
        getCurrentDirectory: () => root,
        getNewLine: () => '\n',
      }),
    );
  }
  const errors = diagnostics.filter((d) => d.category === ts.DiagnosticCategory.Error).length;
  typecheckFailed = errors > 0;
  typecheckSummary = `${program.getSourceFiles().length} files, ${errors} error(s), on the lint's program`;
} else {
  process.stdout.write(
    `typecheck: the lint's program is not tsc's (${reason}): running tsc -p ${TSCONFIG}\n`,
  );
  const tsc = createRequire(join(root, 'package.json')).resolve('typescript/bin/tsc');
  const run = spawnSync(process.execPath, [tsc, '-p', TSCONFIG], { cwd: root, stdio: 'inherit' });
  typecheckFailed = run.status !== 0;
  typecheckSummary = `tsc -p ${TSCONFIG} exited ${run.status ?? run.signal}`;
}
const typecheckSeconds = (Date.now() - typecheckStarted) / 1000;

process.stdout.write(
  `lint: ${lintFailed ? 'failed' : 'ok'} (${lintSummary}) in ${lintSeconds.toFixed(0)} s\n` +
    `typecheck: ${typecheckFailed ? 'failed' : 'ok'} (${typecheckSummary}) in ${typecheckSeconds.toFixed(0)} s\n`,
);
process.exit(lintFailed || typecheckFailed ? 1 : 0);

/**
 * The program the lint built for `parsed`, when it is the one tsc builds: the same root files, the
 * same options but for LINT_ONLY_OPTIONS, and no JavaScript source file. Otherwise why not.
 */
function lintProgram(parsed) {
  if (parsed.errors.length > 0) return [undefined, `${TSCONFIG} has errors`];
  const wanted = new Set(parsed.fileNames.map((f) => resolve(f)));
  const found = [...programs].find((p) => {
    const roots = p.getRootFileNames().map((f) => resolve(f));
    return roots.length === wanted.size && roots.every((f) => wanted.has(f));
  });
  if (!found) return [undefined, `no linted program has the root files of ${TSCONFIG}`];
  const theirs = found.getCompilerOptions();
  const ours = parsed.options;
  for (const key of new Set([...Object.keys(theirs), ...Object.keys(ours)])) {
    if (LINT_ONLY_OPTIONS.has(key)) continue;
    if (JSON.stringify(theirs[key]) !== JSON.stringify(ours[key]))
      return [
        undefined,
        `compiler option ${key} is ${JSON.stringify(theirs[key])}, not ${JSON.stringify(ours[key])}`,
      ];
  }
  const script = found.getSourceFiles().find((f) => /\.[cm]?jsx?$/.test(f.fileName));
  if (script) return [undefined, `a JavaScript file is in the program (${script.fileName})`];
  return [found, undefined];
}
