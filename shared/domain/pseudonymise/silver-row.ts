import type { PortableColumn, PortableType } from '../gold/portable-types.js';
import { normalisePostcode } from '../nhs/postcode.js';
import {
  SOURCE_TABLES,
  type ColumnSpec,
  type SourceRow,
  type SourceTableName,
} from '../datasets/source-tables.js';
import { ageAtActivity, ageBand } from './age-band.js';
import type { ProjectKey } from './project-key.js';
import { createPseudonymiser, type Pseudonymiser } from './pseudonym.js';
import { projectForTable, type ProjectId } from './projects.js';

/**
 * Bronze row → silver row: the step after which no patient identifier exists.
 *
 * Contract (silver row shape, per table, see {@link silverColumns}):
 * - every column of the source table is kept, in source order, except the identifier columns
 *   (`nhs_number`, `local_patient_id`, `patient_name`, `date_of_birth`, `postcode`);
 * - in tables that carry an NHS number, `nhs_number` is replaced (in place) by `patient_token`,
 *   `token_key_version` and `fallback_link_key`; `date_of_birth` by `age_at_activity` and
 *   `age_band`; `postcode` by `lsoa`;
 * - tables with only a local patient id (MHSDS and CSDS contacts, MHSDS cluster assessments) just
 *   lose it: they link to a person through their `referral_id`;
 * - values keep the `SourceRow` wire form; `datetimeoffset` values stay ISO-8601 text with their
 *   offset (portable type `string`), so both the instant and the local date survive.
 */

/** What ReferenceData (shared/application/reference) provides: postcode → LSOA code. */
export interface PostcodeToLsoa {
  /** LSOA code for a postcode in canonical form (`B1 1AA`); null/undefined when unknown. */
  lsoaForPostcode(postcode: string): string | null | undefined;
}

export interface PseudonymiseContext {
  readonly project: ProjectId;
  /** The derived project key, with its version. */
  readonly key: ProjectKey;
  /**
   * Activity date the age is computed at: a fixed ISO date for every row, or (default) the
   * table's activity date column of each row.
   */
  readonly activityDate?: string;
  readonly postcodeToLsoa: PostcodeToLsoa;
}

export type SilverRow = Record<string, string | number | boolean | null>;

/** Columns added in place of identifiers (see the module contract). */
export const PSEUDONYM_COLUMNS = {
  patient_token: 'string',
  token_key_version: 'string',
  fallback_link_key: 'string',
  age_at_activity: 'int',
  age_band: 'string',
  lsoa: 'string',
} as const satisfies Record<string, PortableType>;

/** Source column names that must never appear in silver or gold, whatever the table. */
export const IDENTIFIER_COLUMN_NAMES = [
  'nhs_number',
  'local_patient_id',
  'patient_name',
  'date_of_birth',
  'postcode',
] as const;

function portableType(col: ColumnSpec): PortableType {
  switch (col.type) {
    case 'varchar':
    case 'char':
    case 'datetimeoffset':
      return 'string';
    case 'date':
      return 'date';
    case 'datetime2':
      return 'timestamp';
    case 'int':
      return 'int';
    case 'bigint':
      return 'bigint';
    case 'bit':
      return 'boolean';
    case 'decimal':
      return `decimal(${col.precision ?? 18},${col.scale ?? 0})`;
  }
}

type Step =
  | { readonly kind: 'copy'; readonly name: string }
  | { readonly kind: 'token' }
  | { readonly kind: 'age' }
  | { readonly kind: 'lsoa' };

interface Plan {
  readonly columns: readonly PortableColumn[];
  readonly steps: readonly Step[];
  readonly hasPerson: boolean;
}

const plans = new Map<SourceTableName, Plan>();

function plan(table: SourceTableName): Plan {
  const cached = plans.get(table);
  if (cached) return cached;
  const spec = SOURCE_TABLES[table];
  const hasPerson = spec.columns.some((c) => c.identifier === 'nhs_number');
  const columns: PortableColumn[] = [];
  const steps: Step[] = [];
  const added = (name: keyof typeof PSEUDONYM_COLUMNS) =>
    columns.push({ name, type: PSEUDONYM_COLUMNS[name], nullable: true });
  for (const col of spec.columns) {
    if (col.identifier === undefined) {
      columns.push({ name: col.name, type: portableType(col), nullable: col.nullable });
      steps.push({ kind: 'copy', name: col.name });
    } else if (hasPerson && col.identifier === 'nhs_number') {
      added('patient_token');
      added('token_key_version');
      added('fallback_link_key');
      steps.push({ kind: 'token' });
    } else if (hasPerson && col.identifier === 'date_of_birth') {
      added('age_at_activity');
      added('age_band');
      steps.push({ kind: 'age' });
    } else if (hasPerson && col.identifier === 'postcode') {
      added('lsoa');
      steps.push({ kind: 'lsoa' });
    }
    // names and local ids: dropped.
  }
  const built: Plan = { columns: Object.freeze(columns), steps, hasPerson };
  plans.set(table, built);
  return built;
}

/** The columns (name, portable type, nullability) of a table's silver rows, in order. */
export function silverColumns(table: SourceTableName): readonly PortableColumn[] {
  return plan(table).columns;
}

/**
 * A compiled pseudonymiser for one table and one context: reuses the key, the token cache and the
 * column plan across rows (use one per batch or chunk). Never throws on row content: a missing or
 * invalid NHS number gives a null token, an unknown postcode a null LSOA.
 */
export function createRowPseudonymiser(
  table: SourceTableName,
  ctx: PseudonymiseContext,
): (row: SourceRow) => SilverRow {
  if (ctx.key.project !== ctx.project)
    throw new Error(`pseudonymise: key for project '${ctx.key.project}' used for project '${ctx.project}'`);
  const owner = projectForTable(table);
  if (owner !== ctx.project)
    throw new Error(`pseudonymise: table '${table}' belongs to project '${owner}', not '${ctx.project}'`);
  const { steps } = plan(table);
  const spec = SOURCE_TABLES[table];
  const pseudo: Pseudonymiser = createPseudonymiser(ctx.key);
  const version = ctx.key.version;
  const activityColumn = spec.activityDateColumn;
  const fixedActivity = ctx.activityDate;
  const lsoaCache = new Map<string, string | null>();

  const lsoaOf = (postcode: SourceRow[string]): string | null => {
    if (typeof postcode !== 'string' || postcode.length === 0) return null;
    let lsoa = lsoaCache.get(postcode);
    if (lsoa === undefined) {
      lsoa = ctx.postcodeToLsoa.lsoaForPostcode(normalisePostcode(postcode)) ?? null;
      lsoaCache.set(postcode, lsoa);
    }
    return lsoa;
  };

  return (row) => {
    const out: SilverRow = {};
    const lsoa = lsoaOf(row.postcode ?? null);
    const dob = typeof row.date_of_birth === 'string' ? row.date_of_birth : null;
    for (const step of steps) {
      switch (step.kind) {
        case 'copy':
          out[step.name] = row[step.name] ?? null;
          break;
        case 'token': {
          const nhs = row.nhs_number;
          const token = pseudo.token(typeof nhs === 'string' ? nhs : null);
          out.patient_token = token;
          out.token_key_version = version;
          const sex = row.sex;
          out.fallback_link_key = pseudo.fallbackLinkKey(dob, typeof sex === 'string' ? sex : null, lsoa);
          break;
        }
        case 'age': {
          const at = fixedActivity ?? row[activityColumn];
          const age = ageAtActivity(dob, typeof at === 'string' ? at.slice(0, 10) : null);
          out.age_at_activity = age;
          out.age_band = ageBand(age);
          break;
        }
        case 'lsoa':
          out.lsoa = lsoa;
          break;
      }
    }
    return out;
  };
}

const compiled = new WeakMap<PseudonymiseContext, Map<SourceTableName, (row: SourceRow) => SilverRow>>();

/**
 * One bronze row → its silver row (see the module contract). Calls with the same `ctx` object
 * share one compiled pseudonymiser (key, token cache, LSOA cache), so pass the same context for a
 * whole batch.
 */
export function pseudonymiseRow(table: SourceTableName, row: SourceRow, ctx: PseudonymiseContext): SilverRow {
  let byTable = compiled.get(ctx);
  if (!byTable) {
    byTable = new Map();
    compiled.set(ctx, byTable);
  }
  let fn = byTable.get(table);
  if (!fn) {
    fn = createRowPseudonymiser(table, ctx);
    byTable.set(table, fn);
  }
  return fn(row);
}
