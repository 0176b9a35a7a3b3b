/**
 * The HTTP core shared by every API: a Fastify instance with OpenStack's request ids,
 * keystone token authentication (keystonemiddleware's behaviour and 401 body), JSON
 * body parsing that reports malformed bodies in the service's own words, and one error
 * edge that renders OpenStackErrors in the service's wire format and anything else as
 * a logged 500.
 */
import type { IncomingMessage } from 'node:http';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { AuthenticationRequired, contextFromToken, type RequestContext, type TokenValidator } from './auth.js';
import type { Random } from './clock.js';
import { OpenStackError, isOpenStackError } from './errors.js';
import { parseJson } from './json-body.js';
import type { Logger } from './log.js';

/** A body over the size limit (webob's RequestEntityTooLarge). */
export class RequestEntityTooLarge extends OpenStackError {
  static override readonly wireType: string = 'RequestEntityTooLarge';
  override readonly status = 413;
}
/** A body in a media type the API does not parse. */
export class HTTPUnsupportedMediaType extends OpenStackError {
  static override readonly wireType: string = 'HTTPUnsupportedMediaType';
  override readonly status = 415;
}
/** What the error edge answers for anything that is not an OpenStackError (logged with its stack). */
export class HTTPInternalServerError extends OpenStackError {
  static override readonly wireType: string = 'HTTPInternalServerError';
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The authenticated caller; set for every route not declared public. */
    ctx: RequestContext;
    requestId: string;
  }
}

export interface ErrorRendering {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

export interface HttpAppOptions {
  /** Service name for logs ("neutron-server"...). */
  name: string;
  log: Logger;
  random: Random;
  /** Validates X-Auth-Token; absent means the app is entirely public. */
  validator?: TokenValidator;
  /** Routes reachable without a token (version discovery, POST /v3/auth/tokens). */
  isPublic?: (method: string, path: string) => boolean;
  /** Renders an OpenStack error in the service's wire format. */
  renderError(e: OpenStackError, req: FastifyRequest): ErrorRendering;
  /** The error a body that is not valid JSON becomes. */
  malformedBody(): OpenStackError;
  /** The error an unknown URL becomes. */
  notFound(req: FastifyRequest): OpenStackError;
  /** Keystone URL for WWW-Authenticate on 401. */
  authUri?: string;
  /** Largest accepted body (image uploads need more than the default). */
  bodyLimit?: number;
  /** Rewrites a URL before routing (neutron accepts a .json suffix on resources). */
  rewriteUrl?: (url: string) => string;
  /** Extra response headers carrying the request id (nova adds X-Compute-Request-Id). */
  extraRequestIdHeaders?: string[];
}

/** oslo.middleware's format for an inbound global request id. */
const GLOBAL_REQUEST_ID = /^req-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** One registered route: its method and URL pattern (Fastify's, `:param` placeholders). */
export interface RouteEntry {
  method: string;
  url: string;
}

const ROUTES = new WeakMap<FastifyInstance, RouteEntry[]>();

/** The routes an app made by createHttpApp registered, in registration order (HEAD twins included). */
export function registeredRoutes(app: FastifyInstance): readonly RouteEntry[] {
  return ROUTES.get(app) ?? [];
}

export function createHttpApp(opts: HttpAppOptions): FastifyInstance {
  const app: FastifyInstance = Fastify({
    logger: false,
    bodyLimit: opts.bodyLimit ?? 16 * 1024 * 1024,
    routerOptions: { caseSensitive: true, ignoreTrailingSlash: true, ignoreDuplicateSlashes: true, maxParamLength: 500 },
    // A URL the router cannot decode (a stray '%') gets the service's error, not Fastify's.
    frameworkErrors: (err, req, reply) => sendError(err, req, reply),
    keepAliveTimeout: 75_000,
    ...(opts.rewriteUrl ? { rewriteUrl: (req: IncomingMessage) => opts.rewriteUrl!(req.url ?? '/') } : {}),
  });
  const log = opts.log;

  // Every route, as registered: a test enumerates them to cover new routes automatically.
  const routes: RouteEntry[] = [];
  ROUTES.set(app, routes);
  app.addHook('onRoute', (r) => {
    for (const method of [r.method].flat()) routes.push({ method, url: r.url ?? r.path });
  });

  app.decorateRequest('ctx', null as unknown as RequestContext);
  app.decorateRequest('requestId', '');

  // JSON bodies: parsed here so a malformed one gets the service's own error. Read as
  // bytes: Fastify's string mode replaces invalid UTF-8 and then fails its own length
  // check, an error that would escape as a 500.
  app.removeContentTypeParser(['application/json', 'text/plain']);
  app.addContentTypeParser(/^application\/(.+\+)?json/, { parseAs: 'buffer' }, (_req, body, done) => {
    if ((body as Buffer).length === 0) return done(null, undefined);
    try {
      done(null, parseJson(body as Buffer));
    } catch {
      done(opts.malformedBody(), undefined);
    }
  });
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

  app.addHook('onRequest', async (req, reply) => {
    req.requestId = `req-${opts.random.uuid()}`;
    reply.header('x-openstack-request-id', req.requestId);
    for (const h of opts.extraRequestIdHeaders ?? []) reply.header(h, req.requestId);
    const path = req.url.split('?')[0]!;
    if (!opts.validator || opts.isPublic?.(req.method, path)) return;
    const token = req.headers['x-auth-token'];
    if (typeof token !== 'string' || token === '') throw new AuthenticationRequired();
    const info = await opts.validator.validate(token);
    req.ctx = contextFromToken(info, token, req.requestId);
  });

  app.addHook('onResponse', async (req, reply) => {
    // A caller's request id (nova's when it calls neutron) is logged as oslo's
    // global_request_id, so grepping one nova request id also finds the calls it made.
    const caller = req.headers['x-openstack-request-id'];
    const global = typeof caller === 'string' && GLOBAL_REQUEST_ID.test(caller) && caller !== req.requestId ? { global_req: caller } : {};
    log.info(
      { req: req.requestId, ...global, method: req.method, url: req.url, status: reply.statusCode, ms: Math.round(reply.elapsedTime) },
      `${req.method} ${req.url} ${reply.statusCode}`,
    );
  });

  app.setNotFoundHandler((req, reply) => sendError(opts.notFound(req), req, reply));
  app.setErrorHandler((err, req, reply) => sendError(err, req, reply));

  function sendError(err: unknown, req: FastifyRequest, reply: FastifyReply) {
    let e: OpenStackError;
    if (isOpenStackError(err)) {
      e = err;
    } else if ((err as { code?: string })?.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      e = new RequestEntityTooLarge('Request is too large.');
    } else if ((err as { code?: string })?.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
      e = new HTTPUnsupportedMediaType('Unsupported Content-Type');
    } else if ((err as { code?: string })?.code === 'FST_ERR_BAD_URL') {
      e = opts.notFound(req);
    } else if (isFastifyClientError(err)) {
      // Fastify's other refusals of what the client sent (body framing, empty JSON...) are
      // all a body the service could not read.
      e = opts.malformedBody();
    } else {
      log.error({ err, req: req.requestId, url: req.url }, 'unexpected error');
      e = new HTTPInternalServerError('Request Failed: internal server error while processing your request.');
    }
    if (e instanceof AuthenticationRequired) {
      if (opts.authUri) reply.header('www-authenticate', `Keystone uri="${opts.authUri}"`);
      return reply
        .code(401)
        .type('application/json')
        .send({ error: { code: 401, title: 'Unauthorized', message: e.message } });
    }
    const r = opts.renderError(e, req);
    for (const [k, v] of Object.entries(r.headers ?? {})) reply.header(k, v);
    return reply.code(r.status).send(r.body);
  }

  return app;
}

/** A 4xx Fastify raises itself while reading a request (FST_ERR_CTP_*...). */
function isFastifyClientError(err: unknown): boolean {
  const { code, statusCode } = (err ?? {}) as { code?: unknown; statusCode?: unknown };
  return typeof code === 'string' && code.startsWith('FST_ERR_') && typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500;
}

/** Starts listening; resolves to the bound port (useful with port 0 in tests). */
export async function listen(app: FastifyInstance, host: string, port: number): Promise<number> {
  await app.listen({ host, port });
  const addr = app.server.address();
  return typeof addr === 'object' && addr ? addr.port : port;
}
