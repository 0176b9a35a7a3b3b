/** neutron's error body: {"NeutronError": {"type", "message", "detail"}}. */
import type { ErrorRendering } from '../../common/http.js';
import type { OpenStackError } from '../../common/errors.js';

export function renderNeutronError(e: OpenStackError): ErrorRendering {
  return { status: e.status, body: { NeutronError: { type: e.type, message: e.message, detail: e.detail } } };
}
