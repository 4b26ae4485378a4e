import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { settingKeys } from '../../shared/config/settings.schema.js';

// Bicep cannot be compiled here (its CLI downloads itself), so infra/ is checked structurally.
const main = readFileSync('infra/main.bicep', 'utf8');
const modules = [...main.matchAll(/module (\w+) '([^']+)'(?: = (?:if \([^)]*\) )?\{)([\s\S]*?)\n\}/g)].map(
  (m) => ({
    name: m[1]!,
    path: join('infra', m[2]!),
    body: m[3]!,
  }),
);

function params(file: string): { name: string; required: boolean }[] {
  return [...readFileSync(file, 'utf8').matchAll(/^param (\w+) [\w.]+( = .*)?$/gm)].map((m) => ({
    name: m[1]!,
    required: !m[2],
  }));
}

test('every module main.bicep composes exists and receives exactly the params it declares', () => {
  assert.ok(modules.length >= 7);
  for (const m of modules) {
    assert.ok(existsSync(m.path), `${m.path} exists`);
    const declared = params(m.path);
    const passed = topLevelKeys(m.body.slice(m.body.indexOf('params: {') + 'params: {'.length));
    for (const p of declared.filter((d) => d.required))
      assert.ok(passed.includes(p.name), `${m.name} is given required param ${p.name}`);
    for (const p of passed)
      assert.ok(
        declared.some((d) => d.name === p),
        `${m.name} declares param ${p}`,
      );
  }
});

test('every setting the app reads on Azure is set on the Function App', () => {
  const app = readFileSync('infra/app/function-app.bicep', 'utf8');
  const localOnly = new Set([
    'NHSFLOWS_LAKE_CONNECTION',
    'NHSFLOWS_STATE_CONNECTION',
    'NHSFLOWS_EVENTHUB_CONNECTION',
    'NHSFLOWS_AZURITE_BLOB_PORT',
    'NHSFLOWS_AZURITE_QUEUE_PORT',
    'NHSFLOWS_AZURITE_TABLE_PORT',
    'NHSFLOWS_LOCAL_SECRETS_FILE',
    'NHSFLOWS_LOCAL_ACTIVITY_WORKERS',
    'NHSFLOWS_SEED',
    'NHSFLOWS_SYNTHETIC_PATIENTS',
    'NHSFLOWS_TELEMETRY_DISABLED',
    'NHSFLOWS_CDC_TABLES',
  ]);
  const missing = settingKeys().filter((k) => !localOnly.has(k) && !app.includes(`name: '${k}'`));
  assert.deepEqual(missing, []);
});

test('infra grants roles to a managed identity and never uses account keys', () => {
  for (const file of ['infra/main.bicep', ...readdirSync('infra/app').map((f) => join('infra/app', f))]) {
    const text = readFileSync(file, 'utf8');
    assert.doesNotMatch(text, /listKeys\(|AccountKey=|SharedAccessKey=/, `${file} uses no keys`);
    let depth = 0;
    for (const ch of text.replace(/'[^'\n]*'/g, "''")) {
      if (ch === '{') depth += 1;
      if (ch === '}') depth -= 1;
      assert.ok(depth >= 0, `${file} braces balance`);
    }
    assert.equal(depth, 0, `${file} braces balance`);
  }
  assert.match(readFileSync('infra/app/storage.bicep', 'utf8'), /allowSharedKeyAccess: false/);
});

test('every custom event and metric an alert rule watches is emitted by the code', () => {
  const alerts = readFileSync('infra/app/alerts.bicep', 'utf8');
  const names = [...alerts.matchAll(/name == "([\w.]+)"/g)].map((m) => m[1]!);
  assert.ok(names.length >= 5);
  const code = collect('shared');
  for (const name of names) assert.ok(code.includes(`'${name}'`), `code emits ${name}`);
});

function collect(dir: string): string {
  return readdirSync(dir, { withFileTypes: true })
    .map((e) =>
      e.isDirectory()
        ? collect(join(dir, e.name))
        : e.name.endsWith('.ts')
          ? readFileSync(join(dir, e.name), 'utf8')
          : '',
    )
    .join('\n');
}

/** Keys at the top level of a Bicep object literal that starts just after its opening brace. */
function topLevelKeys(text: string): string[] {
  const keys: string[] = [];
  let depth = 1;
  let token = '';
  for (let i = 0; i < text.length && depth > 0; i += 1) {
    const ch = text[i]!;
    if (ch === "'") {
      const end = text.indexOf("'", i + 1);
      i = end;
      token = '';
      continue;
    }
    if (ch === '{' || ch === '[' || ch === '(') depth += 1;
    else if (ch === '}' || ch === ']' || ch === ')') depth -= 1;
    else if (ch === ':' && depth === 1 && /^\w+$/.test(token.trim())) keys.push(token.trim());
    token = /[\w\s]/.test(ch) && ch !== '\n' ? (/\s/.test(ch) && token.trim() ? '' : token + ch) : '';
  }
  return keys;
}
