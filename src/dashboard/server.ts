/**
 * The dashboard's server: the static files Vite built (dist/dashboard/) and a pass-through
 * to keystone, nova and neutron under /api/{identity,compute,network}/..., so the
 * browser speaks the standard APIs with its own keystone token and needs no CORS (none
 * of the OpenStack APIs sends CORS headers, as real Zed without oslo.middleware's cors
 * filter). It holds no credentials and no state: what a user sees is what their token
 * may read (a member their project, an admin everything).
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import Fastify, { type FastifyInstance } from 'fastify';
import { type Config, optionNames } from '../common/config.js';
import { listen } from '../common/http.js';
import type { Logger } from '../common/log.js';

/** The APIs the browser reaches through the dashboard, by the path segment it uses. */
export interface DashboardUpstreams {
  /** Keystone's root (http://host:5000), without /v3. */
  identity: string;
  /** nova-api's root, without /v2.1 (the operator API /nimbus/v1 is there too). */
  compute: string;
  /** neutron-server's root, without /v2.0. */
  network: string;
}

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.json': 'application/json',
  '.map': 'application/json',
  '.ico': 'image/x-icon',
  '.png': 'image/png',
};

/** Request headers the APIs need (token, microversions, body type); nothing else is forwarded. */
const FORWARD_REQUEST = ['x-auth-token', 'content-type', 'accept', 'openstack-api-version', 'x-openstack-nova-api-version', 'x-openstack-request-id'];
/** Response headers the browser needs (keystone's token, the request id for a bug report). */
const FORWARD_RESPONSE = ['content-type', 'x-subject-token', 'x-openstack-request-id', 'x-compute-request-id', 'openstack-api-version'];

/**
 * Where the built front end is: dist/dashboard beside the bundle (dist/nimbus.mjs), or,
 * running the TypeScript sources, the repository's dist/dashboard. Undefined when
 * `npm run build` has not run.
 */
export function staticDir(): string | undefined {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const dir of [join(here, 'dashboard'), join(here, '..', '..', 'dist', 'dashboard')]) {
    if (existsSync(join(dir, 'index.html'))) return dir;
  }
  return undefined;
}

/** The dashboard app (not listening). `root` overrides where the built files are (tests; null: not built). */
export function createDashboardApp(upstreams: DashboardUpstreams, log: Logger, rootDir?: string | null): FastifyInstance {
  const root = rootDir === undefined ? staticDir() : (rootDir ?? undefined);
  const app = Fastify({ logger: false, bodyLimit: 1 << 20 });
  // Bodies pass through as bytes: the API behind parses them and reports its own errors.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

  app.all('/api/:service/*', async (req, reply) => {
    const { service } = req.params as { service: string };
    const base = Object.hasOwn(upstreams, service) ? upstreams[service as keyof DashboardUpstreams] : undefined;
    if (!base) return reply.code(404).send({ error: `no API ${service}; use identity, compute or network` });
    const path = req.url.slice(`/api/${service}`.length);
    const headers: Record<string, string> = {};
    for (const h of FORWARD_REQUEST) {
      const v = req.headers[h];
      if (typeof v === 'string') headers[h] = v;
    }
    let res: Response;
    try {
      res = await fetch(base + path, {
        method: req.method,
        headers,
        ...(req.body instanceof Buffer && req.method !== 'GET' && req.method !== 'HEAD' ? { body: req.body } : {}),
      });
    } catch (e) {
      log.warn({ err: e, service }, 'dashboard: API unreachable');
      return reply.code(502).send({ error: `${service} is unreachable: ${(e as Error).message}` });
    }
    reply.code(res.status);
    for (const h of FORWARD_RESPONSE) {
      const v = res.headers.get(h);
      if (v !== null) reply.header(h, v);
    }
    return reply.send(Buffer.from(await res.arrayBuffer()));
  });

  app.get('/*', async (req, reply) => {
    if (!root) {
      return reply.code(503).type('text/plain').send('The dashboard is not built: run `npm run build` (it writes dist/dashboard/).');
    }
    let urlPath: string;
    try {
      urlPath = decodeURIComponent(req.url.split('?')[0]!);
    } catch {
      return reply.code(400).type('text/plain').send('Malformed URL.');
    }
    const file = normalize(join(root, urlPath));
    // A path outside the built files (../) or not a file is the single page's index.
    const inside = file.startsWith(root + sep);
    const target = inside && existsSync(file) && statSync(file).isFile() ? file : join(root, 'index.html');
    reply.type(MIME[extname(target)] ?? 'application/octet-stream');
    // Vite puts a content hash in asset names, so they may be cached; the index may not.
    reply.header('cache-control', target.includes(`${sep}assets${sep}`) ? 'public, max-age=31536000, immutable' : 'no-cache');
    return reply.send(readFileSync(target));
  });
  return app;
}

/**
 * Serves the dashboard on [dashboard] host/port unless [dashboard] enabled is false.
 * Resolves with its URL, or undefined when disabled or the port cannot be listened on:
 * that is logged as a warning naming the option, and the cloud runs on (the dashboard is
 * an operator's convenience, and a second cloud on one machine must still start).
 * The caller closes the returned app.
 */
export async function startDashboard(cfg: Config, upstreams: DashboardUpstreams, log: Logger): Promise<{ url: string; app: FastifyInstance } | undefined> {
  if (!cfg.dashboard.enabled) return undefined;
  const host = cfg.dashboard.host || cfg.DEFAULT.bind_host;
  const app = createDashboardApp(upstreams, log);
  let port: number;
  try {
    port = await listen(app, host, cfg.dashboard.port);
  } catch (e) {
    await app.close();
    const o = optionNames('dashboard', 'port');
    log.warn(`dashboard not served: port ${cfg.dashboard.port} cannot be listened on at ${host} (${(e as Error).message}); choose another with ${o.flag}, ${o.env} or ${o.ini}`);
    return undefined;
  }
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  log.info({ url }, `dashboard at ${url}`);
  return { url, app };
}
