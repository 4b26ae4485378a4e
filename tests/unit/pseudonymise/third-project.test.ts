import assert from 'node:assert/strict';
import { hkdfSync } from 'node:crypto';
import { afterEach, beforeEach, test } from 'node:test';
import { loadProjectsFile } from '../../../shared/adapters/local/projects-file.loader.js';
import { linkProject } from '../../../shared/application/use-cases/link-project.use-case.js';
import { optOutExemptions } from '../../../shared/application/use-cases/opt-out.use-case.js';
import {
  SOURCE_TABLE_NAMES,
  SOURCE_TABLES,
  type SourceTableName,
} from '../../../shared/domain/datasets/source-tables.js';
import { ConfigError, GuardError } from '../../../shared/domain/errors.js';
import { deriveProjectKey } from '../../../shared/domain/pseudonymise/project-key.js';
import {
  projectLinkTables,
  projectPathwayFamilies,
} from '../../../shared/domain/pseudonymise/project-pathways.js';
import {
  parseProjectId,
  projectForTable,
  projectIds,
  useProjects,
} from '../../../shared/domain/pseudonymise/projects.js';
import { createPseudonymiser } from '../../../shared/domain/pseudonymise/pseudonym.js';
import { createRowPseudonymiser, type SilverRow } from '../../../shared/domain/pseudonymise/silver-row.js';
import { apcRow, ecdsRow, postcodes, prescribingRow, testMasterKey } from './row-fixtures.js';
import { parseCommandArgs } from '../../../shared/cli/cli-io.js';
import { projectsCommand } from '../../../shared/cli/projects.command.js';

// A projects file with a third project (SUS+ APC and ECDS) taken from the two shipped ones: no
// TypeScript names it. Each project-dependent part of the pipeline runs for it here.
const FIXTURE = 'tests/fixtures/projects/three-projects.json';
let restore: () => void = () => {};
beforeEach(() => {
  restore = useProjects(loadProjectsFile(FIXTURE), FIXTURE);
});
afterEach(() => restore());

const id = (value: string) => parseProjectId(value);

test('the third project is in force: its id is accepted, an undeclared one refused naming the file', () => {
  assert.deepEqual(projectIds(), ['careflow', 'community360', 'acutetrack']);
  assert.throws(
    () => parseProjectId('nosuch'),
    /'nosuch' is not a project \(expected one of careflow, community360, acutetrack; not declared in tests\/fixtures\/projects\/three-projects\.json\)/,
  );
});

test('every source table maps to the project that takes its dataset', () => {
  for (const table of SOURCE_TABLE_NAMES) {
    const dataset = SOURCE_TABLES[table].dataset;
    const expected = ['sus_apc', 'ecds'].includes(dataset)
      ? 'acutetrack'
      : ['prescribing', 'mhsds'].includes(dataset)
        ? 'careflow'
        : 'community360';
    assert.equal(projectForTable(table), expected, table);
  }
});

test("its pseudonym key is derived with its pseudonym domain (not its id), and moving datasets leaves the other projects' keys as they were", () => {
  const master = testMasterKey();
  const key = deriveProjectKey(master, 'v1', id('acutetrack'));
  const contract = Buffer.from(
    hkdfSync('sha256', master, Buffer.alloc(0), 'nhs-flows/pseudonym/v1/acute-track-2026', 32),
  );
  assert.deepEqual(key.material, contract);
  const careflowHere = deriveProjectKey(master, 'v1', id('careflow')).material;
  restore();
  const careflowShipped = deriveProjectKey(master, 'v1', id('careflow')).material;
  restore = useProjects(loadProjectsFile(FIXTURE), FIXTURE);
  assert.deepEqual(careflowHere, careflowShipped);
  const tokens = ['acutetrack', 'careflow', 'community360'].map((p) =>
    createPseudonymiser(deriveProjectKey(master, 'v1', id(p))).token('9990000018'),
  );
  assert.equal(new Set(tokens).size, 3, 'one patient, three unlinkable tokens');
});

test('its rows are pseudonymised with its key only; a table of another project is refused', () => {
  const key = deriveProjectKey(testMasterKey(), 'v1', id('acutetrack'));
  const silver = createRowPseudonymiser('ecds_attendance', {
    project: id('acutetrack'),
    key,
    postcodeToLsoa: postcodes,
  })(ecdsRow());
  assert.match(String(silver.patient_token), /^[0-9a-f]{64}$/);
  assert.throws(
    () =>
      createRowPseudonymiser('prescribing_item', {
        project: id('acutetrack'),
        key,
        postcodeToLsoa: postcodes,
      }),
    /table 'prescribing_item' belongs to project 'careflow', not 'acutetrack'/,
  );
});

test('linkage runs over its datasets (one person across SUS+ and ECDS) and builds only the pathway facts its marts declare', () => {
  const project = id('acutetrack');
  const key = deriveProjectKey(testMasterKey(), 'v1', project);
  const silver = (table: SourceTableName, rows: ReturnType<typeof apcRow>[]): SilverRow[] =>
    rows.map(createRowPseudonymiser(table, { project, key, postcodeToLsoa: postcodes }));
  const result = linkProject(
    project,
    new Map<SourceTableName, SilverRow[]>([
      ['sus_apc_episode', silver('sus_apc_episode', [apcRow()])],
      ['ecds_attendance', silver('ecds_attendance', [ecdsRow()])],
    ]),
    { keyVersion: 'v1' },
  );
  const person = result.linked.get('sus_apc_episode')![0]!.person_id;
  assert.ok(person);
  assert.equal(result.linked.get('ecds_attendance')![0]!.person_id, person);
  assert.equal(result.careflow, undefined);
  assert.equal(result.community360, undefined);
  assert.throws(
    () =>
      linkProject(project, new Map([['prescribing_item', [prescribingRow()]]]), {
        keyVersion: 'v1',
      }),
    (e: unknown) => e instanceof GuardError && e.code === 'PROJECT_MISMATCH',
  );
});

test("marts selection follows the declarations: the project that declares a pathway mart gets its facts, linked over that mart's tables", () => {
  assert.deepEqual(projectPathwayFamilies(id('acutetrack')), []);
  assert.deepEqual(projectLinkTables(id('acutetrack')), []);
  assert.deepEqual(projectPathwayFamilies(id('careflow')), []);
  assert.deepEqual(projectPathwayFamilies(id('community360')), ['community360']);
  assert.ok(projectLinkTables(id('community360')).includes('csds_referral'));
  for (const t of projectLinkTables(id('community360'))) assert.equal(projectForTable(t), 'community360');
});

test("the opt-out policy is the file's (acutetrack exempt for direct care) unless the setting names the project; an unknown project in the setting is refused", () => {
  assert.deepEqual(optOutExemptions({ NHSFLOWS_OPT_OUT_EXEMPTIONS: '' }), { acutetrack: 'direct-care' });
  assert.deepEqual(
    optOutExemptions({ NHSFLOWS_OPT_OUT_EXEMPTIONS: 'acutetrack=legal-exemption,careflow=direct-care' }),
    {
      acutetrack: 'legal-exemption',
      careflow: 'direct-care',
    },
  );
  assert.throws(() => optOutExemptions({ NHSFLOWS_OPT_OUT_EXEMPTIONS: 'nosuch=direct-care' }), ConfigError);
});

test('nhs-flows projects lists the file, and check accepts it and refuses a file that breaks it', async () => {
  const out: string[] = [];
  const err: string[] = [];
  const io = { out: (l: string) => void out.push(l), err: (l: string) => void err.push(l) };
  const main = (argv: string[]) => projectsCommand.run(parseCommandArgs(projectsCommand, argv), io);
  assert.equal(await main(['list', '--file', FIXTURE]), 0);
  const listing = out.join('\n');
  assert.match(listing, /^acutetrack: Acute Track: admissions after A&E$/m);
  assert.match(listing, /datasets\s+sus_apc, ecds/);
  assert.match(listing, /pseudonym domain acute-track-2026/);
  assert.match(listing, /opt-out\s+exempt \(direct-care\)/);
  assert.match(listing, /API clients\s+acutetrack-ward-board \(10\/min\)/);
  out.length = 0;
  assert.equal(await main(['check', FIXTURE]), 0);
  assert.match(out.join('\n'), /ok, 3 project\(s\): careflow, community360, acutetrack/);
  assert.equal(await main(['check', 'projects/projects.json']), 0);
  assert.equal(await main(['check', 'tests/fixtures/projects/no-such-file.json']), 2);
  assert.match(err.join('\n'), /cannot be read \(ENOENT\)/);
});
