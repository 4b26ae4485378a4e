import { z } from 'zod';
import { isIsoDate, isIsoTimestampWithOffset, isIsoUtcTimestamp } from './contract-engine.js';
import type { ColumnSpec, SourceRowValue } from './source-tables.js';

/**
 * zod builders for the SourceRow wire form (see source-tables.ts): one per SQL type.
 * `wireSchemaOf` builds a table's schema from its declaration, so the schema used at a boundary
 * and the row contract (contracts.ts, hand-written checks on the hot path plus the NHS rules)
 * read the same columns; a test keeps their type checks in agreement.
 */
export const wire = {
  varchar: (length: number) => z.string().max(length),
  char: (length: number) => z.string().length(length),
  /** 'YYYY-MM-DD', a real calendar date. */
  date: () => z.string().refine(isIsoDate, { message: "expected a calendar date 'YYYY-MM-DD'" }),
  /** ISO-8601 UTC 'YYYY-MM-DDTHH:mm:ss.sssZ'. */
  datetime2: () => z.string().refine(isIsoUtcTimestamp, { message: 'expected an ISO-8601 UTC timestamp' }),
  /** ISO-8601 with its offset ('…+01:00' or 'Z'). */
  datetimeoffset: () =>
    z.string().refine(isIsoTimestampWithOffset, { message: 'expected an ISO-8601 timestamp with an offset' }),
  int: () => z.number().int().min(-2147483648).max(2147483647),
  /** bigint as a decimal string. */
  bigint: () => z.string().regex(/^-?[0-9]{1,19}$/),
  /** decimal(p,s) as an exact decimal string. */
  decimal: (precision: number, scale: number) =>
    z
      .string()
      .regex(
        new RegExp(
          scale > 0
            ? `^-?[0-9]{1,${precision - scale}}(\\.[0-9]{1,${scale}})?$`
            : `^-?[0-9]{1,${precision}}$`,
        ),
      ),
  bit: () => z.boolean(),
};

/** The zod type of one column's wire value (nullable columns accept null). */
export function wireColumn(c: ColumnSpec): z.ZodType<SourceRowValue> {
  const base: z.ZodType<SourceRowValue> = (() => {
    switch (c.type) {
      case 'varchar':
        // A required column's empty string is REQUIRED to the row contract, so not valid here either.
        return c.nullable ? wire.varchar(c.length ?? 0) : wire.varchar(c.length ?? 0).min(1);
      case 'char':
        return wire.char(c.length ?? 0);
      case 'date':
        return wire.date();
      case 'datetime2':
        return wire.datetime2();
      case 'datetimeoffset':
        return wire.datetimeoffset();
      case 'int':
        return wire.int();
      case 'bigint':
        return wire.bigint();
      case 'decimal':
        return wire.decimal(c.precision ?? 18, c.scale ?? 0);
      case 'bit':
        return wire.bit();
    }
  })();
  return c.nullable ? base.nullable() : base;
}

/** One source row in wire form, as a generated schema parses it. */
export type WireRow = Readonly<Record<string, SourceRowValue>>;

/** The strict zod schema of a table's wire-form row: exactly its columns, generated from its declaration. */
export function wireSchemaOf(table: {
  readonly columns: readonly ColumnSpec[];
}): z.ZodObject<Record<string, z.ZodType<SourceRowValue>>> {
  return z.strictObject(Object.fromEntries(table.columns.map((c) => [c.name, wireColumn(c)])));
}
