// The docs point only at things that exist: every relative link (and its heading anchor) and every
// repository path cited in README.md and docs/ resolves in the checkout. The checker itself is shown
// to catch each kind of broken reference on planted Markdown.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { docFiles, findBrokenDocReferences, headingAnchors } from '../support/doc-references.js';

test('README.md and every doc under docs/ cite only links, anchors and repository paths that exist', () => {
  const files = docFiles(process.cwd());
  assert.ok(
    files.includes('README.md') && files.includes('docs/README.md'),
    `docs found: ${files.join(', ')}`,
  );
  const problems = findBrokenDocReferences(process.cwd(), files);
  assert.deepEqual(
    problems.map((p) => `${p.file}:${p.line}: ${p.reference}: ${p.problem}`),
    [],
    'fix the doc (or the path it cites); a token that only looks like a path goes in NOT_REPO_PATHS',
  );
});

function plantedRepo(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'nhsflows-docs-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(root, dirname(path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

const cases: { name: string; doc: string; expected: string[] }[] = [
  {
    name: 'a relative link to a missing file',
    doc: 'See [ops](operations.md).',
    expected: ['operations.md'],
  },
  {
    name: 'a link to a heading that is not there',
    doc: 'See [x](guide.md#no-such-heading).',
    expected: ['guide.md#no-such-heading'],
  },
  {
    name: 'an in-page anchor that is not there',
    doc: '# Title\n\nSee [below](#later).',
    expected: ['#later'],
  },
  {
    name: 'a backticked source path that does not exist',
    doc: 'Code: `shared/domain/gone.ts`.',
    expected: ['shared/domain/gone.ts'],
  },
  {
    name: 'a bare path in prose that does not exist',
    doc: 'See docs/missing.md, "Locks".',
    expected: ['docs/missing.md'],
  },
  {
    name: 'a glob that matches no file',
    doc: 'Scripts: `infra/sql/source-*.sql`.',
    expected: ['infra/sql/source-*.sql'],
  },
  {
    name: 'a path inside a command in backticks',
    doc: 'Run `node bench/gone.mjs capture`.',
    expected: ['bench/gone.mjs'],
  },
];

for (const c of cases) {
  test(`the checker reports ${c.name}`, () => {
    const root = plantedRepo({
      'README.md': '# Project\n',
      'docs/guide.md': '# Guide\n\n## Locks\n',
      'docs/page.md': c.doc,
      'shared/domain/here.ts': '',
    });
    try {
      const found = findBrokenDocReferences(root, ['docs/page.md']).map((p) => p.reference);
      assert.deepEqual(found, c.expected);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
}

test('the checker accepts paths that exist and ignores what only looks like a path', () => {
  const root = plantedRepo({
    'README.md': '# Project\n',
    'docs/guide.md': '# Guide\n\n## Locks, leftover processes (local)\n',
    'shared/domain/here.ts': '',
    'infra/sql/source-reader.sql': '',
    'docs/page.md': [
      '# Page',
      'Good: [guide](guide.md), [locks](guide.md#locks-leftover-processes-local), [top](#page),',
      '[readme](../README.md), `shared/domain/here.ts`, `shared/domain/here.ts:12`, `infra/sql/source-*.sql`,',
      '`shared/domain/<dataset>/rules.ts`, docs/guide.md, [site](https://example.org/x.md).',
      'Not repo paths: `gold/manifests/<batchId>.json`, `.data/logs/x.ndjson`, `a/b`, `landing/<table>/f.csv`.',
      '```sh',
      'cat shared/not/in/a/fence.ts',
      '```',
    ].join('\n'),
  });
  try {
    assert.deepEqual(findBrokenDocReferences(root, ['docs/page.md']), []);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('heading anchors follow GitHub: lower case, punctuation dropped, spaces to hyphens, repeats numbered', () => {
  const anchors = headingAnchors(
    [
      '## Initial load: 100k and 1M source records through the real local host (issue 8)',
      '## Pipeline throughput: validate → pseudonymise → SCD2 → link (issue 5)',
      '### `nhs-flows status` first',
      '## Notes',
      '## Notes',
      '```',
      '# not a heading',
      '```',
    ].join('\n'),
  );
  assert.deepEqual(
    [...anchors],
    [
      'initial-load-100k-and-1m-source-records-through-the-real-local-host-issue-8',
      'pipeline-throughput-validate--pseudonymise--scd2--link-issue-5',
      'nhs-flows-status-first',
      'notes',
      'notes-1',
    ],
  );
});
