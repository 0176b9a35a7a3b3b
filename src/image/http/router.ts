/**
 * The glance-api HTTP application: the shared core (tokens, request ids) with glance's
 * webob error rendering, and every route.
 */
import type { FastifyInstance } from 'fastify';
import type { TokenValidator } from '../../common/auth.js';
import type { Random } from '../../common/clock.js';
import { httpBadRequest, httpNotFound } from '../../common/errors.js';
import { createHttpApp } from '../../common/http.js';
import type { Logger } from '../../common/log.js';
import type { ImageAPI } from '../api.js';
import { MethodNotAllowed } from '../errors.js';
import type { ImageMemberAPI } from '../members.js';
import type { MetadefAPI } from '../metadefs.js';
import { registerDiscoveryRoutes } from './discovery.js';
import { renderWebobError } from './faults.js';
import { registerImageDataRoutes } from './image-data.js';
import { registerImageMemberRoutes } from './image-members.js';
import { registerImageTagRoutes } from './image-tags.js';
import { registerImageRoutes } from './images.js';
import { registerMetadefRoutes } from './metadefs.js';
import { registerSchemaRoutes } from './schemas.js';
import { isPublicPath, registerVersionRoutes } from './versions.js';

export interface ImageAppOptions {
  api: ImageAPI;
  members: ImageMemberAPI;
  /** The metadefs catalog; absent: /v2/metadefs (but the schemas) answers 404. */
  metadefs?: MetadefAPI;
  log: Logger;
  random: Random;
  validator: TokenValidator;
  /** The file store's directory, reported to admins by /v2/info/stores/detail. */
  storeDir: string;
  /** Keystone's URL for WWW-Authenticate on 401, if known. */
  authUri?: string;
}

/**
 * The served URLs with the methods glance's router allows on each, for its 405 (the
 * `allowed_methods` of each reject route). URLs glance has but Nimbus does not serve
 * (import, stage, tasks, cache) stay 404.
 */
const ALLOWED_METHODS: [RegExp, string][] = [
  [/^\/v2\/images$/, 'GET, POST'],
  [/^\/v2\/images\/[^/]+$/, 'GET, PATCH, DELETE'],
  [/^\/v2\/images\/[^/]+\/file$/, 'GET, PUT'],
  [/^\/v2\/images\/[^/]+\/actions\/(deactivate|reactivate)$/, 'POST'],
  [/^\/v2\/images\/[^/]+\/tags\/[^/]+$/, 'PUT, DELETE'],
  [/^\/v2\/images\/[^/]+\/members$/, 'GET, POST'],
  [/^\/v2\/images\/[^/]+\/members\/[^/]+$/, 'GET, PUT, DELETE'],
  [/^\/v2\/schemas\/(image|images|member|members)$/, 'GET'],
  [/^\/v2\/schemas\/metadefs\/(namespaces?|resource_types?|objects?|property|properties|tags?)$/, 'GET'],
  [/^\/v2\/info\/(import|stores|stores\/detail)$/, 'GET'],
  [/^\/v2\/metadefs\/resource_types$/, 'GET'],
  [/^\/v2\/metadefs\/namespaces$/, 'GET, POST'],
  [/^\/v2\/metadefs\/namespaces\/[^/]+$/, 'GET, PUT, DELETE'],
  [/^\/v2\/metadefs\/namespaces\/[^/]+\/resource_types$/, 'GET, POST'],
  [/^\/v2\/metadefs\/namespaces\/[^/]+\/resource_types\/[^/]+$/, 'DELETE'],
  [/^\/v2\/metadefs\/namespaces\/[^/]+\/(properties|objects|tags)$/, 'GET, POST, DELETE'],
  [/^\/v2\/metadefs\/namespaces\/[^/]+\/(properties|objects)\/[^/]+$/, 'GET, PUT, DELETE'],
  [/^\/v2\/metadefs\/namespaces\/[^/]+\/tags\/[^/]+$/, 'GET, POST, PUT, DELETE'],
];

/** The Allow header for a served path, or undefined when glance would not know the URL. */
export function allowedMethods(path: string): string | undefined {
  return ALLOWED_METHODS.find(([re]) => re.test(path))?.[1];
}

/** Builds the Fastify app serving glance's v2 API; the caller listens. */
export function createImageApp(opts: ImageAppOptions): FastifyInstance {
  const app = createHttpApp({
    name: 'glance-api',
    log: opts.log,
    random: opts.random,
    validator: opts.validator,
    isPublic: isPublicPath,
    renderError: renderWebobError,
    malformedBody: () => httpBadRequest('Malformed JSON in request body.'),
    notFound: (req) => {
      const allow = allowedMethods(req.url.split('?')[0]!);
      return allow ? new MethodNotAllowed(req.method, allow) : httpNotFound('The resource could not be found.');
    },
    ...(opts.authUri ? { authUri: opts.authUri } : {}),
  });
  // The shared core ignores trailing slashes; glance's routes mapper does not, so
  // /v2/images/ is an unknown URL (after authentication, as keystonemiddleware runs first).
  app.addHook('onRequest', async (req) => {
    const path = req.url.split('?')[0]!;
    if (path.length > 1 && path.endsWith('/') && !isPublicPath(req.method, path)) throw httpNotFound('The resource could not be found.');
  });
  registerVersionRoutes(app);
  registerSchemaRoutes(app);
  registerImageRoutes(app, opts.api);
  registerImageDataRoutes(app, opts.api);
  registerImageTagRoutes(app, opts.api);
  registerImageMemberRoutes(app, opts.members);
  registerDiscoveryRoutes(app, opts.storeDir);
  if (opts.metadefs) registerMetadefRoutes(app, opts.metadefs);
  return app;
}
