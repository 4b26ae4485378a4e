import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { settingKeys } from '../../../shared/config/settings.schema.js';
import { appSettings, stripComments } from './bicep-text.js';
import { NOT_SET_ON_AZURE } from './readiness.js';

const doc = readFileSync('docs/deploy.md', 'utf8');
const section = (heading: string): string => {
  const start = doc.indexOf(`\n## ${heading}\n`);
  assert.ok(start >= 0, `docs/deploy.md has "## ${heading}"`);
  const end = doc.indexOf('\n## ', start + 1);
  return doc.slice(start, end === -1 ? undefined : end);
};
const rowsOf = (text: string): string[] =>
  [...text.matchAll(/^\| ([^|]+) \|/gm)].flatMap((m) => [...m[1]!.matchAll(/`([\w]+)`/g)].map((k) => k[1]!));

test('docs/deploy.md lists every app setting function-app.bicep sets, and no other', () => {
  const set = [...appSettings(stripComments(readFileSync('infra/app/function-app.bicep', 'utf8'))).keys()];
  const documented = rowsOf(section('App settings')).filter((k) => !(k in NOT_SET_ON_AZURE));
  assert.deepEqual([...documented].sort(), [...set].sort());
});

test('docs/deploy.md accounts for every schema setting: set on Azure, or not and why', () => {
  const rows = rowsOf(section('App settings'));
  const missing = settingKeys().filter((k) => !rows.includes(k));
  assert.deepEqual(missing, []);
  for (const key of Object.keys(NOT_SET_ON_AZURE))
    assert.ok(rows.includes(key), `${key} is listed with its reason`);
});

test('docs/deploy.md names each secret the settings point at, with who creates it', () => {
  const secrets = section('Secrets (Key Vault)');
  for (const name of ['pseudonymisation-master-key', 'source-sql-connection', 'synapse-sql-connection'])
    assert.match(secrets, new RegExp(`^\\| \`${name}\``, 'm'));
});
