import { sourceTable } from '../datasets/source-tables.js';
import { FHIR_TABLE_MAPPINGS, PERSON_SOURCES } from './fhir-mapping.js';
import { FHIR_EXTENSIONS, FHIR_SYSTEMS } from './fhir-systems.js';

/**
 * The mapping tables of docs/fhir.md, rendered from the declarations in fhir-mapping.ts (a test
 * keeps the doc in step): resource element → table.column, FHIRPath-style, with notes.
 */
export function fhirMappingDoc(): string {
  const cell = (text: string) => text.replace(/\|/g, '\\|');
  const out: string[] = [];
  out.push('### Person columns (every table), from the Patient the resource refers to', '');
  out.push('| element | column | notes |', '|---|---|---|');
  for (const s of PERSON_SOURCES)
    out.push(`| \`${cell(s.path)}\` | \`${s.column}\` | ${cell(s.note ?? '')} |`);
  for (const m of FHIR_TABLE_MAPPINGS) {
    const spec = sourceTable(m.table);
    const required = new Set(spec.columns.filter((c) => !c.nullable).map((c) => c.name));
    out.push(
      '',
      `### ${m.resourceType} → \`${m.table}\``,
      '',
      `Takes: ${m.selects}. Patient: \`${m.subjectPath}\`.`,
      '',
    );
    out.push('| element | column | required | notes |', '|---|---|---|---|');
    for (const s of m.columns)
      out.push(
        `| \`${cell(s.path)}\` | \`${m.table}.${s.column}\` | ${required.has(s.column) ? 'yes' : ''} | ${cell(s.note ?? '')} |`,
      );
    const mapped = new Set([...m.columns.map((c) => c.column), ...PERSON_SOURCES.map((c) => c.column)]);
    const gaps = spec.columns
      .filter(
        (c) =>
          !c.nullable &&
          !mapped.has(c.name) &&
          c.name !== 'modified_at' &&
          c.name !== spec.changeVersionColumn,
      )
      .map((c) => c.name);
    out.push(
      '',
      `\`modified_at\` is \`meta.lastUpdated\` (else the time the file was received); \`${spec.changeVersionColumn}\` its milliseconds since 1970. Every other column is null.`,
    );
    if (gaps.length > 0)
      out.push(
        '',
        `**Gap**: required and without a FHIR R4 element: ${gaps.map((g) => `\`${g}\``).join(', ')} (such resources are quarantined, FHIR.NO_ELEMENT).`,
      );
  }
  out.push('', '### Systems and extensions read', '', '| what | URI | verified |', '|---|---|---|');
  for (const s of [...Object.values(FHIR_SYSTEMS), ...Object.values(FHIR_EXTENSIONS)])
    out.push(`| ${s.what} | \`${s.uri}\` | ${s.verified} |`);
  return `${out.join('\n')}\n`;
}
