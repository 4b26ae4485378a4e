import assert from 'node:assert/strict';
import { test } from 'node:test';
import { main } from '../../../shared/cli/main.js';
import { projectIds, useProjects } from '../../../shared/domain/pseudonymise/projects.js';
import { loadProjectsFile } from '../../../shared/adapters/local/projects-file.loader.js';

// The CLI puts the file NHSFLOWS_PROJECTS_FILE names in force before a command checks --project.
const FIXTURE = 'tests/fixtures/projects/three-projects.json';

async function run(argv: string[], projectsFile: string | undefined) {
  const out: string[] = [];
  const err: string[] = [];
  const before = process.env.NHSFLOWS_PROJECTS_FILE;
  const restore = useProjects(loadProjectsFile(), 'projects/projects.json');
  if (projectsFile === undefined) delete process.env.NHSFLOWS_PROJECTS_FILE;
  else process.env.NHSFLOWS_PROJECTS_FILE = projectsFile;
  try {
    const code = await main(argv, { out: (l) => void out.push(l), err: (l) => void err.push(l) });
    return { code, out: out.join('\n'), err: err.join('\n'), projects: [...projectIds()] };
  } finally {
    if (before === undefined) delete process.env.NHSFLOWS_PROJECTS_FILE;
    else process.env.NHSFLOWS_PROJECTS_FILE = before;
    restore();
  }
}

test('a project of the file NHSFLOWS_PROJECTS_FILE names is accepted by --project; without the setting it is refused', async () => {
  const shipped = await run(['patient-history', '--project', 'acutetrack'], undefined);
  assert.equal(shipped.code, 1);
  assert.match(shipped.err, /--project: expected careflow or community360; received 'acutetrack'/);
  const fixture = await run(['patient-history', '--project', 'acutetrack'], FIXTURE);
  assert.deepEqual(fixture.projects, ['careflow', 'community360', 'acutetrack']);
  assert.equal(fixture.code, 1);
  assert.match(fixture.err, /--token: a patient token is required/);
});

test('a projects file that cannot be used stops every command with its problems, naming the file', async () => {
  const broken = await run(
    ['patient-history', '--project', 'careflow'],
    'tests/fixtures/projects/missing.json',
  );
  assert.equal(broken.code, 1);
  assert.match(
    broken.err,
    /projects file tests\/fixtures\/projects\/missing\.json: cannot be read \(ENOENT\)/,
  );
});

test('nhs-flows projects lists the projects in force', async () => {
  const listed = await run(['projects'], FIXTURE);
  assert.equal(listed.code, 0);
  assert.match(listed.out, new RegExp(`^projects file: ${FIXTURE}$`, 'm'));
  assert.match(listed.out, /^acutetrack: /m);
});
