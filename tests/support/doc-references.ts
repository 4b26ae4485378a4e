// Finds references in the Markdown docs that point at nothing: relative links whose file (or
// heading anchor) does not exist, and repository paths cited in backticks or in prose that are not in
// the checkout. Used by tests/unit/docs-links.test.ts; run it by hand with
// `node --import tsx tests/support/doc-references.ts` to list every problem.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

/** One reference that points at nothing, with where it was found. */
export interface DocReferenceProblem {
  file: string;
  line: number;
  reference: string;
  problem: string;
}

/**
 * Top-level names of the repository: a backticked or prose token is taken as a repository path only
 * when its first segment is one of these, so lake paths (`gold/manifests/…`), data-dir files
 * (`.data/…`) and code (`a/b`) are never mistaken for files of the checkout.
 */
export const REPO_ROOTS = [
  'bench',
  'bin',
  'docs',
  'functions',
  'infra',
  'reference',
  'shared',
  'tests',
  'README.md',
  'package.json',
  'package-lock.json',
  'host.json',
  'azure.yaml',
  'local.settings.sample.json',
  'tsconfig.json',
  'tsconfig.check.json',
  'eslint.config.js',
  '.funcignore',
] as const;

/**
 * Tokens that start like a repository path but name something else; each entry says why.
 * Keep this short: a real path that moved should be fixed in the doc, not listed here.
 */
export const NOT_REPO_PATHS: readonly { pattern: RegExp; why: string }[] = [];

/** Markdown files the check covers: README.md and everything under docs/. */
export function docFiles(root: string): string[] {
  const out = ['README.md'];
  const walk = (dir: string): void => {
    for (const name of readdirSync(join(root, dir)).sort()) {
      const rel = `${dir}/${name}`;
      if (statSync(join(root, rel)).isDirectory()) walk(rel);
      else if (name.endsWith('.md')) out.push(rel);
    }
  };
  walk('docs');
  return out;
}

/** GitHub's heading anchor: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
export function headingAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const line of withoutFences(markdown)) {
    const m = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line.text);
    if (!m?.[1]) continue;
    const text = m[1]
      .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
      .replace(/[`*]/g, '')
      .toLowerCase();
    const base = text
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .trim()
      .replace(/\s/g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    anchors.add(n === 0 ? base : `${base}-${n}`);
  }
  return anchors;
}

/** The lines outside fenced code blocks, with their 1-based numbers. */
function withoutFences(markdown: string): { text: string; line: number }[] {
  const out: { text: string; line: number }[] = [];
  let fence: string | undefined;
  markdown.split('\n').forEach((text, i) => {
    const m = /^\s*(```+|~~~+)/.exec(text);
    if (m?.[1]) {
      if (fence === undefined) fence = m[1];
      else if (m[1].startsWith(fence)) fence = undefined;
      return;
    }
    if (fence === undefined) out.push({ text, line: i + 1 });
  });
  return out;
}

/** Whether a token names a path of the repository (by its first segment). */
function looksLikeRepoPath(token: string): boolean {
  const first = token.split('/')[0] ?? '';
  if (!(REPO_ROOTS as readonly string[]).includes(first)) return false;
  return !NOT_REPO_PATHS.some((allowed) => allowed.pattern.test(token));
}

/** Whether a cited path exists: a glob (`*`) must match something; a `<placeholder>` checks its folder. */
function repoPathExists(root: string, token: string): boolean {
  let path = token.replace(/[.,;:]+$/, '').replace(/:\d+(-\d+)?$/, '');
  const placeholder = path.search(/[<{…]/);
  if (placeholder >= 0) path = path.slice(0, path.lastIndexOf('/', placeholder) + 1);
  if (path.includes('*')) return globMatches(root, path);
  return path === '' || existsSync(join(root, path));
}

function globMatches(root: string, pattern: string): boolean {
  const segments = pattern.replace(/\/$/, '').split('/');
  const match = (dir: string, i: number): boolean => {
    if (i === segments.length) return true;
    const segment = segments[i] ?? '';
    if (segment === '**') return match(dir, i + 1) || subdirs(dir).some((d) => match(join(dir, d), i));
    if (!segment.includes('*')) return existsSync(join(dir, segment)) && match(join(dir, segment), i + 1);
    const re = new RegExp(`^${segment.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`);
    if (!existsSync(dir) || !statSync(dir).isDirectory()) return false;
    return readdirSync(dir).some((name) => re.test(name) && match(join(dir, name), i + 1));
  };
  return match(root, 0);
}

function subdirs(dir: string): string[] {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) return [];
  return readdirSync(dir).filter((name) => statSync(join(dir, name)).isDirectory());
}

/** Every broken relative link, heading anchor and cited repository path in the given Markdown files. */
export function findBrokenDocReferences(root: string, files: readonly string[]): DocReferenceProblem[] {
  const problems: DocReferenceProblem[] = [];
  const anchorCache = new Map<string, Set<string>>();
  const anchorsOf = (path: string): Set<string> => {
    let anchors = anchorCache.get(path);
    if (!anchors) {
      anchors = headingAnchors(readFileSync(path, 'utf8'));
      anchorCache.set(path, anchors);
    }
    return anchors;
  };

  for (const file of files) {
    const full = resolve(root, file);
    for (const { text, line } of withoutFences(readFileSync(full, 'utf8'))) {
      const report = (reference: string, problem: string): void => {
        problems.push({ file, line, reference, problem });
      };

      // Relative links: [text](target) and [text](target#anchor); external and mail links skipped.
      for (const m of text.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
        const target = m[1] ?? '';
        if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue;
        const [pathPart = '', anchor] = target.split('#', 2);
        const targetPath = pathPart === '' ? full : resolve(dirname(full), decodeURIComponent(pathPart));
        if (!existsSync(targetPath)) {
          report(target, `links to ${relative(root, targetPath)}, which does not exist`);
          continue;
        }
        if (
          anchor !== undefined &&
          targetPath.endsWith('.md') &&
          !anchorsOf(targetPath).has(anchor.toLowerCase())
        ) {
          report(target, `no heading in ${relative(root, targetPath)} has the anchor #${anchor}`);
        }
      }

      // Repository paths in backticks, and bare ones in prose (docs/x.md, shared/…/y.ts).
      const tokens = new Set<string>();
      const prose = text.replace(/`[^`]*`/g, (span) => {
        const inner = span.slice(1, -1).trim();
        if (!/\s/.test(inner)) tokens.add(inner);
        else
          for (const word of inner.split(/\s+/))
            if (word.includes('/') && looksLikeRepoPath(word)) tokens.add(word);
        return ' ';
      });
      for (const m of prose
        .replace(/\]\([^)]*\)/g, ' ')
        .matchAll(/(?<![\w./-])((?:[\w.-]+\/)+[\w.*-]+\.[a-z]{2,6})\b/g)) {
        if (m[1]) tokens.add(m[1]);
      }
      for (const token of tokens) {
        if (!looksLikeRepoPath(token)) continue;
        if (!repoPathExists(root, token)) report(token, 'cites a repository path that does not exist');
      }
    }
  }
  return problems;
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  const root = process.cwd();
  const problems = findBrokenDocReferences(root, docFiles(root));
  for (const p of problems) console.log(`${p.file}:${p.line}: ${p.reference}: ${p.problem}`);
  console.log(`${problems.length} problem(s)`);
}
