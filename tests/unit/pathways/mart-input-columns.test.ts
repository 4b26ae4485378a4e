import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  linkInputColumns,
  linkProject,
} from '../../../shared/application/use-cases/link-project.use-case.js';
import type { SourceTableName } from '../../../shared/domain/datasets/source-tables.js';
import type { PathwayRow } from '../../../shared/domain/pathways/pathway-time.js';
import { createRowPseudonymiser } from '../../../shared/domain/pseudonymise/silver-row.js';
import type { ProjectId } from '../../../shared/domain/pseudonymise/projects.js';
import { careflowKey, community360Key } from '../pseudonymise/row-fixtures.js';
import { generateAll, reference } from '../synthetic/synthetic-fixture.js';
import { CAREFLOW, COMMUNITY360 } from '../../support/projects.js';

// The marts refresh reads only `linkInputColumns(table)` of each silver table. These tests hold
// that list to what linkage and the pathway facts really read: on a generated population (defects
// on: missing NHS numbers, duplicates, orphans), the facts from rows cut to those columns equal the
// facts from whole silver rows.

const generated = generateAll({ patients: 600, seed: 8, defects: { rate: 0.05 } });

const PROJECT_TABLES: Record<string, SourceTableName[]> = {
  careflow: ['sus_apc_episode', 'sus_apc_spell', 'prescribing_item', 'mhsds_referral'],
  community360: ['ecds_attendance', 'dids_imaging_test', 'csds_referral'],
};

function silver(project: ProjectId): Map<SourceTableName, PathwayRow[]> {
  const key = project === CAREFLOW ? careflowKey() : community360Key();
  const out = new Map<SourceTableName, PathwayRow[]>();
  for (const table of PROJECT_TABLES[project] ?? []) {
    const pseudonymise = createRowPseudonymiser(table, { project, key, postcodeToLsoa: reference });
    out.set(
      table,
      generated.rows[table].map((row) => pseudonymise(row)),
    );
  }
  return out;
}

function cut(rows: Map<SourceTableName, PathwayRow[]>, drop?: string): Map<SourceTableName, PathwayRow[]> {
  const out = new Map<SourceTableName, PathwayRow[]>();
  for (const [table, tableRows] of rows) {
    const columns = linkInputColumns(table).filter((c) => c !== drop);
    out.set(
      table,
      tableRows.map((row) => Object.fromEntries(columns.filter((c) => c in row).map((c) => [c, row[c]]))),
    );
  }
  return out;
}

function facts(project: ProjectId, rows: Map<SourceTableName, PathwayRow[]>) {
  // A low frequent-attender threshold, so that fact has rows at this size too.
  const result = linkProject(project, rows, { keyVersion: 'v1', pathways: { frequentAttenderMin: 2 } });
  return { quality: result.quality, careflow: result.careflow, community360: result.community360 };
}

for (const project of [CAREFLOW, COMMUNITY360])
  test(`${project}: the marts' facts from rows cut to linkInputColumns equal those from whole silver rows`, () => {
    const whole = silver(project);
    const expected = facts(project, whole);
    const rowsOfFacts = Object.values(expected.careflow ?? expected.community360 ?? {}).filter(Array.isArray);
    assert.ok(
      rowsOfFacts.every((rows) => rows.length > 0),
      'every fact table of the project has rows',
    );
    assert.deepEqual(facts(project, cut(whole)), expected);
    // The columns are far fewer than silver's: the point of the cut.
    for (const table of PROJECT_TABLES[project] ?? [])
      assert.ok(linkInputColumns(table).length * 2 < Object.keys(whole.get(table)![0]!).length, table);
  });

test('the check has teeth: leaving out a column the facts read changes them', () => {
  const whole = silver(CAREFLOW);
  assert.notDeepEqual(facts(CAREFLOW, cut(whole, 'nic_gbp')), facts(CAREFLOW, whole));
  assert.notDeepEqual(facts(CAREFLOW, cut(whole, 'fallback_link_key')), facts(CAREFLOW, whole));
  const c360 = silver(COMMUNITY360);
  assert.notDeepEqual(facts(COMMUNITY360, cut(c360, 'team_type')), facts(COMMUNITY360, c360));
});
