import type { Rule } from './rule.js';

/** Markers around the generated part of docs/validation-rules.md. */
export const RULE_DOCS_BEGIN =
  '<!-- BEGIN GENERATED: rule catalogue (tests/unit/validate/rule-docs.test.ts) -->';
export const RULE_DOCS_END = '<!-- END GENERATED -->';

const cell = (text: string): string => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

const SCOPE: Readonly<Record<Rule['scope'], string>> = {
  row: 'row',
  batch: 'batch (cross-row)',
  contract: 'contract (severity set here)',
};

/**
 * The rule catalogue as Markdown: one table per dataset, one line per rule with its id, scope,
 * tables, fields, severity, message and the reason for its severity. Deterministic (declaration order).
 */
export function renderRuleCatalogue(rules: readonly Rule[]): string {
  const datasets = [...new Set(rules.map((r) => r.dataset))];
  const parts: string[] = [];
  for (const dataset of datasets) {
    parts.push(`### ${dataset}`, '');
    parts.push('| id | scope | tables | fields | severity | message | why this severity |');
    parts.push('|---|---|---|---|---|---|---|');
    for (const r of rules.filter((x) => x.dataset === dataset))
      parts.push(
        `| \`${r.id}\` | ${SCOPE[r.scope]} | ${r.tables.join(', ')} | ${r.fields.join(', ')} | ${r.severity} | ${cell(r.message)} | ${cell(r.rationale ?? '')} |`,
      );
    parts.push('');
  }
  return parts.join('\n');
}
