/**
 * Portable column types shared by silver/gold Parquet, the embedded warehouse and Synapse DDL.
 * One mapping per backend lives next to its adapter.
 */
export type PortableType =
  'string' | 'int' | 'bigint' | 'double' | 'boolean' | 'date' | 'timestamp' | `decimal(${number},${number})`;

export interface PortableColumn {
  readonly name: string;
  readonly type: PortableType;
  readonly nullable: boolean;
  /** The longest a `string` value can be (from its source declaration), where known: typed DDL. */
  readonly maxLength?: number;
  /** One line: what the column holds (docs/outputs.md, the Power BI model). */
  readonly description?: string;
}

/** A row destined for Parquet: values in wire form (dates/decimals/timestamps as strings). */
export type PortableRow = Record<string, string | number | boolean | null>;

const decimalPattern = /^decimal\((\d+),(\d+)\)$/;

/** Parses a portable type string, failing clearly on anything unknown. */
export function parsePortableType(type: string): PortableType {
  if (['string', 'int', 'bigint', 'double', 'boolean', 'date', 'timestamp'].includes(type))
    return type as PortableType;
  const m = decimalPattern.exec(type);
  if (m && Number(m[1]) <= 38 && Number(m[2]) <= Number(m[1])) return type as PortableType;
  throw new Error(`unknown portable column type '${type}'`);
}
