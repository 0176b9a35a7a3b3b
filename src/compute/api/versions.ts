/** Version discovery: GET / (every version, 300 Multiple Choices... as nova) and GET /v2.1. */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ComputeApiDeps } from './app.js';
import { MAX_VERSION, MIN_VERSION } from './microversion.js';

function base(req: FastifyRequest): string {
  return `http://${req.headers.host}`;
}

function v21(req: FastifyRequest) {
  return {
    id: 'v2.1',
    status: 'CURRENT',
    version: MAX_VERSION,
    min_version: MIN_VERSION,
    updated: '2013-07-23T11:33:21Z',
    links: [
      { rel: 'self', href: `${base(req)}/v2.1/` },
      { rel: 'describedby', type: 'text/html', href: 'http://docs.openstack.org/' },
    ],
    'media-types': [{ base: 'application/json', type: 'application/vnd.openstack.compute+json;version=2.1' }],
  };
}

export function registerVersions(app: FastifyInstance, _d: ComputeApiDeps): void {
  app.get('/', async (req) => ({
    versions: [
      { id: 'v2.0', status: 'SUPPORTED', version: '', min_version: '', updated: '2011-01-21T11:33:21Z', links: [{ rel: 'self', href: `${base(req)}/v2/` }] },
      { id: 'v2.1', status: 'CURRENT', version: MAX_VERSION, min_version: MIN_VERSION, updated: '2013-07-23T11:33:21Z', links: [{ rel: 'self', href: `${base(req)}/v2.1/` }] },
    ],
  }));
  app.get('/v2.1', async (req) => ({ version: v21(req) }));
}
