import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { csvField, csvHeader } from '../../../shared/cli/export.command.js';

// `nhs-flows export` output is opened in spreadsheets: a cell that a spreadsheet would run as a
// formula (=, +, -, @, tab, carriage return first) is written as text, prefixed with a single quote
// and quoted (OWASP "CSV injection"); plain numbers stay numbers.
const cases: readonly [string, unknown, string][] = [
  ['a DDE payload', "=cmd|' /C calc'!A0", `"'=cmd|' /C calc'!A0"`],
  ['a plus formula', '+SUM(1,2)', `"'+SUM(1,2)"`],
  ['a minus formula', '-2+3+cmd|x', `"'-2+3+cmd|x"`],
  ['an at formula', '@A1', `"'@A1"`],
  ['a leading tab', '\t=1', `"'\t=1"`],
  ['a leading carriage return', '\r=1', `"'\r=1"`],
  ['a formula with a quote and comma', '=HYPERLINK("http://x",1)', `"'=HYPERLINK(""http://x"",1)"`],
  ['a negative number', '-12.5', '-12.5'],
  ['a signed exponent', '+1e5', '+1e5'],
  ['plain text', 'RRK02', 'RRK02'],
  ['text with a comma', 'E119,I10X', '"E119,I10X"'],
  ['an inner equals sign', 'a=b', 'a=b'],
  ['null', null, ''],
  ['a number value', 42, '42'],
];

describe('export CSV cells', () => {
  for (const [name, value, expected] of cases)
    test(`${name} is written as ${JSON.stringify(expected)}`, () => assert.equal(csvField(value), expected));
});

test('a header key with a control character is refused, naming its position, not its text', () => {
  assert.equal(csvHeader(['activity_id', 'project']), 'activity_id,project');
  assert.throws(
    () => csvHeader(['activity_id', 'bad\u0007key']),
    (error: Error & { code?: string }) =>
      error.code === 'EXPORT_KEY_INVALID' &&
      error.message === 'export: column 2 of the header holds a control character' &&
      !error.message.includes('bad'),
  );
  assert.throws(() => csvHeader(['line\nbreak']), /column 1/);
});
