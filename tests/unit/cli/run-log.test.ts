import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openRunLog, resolveLogFormat } from '../../../shared/cli/progress/run-log.js';

test('without --log-format, a terminal gets live progress and a pipe, file or CI gets JSON lines', () => {
  const cases: [{ stdout: boolean; stderr: boolean }, string][] = [
    [{ stdout: true, stderr: true }, 'pretty'],
    [{ stdout: false, stderr: true }, 'json'],
    [{ stdout: true, stderr: false }, 'json'],
    [{ stdout: false, stderr: false }, 'json'],
  ];
  for (const [terminal, format] of cases)
    assert.equal(resolveLogFormat(undefined, terminal), format, JSON.stringify(terminal));
  assert.equal(resolveLogFormat('json', { stdout: true, stderr: true }), 'json');
  assert.equal(resolveLogFormat('pretty', { stdout: false, stderr: false }), 'pretty');
});

test('an unknown --log-format is refused with what it expects and what arrived', () => {
  assert.throws(() => resolveLogFormat('xml', { stdout: true, stderr: true }), {
    message: "--log-format: expected pretty or json, received 'xml'",
  });
});

test('the run log is a file under <data dir>/logs named by the start time; json also writes each line to stdout', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'nhsflows-runlog-'));
  try {
    const stdout: string[] = [];
    const startedAt = new Date('2026-03-04T05:06:07.089Z');
    const json = openRunLog({ dataDir, format: 'json', startedAt, stdout: (l) => stdout.push(l) });
    assert.equal(json.path, join(dataDir, 'logs', 'nhs-flows-2026-03-04T05-06-07-089Z.ndjson'));
    json.write('{"msg":"batch planned","records":3}\n');
    json.write('{"msg":"chunk validated","records":3}\n');
    json.close();
    assert.deepEqual(stdout, [
      '{"msg":"batch planned","records":3}\n',
      '{"msg":"chunk validated","records":3}\n',
    ]);
    assert.equal(readFileSync(json.path, 'utf8'), stdout.join(''));

    const quiet: string[] = [];
    const pretty = openRunLog({
      dataDir,
      format: 'pretty',
      startedAt: new Date('2026-03-04T06:00:00.000Z'),
      stdout: (l) => quiet.push(l),
    });
    pretty.write('{"msg":"gold built","factRows":3}\n');
    pretty.close();
    assert.deepEqual(quiet, [], 'pretty keeps the console free of JSON');
    assert.equal(readFileSync(pretty.path, 'utf8'), '{"msg":"gold built","factRows":3}\n');
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
