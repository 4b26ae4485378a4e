// Which packages the code imports, found statically (TypeScript's parser, so multi-line and
// dynamic imports count, and `import type` does not): shared by the packaging tests.
import { builtinModules } from 'node:module';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

export interface ImportRef {
  /** The importing file, relative to the root the scan started from. */
  readonly file: string;
  readonly specifier: string;
  /** Erased at compile time (`import type`, `export type`, or every named binding type-only). */
  readonly typeOnly: boolean;
}

/** Modules the Functions host provides to the worker; never installed from npm. */
export const HOST_PROVIDED = new Set(['@azure/functions-core']);

/** The npm package a specifier names, or undefined for relative paths, node builtins and host-provided modules. */
export function packageName(specifier: string): string | undefined {
  if (specifier.startsWith('.') || specifier.startsWith('/') || specifier.startsWith('node:'))
    return undefined;
  if (builtinModules.includes(specifier.split('/')[0]!)) return undefined;
  const parts = specifier.split('/');
  const name = specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
  return HOST_PROVIDED.has(name) ? undefined : name;
}

/** Every import, export-from, dynamic import(), require(), require.resolve() and worker `new URL(…, import.meta.url)` of a file. */
export function importsOf(file: string, text: string): ImportRef[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const found: ImportRef[] = [];
  const add = (specifier: string, typeOnly = false) => found.push({ file, specifier, typeOnly });
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const clause = node.importClause;
      const named =
        clause?.namedBindings && ts.isNamedImports(clause.namedBindings) ? clause.namedBindings : undefined;
      const allNamedTypeOnly =
        !!clause &&
        !clause.name &&
        !!named &&
        named.elements.length > 0 &&
        named.elements.every((e) => e.isTypeOnly);
      add(node.moduleSpecifier.text, !!clause?.isTypeOnly || allNamedTypeOnly);
    } else if (
      ts.isExportDeclaration(node) &&
      node.moduleSpecifier &&
      ts.isStringLiteral(node.moduleSpecifier)
    ) {
      add(node.moduleSpecifier.text, node.isTypeOnly);
    } else if (ts.isCallExpression(node) && node.arguments.length > 0) {
      const [first] = node.arguments;
      const literal = first && ts.isStringLiteralLike(first) ? first.text : undefined;
      const callee = node.expression;
      const isImport = callee.kind === ts.SyntaxKind.ImportKeyword;
      const isRequire = ts.isIdentifier(callee) && callee.text === 'require';
      const isRequireResolve =
        ts.isPropertyAccessExpression(callee) &&
        ts.isIdentifier(callee.expression) &&
        callee.expression.text === 'require' &&
        callee.name.text === 'resolve';
      if (literal !== undefined && (isImport || isRequire || isRequireResolve)) add(literal);
    } else if (
      ts.isNewExpression(node) &&
      ts.isIdentifier(node.expression) &&
      node.expression.text === 'URL'
    ) {
      const [first, second] = node.arguments ?? [];
      if (first && ts.isStringLiteralLike(first) && second?.getText(source) === 'import.meta.url')
        add(first.text);
    } else if (
      ts.isNoSubstitutionTemplateLiteral(node) ||
      ts.isTemplateExpression(node) ||
      ts.isStringLiteral(node)
    ) {
      // Code built as text for `new Worker(code, { eval: true })` imports too.
      for (const m of node.getText(source).matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)) add(m[1]!);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/** Source files (.ts, .js, .mjs) under the given directories of `root`, relative to root. */
export function sourceFiles(root: string, dirs: readonly string[]): string[] {
  const walk = (dir: string): string[] =>
    readdirSync(join(root, dir)).flatMap((name) => {
      const path = join(dir, name);
      if (statSync(join(root, path)).isDirectory()) return walk(path);
      return /\.(ts|js|mjs)$/.test(name) && !name.endsWith('.d.ts') ? [path] : [];
    });
  return dirs.filter((d) => existsSync(join(root, d))).flatMap(walk);
}

/** Every import of every file. */
export function scan(root: string, files: readonly string[]): ImportRef[] {
  return files.flatMap((f) => importsOf(f, readFileSync(join(root, f), 'utf8')));
}

/**
 * Files reachable from `entry` through relative value imports (static and dynamic), resolving the
 * NodeNext convention that `./x.js` in a TypeScript source means `./x.ts`.
 */
export function reachableFrom(root: string, entry: string, refs: readonly ImportRef[]): Set<string> {
  const byFile = new Map<string, ImportRef[]>();
  for (const r of refs) byFile.set(r.file, [...(byFile.get(r.file) ?? []), r]);
  const seen = new Set<string>();
  const queue = [entry];
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    for (const r of byFile.get(file) ?? []) {
      if (r.typeOnly || !r.specifier.startsWith('.')) continue;
      const target = relative(root, resolve(root, dirname(file), r.specifier));
      const candidates = [target, target.replace(/\.js$/, '.ts'), target.replace(/\.mjs$/, '.mts')];
      const hit = candidates.find((c) => byFile.has(c) || existsSync(join(root, c)));
      if (hit) queue.push(hit);
    }
  }
  return seen;
}
