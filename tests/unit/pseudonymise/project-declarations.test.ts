import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { SOURCE_TABLES } from '../../../shared/domain/datasets/source-tables.js';
import { ConfigError } from '../../../shared/domain/errors.js';
import { MART_SOURCE_TABLES, MART_TABLES } from '../../../shared/domain/gold/mart-tables.js';
import { martDeclarationRefs } from '../../../shared/domain/pseudonymise/projects.js';
import { PATHWAY_FAMILY_MARTS } from '../../../shared/domain/pseudonymise/pathway-families.js';
import {
  parseProjectsFile,
  type MartDeclarationRef,
} from '../../../shared/domain/pseudonymise/project-declarations.js';

const MARTS: readonly MartDeclarationRef[] = martDeclarationRefs();
const SHIPPED = readFileSync('projects/projects.json', 'utf8');

/** A valid one-project file, changed by `edit`. */
function file(edit: (p: Record<string, unknown>) => void = () => {}, more: Record<string, unknown>[] = []) {
  const p: Record<string, unknown> = {
    id: 'acutetrack',
    title: 'Acute Track',
    datasets: ['sus_apc', 'ecds'],
    pseudonymDomain: 'acutetrack',
    marts: [],
    publishedMarts: [],
    optOut: { exemption: null },
    apiClients: [{ name: 'acutetrack-bi', rateLimitPerMinute: 30 }],
  };
  edit(p);
  return { projects: [p, ...more] };
}

function problems(content: unknown): string[] {
  try {
    parseProjectsFile(content, 'f.json', MARTS);
  } catch (e) {
    assert.ok(e instanceof ConfigError, String(e));
    return [...e.problems];
  }
  assert.fail('expected the file to be refused');
}

test('the shipped projects file declares CareFlow and Community 360 with their datasets and API clients', () => {
  const projects = parseProjectsFile(SHIPPED, 'projects/projects.json', MARTS);
  assert.deepEqual(
    projects.map((p) => [p.id, p.pseudonymDomain, [...p.datasets]]),
    [
      ['careflow', 'careflow', ['sus_apc', 'prescribing', 'mhsds']],
      ['community360', 'community360', ['ecds', 'csds', 'dids']],
    ],
  );
  for (const p of projects) {
    assert.ok(p.apiClients.length > 0, `${p.id} has an API client`);
    for (const c of p.apiClients)
      assert.ok(Number.isInteger(c.rateLimitPerMinute) && c.rateLimitPerMinute > 0);
  }
});

test('every dataset of the source tables is taken by exactly one shipped project', () => {
  const projects = parseProjectsFile(SHIPPED, 'projects/projects.json', MARTS);
  const datasets = new Set(Object.values(SOURCE_TABLES).map((t) => t.dataset));
  for (const d of datasets)
    assert.equal(projects.filter((p) => p.datasets.includes(d)).length, 1, `dataset ${d}`);
});

test('a valid file is returned frozen, with the declared values', () => {
  const [p] = parseProjectsFile(file(), 'f.json', MARTS);
  assert.ok(p && Object.isFrozen(p) && Object.isFrozen(p.datasets) && Object.isFrozen(p.apiClients));
  assert.equal(p.apiClients[0]?.rateLimitPerMinute, 30);
  assert.equal(p.optOut.exemption, null);
});

test('a file that is not JSON, or breaks the schema, is refused naming the file and each field', () => {
  assert.match(problems('{ not json')[0] ?? '', /^projects file f\.json: not JSON/);
  const found = problems(
    file((p) => {
      p.id = 'Care Flow';
      p.datasets = ['sus_apc', 'hes'];
      p.apiClients = [{ name: 'x', rateLimitPerMinute: 0 }];
      p.extra = true;
    }),
  );
  for (const path of [
    'projects.0.id',
    'projects.0.datasets.1',
    'projects.0.apiClients.0.name',
    'projects.0.apiClients.0.rateLimitPerMinute',
  ])
    assert.ok(
      found.some((m) => m.startsWith(`projects file f.json: ${path}:`)),
      `${path} in ${found.join(' | ')}`,
    );
  assert.ok(
    found.some((m) => m.includes('extra')),
    'an unknown key is named',
  );
  assert.ok(problems({ projects: [] }).some((m) => m.includes('projects')));
});

test('a dataset taken by two projects is refused naming both projects and the dataset', () => {
  const found = problems(
    file(() => {}, [
      {
        ...file().projects[0],
        id: 'secondproject',
        pseudonymDomain: 'second',
        apiClients: [],
        datasets: ['csds', 'ecds'],
      },
    ]),
  );
  assert.deepEqual(found, [
    "projects file f.json: dataset 'ecds' is taken by projects 'acutetrack' and 'secondproject' (each dataset belongs to exactly one project)",
  ]);
});

test('ids, pseudonym domains and API client names must be unique across the file', () => {
  const twin = { ...file().projects[0], datasets: ['csds'] };
  const found = problems(file(() => {}, [twin]));
  assert.ok(found.some((m) => m.includes("project id 'acutetrack' is declared twice")));
  assert.ok(found.some((m) => m.includes("share the pseudonym domain 'acutetrack'")));
  assert.ok(
    found.some((m) => m.includes("API client 'acutetrack-bi' is declared by 'acutetrack' and 'acutetrack'")),
  );
});

test('marts are checked against the mart declarations: declared, built from the project datasets, published only when published', () => {
  const restricted = MART_TABLES.find(
    (m) => m.access === 'restricted' && (MART_SOURCE_TABLES[m.name] ?? []).length > 0,
  );
  const published = MART_TABLES.find((m) => m.access === 'published');
  assert.ok(restricted && published);
  const foreign = (MART_SOURCE_TABLES[published.name] ?? []).map((t) => SOURCE_TABLES[t].dataset);
  const found = problems(
    file((p) => {
      p.datasets = ['dids'].filter((d) => !foreign.includes(d as never));
      p.marts = ['fact_nothing', published.name, restricted.name];
      p.publishedMarts = [restricted.name, 'fact_elsewhere'];
    }),
  );
  assert.ok(found.some((m) => m.includes("mart 'fact_nothing' is not a declared mart")));
  assert.ok(found.some((m) => m.includes(`mart '${published.name}' is built from`)));
  assert.ok(
    found.some((m) =>
      m.includes(`mart '${restricted.name}' is restricted (row-level) and cannot be published`),
    ),
  );
  assert.ok(found.some((m) => m.includes("published mart 'fact_elsewhere' is not in its marts")));
});

test('every mart a pathway module builds (it has source tables) is in exactly one module and declared by exactly one shipped project', () => {
  const projects = parseProjectsFile(SHIPPED, 'projects/projects.json', MARTS);
  for (const m of MART_TABLES) {
    if ((MART_SOURCE_TABLES[m.name] ?? []).length === 0) continue;
    const families = Object.values(PATHWAY_FAMILY_MARTS).filter((marts) => marts.includes(m.name));
    assert.equal(families.length, 1, `${m.name} is built by one pathway module`);
    assert.equal(
      projects.filter((p) => p.marts.includes(m.name)).length,
      1,
      `${m.name} belongs to one project`,
    );
  }
  for (const marts of Object.values(PATHWAY_FAMILY_MARTS))
    for (const m of marts)
      assert.ok(
        MART_TABLES.some((t) => t.name === m),
        `${m} is a declared mart`,
      );
});

test("a pathway module's marts split between two projects are refused: its facts are built for one project", () => {
  const hand: MartDeclarationRef[] = [
    {
      name: 'fact_a',
      access: 'restricted',
      sourceTables: ['ecds_attendance'],
      datasetOf: () => 'ecds',
      family: 'mod',
    },
    {
      name: 'fact_b',
      access: 'restricted',
      sourceTables: ['csds_referral'],
      datasetOf: () => 'csds',
      family: 'mod',
    },
    {
      name: 'fact_c',
      access: 'restricted',
      sourceTables: ['csds_referral'],
      datasetOf: () => 'csds',
      family: 'other',
    },
  ];
  const two = (bMarts: string[]) =>
    file(
      (p) => {
        p.datasets = ['ecds'];
        p.marts = ['fact_a'];
      },
      [
        {
          ...file().projects[0],
          id: 'secondproject',
          pseudonymDomain: 'second',
          apiClients: [],
          datasets: ['csds'],
          marts: bMarts,
        },
      ],
    );
  assert.throws(
    () => parseProjectsFile(two(['fact_b']), 'f.json', hand),
    (e: unknown) =>
      e instanceof ConfigError &&
      e.problems.join() ===
        "projects file f.json: mart 'fact_b' of 'secondproject' is built by the mod pathway module, whose marts 'acutetrack' also declares (one project per module)",
  );
  assert.equal(parseProjectsFile(two(['fact_c']), 'f.json', hand).length, 2, 'another module is fine');
});
