/**
 * Which SQL errors are worth another attempt, and the retry loop both SQL pools use (the Synapse
 * warehouse and the SQL Server change source).
 *
 * Transient = the server or the network said "not now": Azure SQL / Synapse throttling and
 * failover numbers, a deadlock victim, a dropped socket, a timeout. Everything else (a constraint
 * violation, a syntax error, a permission or login failure, a conversion error) fails the same way
 * every time and is never retried: the host and the orchestrator report it instead.
 */

/**
 * SQL Server / Azure SQL / Synapse error numbers that are transient:
 * 40501 service busy, 40613 database unavailable, 49918/49919/49920 too many operations, 4060
 * cannot open database (during failover), 10928/10929 resource limits, 10053/10054/10060 transport
 * errors, 233 and 64 connection dropped, 1205 deadlock victim.
 */
export const TRANSIENT_SQL_ERROR_NUMBERS: ReadonlySet<number> = new Set([
  40501, 40613, 49918, 49919, 49920, 4060, 10928, 10929, 10053, 10054, 10060, 233, 64, 1205,
]);

/** Driver and socket codes (mssql / tedious / Node) that are transient. */
export const TRANSIENT_SQL_ERROR_CODES: ReadonlySet<string> = new Set([
  'ETIMEOUT',
  'ESOCKET',
  'ECONNRESET',
  'ECONNCLOSED',
  'ECONNREFUSED',
  'EPIPE',
]);

/** Numbers and codes found on an error and the errors it wraps (mssql nests tedious and Node errors). */
function facts(error: unknown, depth = 0): { numbers: number[]; codes: string[] } {
  const out = { numbers: [] as number[], codes: [] as string[] };
  if (depth > 5 || error === null || typeof error !== 'object') return out;
  const e = error as Record<string, unknown>;
  if (typeof e.number === 'number') out.numbers.push(e.number);
  const info = e.info as Record<string, unknown> | undefined;
  if (info && typeof info.number === 'number') out.numbers.push(info.number);
  if (typeof e.code === 'string') out.codes.push(e.code);
  const nested: unknown[] = [
    e.originalError,
    e.cause,
    ...(Array.isArray(e.errors) ? (e.errors as unknown[]) : []),
  ];
  for (const inner of nested) {
    const f = facts(inner, depth + 1);
    out.numbers.push(...f.numbers);
    out.codes.push(...f.codes);
  }
  return out;
}

/**
 * True when the error is transient (see the lists above). A SQL error number decides when there is
 * one: a request that failed with a non-transient number (2627 duplicate key, 547 constraint, 102
 * syntax, 18456 login failed, …) is permanent even if a transport code is also attached.
 */
export function isTransientSqlError(error: unknown): boolean {
  const { numbers, codes } = facts(error);
  if (numbers.length > 0) return numbers.some((n) => TRANSIENT_SQL_ERROR_NUMBERS.has(n));
  return codes.some((c) => TRANSIENT_SQL_ERROR_CODES.has(c));
}

/** Options of `withSqlRetry`. */
export interface SqlRetryOptions {
  /** Attempts in all, the first included (NHSFLOWS_SQL_RETRY_ATTEMPTS). */
  readonly attempts: number;
  /** First back-off; doubles per attempt up to `maxDelayMs`, then ±50 % jitter. */
  readonly baseDelayMs?: number;
  readonly maxDelayMs?: number;
  /** Injected for tests. */
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
  /** Told before each retry (for a log line: the attempt, the delay and the error's code, no SQL text). */
  readonly onRetry?: (attempt: number, delayMs: number, error: unknown) => void;
}

/** The wait before retry number `attempt` (1 = the first retry). */
export function sqlRetryDelayMs(
  attempt: number,
  options: Pick<SqlRetryOptions, 'baseDelayMs' | 'maxDelayMs' | 'random'> = {},
): number {
  const base = options.baseDelayMs ?? 1_000;
  const max = options.maxDelayMs ?? 30_000;
  const capped = Math.min(max, base * 2 ** (attempt - 1));
  return Math.round(capped * (0.5 + (options.random ?? Math.random)() / 2));
}

/**
 * Runs `unit` (one whole unit of work: a statement batch or a whole transaction, never a statement
 * inside an open transaction) and runs it again after a back-off while it fails transiently, up to
 * `attempts` times in all. A permanent error, or the last transient one, is thrown as it came.
 */
export async function withSqlRetry<T>(unit: () => Promise<T>, options: SqlRetryOptions): Promise<T> {
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await unit();
    } catch (error) {
      if (attempt >= options.attempts || !isTransientSqlError(error)) throw error;
      const delay = sqlRetryDelayMs(attempt, options);
      options.onRetry?.(attempt, delay, error);
      await sleep(delay);
    }
  }
}
