/**
 * Version discovery (nova/api/openstack/compute/versions.py, versionsV21.py,
 * views/versions.py): GET / lists v2.0 (SUPPORTED, the legacy v2 compatible API) and
 * v2.1 (CURRENT) with a self link each — 200, not 300: nova answers "multiple choices"
 * only for other paths under its root app; GET /v2.1 and GET /v2 describe one version
 * with its describedby link and media types. None of these need a token.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ComputeApiDeps } from './app.js';
import { hostUrl } from './links.js';
import { MAX_VERSION, MIN_VERSION } from './microversion.js';
import { sendNova } from './wire.js';

const DESCRIBED_BY = { rel: 'describedby', type: 'text/html', href: 'http://docs.openstack.org/' };

/** versions.VERSIONS, with the self link nova's view builder adds in front. */
function versionDoc(req: FastifyRequest, id: 'v2.0' | 'v2.1') {
  const v21 = id === 'v2.1';
  return {
    id,
    status: v21 ? 'CURRENT' : 'SUPPORTED',
    version: v21 ? MAX_VERSION : '',
    min_version: v21 ? MIN_VERSION : '',
    updated: v21 ? '2013-07-23T11:33:21Z' : '2011-01-21T11:33:21Z',
    links: [{ rel: 'self', href: `${hostUrl(req)}/${v21 ? 'v2.1' : 'v2'}/` }, DESCRIBED_BY],
    'media-types': [{ base: 'application/json', type: `application/vnd.openstack.compute+json;version=${v21 ? '2.1' : '2'}` }],
  };
}

/** Routes GET /, /v2.1 and /v2 (public). */
export function registerVersions(app: FastifyInstance, _d: ComputeApiDeps): void {
  app.get('/', async (req, reply) => {
    const brief = (id: 'v2.0' | 'v2.1') => {
      const { links, 'media-types': _m, ...rest } = versionDoc(req, id);
      return { ...rest, links: [links[0]] };
    };
    return sendNova(reply, 200, { versions: [brief('v2.0'), brief('v2.1')] });
  });
  app.get('/v2.1', async (req, reply) => sendNova(reply, 200, { version: versionDoc(req, 'v2.1') }));
  app.get('/v2', async (req, reply) => sendNova(reply, 200, { version: versionDoc(req, 'v2.0') }));
}
