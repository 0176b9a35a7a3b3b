/**
 * Keystone's exceptions with keystone's own message text (keystone/exception.py);
 * api/app.ts renders them as {"error": {"code", "message", "title"}}.
 */
import { BadRequest, Conflict, NotAuthorized, NotFound } from '../common/errors.js';

const VALIDATION_TAIL =
  ' The server could not comply with the request since it is either malformed or otherwise incorrect. The client is assumed to be in error.';

/** keystone ValidationError with attribute/target ("Expecting to find X in Y."). */
export class ValidationError extends BadRequest {
  static override readonly wireType: string = 'ValidationError';
  constructor(attribute: string, target: string) {
    super(`Expecting to find ${attribute} in ${target}.${VALIDATION_TAIL}`);
  }
}

/** keystone's JSON-schema failures ("Invalid input for field 'x': ..."), also a ValidationError on the wire. */
export class SchemaValidationError extends BadRequest {
  static override readonly wireType: string = 'SchemaValidationError';
  constructor(detail: string) {
    super(detail);
  }
}

/** A policy check failed (identity:<action>). */
export class ForbiddenAction extends NotAuthorized {
  static override readonly wireType: string = 'ForbiddenAction';
  constructor(action: string) {
    super(`You are not authorized to perform the requested action: ${action}.`);
  }
}

/** keystone's plain Forbidden with a specific reason. */
export class Forbidden extends NotAuthorized {
  static override readonly wireType: string = 'Forbidden';
}

export class ProjectNotFound extends NotFound {
  static override readonly wireType: string = 'ProjectNotFound';
  constructor(projectId: string) {
    super(`Could not find project: ${projectId}.`);
  }
}
export class UserNotFound extends NotFound {
  static override readonly wireType: string = 'UserNotFound';
  constructor(userId: string) {
    super(`Could not find user: ${userId}.`);
  }
}
export class RoleNotFound extends NotFound {
  static override readonly wireType: string = 'RoleNotFound';
  constructor(roleId: string) {
    super(`Could not find role: ${roleId}.`);
  }
}
export class DomainNotFound extends NotFound {
  static override readonly wireType: string = 'DomainNotFound';
  constructor(domainId: string) {
    super(`Could not find domain: ${domainId}.`);
  }
}
export class ServiceNotFound extends NotFound {
  static override readonly wireType: string = 'ServiceNotFound';
  constructor(serviceId: string) {
    super(`Could not find service: ${serviceId}.`);
  }
}
export class EndpointNotFound extends NotFound {
  static override readonly wireType: string = 'EndpointNotFound';
  constructor(endpointId: string) {
    super(`Could not find endpoint: ${endpointId}.`);
  }
}
export class RegionNotFound extends NotFound {
  static override readonly wireType: string = 'RegionNotFound';
  constructor(regionId: string) {
    super(`Could not find region: ${regionId}.`);
  }
}

/** A subject token that is malformed, badly signed, expired or revoked (GET/HEAD/DELETE /v3/auth/tokens). */
export class TokenNotFound extends NotFound {
  static override readonly wireType: string = 'TokenNotFound';
  /** keystone: "Could not find token: <id>." for an unreadable token, "Failed to validate token" otherwise. */
  constructor(message: string) {
    super(message);
  }
  static forId(tokenId: string): TokenNotFound {
    return new TokenNotFound(`Could not find token: ${tokenId}.`);
  }
}

export class RoleAssignmentNotFound extends NotFound {
  static override readonly wireType: string = 'RoleAssignmentNotFound';
  constructor(roleId: string, actorId: string, targetId: string) {
    super(
      `Could not find role assignment with role: ${roleId}, user or group: ${actorId}, project, domain, or system: ${targetId}.`,
    );
  }
}

/** "Conflict occurred attempting to store <type> - <details>." */
export class KeystoneConflict extends Conflict {
  static override readonly wireType: string = 'KeystoneConflict';
  constructor(type: string, details: string) {
    super(`Conflict occurred attempting to store ${type} - ${details}.`);
  }
}

/** The answer to any URL keystone does not route. */
export class ResourceNotFound extends NotFound {
  static override readonly wireType: string = 'ResourceNotFound';
  constructor() {
    super('The resource could not be found.');
  }
}

/** A request body that is not JSON. */
export class MalformedBody extends ValidationError {
  static override readonly wireType: string = 'MalformedBody';
  constructor() {
    super('valid JSON', 'request body');
  }
}
