/**
 * Glance's version document. GET / answers 300 Multiple Choices and GET /versions 200,
 * as glance's version negotiation does; hrefs use the request's own host (glance's
 * req.application_url when public_endpoint is unset). The list is the one Zed serves
 * with multiple stores enabled and no image cache (v2.15 current, no v2.14).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { sendJson } from './py-json.js';

const VERSIONS: [string, string][] = [
  ['2.15', 'CURRENT'],
  ...['2.13', '2.12', '2.11', '2.10', '2.9', '2.8', '2.7', '2.6', '2.5', '2.4', '2.3', '2.2', '2.1', '2.0'].map(
    (v): [string, string] => [v, 'SUPPORTED'],
  ),
];

/** The versions body for a request. */
export function versionsDocument(req: FastifyRequest): unknown {
  const href = `${req.protocol}://${req.headers.host ?? req.hostname}/v2/`;
  return { versions: VERSIONS.map(([id, status]) => ({ id: `v${id}`, status, links: [{ rel: 'self', href }] })) };
}

/** Paths answered without a token. */
export const isPublicPath = (_method: string, path: string): boolean => path === '/' || path === '/versions' || path === '/versions/';

/** Registers GET / and GET /versions. */
export function registerVersionRoutes(app: FastifyInstance): void {
  app.get('/', async (req, reply) => sendJson(reply, 300, versionsDocument(req)));
  app.get('/versions', async (req, reply) => sendJson(reply, 200, versionsDocument(req)));
}
