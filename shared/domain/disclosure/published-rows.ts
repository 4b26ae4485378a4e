import { applyDisclosureControl, type AggregateRow, type PublishedRow } from './apply-disclosure-control.js';
import { DEFAULT_DISCLOSURE_POLICY, type DisclosurePolicy } from './disclosure-policy.js';
import type { PublishedTable } from './published-table.js';

/**
 * A published table's rows as commissioners may see them, from the warehouse's text rows: counts
 * read back as numbers, then the policy applied to the whole table (docs/disclosure-control.md: 1–7
 * as `*`, the rest rounded, secondary suppression). Whole table first, always: secondary suppression
 * looks across rows, so a filtered or paged view cut from it shows the same cells as the whole, and
 * two views cannot be differenced to recover a suppressed cell. What `nhs-flows export` and the data
 * API serve.
 */
export function disclosureControlledRows(
  table: PublishedTable,
  rows: readonly Record<string, unknown>[],
  policy: DisclosurePolicy = DEFAULT_DISCLOSURE_POLICY,
): PublishedRow[] {
  const numeric = new Set(
    table.columns.filter((c) => c.role !== 'dimension' && c.role !== 'context').map((c) => c.name),
  );
  const aggregate = rows.map((row) => {
    const out: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(row))
      // '*' is a cell the marts refresh suppressed already: kept, so the second pass leaves it as it is.
      out[name] =
        numeric.has(name) && typeof value === 'string' && value !== '' && value !== '*'
          ? Number(value)
          : value;
    return out as AggregateRow;
  });
  return applyDisclosureControl(table, aggregate, policy).rows;
}
