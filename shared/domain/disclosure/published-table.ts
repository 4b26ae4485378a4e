import { z } from 'zod';
import { ConfigError } from '../errors.js';

/**
 * The declaration of a published (aggregate) table: which columns are dimensions, which are counts
 * of individuals, which are totals of which counts, which are percentages of which, and which
 * dimension value is the national level. Disclosure control (`applyDisclosureControl`) and the
 * publishability guard (`assertPublishable`) read it; docs/disclosure-control.md has examples.
 *
 * A declaration is code for the built-in marts and data for a project's own tables, so it has a
 * zod schema ({@link publishedTableSchema}) and every cross-reference is checked
 * ({@link parsePublishedTable}).
 */

/**
 * What a dimension column holds. `month`, `quarter`, `financial-year`, `year` and `age-band` (with
 * its width) are publishable; `date` (an exact day or instant), `age` (single years) and `person`
 * (a person id, token or surrogate key) are not, and exist so that a row-level table's declaration
 * is refused by name rather than passed by omission.
 */
export const DIMENSION_TYPES = [
  'code',
  'month',
  'quarter',
  'financial-year',
  'year',
  'age-band',
  'date',
  'age',
  'person',
] as const;
export type DimensionType = (typeof DIMENSION_TYPES)[number];

const columnName = z
  .string()
  .regex(/^[a-z][a-z0-9_]*$/, 'a snake_case column name')
  .max(128);

const dimensionColumn = z
  .object({
    role: z.literal('dimension'),
    name: columnName,
    type: z.enum(DIMENSION_TYPES),
    /** For `age-band`: the width of each band in years (5 for 0-4, 5-9, …). */
    bandYears: z.number().int().min(1).optional(),
    /**
     * The value of this dimension on rows that total over it (e.g. `'ALL'`): the row with that
     * value is, column by column, the sum of the rows that differ from it only in this dimension.
     */
    totalValue: z.string().min(1).optional(),
  })
  .strict();

const countColumn = z
  .object({
    role: z.literal('count'),
    name: columnName,
    /**
     * A count of distinct individuals that does not add up over the dimension totals (persons
     * seen in a year are not the sum of persons seen in each month): its total rows are taken as
     * given, and it forms no additive line for secondary suppression.
     */
    distinct: z.boolean().optional(),
  })
  .strict();

const totalColumn = z
  .object({
    role: z.literal('total'),
    name: columnName,
    /** The count columns this column is the sum of, in the same row. */
    of: z.array(columnName).min(2),
  })
  .strict();

const percentageColumn = z
  .object({
    role: z.literal('percentage'),
    name: columnName,
    numerator: columnName,
    denominator: columnName,
    /** 100 for a percentage (the default), 1000 for a rate per 1,000. */
    per: z.number().int().min(1).optional(),
  })
  .strict();

const statisticColumn = z
  .object({
    role: z.literal('statistic'),
    name: columnName,
    /** The count column of the individuals the statistic (a mean, a median) is computed over. */
    contributors: columnName,
  })
  .strict();

const contextColumn = z
  .object({
    role: z.literal('context'),
    name: columnName,
    /** Why the value is not about individuals (REFERENCE.md §9.1: e.g. a number of providers). */
    reason: z.string().min(1),
  })
  .strict();

const publishedColumnSchema = z.discriminatedUnion('role', [
  dimensionColumn,
  countColumn,
  totalColumn,
  percentageColumn,
  statisticColumn,
  contextColumn,
]);

/** The schema of a published table's declaration, with every cross-reference checked. */
export const publishedTableSchema = z
  .object({
    name: columnName,
    description: z.string().optional(),
    /** The project whose commissioners the table is published to (`careflow`, `community360`, …). */
    project: z
      .string()
      .regex(/^[a-z][a-z0-9]*$/, 'a project id')
      .optional(),
    columns: z.array(publishedColumnSchema).min(1),
    /** Rows whose `dimension` holds `value` are national figures (exempt when the policy says so). */
    national: z
      .object({ dimension: columnName, value: z.string().min(1) })
      .strict()
      .optional(),
  })
  .strict()
  .superRefine((table, ctx) => {
    const byName = new Map<string, PublishedColumn>();
    table.columns.forEach((column, index) => {
      if (byName.has(column.name))
        ctx.addIssue({
          code: 'custom',
          path: ['columns', index, 'name'],
          message: `'${column.name}' is declared twice`,
        });
      byName.set(column.name, column);
    });
    const expectRole = (path: (string | number)[], name: string, roles: readonly string[]): void => {
      const role = byName.get(name)?.role;
      if (role === undefined || !roles.includes(role))
        ctx.addIssue({
          code: 'custom',
          path,
          message: `'${name}' must be a column of role ${roles.join(' or ')}, received ${role ?? 'no such column'}`,
        });
    };
    if (!table.columns.some((c) => c.role === 'dimension'))
      ctx.addIssue({
        code: 'custom',
        path: ['columns'],
        message: 'a published table needs at least one dimension',
      });
    table.columns.forEach((column, index) => {
      const path = ['columns', index];
      switch (column.role) {
        case 'dimension':
          if ((column.type === 'age-band') !== (column.bandYears !== undefined))
            ctx.addIssue({
              code: 'custom',
              path: [...path, 'bandYears'],
              message: 'bandYears is required for an age-band dimension and only there',
            });
          break;
        case 'total':
          column.of.forEach((part, i) => {
            expectRole([...path, 'of', i], part, ['count']);
            if (byName.get(part)?.role === 'count' && (byName.get(part) as { distinct?: boolean }).distinct)
              ctx.addIssue({
                code: 'custom',
                path: [...path, 'of', i],
                message: `'${part}' is a distinct count and cannot be part of a total`,
              });
          });
          if (new Set(column.of).size !== column.of.length)
            ctx.addIssue({ code: 'custom', path: [...path, 'of'], message: 'a part is listed twice' });
          break;
        case 'percentage':
          expectRole([...path, 'numerator'], column.numerator, ['count', 'total']);
          expectRole([...path, 'denominator'], column.denominator, ['count', 'total']);
          break;
        case 'statistic':
          expectRole([...path, 'contributors'], column.contributors, ['count', 'total']);
          break;
        default:
          break;
      }
    });
    if (table.national) expectRole(['national', 'dimension'], table.national.dimension, ['dimension']);
  });

export type PublishedColumn = z.output<typeof publishedColumnSchema>;
export type DimensionColumn = z.output<typeof dimensionColumn>;
export type CountColumn = z.output<typeof countColumn>;
export type TotalColumn = z.output<typeof totalColumn>;
export type PercentageColumn = z.output<typeof percentageColumn>;
export type StatisticColumn = z.output<typeof statisticColumn>;

/** A validated published table declaration. */
export type PublishedTable = Readonly<z.output<typeof publishedTableSchema>>;

/**
 * Validates a published table's declaration (the built-in marts' in tests, a project's at start):
 * every problem in one `ConfigError`, prefixed with the table's path.
 */
export function parsePublishedTable(input: unknown, where = 'publishedTable'): PublishedTable {
  const parsed = publishedTableSchema.safeParse(input);
  if (!parsed.success)
    throw new ConfigError(
      parsed.error.issues.map((i) => `${[where, ...i.path.map(String)].join('.')}: ${i.message}`),
    );
  return Object.freeze(parsed.data);
}

/** The columns of one role, in declaration order. */
export function columnsOfRole<R extends PublishedColumn['role']>(
  table: PublishedTable,
  role: R,
): Extract<PublishedColumn, { role: R }>[] {
  return table.columns.filter((c): c is Extract<PublishedColumn, { role: R }> => c.role === role);
}
