/**
 * Table of small operations control state: circuit breakers (partition `breaker`, one row per
 * dependency) and pending mass-delete releases (partition `mass-delete-release`, one row per table).
 */
export const OPERATIONS_TABLE = 'nhsflowsoperations';
export const BREAKER_PARTITION = 'breaker';
export const MASS_DELETE_RELEASE_PARTITION = 'mass-delete-release';
