import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { test } from 'node:test';
import { ALL_RULES } from '../../../shared/domain/validate/rules/rule-catalogue.js';
import {
  RULE_DOCS_BEGIN,
  RULE_DOCS_END,
  renderRuleCatalogue,
} from '../../../shared/domain/validate/rule-docs.js';

const DOC = 'docs/validation-rules.md';

test('docs/validation-rules.md lists exactly the declared rules (regenerate with NHSFLOWS_WRITE_DOCS=1)', () => {
  const text = readFileSync(DOC, 'utf8');
  const begin = text.indexOf(RULE_DOCS_BEGIN);
  const end = text.indexOf(RULE_DOCS_END);
  assert.ok(begin >= 0 && end > begin, `${DOC} has no generated section markers`);
  const generated = `\n${renderRuleCatalogue(ALL_RULES)}\n`;
  const current = text.slice(begin + RULE_DOCS_BEGIN.length, end);
  if (process.env.NHSFLOWS_WRITE_DOCS === '1' && current !== generated) {
    writeFileSync(DOC, `${text.slice(0, begin + RULE_DOCS_BEGIN.length)}${generated}${text.slice(end)}`);
    return;
  }
  assert.equal(
    current,
    generated,
    `${DOC} is out of date: run NHSFLOWS_WRITE_DOCS=1 node tests/run.mjs rule-docs`,
  );
});
