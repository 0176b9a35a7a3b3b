/**
 * nova's common.ViewBuilder link helpers and paging parameters
 * (nova/api/openstack/common.py): self links under /v2.1, bookmark links without the
 * version, a project id in the path when the request had one, and the "next" link a
 * full page gets, whose query is the request's own (sorted, last value per key) with
 * marker set to the page's last id.
 */
import type { FastifyRequest } from 'fastify';
import { HttpFault } from './faults.js';
import { validateInteger } from './validation.js';

/** CONF.api.max_limit. */
export const MAX_LIMIT = 1000;

/** scheme://host of the request (webob's host_url). */
export function hostUrl(req: FastifyRequest): string {
  return `${req.protocol}://${req.headers.host ?? 'localhost'}`;
}

/** The project id segment nova puts in links when the request URL carried it. */
function projectSegment(req: FastifyRequest): string {
  const pid = req.ctx?.projectId;
  const original = (req as { originalUrl?: string }).originalUrl ?? req.raw.url ?? '';
  return pid && original.includes(pid) ? `/${pid}` : '';
}

/** url_join as nova uses it: segments joined by '/', empties dropped. */
function join(...parts: string[]): string {
  return parts
    .map((p, i) => (i === 0 ? p.replace(/\/+$/, '') : p.replace(/^\/+|\/+$/g, '')))
    .filter((p) => p !== '')
    .join('/');
}

/** [{rel: self, href: .../v2.1/<collection>/<id>}, {rel: bookmark, href: .../<collection>/<id>}]. */
export function resourceLinks(req: FastifyRequest, collection: string, id: string | number) {
  const pid = projectSegment(req);
  return [
    { rel: 'self', href: join(hostUrl(req), 'v2.1', pid, collection, String(id)) },
    { rel: 'bookmark', href: join(hostUrl(req), pid, collection, String(id)) },
  ];
}

/** Python's urllib.parse.quote_plus. */
export function quotePlus(s: string): string {
  return encodeURIComponent(s)
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%20/g, '+');
}

/**
 * nova's _get_collection_links: a "next" link when the page is full — `limit` given
 * (capped at max_limit) or not, equal to the number of items shown. `query` is the
 * request's query as validation left it (unknown parameters stripped).
 */
export function collectionLinks(req: FastifyRequest, query: Record<string, string[]>, count: number, lastId: string | number | undefined, collection: string): { rel: string; href: string }[] {
  const rawLimit = lastOf(query, 'limit');
  const maxItems = Math.min(rawLimit === undefined ? MAX_LIMIT : Number.parseInt(rawLimit, 10), MAX_LIMIT);
  if (!maxItems || maxItems !== count || lastId === undefined) return [];
  const params = new Map<string, string>();
  for (const k of Object.keys(query).sort()) params.set(k, lastOf(query, k) ?? '');
  params.set('marker', String(lastId));
  const qs = [...params].map(([k, v]) => `${quotePlus(k)}=${quotePlus(v)}`).join('&');
  return [{ rel: 'next', href: `${join(hostUrl(req), 'v2.1', projectSegment(req), collection)}?${qs}` }];
}

function lastOf(q: Record<string, string[]>, k: string): string | undefined {
  const v = q[k];
  return v && v.length ? v[v.length - 1] : undefined;
}

/**
 * common.get_limit_and_marker: limit (capped at max_limit) and marker from the query;
 * a limit that is not an integer >= 0 is a 400 in oslo's words.
 */
export function limitAndMarker(query: Record<string, string[]>): { limit: number; marker: string | undefined; limitGiven: boolean } {
  let limit = MAX_LIMIT;
  const raw = lastOf(query, 'limit');
  if (raw !== undefined) {
    try {
      limit = Math.min(MAX_LIMIT, validateInteger(raw, 'limit', 0));
    } catch (e) {
      throw new HttpFault(400, `Invalid input received: ${(e as Error).message}`);
    }
  }
  return { limit, marker: lastOf(query, 'marker'), limitGiven: raw !== undefined };
}
