import type { GoldTable } from '../gold/gold-tables.js';
import type { PortableColumn } from '../gold/portable-types.js';
import {
  STAR_MEASURES,
  STAR_TABLES,
  starRelationships,
  type StarMeasure,
  type StarRelationship,
} from './star-schema.js';

/**
 * The Power BI semantic model of the star schema as text: a PBIP project (`powerbi/`) whose
 * semantic model is in TMDL, generated from the gold declarations (`npm run star:generate`). Every
 * table reads its Synapse table in DirectQuery through two parameters, `SynapseServer` and
 * `SynapseDatabase`, set in Power BI Desktop (Transform data → Edit parameters). Pure.
 *
 * Unverified here: the files follow the published PBIP / TMDL formats, but no Power BI Desktop
 * runs in CI; tests/unit/star/powerbi-model.test.ts checks the model's structure only.
 */

export const POWERBI_FOLDER = 'powerbi';
export const POWERBI_PROJECT = 'nhs-flows';
const MODEL = `${POWERBI_PROJECT}.SemanticModel`;
const REPORT = `${POWERBI_PROJECT}.Report`;

/** The TMDL data type of a column. */
export function tmdlDataType(column: Pick<PortableColumn, 'type'>): string {
  switch (column.type) {
    case 'string':
      return 'string';
    case 'int':
    case 'bigint':
      return 'int64';
    case 'double':
      return 'double';
    case 'boolean':
      return 'boolean';
    case 'date':
    case 'timestamp':
      return 'dateTime';
    default:
      return 'decimal';
  }
}

/** A TMDL name, quoted when it is not a plain identifier. */
const tmdlName = (name: string): string =>
  /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) ? name : `'${name.replace(/'/g, "''")}'`;

/** The single-line TMDL description property (`///` line comments). */
const described = (indent: string, text: string | undefined): string[] =>
  text ? [`${indent}/// ${text}`] : [];

/** Columns an analyst has no use for in a visual (keys, lineage) are hidden. */
function hidden(table: GoldTable, column: PortableColumn, keys: ReadonlySet<string>): boolean {
  return (
    keys.has(`${table.name}.${column.name}`) ||
    [
      'batch_id',
      'loaded_at',
      'event_id',
      'reference_version',
      'reference_source',
      'source_captured_at',
      'patient_token',
    ].includes(column.name)
  );
}

function tableTmdl(table: GoldTable, measures: readonly StarMeasure[], keys: ReadonlySet<string>): string {
  const lines: string[] = [...described('', table.description), `table ${tmdlName(table.name)}`, ''];
  for (const m of measures) {
    lines.push(
      ...described('\t', m.description),
      `\tmeasure ${tmdlName(m.name)} = ${m.expression}`,
      `\t\tformatString: ${m.formatString}`,
      '',
    );
  }
  for (const c of table.columns) {
    lines.push(
      ...described('\t', c.description),
      `\tcolumn ${tmdlName(c.name)}`,
      `\t\tdataType: ${tmdlDataType(c)}`,
    );
    if (c.type === 'date') lines.push('\t\tformatString: yyyy-mm-dd');
    if (hidden(table, c, keys)) lines.push('\t\tisHidden');
    lines.push(`\t\tsummarizeBy: none`, `\t\tsourceColumn: ${c.name}`, '');
  }
  lines.push(
    `\tpartition ${tmdlName(table.name)} = m`,
    '\t\tmode: directQuery',
    '\t\tsource =',
    '\t\t\t\tlet',
    '\t\t\t\t    Source = Sql.Database(SynapseServer, SynapseDatabase),',
    `\t\t\t\t    Data = Source{[Schema="gold", Item="${table.name}"]}[Data]`,
    '\t\t\t\tin',
    '\t\t\t\t    Data',
    '',
  );
  return `${lines.join('\n')}\n`;
}

/** The relationship's TMDL name: deterministic, so regenerating changes nothing. */
export const relationshipName = (r: StarRelationship): string => `${r.fact}.${r.column}->${r.dimension}`;

function relationshipsTmdl(relationships: readonly StarRelationship[]): string {
  const lines: string[] = [];
  for (const r of relationships) {
    lines.push(`relationship ${tmdlName(relationshipName(r))}`);
    if (!r.active) lines.push('\tisActive: false');
    lines.push(
      `\tfromColumn: ${tmdlName(r.fact)}.${tmdlName(r.column)}`,
      `\ttoColumn: ${tmdlName(r.dimension)}.${tmdlName(r.dimensionColumn)}`,
      '',
    );
  }
  return `${lines.join('\n')}\n`;
}

const EXPRESSIONS = [
  '/// The Synapse dedicated SQL pool endpoint (<workspace>.sql.azuresynapse.net)',
  'expression SynapseServer = "example-workspace.sql.azuresynapse.net" meta [IsParameterQuery=true, Type="Text", IsParameterQueryRequired=true]',
  '',
  '/// The dedicated SQL pool (database) holding schema gold',
  'expression SynapseDatabase = "nhsflows" meta [IsParameterQuery=true, Type="Text", IsParameterQueryRequired=true]',
  '',
].join('\n');

/** Every file of the PBIP project, path relative to the repository root, in a stable order. */
export function renderPowerBiModel(
  tables: readonly GoldTable[] = STAR_TABLES,
  measures: readonly StarMeasure[] = STAR_MEASURES,
): { path: string; text: string }[] {
  const relationships = starRelationships(tables.filter((t) => t.kind === 'fact'));
  const keys = new Set(relationships.flatMap((r) => [`${r.fact}.${r.column}`]));
  const at = (path: string) => `${POWERBI_FOLDER}/${path}`;
  const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;
  const files = [
    {
      path: at(`${POWERBI_PROJECT}.pbip`),
      text: json({
        $schema: 'https://developer.microsoft.com/json-schemas/fabric/pbip/pbipProperties/1.0.0/schema.json',
        version: '1.0',
        artifacts: [{ report: { path: REPORT } }],
        settings: { enableAutoRecovery: true },
      }),
    },
    {
      path: at(`${REPORT}/definition.pbir`),
      text: json({ version: '4.0', datasetReference: { byPath: { path: `../${MODEL}` } } }),
    },
    { path: at(`${MODEL}/definition.pbism`), text: json({ version: '4.0', settings: {} }) },
    { path: at(`${MODEL}/definition/database.tmdl`), text: 'database\n\tcompatibilityLevel: 1567\n' },
    {
      path: at(`${MODEL}/definition/model.tmdl`),
      text: [
        'model Model',
        '\tculture: en-GB',
        '\tdefaultPowerBIDataSourceVersion: powerBI_V3',
        '\tdiscourageImplicitMeasures',
        '',
        ...tables.map((t) => `ref table ${tmdlName(t.name)}`),
        '',
      ].join('\n'),
    },
    { path: at(`${MODEL}/definition/expressions.tmdl`), text: EXPRESSIONS },
    { path: at(`${MODEL}/definition/relationships.tmdl`), text: relationshipsTmdl(relationships) },
    ...tables.map((t) => ({
      path: at(`${MODEL}/definition/tables/${t.name}.tmdl`),
      text: tableTmdl(
        t,
        measures.filter((m) => m.table === t.name),
        keys,
      ),
    })),
  ];
  return files;
}
