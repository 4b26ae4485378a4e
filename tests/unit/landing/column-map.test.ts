import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SOURCE_TABLES } from '../../../shared/domain/datasets/source-tables.js';
import { ColumnMapError } from '../../../shared/domain/errors.js';
import { mappedHeader, parseColumnMap } from '../../../shared/domain/landing/column-map.js';
import { landingBlob } from '../../../shared/domain/landing/landing-blob.js';

const spec = SOURCE_TABLES.sus_apc_episode;
const HEADER = 'supplier_column,column,supplier_value,value';

/** The problems a map is refused for (throws if it is accepted). */
function problems(text: string, format: 'csv' | 'json' = 'csv'): readonly string[] {
  try {
    parseColumnMap('maps/rrk-episode.map.csv', text, format, spec);
  } catch (error) {
    assert.ok(error instanceof ColumnMapError, String(error));
    assert.equal(error.code, 'COLUMN_MAP_INVALID');
    assert.match(error.message, /^column map maps\/rrk-episode\.map\.csv is not valid/);
    return error.problems;
  }
  assert.fail('the map was accepted');
}

const refused: [string, string, 'csv' | 'json', RegExp][] = [
  [
    'an unknown target column',
    `${HEADER}\nRef,episode_id\nWard,ward_code`,
    'csv',
    /^line 3: 'ward_code' is not a column of sus_apc_episode$/,
  ],
  [
    'a duplicate target',
    `${HEADER}\nRef,episode_id\nEpisode No,episode_id`,
    'csv',
    /^line 3: duplicate target episode_id: supplier columns 'Ref' \(line 2\) and 'Episode No' both map to it$/,
  ],
  [
    'one supplier column onto two targets',
    `${HEADER}\nRef,episode_id\nRef,sex`,
    'csv',
    /^line 3: supplier column 'Ref' is already mapped to episode_id \(line 2\)$/,
  ],
  [
    'a value recoded twice',
    `${HEADER}\nGender,sex,M,1\nGender,sex,M,2`,
    'csv',
    /^line 3: a value of 'Gender' is recoded twice$/,
  ],
  ['a wrong header', `from,to\nRef,episode_id`, 'csv', /^line 1: expected the header/],
  ['a row with 3 fields', `${HEADER}\nRef,episode_id,x`, 'csv', /^line 2: expected 2 or 4 fields, found 3$/],
  ['an empty target', `${HEADER}\nRef,,,`, 'csv', /^line 2: supplier_column and column must both be given$/],
  ['an empty file', ``, 'csv', /the map is empty/],
  [
    'a JSON unknown target',
    JSON.stringify({ columns: { Ref: 'episode_ref' } }),
    'json',
    /^columns\.Ref: 'episode_ref' is not a column/,
  ],
  [
    'a JSON duplicate target',
    JSON.stringify({ columns: { Ref: 'episode_id', No: { column: 'episode_id' } } }),
    'json',
    /^columns\.No: duplicate target episode_id/,
  ],
  [
    'a JSON map for another table',
    JSON.stringify({ table: 'sus_apc_spell', columns: { Ref: 'episode_id' } }),
    'json',
    /^table: the map is for sus_apc_spell/,
  ],
  ['JSON that is not a map', JSON.stringify({ columns: { Ref: 3 } }), 'json', /^columns\.Ref:/],
];
for (const [what, text, format, expected] of refused)
  test(`a column map with ${what} is refused, naming the map file and the row`, () => {
    const found = problems(text, format);
    assert.ok(
      found.some((p) => expected.test(p)),
      found.join(' | '),
    );
  });

test('every problem of a map is listed at once', () => {
  assert.equal(problems(`${HEADER}\nA,nope\nB,episode_id\nC,episode_id\nD,also_nope`).length, 3);
});

test('a valid map: header names are matched trimmed, comments and blank lines are skipped, unmapped headers pass through', () => {
  const map = parseColumnMap(
    'm.map.csv',
    `\uFEFF${HEADER}\r\n# comment\r\n\r\n Ref ,episode_id,,\r\nGender,sex,M,1\r\n`,
    'csv',
    spec,
  );
  assert.equal(mappedHeader(map, 'Ref'), 'episode_id');
  assert.equal(mappedHeader(map, ' Ref '), 'episode_id');
  assert.equal(mappedHeader(map, 'nhs_number'), 'nhs_number');
  assert.equal(map.columns.get('Gender')?.recode.get('M'), '1');
});

test('control files beside a landing file are told from data files by their suffix', () => {
  assert.deepEqual(landingBlob('sus_apc_episode/a.csv.manifest.json'), {
    kind: 'manifest',
    dataName: 'sus_apc_episode/a.csv',
  });
  assert.deepEqual(landingBlob('sus_apc_episode/a.csv.map.csv'), {
    kind: 'column-map',
    dataName: 'sus_apc_episode/a.csv',
    format: 'csv',
  });
  assert.deepEqual(landingBlob('sus_apc_episode/a.ndjson.MAP.JSON'), {
    kind: 'column-map',
    dataName: 'sus_apc_episode/a.ndjson',
    format: 'json',
  });
  assert.deepEqual(landingBlob('sus_apc_episode/a.csv'), { kind: 'data', name: 'sus_apc_episode/a.csv' });
  assert.deepEqual(landingBlob('sus_apc_episode/bundle.json'), {
    kind: 'data',
    name: 'sus_apc_episode/bundle.json',
  });
});
