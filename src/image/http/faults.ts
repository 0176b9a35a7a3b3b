/**
 * Glance's error edge. Glance raises webob.exc exceptions, which answer in the format the
 * Accept header prefers among text/html and application/json (text/plain when neither
 * matches or no Accept is sent), with webob's templates: a JSON body is
 * {"message", "code": "404 Not Found", "title"}. Clients print `message`.
 */
import type { FastifyRequest } from 'fastify';
import type { ErrorRendering } from '../../common/http.js';
import type { OpenStackError } from '../../common/errors.js';
import { MethodNotAllowed, UnsupportedMediaType } from '../errors.js';
import { pyJson } from './py-json.js';

/** webob's status titles and the explanation it uses when glance passes its text as detail. */
const STATUS: Record<number, { title: string; explanation: string }> = {
  400: { title: 'Bad Request', explanation: 'The server could not comply with the request since it is either malformed or otherwise incorrect.' },
  401: { title: 'Unauthorized', explanation: 'This server could not verify that you are authorized to access the document you requested. Either you supplied the wrong credentials (e.g., bad password), or your browser does not understand how to supply the credentials required.' },
  403: { title: 'Forbidden', explanation: 'Access was denied to this resource.' },
  404: { title: 'Not Found', explanation: 'The resource could not be found.' },
  405: { title: 'Method Not Allowed', explanation: '' },
  409: { title: 'Conflict', explanation: 'There was a conflict when trying to complete your request.' },
  410: { title: 'Gone', explanation: 'This resource is no longer available. No forwarding address is given.' },
  413: { title: 'Request Entity Too Large', explanation: 'The body of your request was too large for this server.' },
  415: { title: 'Unsupported Media Type', explanation: '' },
  500: { title: 'Internal Server Error', explanation: 'The server has either erred or is incapable of performing the requested operation.' },
  503: { title: 'Service Unavailable', explanation: 'The server is currently unavailable. Please try again at a later time.' },
};

const htmlEscape = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#x27;');

/** webob's body template filled in (`escape` is identity for JSON and text). */
function templateBody(e: OpenStackError, escape: (s: string) => string): string {
  if (e instanceof UnsupportedMediaType) return `${escape(e.message)}\n<br /><br />\n`;
  if (e.status === 405) return `${escape(e.message)} <br /><br />\n`;
  const info = STATUS[e.status];
  const explanation = e.detail ? (info?.explanation ?? '') : e.message;
  return `${escape(explanation)}<br /><br />\n${escape(e.detail)}\n\n`;
}

/** webob's strip_tags: newlines become spaces, <br> a newline, other tags vanish. */
const stripTags = (s: string) =>
  s.replace(/\n/g, ' ').replace(/\r/g, '').replace(/<br.*?>/g, '\n').replace(/<!--.*?-->/g, '').replace(/<.*?>/g, '');

type Offer = 'text/html' | 'application/json';

/** webob's acceptable_offers over [text/html, application/json]: best q, ties to the first offer. */
export function negotiate(accept: string | undefined): Offer | undefined {
  if (!accept) return undefined;
  const ranges = accept.split(',').map((part) => {
    const [type = '', ...params] = part.trim().split(';');
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    return { type: type.trim().toLowerCase(), q: q ? Number(q.slice(2)) : 1 };
  });
  let best: { offer: Offer; q: number } | undefined;
  for (const offer of ['text/html', 'application/json'] as const) {
    const [major] = offer.split('/');
    let q = -1;
    let specificity = -1;
    for (const r of ranges) {
      const s = r.type === offer ? 2 : r.type === `${major}/*` ? 1 : r.type === '*/*' ? 0 : -1;
      if (s > specificity) {
        specificity = s;
        q = r.q;
      }
    }
    if (q > 0 && (!best || q > best.q)) best = { offer, q };
  }
  return best?.offer;
}

/** Renders an error as webob would for this request's Accept header. */
export function renderWebobError(e: OpenStackError, req: FastifyRequest): ErrorRendering {
  const title = STATUS[e.status]?.title ?? 'Error';
  const status = `${e.status} ${title}`;
  const headers: Record<string, string> = {};
  if (e instanceof UnsupportedMediaType && e.acceptPatch) headers['accept-patch'] = e.acceptPatch;
  if (e instanceof MethodNotAllowed) headers['allow'] = e.allow;
  switch (negotiate(req.headers.accept)) {
    case 'application/json':
      headers['content-type'] = 'application/json';
      return { status: e.status, headers, body: Buffer.from(pyJson({ message: templateBody(e, (s) => s), code: status, title })) };
    case 'text/html':
      headers['content-type'] = 'text/html; charset=UTF-8';
      return {
        status: e.status,
        headers,
        body: `<html>\n <head>\n  <title>${status}</title>\n </head>\n <body>\n  <h1>${status}</h1>\n  ${templateBody(e, htmlEscape)}\n </body>\n</html>`,
      };
    default:
      headers['content-type'] = 'text/plain; charset=UTF-8';
      return { status: e.status, headers, body: `${status}\n\n${stripTags(templateBody(e, (s) => s))}` };
  }
}
