import { z } from 'zod';
import { SUPPRESSED } from '../disclosure/small-numbers.js';
import type { PublishedColumn, PublishedTable } from '../disclosure/published-table.js';
import type { DataApiMart } from './api-clients.js';

/**
 * The data API's wire shapes as zod schemas: the request's query, each mart's response row (derived
 * from the mart's table and disclosure-control declarations), the response envelope and the error
 * body. The handlers parse with them and the OpenAPI document is generated from them, so the two
 * cannot drift (docs/api.md).
 */

/** Rows per page when `limit` is not given, and the most one page may hold. */
export const DEFAULT_PAGE_ROWS = 1_000;
export const MAX_PAGE_ROWS = 10_000;

const month = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'a month as YYYY-MM');

/** An organisation code as the marts carry it (ODS codes are upper-case letters and digits). */
const organisationCode = z.string().regex(/^[A-Z0-9]{3,10}$/, 'an ODS organisation code');

/** The query string of `GET /api/v1/{project}/{mart}`. */
export const martQuerySchema = z
  .object({
    trust: z
      .string()
      .transform((v) => v.split(',').map((c) => c.trim().toUpperCase()))
      .pipe(z.array(organisationCode).min(1).max(50))
      .optional()
      .meta({
        description: 'provider (trust) ODS codes, comma-separated: only their rows',
        example: 'RRK,RM1',
      }),
    from: month
      .optional()
      .meta({ description: 'first period (month) to include, YYYY-MM', example: '2025-04' }),
    to: month.optional().meta({ description: 'last period (month) to include, YYYY-MM', example: '2026-03' }),
    format: z
      .enum(['json', 'csv'])
      .optional()
      .meta({ description: 'json or csv; otherwise the Accept header decides (default json)' }),
    limit: z.coerce
      .number()
      .int()
      .min(1)
      .max(MAX_PAGE_ROWS)
      .default(DEFAULT_PAGE_ROWS)
      .meta({ description: `rows per page (1-${MAX_PAGE_ROWS})` }),
    offset: z.coerce.number().int().min(0).default(0).meta({ description: 'rows to skip (paging)' }),
  })
  .strict()
  .refine((q) => q.from === undefined || q.to === undefined || q.from <= q.to, {
    message: 'from must not be after to',
    path: ['from'],
  });
export type MartQuery = z.output<typeof martQuerySchema>;

const suppressed = z.literal(SUPPRESSED).meta({ description: 'suppressed (disclosure control)' });

/** The schema of one published column's value, by its role. */
function cellSchema(column: PublishedColumn): z.ZodType {
  switch (column.role) {
    case 'dimension':
      return column.type === 'month' ? month : z.string();
    case 'count':
    case 'total':
      return z.union([z.number().int().min(0), suppressed]).meta({
        description: 'a count: 0, or rounded to the policy (nearest 5 by default); * when suppressed',
      });
    case 'percentage':
    case 'statistic':
      return z.union([z.number(), suppressed, z.null()]);
    case 'context':
      return z.union([z.string(), z.number(), z.null()]);
  }
}

/** The columns the API serves for a mart: the table's columns, in order, as the declaration types them. */
export function martRowSchema(mart: DataApiMart): z.ZodObject {
  const byName = new Map(mart.published.columns.map((c) => [c.name, c]));
  const shape: Record<string, z.ZodType> = {};
  for (const column of mart.table.columns) {
    const declared = byName.get(column.name);
    shape[column.name] = declared ? cellSchema(declared) : z.union([z.string(), z.number(), z.null()]);
  }
  return z.object(shape).strict().meta({ description: mart.table.description });
}

/** The JSON body of a page of a mart. */
export function martPageSchema(mart: DataApiMart): z.ZodObject {
  return z
    .object({
      project: z.literal(mart.project),
      mart: z.literal(mart.table.name),
      disclosure: z.object({
        policy: z.string(),
        legend: z.string(),
      }),
      filters: z.object({
        trust: z.array(z.string()).optional(),
        from: month.optional(),
        to: month.optional(),
      }),
      page: z.object({
        offset: z.number().int().min(0),
        limit: z.number().int().min(1),
        returned: z.number().int().min(0),
        total: z.number().int().min(0).meta({ description: 'rows matching the filters' }),
        next: z.string().nullable().meta({ description: 'the next page (path and query), or null' }),
      }),
      rows: z.array(martRowSchema(mart)),
    })
    .strict();
}

/** Every error body: a stable code and what went wrong (never a value from the data). */
export const apiErrorSchema = z
  .object({
    error: z.string().meta({ example: 'UNAUTHENTICATED' }),
    message: z.string(),
    problems: z.array(z.string()).optional(),
  })
  .meta({ description: 'an error: its stable code and message' });

/** The legend shown with every response: what `*` and the rounding mean. */
export function disclosureLegend(policy: { minCell: number; roundTo: number }): string {
  return `* = suppressed: a count from 1 to ${policy.minCell - 1}, or a cell suppressed so that one cannot be worked out; other counts are rounded to the nearest ${policy.roundTo}; 0 is shown as 0`;
}

/** The dimension the `trust` filter applies to: the declaration's provider / trust / organisation code. */
export function trustDimension(table: PublishedTable): string | undefined {
  return table.columns.find(
    (c) =>
      c.role === 'dimension' && c.type === 'code' && /(^|_)(provider|trust|organisation)_code$/.test(c.name),
  )?.name;
}

/** The dimension `from` and `to` apply to: the declaration's month. */
export function periodDimension(table: PublishedTable): string | undefined {
  return table.columns.find((c) => c.role === 'dimension' && c.type === 'month')?.name;
}
