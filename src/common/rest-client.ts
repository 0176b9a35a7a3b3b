/**
 * How one service calls another's REST API (nova → neutron, neutron → nova): JSON over
 * HTTP with keep-alive, the caller's token, and the callee's status, body and request
 * id handed back unchanged so the caller can map errors the way OpenStack does.
 *
 * ServiceSession is keystoneauth's password plugin for a service user ([neutron] in
 * nova.conf, [nova] in neutron.conf): one project-scoped token, refreshed before it
 * expires, and the endpoint of a service type read from its catalog.
 */
import { Agent, request } from 'undici';

export interface RestResponse<T = any> {
  status: number;
  body: T;
  requestId: string | undefined;
}

export interface RestRequest {
  token?: string;
  /** X-Service-Token: the service's own token alongside the user's, as nova sends it. */
  serviceToken?: string;
  body?: unknown;
  headers?: Record<string, string>;
  /** A body sent as is with its own content type (glance's JSON patch, image data), instead of `body` as JSON. */
  raw?: { contentType: string; data: string };
}

/** Requests in flight to one origin at most, as a pool of that many connections allows. */
const CONNECTIONS = 64;
const dispatcher = new Agent({ keepAliveTimeout: 60_000, connections: CONNECTIONS, pipelining: 1 });

/** An API served by this very process, answering without a socket (Fastify's inject). */
export interface LocalApi {
  inject(req: { method: string; url: string; headers: Record<string, string>; payload?: string }): Promise<{ statusCode: number; payload: string; headers: Record<string, unknown> }>;
}

/** A local API with the same limit on requests in flight as a connection pool has. */
class LocalTarget {
  #busy = 0;
  readonly #waiting: (() => void)[] = [];

  constructor(readonly api: LocalApi) {}

  async inject(req: Parameters<LocalApi['inject']>[0]): ReturnType<LocalApi['inject']> {
    if (this.#busy >= CONNECTIONS) await new Promise<void>((r) => this.#waiting.push(r));
    else this.#busy++;
    try {
      return await this.api.inject(req);
    } finally {
      const next = this.#waiting.shift();
      if (next) next();
      else this.#busy--;
    }
  }
}

const local = new Map<string, LocalTarget>();

/**
 * Requests to `origin` (scheme://host:port, as in the catalog) go straight to `api`
 * while it is registered: the same REST request and answer, without the loopback
 * socket, whose system calls cost more than most handlers here. Returns the undo.
 */
export function serveLocally(origin: string, api: LocalApi): () => void {
  const target = new LocalTarget(api);
  local.set(origin, target);
  return () => {
    if (local.get(origin) === target) local.delete(origin);
  };
}

function localApiOf(url: string): { api: LocalTarget; path: string } | null {
  for (const [origin, api] of local) {
    if (url.startsWith(origin) && (url.length === origin.length || url[origin.length] === '/')) return { api, path: url.slice(origin.length) || '/' };
  }
  return null;
}

/** Sends one JSON request; never throws for an HTTP status, only for a transport failure. */
export async function restCall<T = any>(method: string, url: string, req: RestRequest = {}): Promise<RestResponse<T>> {
  const headers: Record<string, string> = { accept: 'application/json', ...req.headers };
  if (req.token) headers['x-auth-token'] = req.token;
  if (req.serviceToken) headers['x-service-token'] = req.serviceToken;
  let payload: string | undefined;
  if (req.body !== undefined) {
    headers['content-type'] = 'application/json';
    payload = JSON.stringify(req.body);
  } else if (req.raw) {
    headers['content-type'] = req.raw.contentType;
    payload = req.raw.data;
  }
  let status: number;
  let text: string;
  let rid: unknown;
  const target = local.size ? localApiOf(url) : null;
  if (target) {
    const res = await target.api.inject({ method, url: target.path, headers, ...(payload !== undefined ? { payload } : {}) });
    [status, text, rid] = [res.statusCode, res.payload, res.headers['x-openstack-request-id']];
  } else {
    const res = await request(url, { method: method as 'GET', headers, body: payload, dispatcher });
    [status, text, rid] = [res.statusCode, await res.body.text(), res.headers['x-openstack-request-id']];
  }
  let body: unknown = text;
  if (text) {
    try {
      body = JSON.parse(text);
    } catch {
      /* not JSON: hand the text back */
    }
  } else body = null;
  return { status, body: body as T, requestId: (Array.isArray(rid) ? rid[0] : rid) as string | undefined };
}

export interface ServiceCredentials {
  /** Keystone's v3 URL (…/v3). */
  authUrl: string;
  username: string;
  password: string;
  projectName: string;
  userDomainName?: string;
  projectDomainName?: string;
  /** Endpoint interface to pick from the catalog. */
  interface?: 'public' | 'internal' | 'admin';
  region?: string;
}

interface CatalogService {
  type: string;
  endpoints: { interface: string; region_id?: string; region?: string; url: string }[];
}

/** Re-authenticate this long before the token expires. */
const REFRESH_MARGIN_MS = 60_000;

/** Keystone refused the password: its status and body, for callers that report them their own way. */
export class AuthenticationFailed extends Error {
  constructor(
    readonly username: string,
    readonly authUrl: string,
    readonly status: number,
    readonly body: string,
  ) {
    super(`${username} could not authenticate to ${authUrl}: ${status} ${body}`);
  }
}

export class ServiceSession {
  #token: string | null = null;
  #expiresAt = 0;
  #catalog: CatalogService[] = [];
  #pending: Promise<void> | null = null;

  constructor(private readonly creds: ServiceCredentials) {}

  /** A valid token of the service user. */
  async token(): Promise<string> {
    if (!this.#token || Date.now() > this.#expiresAt - REFRESH_MARGIN_MS) await this.#authenticate();
    return this.#token!;
  }

  /** The URL of a service type from the token's catalog (no trailing slash). */
  async endpoint(type: string): Promise<string> {
    await this.token();
    const svc = this.#catalog.find((s) => s.type === type);
    const iface = this.creds.interface ?? 'public';
    const ep = svc?.endpoints.find((e) => e.interface === iface && (!this.creds.region || (e.region_id ?? e.region) === this.creds.region));
    if (!ep) throw new Error(`no ${iface} endpoint of type ${type} in the catalog`);
    return ep.url.replace(/\/+$/, '');
  }

  /** Forgets the token (after a 401) so the next call authenticates again. */
  invalidate(): void {
    this.#token = null;
  }

  #authenticate(): Promise<void> {
    this.#pending ??= this.#doAuthenticate().finally(() => (this.#pending = null));
    return this.#pending;
  }

  async #doAuthenticate(): Promise<void> {
    const c = this.creds;
    const res = await request(`${c.authUrl.replace(/\/+$/, '')}/auth/tokens`, {
      method: 'POST',
      dispatcher,
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({
        auth: {
          identity: { methods: ['password'], password: { user: { name: c.username, password: c.password, domain: { name: c.userDomainName ?? 'Default' } } } },
          scope: { project: { name: c.projectName, domain: { name: c.projectDomainName ?? 'Default' } } },
        },
      }),
    });
    const text = await res.body.text();
    if (res.statusCode !== 201) throw new AuthenticationFailed(c.username, c.authUrl, res.statusCode, text);
    const subject = res.headers['x-subject-token'];
    const body = JSON.parse(text) as { token: { expires_at: string; catalog?: CatalogService[] } };
    this.#token = Array.isArray(subject) ? subject[0]! : subject!;
    this.#expiresAt = Date.parse(body.token.expires_at);
    this.#catalog = body.token.catalog ?? [];
  }
}
