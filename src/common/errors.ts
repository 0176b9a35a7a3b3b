/**
 * The error hierarchy every service shares.
 *
 * A leaf class is one OpenStack exception: its `type` is the exception's class name as
 * the real service reports it (NeutronError.type, the name a client prints) and its
 * message is OpenStack's own text. The HTTP status is carried by the class so each API
 * edge can render it in its own wire format (see each service's `api/faults.ts`).
 *
 * The name is declared (`static readonly wireType`), never read from
 * `constructor.name`: the bundler renames classes whose names collide across modules
 * (neutron's and nova's PortNotFound), and the shipped bundle answered "PortNotFound2".
 * test/unit/error-wire-types.test.ts checks every exported class declares its own.
 */
export abstract class OpenStackError extends Error {
  /**
   * OpenStack's exception name for this class. Every concrete subclass declares its own
   * (an inherited one would be its parent's name); the base's is what Python would say
   * of an exception nobody named.
   */
  static readonly wireType: string = 'Exception';
  /** HTTP status the API edge answers with. */
  readonly status: number = 500;
  /** OpenStack's exception name (neutron's NeutronError.type): the class's declared wireType. */
  get type(): string {
    return (this.constructor as typeof OpenStackError).wireType;
  }
  /** Neutron's NeutronError.detail; empty for nearly every error. */
  detail = '';

  constructor(message: string) {
    super(message);
    // Stack traces and logs print `name`; a renamed constructor must not leak there either.
    this.name = new.target.wireType;
  }
}

export class BadRequest extends OpenStackError {
  static override readonly wireType: string = 'BadRequest';
  override readonly status: number = 400;
}
export class NotAuthorized extends OpenStackError {
  static override readonly wireType: string = 'NotAuthorized';
  override readonly status: number = 403;
}
export class Unauthorized extends OpenStackError {
  static override readonly wireType: string = 'Unauthorized';
  override readonly status: number = 401;
}
export class NotFound extends OpenStackError {
  static override readonly wireType: string = 'NotFound';
  override readonly status: number = 404;
}
export class Conflict extends OpenStackError {
  static override readonly wireType: string = 'Conflict';
  override readonly status: number = 409;
}
export class ServiceUnavailable extends OpenStackError {
  static override readonly wireType: string = 'ServiceUnavailable';
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
    this.name = type;
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
