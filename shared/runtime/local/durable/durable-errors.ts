import { NhsFlowsError } from '../../../domain/errors.js';

/** An orchestration ended Failed (or Terminated); the message carries the orchestrator's failure text. */
export class OrchestrationFailedError extends NhsFlowsError {
  readonly code = 'ORCHESTRATION_FAILED';
  constructor(
    readonly instanceId: string,
    readonly runtimeStatus: 'Failed' | 'Terminated',
    message: string,
  ) {
    super(message);
  }
}

/** startNew with an instance id that is Pending/Running (the extension answers 409 Conflict). */
export class InstanceAlreadyExistsError extends NhsFlowsError {
  readonly code = 'ORCHESTRATION_ALREADY_EXISTS';
  constructor(
    readonly instanceId: string,
    status: string,
  ) {
    super(`An orchestration instance with ID '${instanceId}' already exists with status ${status}.`);
  }
}

/** An orchestration, activity or sub-orchestration name that no registration provides (400 on the API). */
export class UnknownFunctionError extends NhsFlowsError {
  readonly code = 'FUNCTION_NOT_REGISTERED';
  constructor(
    readonly functionName: string,
    kind: string,
  ) {
    super(`The function '${functionName}' doesn't exist, is disabled, or is not ${kind} function.`);
  }
}
