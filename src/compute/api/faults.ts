/** nova's fault body (wsgi.Fault): {"<faultName>": {"code": N, "message": "..."}}. */
import type { FastifyRequest } from 'fastify';
import { type ErrorRendering, HTTPInternalServerError } from '../../common/http.js';
import type { OpenStackError } from '../../common/errors.js';
import { NovaException } from '../errors.js';

const FAULT_NAMES: Record<number, string> = {
  400: 'badRequest',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'itemNotFound',
  405: 'badMethod',
  409: 'conflictingRequest',
  413: 'overLimit',
  415: 'badMediaType',
  429: 'overLimit',
  501: 'notImplemented',
  503: 'serviceUnavailable',
};

export function faultName(status: number): string {
  return FAULT_NAMES[status] ?? 'computeFault';
}

/** What nova says for an exception it did not expect (wsgi's FaultWrapper). */
export function unexpectedMessage(e: { type: string }): string {
  return (
    'Unexpected API Error. Please report this at http://bugs.launchpad.net/nova/ and attach the Nova API log if possible.\n' +
    `<class '${e.type}'>`
  );
}

export function renderNovaError(e: OpenStackError, _req: FastifyRequest): ErrorRendering {
  let status = e.status;
  let message = e.message;
  // Non-nova 500s are the API's "Unexpected API Error".
  if (status >= 500 && status !== 503 && !(e instanceof NovaException)) message = unexpectedMessage(e);
  if (e instanceof HTTPInternalServerError) message = unexpectedMessage({ type: 'Exception' });
  if (status < 400) status = 500;
  return { status, body: { [faultName(status)]: { code: status, message } } };
}

/** webob's class for each status a controller raises (its `type` in logs and action events). */
const WEBOB_NAMES: Record<number, string> = {
  400: 'HTTPBadRequest',
  403: 'HTTPForbidden',
  404: 'HTTPNotFound',
  409: 'HTTPConflict',
  413: 'HTTPRequestEntityTooLarge',
  500: 'HTTPInternalServerError',
};

/** A webob HTTP error with the text a controller chose (raise exc.HTTPBadRequest(explanation=...)). */
export class HttpFault extends NovaException {
  override readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
    this.name = this.type;
  }
  /** Declared per status, as webob has one class per status. */
  override get type(): string {
    return WEBOB_NAMES[this.status] ?? 'HTTPException';
  }
}

export const badRequest = (msg: string) => new HttpFault(400, msg);
export const notFound = (msg: string) => new HttpFault(404, msg);
export const conflict = (msg: string) => new HttpFault(409, msg);
export const forbidden = (msg: string) => new HttpFault(403, msg);

/** Re-raises a nova exception as the HTTP status the controller gives it. */
export function as(status: number, e: OpenStackError): HttpFault {
  return new HttpFault(status, e.message);
}
