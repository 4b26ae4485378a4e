import { test } from 'node:test';
import assert from 'node:assert/strict';
import { main } from '../../../shared/cli/main.js';
import type { CliIo } from '../../../shared/cli/cli-io.js';
import { renderReplay, REPLAY_EXIT } from '../../../shared/cli/replay.command.js';
import { replaySelectionSchema } from '../../../shared/application/use-cases/pipeline/replay-poison.use-case.js';

function capture(): CliIo & { out_: string[]; err_: string[] } {
  const out_: string[] = [];
  const err_: string[] = [];
  return { out_, err_, out: (l) => out_.push(l), err: (l) => err_.push(l) };
}

test('replay refuses bad selections with exit 2 and says which option is wrong (before opening anything)', async () => {
  for (const [argv, message] of [
    [['replay', '--key', 'E1'], /key: key needs table/],
    [['replay', '--since', 'yesterday'], /since: /],
    [['replay', '--table', 'nope'], /table: /],
    [
      ['replay', '--since', '2026-12-02T00:00:00Z', '--until', '2026-12-01T00:00:00Z'],
      /until: since must be before until/,
    ],
  ] as const) {
    const io = capture();
    assert.equal(await main([...argv], io), REPLAY_EXIT.usage, argv.join(' '));
    assert.match(io.err_.join('\n'), message);
  }
});

test('capture release-mass-delete needs a known action and a source table', async () => {
  const io = capture();
  assert.equal(await main(['capture', 'frobnicate'], io), 2);
  assert.match(io.err_.join('\n'), /unknown action 'frobnicate'/);
  const io2 = capture();
  assert.equal(await main(['capture', 'release-mass-delete', '--table', 'Patients; DROP'], io2), 2);
  assert.match(io2.err_.join('\n'), /--table must name a captured source table or feed/);
});

const answer = {
  dryRun: true,
  matched: [
    {
      batchId: 'b1',
      table: 'sus_apc_episode',
      failedAt: '2026-12-01T10:00:00.000Z',
      reason: 'warehouse unreachable\nstack…',
      chunks: 'all' as const,
      foundIn: ['poison-queue' as const, 'ledger' as const],
    },
  ],
  deadLetters: 0,
  unknownBatch: false,
  notReplayable: [],
  replayed: [],
  invalid: 0,
  rejectedFiles: 0,
  remaining: 1,
  auditId: 'a1',
  outcome: 'dry-run',
};

test('the replay summary is words for people: what matched, that nothing changed, the audit record', () => {
  const selection = replaySelectionSchema.parse({
    table: 'sus_apc_episode',
    since: '2026-12-01T00:00:00Z',
    dryRun: true,
  });
  const text = renderReplay(selection, answer);
  assert.equal(
    text,
    [
      'replay (dry run): 1 failed batch(es) match table sus_apc_episode, failed 2026-12-01T00:00:00Z – now; nothing was changed',
      '  b1  sus_apc_episode  failed 2026-12-01T10:00:00.000Z  all chunks  [poison-queue, ledger]',
      '      warehouse unreachable',
      'audit record: replay/a1 (dry-run); poison queue now 1 message(s)',
    ].join('\n'),
  );
  assert.doesNotMatch(text, /[{}]/, 'no raw JSON');
  const unknown = renderReplay(replaySelectionSchema.parse({ batchId: 'zz' }), {
    ...answer,
    dryRun: false,
    matched: [],
    unknownBatch: true,
    outcome: 'nothing-matched',
  });
  assert.match(
    unknown,
    /^replay: no batch zz is known: it is not on the poison queue and not in the batch ledger/,
  );
});
