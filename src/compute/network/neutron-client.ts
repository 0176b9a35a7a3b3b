/**
 * Nova's REST client for neutron (python-neutronclient as nova's get_client builds it):
 * JSON over the shared keep-alive pool of rest-client.ts, list filters as repeated query
 * keys (`?id=a&id=b`, `fields=x&fields=y`, booleans as `True`/`False`), paginated lists
 * followed to the end, the global request id sent as X-OpenStack-Request-ID.
 *
 * Errors come back as neutronclient raises them: a NeutronClientException carrying the
 * NeutronError `type` (neutronclient's `<type>Client` class), its message (plus detail),
 * and the status. Like nova's ClientWrapper, a 401 becomes nova's Unauthorized for a
 * user client and NeutronAdminCredentialConfigurationInvalid for the admin client (after
 * one re-authentication, as keystoneauth retries a 401 once), and a 403 becomes nova's
 * Forbidden. The client only transports: mapping to nova's exceptions per call is in
 * neutron-errors.ts.
 */
import { type TraceRecorder, type TraceScope, traceIdOf } from '../../common/trace.js';
import { restCall } from '../../common/rest-client.js';
import type { Logger } from '../../common/log.js';
import { Forbidden, NeutronAdminCredentialConfigurationInvalid, NeutronClientException, Unauthorized } from '../errors.js';

/** A neutron port as the wire has it; binding:* only in an admin's view. */
export interface PortDict {
  id: string;
  network_id: string;
  tenant_id: string;
  mac_address: string;
  admin_state_up: boolean;
  status: string;
  device_id: string;
  device_owner: string;
  fixed_ips: { subnet_id: string; ip_address: string }[];
  'binding:host_id'?: string;
  'binding:vif_type'?: string;
  'binding:vif_details'?: Record<string, unknown> | null;
  'binding:vnic_type'?: string;
  'binding:profile'?: Record<string, unknown> | null;
  [k: string]: unknown;
}

/** A neutron network; provider:* and segments only for admins. */
export interface NetworkDict {
  id: string;
  name?: string;
  tenant_id?: string;
  mtu?: number | null;
  subnets?: string[];
  shared?: boolean;
  'router:external'?: boolean;
  port_security_enabled?: boolean;
  'provider:network_type'?: string | null;
  'provider:physical_network'?: string | null;
  segments?: { 'provider:network_type'?: string | null; 'provider:physical_network'?: string | null }[];
  [k: string]: unknown;
}

export interface SubnetDict {
  id: string;
  network_id: string;
  cidr: string;
  ip_version?: number;
  gateway_ip: string | null;
  enable_dhcp?: boolean;
  dns_nameservers?: string[];
  host_routes?: { destination: string; nexthop: string }[];
  ipv6_address_mode?: string | null;
  [k: string]: unknown;
}

export interface FloatingIpDict {
  floating_ip_address: string;
  fixed_ip_address: string | null;
  port_id: string | null;
  [k: string]: unknown;
}

export interface SecurityGroupDict {
  id: string;
  name: string;
  [k: string]: unknown;
}

/** List filters: arrays repeat the key; booleans are sent as Python prints them. */
export type Query = Record<string, string | number | boolean | readonly string[] | null | undefined>;

export interface NeutronClientOptions {
  /** neutron's endpoint (the catalog's `network` URL, without /v2.0). */
  endpoint: () => Promise<string>;
  token: () => Promise<string>;
  /** Forgets the token after a 401; true when a retry with a fresh one makes sense. */
  invalidate?: () => boolean;
  /** The admin client ([neutron] service user) rather than the user's token. */
  admin: boolean;
  /** The request's global id (nova's context.global_id). */
  requestId?: string;
  log: Logger;
  /** Fault injection (src/common/faults.ts): the error a call of this kind must fail with now, if any. */
  injected?: (call: string) => NeutronClientException | undefined;
  /** Each call becomes a trace step (and its W3C traceparent the parent of neutron's). */
  trace?: { recorder: TraceRecorder; scope: TraceScope };
}

/**
 * The neutronclient method a request is (create_port, update_port, show_port,
 * list_ports, delete_port, create_port_binding...), for fault injection by call kind.
 */
export function callKind(method: string, path: string): string {
  const [collection = '', id, sub, subId, action] = path.replace(/^https?:\/\/[^/]+(\/v2\.0)?/, '').split('?')[0]!.split('/').filter(Boolean);
  const single = (c: string) => (c === 'quotas' ? 'quota' : c.replace(/ies$/, 'y').replace(/s$/, ''));
  const plural = collection.replace(/-/g, '_');
  const singular = single(plural);
  const verb = (hasId: boolean) => ({ GET: hasId ? 'show' : 'list', POST: 'create', PUT: 'update', DELETE: 'delete' })[method] ?? method.toLowerCase();
  if (sub) return action ? `${action}_${singular}_${single(sub)}` : `${verb(!!subId)}_${singular}_${subId || method !== 'GET' ? single(sub) : sub}`;
  const v = verb(!!id);
  return v === 'list' ? `list_${plural}` : `${v}_${singular}`;
}

/** Encodes a query as neutronclient does (doseq, True/False). */
export function encodeQuery(q: Query): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) {
    if (v === undefined || v === null) continue;
    if (Array.isArray(v)) for (const x of v as readonly string[]) p.append(k, x);
    else if (typeof v === 'boolean') p.append(k, v ? 'True' : 'False');
    else p.append(k, String(v));
  }
  const s = p.toString();
  return s ? `?${s}` : '';
}

/** The exception neutronclient raises for an error response. */
export function clientException(status: number, body: unknown): NeutronClientException {
  const err = (body as { NeutronError?: { type?: unknown; message?: unknown; detail?: unknown } } | null)?.NeutronError;
  if (err && typeof err === 'object' && typeof err.type === 'string') {
    const message = String(err.message ?? '') + (err.detail ? `\n${String(err.detail)}` : '');
    return new NeutronClientException(message, status, err.type);
  }
  const msg = (body as { message?: unknown } | null)?.message;
  return new NeutronClientException(typeof msg === 'string' && msg ? msg : `${status}-${typeof body === 'string' ? body : JSON.stringify(body)}`, status);
}

/** True when `e` is neutron's error of that NeutronError type (neutronclient's `<type>Client`). */
export function isNeutronError(e: unknown, ...types: string[]): e is NeutronClientException {
  return e instanceof NeutronClientException && e.neutronType !== undefined && types.includes(e.neutronType);
}

/** True when `e` is a neutron error with that HTTP status. */
export function hasStatus(e: unknown, status: number): e is NeutronClientException {
  return e instanceof NeutronClientException && e.status === status;
}

/** One neutron client: a user's (their token) or nova's admin one (the service user). */
export class NeutronClient {
  constructor(private readonly o: NeutronClientOptions) {}

  get admin(): boolean {
    return this.o.admin;
  }

  listPorts(q: Query = {}): Promise<PortDict[]> {
    return this.#list<PortDict>('ports', q);
  }
  async showPort(id: string, fields?: string[]): Promise<PortDict> {
    return (await this.#call<{ port: PortDict }>('GET', `/ports/${encodeURIComponent(id)}${fields ? encodeQuery({ fields }) : ''}`)).port;
  }
  async createPort(port: Record<string, unknown>): Promise<PortDict> {
    return (await this.#call<{ port: PortDict }>('POST', '/ports', { port })).port;
  }
  async updatePort(id: string, port: Record<string, unknown>): Promise<PortDict> {
    return (await this.#call<{ port: PortDict }>('PUT', `/ports/${encodeURIComponent(id)}`, { port })).port;
  }
  async deletePort(id: string): Promise<void> {
    await this.#call('DELETE', `/ports/${encodeURIComponent(id)}`);
  }
  listNetworks(q: Query = {}): Promise<NetworkDict[]> {
    return this.#list<NetworkDict>('networks', q);
  }
  listSubnets(q: Query = {}): Promise<SubnetDict[]> {
    return this.#list<SubnetDict>('subnets', q);
  }
  listSecurityGroups(q: Query = {}): Promise<SecurityGroupDict[]> {
    return this.#list<SecurityGroupDict>('security-groups', q, 'security_groups');
  }
  listFloatingIps(q: Query = {}): Promise<FloatingIpDict[]> {
    return this.#list<FloatingIpDict>('floatingips', q);
  }
  async showQuota(projectId: string): Promise<Record<string, number>> {
    return (await this.#call<{ quota: Record<string, number> }>('GET', `/quotas/${encodeURIComponent(projectId)}`)).quota;
  }
  async listExtensions(): Promise<{ alias: string }[]> {
    return (await this.#call<{ extensions: { alias: string }[] }>('GET', '/extensions')).extensions;
  }
  /** binding-extended: POST /ports/{id}/bindings, an INACTIVE binding for another host. */
  async createPortBinding(portId: string, binding: Record<string, unknown>): Promise<Record<string, unknown>> {
    return (await this.#call<{ binding: Record<string, unknown> }>('POST', `/ports/${encodeURIComponent(portId)}/bindings`, { binding })).binding;
  }
  async showPortBinding(portId: string, host: string): Promise<Record<string, unknown>> {
    return (await this.#call<{ binding: Record<string, unknown> }>('GET', `/ports/${encodeURIComponent(portId)}/bindings/${encodeURIComponent(host)}`)).binding;
  }
  /** PUT /ports/{id}/bindings/{host}/activate: that host's INACTIVE binding becomes the port's. */
  async activatePortBinding(portId: string, host: string): Promise<void> {
    await this.#call('PUT', `/ports/${encodeURIComponent(portId)}/bindings/${encodeURIComponent(host)}/activate`);
  }
  async deletePortBinding(portId: string, host: string): Promise<void> {
    await this.#call('DELETE', `/ports/${encodeURIComponent(portId)}/bindings/${encodeURIComponent(host)}`);
  }

  /** Nimbus's admin diagnosis of a port on neutron-server (GET /nimbus/v1/diagnosis/ports/{id}, outside /v2.0). */
  async portDiagnosis<T>(portId: string): Promise<T> {
    return this.#call<T>('GET', `${await this.o.endpoint()}/nimbus/v1/diagnosis/ports/${encodeURIComponent(portId)}`, undefined, true);
  }

  /** Nimbus's admin diagnosis of binding a new port of a network on a host (GET /nimbus/v1/diagnosis/networks/{id}?host=). */
  async networkBindingDiagnosis<T>(networkId: string, host: string): Promise<T> {
    return this.#call<T>('GET', `${await this.o.endpoint()}/nimbus/v1/diagnosis/networks/${encodeURIComponent(networkId)}${encodeQuery({ host })}`, undefined, true);
  }

  /** Any other call under /v2.0 (the nova API's network proxies): the body neutron answers, or throws as #call. */
  request<T>(method: string, path: string, body?: unknown): Promise<T> {
    return this.#call<T>(method, path, body);
  }
  /** Any collection under /v2.0, followed to its end; `key` is the body's list key. */
  list<T>(path: string, q: Query = {}, key = path): Promise<T[]> {
    return this.#list<T>(path, q, key);
  }

  /** A whole collection: follows `<collection>_links` rel=next as neutronclient's list does. */
  async #list<T>(path: string, q: Query, key = path): Promise<T[]> {
    const first = await this.#call<Record<string, unknown>>('GET', `/${path}${encodeQuery(q)}`);
    const items = [...((first[key] as T[] | undefined) ?? [])];
    let links = first[`${key}_links`] as { rel: string; href: string }[] | undefined;
    for (let next = links?.find((l) => l.rel === 'next'); next; next = links?.find((l) => l.rel === 'next')) {
      const page = await this.#call<Record<string, unknown>>('GET', next.href, undefined, true);
      const more = (page[key] as T[] | undefined) ?? [];
      if (more.length === 0) break;
      items.push(...more);
      links = page[`${key}_links`] as { rel: string; href: string }[] | undefined;
    }
    return items;
  }

  async #call<T>(method: string, path: string, body?: unknown, absolute = false): Promise<T> {
    const url = absolute ? path : `${await this.o.endpoint()}/v2.0${path}`;
    const injected = this.o.injected?.(callKind(method, path));
    if (injected) throw injected;
    const headers: Record<string, string> = {};
    if (this.o.requestId) headers['x-openstack-request-id'] = this.o.requestId;
    const t = this.o.trace;
    if (!t) return (await this.#send<T>(method, url, body, headers)).body;
    const span = t.recorder.start(t.scope, 'nova', `neutron ${method} ${routeOf(url)}`, { url: url.replace(/^https?:\/\/[^/]+/, '') });
    headers.traceparent = `00-${traceIdOf(t.scope.requestId)}-${span.id}-01`;
    try {
      const r = await this.#send<T>(method, url, body, headers);
      span.end({ status: r.status });
      return r.body;
    } catch (e) {
      span.end({ status: (e as { status?: number }).status ?? null }, e);
      throw e;
    }
  }

  async #send<T>(method: string, url: string, body: unknown, headers: Record<string, string>): Promise<{ body: T; status: number }> {
    for (let attempt = 0; ; attempt++) {
      const token = await this.o.token();
      let res;
      try {
        res = await restCall<T>(method, url, { token, body, headers });
      } catch (e) {
        // neutronclient's ConnectionFailed
        throw new NeutronClientException(`Connection to neutron failed: ${(e as Error).message}`, 503);
      }
      if (res.status < 300) return { body: res.body, status: res.status };
      if (res.status === 401 && attempt === 0 && this.o.invalidate?.()) continue;
      const exc = clientException(res.status, res.body);
      if (res.status === 401) {
        if (!this.o.admin) throw new Unauthorized();
        this.o.log.error('Neutron client was not able to generate a valid admin token, please verify Neutron admin credential located in nova.conf');
        throw new NeutronAdminCredentialConfigurationInvalid();
      }
      if (res.status === 403) throw new Forbidden(exc.message);
      throw exc;
    }
  }
}

/** A call's route for the trace: ids replaced by {id}, the query dropped (/v2.0/ports/{id}). */
function routeOf(url: string): string {
  const path = url.replace(/^https?:\/\/[^/]+/, '').split('?')[0]!;
  return path.replace(/\/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '/{id}');
}
