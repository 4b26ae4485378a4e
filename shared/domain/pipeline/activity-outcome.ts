import {
  ActivityFailedError,
  InputError,
  LandingFileRejectedError,
  NhsFlowsError,
  ReconciliationError,
} from '../errors.js';

/**
 * An activity's permanent failure, returned instead of thrown: durable retries are for transient
 * faults, and retrying a bad file or a count that does not reconcile only delays the poison queue.
 */
export interface PermanentFailure {
  readonly permanentFailure: string;
  readonly code: string;
}

/** True for failures that no retry can fix (bad input, a rejected file, counts that do not add up). */
export function isPermanent(error: unknown): error is NhsFlowsError {
  return (
    error instanceof InputError ||
    error instanceof LandingFileRejectedError ||
    error instanceof ReconciliationError
  );
}

export function isPermanentFailure(value: unknown): value is PermanentFailure {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as PermanentFailure).permanentFailure === 'string'
  );
}

/** Runs an activity body; a permanent failure comes back as a value, anything else is thrown. */
export async function permanentFailuresAsResults<T>(work: () => Promise<T>): Promise<T | PermanentFailure> {
  try {
    return await work();
  } catch (error) {
    if (isPermanent(error)) return { permanentFailure: error.message.slice(0, 1000), code: error.code };
    throw error;
  }
}

/** An activity's result, or the permanent failure it returned thrown as an {@link ActivityFailedError} (no more retries). */
export function settled<T>(result: unknown, activity: string): T {
  if (isPermanentFailure(result))
    throw new ActivityFailedError(activity, result.code, result.permanentFailure);
  return result as T;
}
