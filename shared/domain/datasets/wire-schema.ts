import { z } from 'zod';
import { isIsoDate, isIsoTimestampWithOffset, isIsoUtcTimestamp } from './contract-engine.js';

/**
 * zod builders for the SourceRow wire form (see source-tables.ts): one per SQL type.
 * The table schemas built from these describe the shape of a row; the row contracts
 * (contracts.ts) enforce the same shape with hand-written checks on the hot path and add the
 * NHS rules. A test keeps the two in agreement.
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
    z.string().regex(new RegExp(`^-?[0-9]{1,${precision - scale}}(\\.[0-9]{1,${scale}})?$`)),
  bit: () => z.boolean(),
};

/** The person columns shared by the person-level tables (source-tables.ts `person()`). */
export const personColumns = {
  nhs_number: wire.varchar(10).nullable(),
  local_patient_id: wire.varchar(20).nullable(),
  date_of_birth: wire.date().nullable(),
  sex: wire.char(1).nullable(),
  postcode: wire.varchar(8).nullable(),
  gp_practice_code: wire.varchar(6).nullable(),
};

/** Audit columns every table ends with. */
export const auditColumns = {
  modified_at: wire.datetime2(),
  change_version: wire.bigint(),
};
