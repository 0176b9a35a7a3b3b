/**
 * The error hierarchy every service shares.
 *
 * A leaf class is one OpenStack exception: its `type` is the exception's class name as
 * the real service reports it (NeutronError.type, the name a client prints) and its
 * message is OpenStack's own text. The HTTP status is carried by the class so each API
 * edge can render it in its own wire format (see each service's `api/faults.ts`).
 */
export class OpenStackError extends Error {
  /** HTTP status the API edge answers with. */
  readonly status: number = 500;
  /** OpenStack's exception name (neutron's NeutronError.type). */
  get type(): string {
    return this.constructor.name;
  }
  /** Neutron's NeutronError.detail; empty for nearly every error. */
  detail = '';

  constructor(message: string) {
    super(message);
    this.name = this.constructor.name;
  }
}

export class BadRequest extends OpenStackError {
  override readonly status: number = 400;
}
export class NotAuthorized extends OpenStackError {
  override readonly status: number = 403;
}
export class Unauthorized extends OpenStackError {
  override readonly status: number = 401;
}
export class NotFound extends OpenStackError {
  override readonly status: number = 404;
}
export class Conflict extends OpenStackError {
  override readonly status: number = 409;
}
export class ServiceUnavailable extends OpenStackError {
  override readonly status: number = 503;
}

/** An error whose `type` is given at construction, for the generic webob ones (HTTPBadRequest...). */
export class NamedError extends OpenStackError {
  override readonly status: number;
  readonly #type: string;
  constructor(status: number, type: string, message: string) {
    super(message);
    this.status = status;
    this.#type = type;
  }
  override get type(): string {
    return this.#type;
  }
}

export const httpBadRequest = (message: string) => new NamedError(400, 'HTTPBadRequest', message);
export const httpNotFound = (message: string) => new NamedError(404, 'HTTPNotFound', message);
export const httpForbidden = (message: string) => new NamedError(403, 'HTTPForbidden', message);
export const httpMethodNotAllowed = (message: string) => new NamedError(405, 'HTTPMethodNotAllowed', message);

export function isOpenStackError(e: unknown): e is OpenStackError {
  return e instanceof OpenStackError;
}
