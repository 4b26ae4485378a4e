import { test } from 'node:test';
import assert from 'node:assert/strict';
import { COMMANDS, main } from '../../shared/cli/main.js';
import type { CliIo } from '../../shared/cli/cli-io.js';

function capture(): CliIo & { out_: string[]; err_: string[] } {
  const out_: string[] = [];
  const err_: string[] = [];
  return { out_, err_, out: (l) => out_.push(l), err: (l) => err_.push(l) };
}

test('every command answers --help with its usage and options, and exits 0', async () => {
  for (const command of COMMANDS) {
    const io = capture();
    assert.equal(await main([command.name, '--help'], io), 0);
    assert.match(io.out_.join('\n'), new RegExp(`^nhs-flows ${command.name}: `));
    assert.match(io.out_.join('\n'), /usage: nhs-flows /);
  }
});

test('the top-level help lists start, status, export, dq, generate and replay', async () => {
  const io = capture();
  assert.equal(await main(['--help'], io), 0);
  for (const name of ['start', 'status', 'export', 'dq', 'generate', 'replay'])
    assert.match(io.out_.join('\n'), new RegExp(`  ${name} `));
});

test('an unknown command or option is refused with a message naming it and exit code 2', async () => {
  const io = capture();
  assert.equal(await main(['frobnicate'], io), 2);
  assert.match(io.err_.join('\n'), /unknown command 'frobnicate'/);
  const io2 = capture();
  assert.equal(await main(['status', '--colour'], io2), 2);
  assert.match(io2.err_.join('\n'), /--colour/);
});

test('export of an unknown table names the tables it knows', async () => {
  const io = capture();
  assert.equal(await main(['export', 'fact_nonsense'], io), 2);
  assert.match(io.err_.join('\n'), /unknown table 'fact_nonsense'.*fact_activity/);
});

test('start --help documents --log-format, and an unknown format is refused before anything starts', async () => {
  const help = capture();
  assert.equal(await main(['start', '--help'], help), 0);
  assert.match(
    help.out_.join('\n'),
    /--log-format <value>\s+pretty: live progress per stage.*json: JSON log lines on stdout too/,
  );
  const io = capture();
  assert.equal(await main(['start', '--log-format', 'xml'], io), 1);
  assert.deepEqual(io.err_, ["nhs-flows start: --log-format: expected pretty or json, received 'xml'"]);
});
