/**
 * nova's deprecated network proxies, answered through neutron's REST API as nova's
 * neutron driver does: os-networks (networks.py), os-tenant-networks
 * (tenant_networks.py), os-floating-ip-pools (floating_ip_pools.py) and os-floating-ips
 * (floating_ips.py). They stop at 2.35 (MAX_PROXY_API_SUPPORT_VERSION): from 2.36 the
 * routes answer 404. The nova-network actions (create, delete, add, disassociate)
 * answer 410 Gone at every microversion.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ComputeApiDeps } from './app.js';
import { HttpFault, badRequest, notFound } from './faults.js';
import { atLeast } from './microversion.js';
import { authorize } from './policy.js';
import { getInstance } from './servers.js';
import { sendEmpty, sendNova, requestBody, versionNotFound } from './wire.js';
import { novaContext } from '../context.js';
import { type NeutronClient, type NetworkDict, type PortDict, hasStatus, isNeutronError } from '../network/neutron-client.js';
import { isUuidLike } from './validation.js';

/** The last microversion of the proxy APIs. */
export const MAX_PROXY_API_SUPPORT_VERSION = '2.35';
/** CONF.neutron.default_floating_pool. */
const DEFAULT_FLOATING_POOL = 'nova';

/** 404 from 2.36 on, as nova has no controller method there. */
export function proxyGate(req: FastifyRequest): void {
  if (atLeast(req.mv, '2.36')) throw versionNotFound();
}

/** webob's HTTPGone as nova's fault wrapper shows it. */
const gone = () => new HttpFault(410, 'This resource is no longer available.  No forwarding address is given.');

const NETWORK_FIELDS = ['id', 'cidr', 'netmask', 'gateway', 'broadcast', 'dns1', 'dns2', 'cidr_v6', 'gateway_v6', 'label', 'netmask_v6'];
const NETWORK_ADMIN_FIELDS = ['created_at', 'updated_at', 'deleted_at', 'deleted', 'injected', 'bridge', 'vlan', 'vpn_public_address', 'vpn_public_port', 'vpn_private_address', 'dhcp_start', 'project_id', 'host', 'bridge_interface', 'multi_host', 'priority', 'rxtx_base', 'mtu', 'dhcp_server', 'enable_dhcp', 'share_address'];

/** networks.py network_dict: nova-network's fields, all null but id and label. */
function networkView(isAdmin: boolean, n: NetworkDict): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of isAdmin ? [...NETWORK_FIELDS, ...NETWORK_ADMIN_FIELDS] : NETWORK_FIELDS) out[f] = f === 'id' ? n.id : f === 'label' ? n.name : null;
  return out;
}

interface FipDict {
  id: string;
  floating_ip_address: string;
  floating_network_id: string;
  fixed_ip_address: string | null;
  port_id: string | null;
  port_details?: { device_id?: string } | null;
  network_details?: NetworkDict;
}

/** floating_ips.py _translate_floating_ip_view. */
function fipView(f: FipDict) {
  return {
    id: f.id,
    ip: f.floating_ip_address,
    pool: f.network_details?.name || f.network_details?.id,
    fixed_ip: f.fixed_ip_address,
    instance_id: f.port_details ? (f.port_details.device_id ?? null) : null,
  };
}

/** Routes os-networks, os-tenant-networks, os-floating-ip-pools and os-floating-ips. */
export function registerNetworkProxies(app: FastifyInstance, d: ComputeApiDeps): void {
  const client = (req: FastifyRequest): NeutronClient => d.compute.d.network.client(novaContext(req.ctx));

  /** neutron API get(): NetworkNotFound → "Network not found". */
  async function getNetwork(c: NeutronClient, id: string): Promise<NetworkDict> {
    try {
      return (await c.request<{ network: NetworkDict }>('GET', `/networks/${encodeURIComponent(id)}`)).network;
    } catch (e) {
      if (isNeutronError(e, 'NetworkNotFound') || hasStatus(e, 404)) throw notFound('Network not found');
      throw e;
    }
  }

  /**
   * Neutron's port_details (fip-port-details) where it has them; otherwise the port
   * itself, as nova does without that extension.
   */
  async function withDetails(c: NeutronClient, fips: FipDict[]): Promise<FipDict[]> {
    if (!fips.length) return fips;
    const nets = new Map((await c.listNetworks({ id: [...new Set(fips.map((f) => f.floating_network_id))] })).map((n) => [n.id, n]));
    for (const f of fips) {
      f.network_details = nets.get(f.floating_network_id);
      if (!f.port_details && f.port_id) {
        const port = (await c.listPorts({ id: f.port_id }))[0] as PortDict | undefined;
        f.port_details = port ? { device_id: port.device_id } : null;
      }
    }
    return fips;
  }

  /** neutron API get_floating_ip: "Floating IP not found for ID x" when neutron says 404. */
  async function getFip(c: NeutronClient, id: string): Promise<FipDict> {
    let fip: FipDict;
    try {
      fip = (await c.request<{ floatingip: FipDict }>('GET', `/floatingips/${encodeURIComponent(id)}`)).floatingip;
    } catch (e) {
      if (hasStatus(e, 404)) throw notFound(`Floating IP not found for ID ${id}`);
      throw e;
    }
    return (await withDetails(c, [fip]))[0]!;
  }

  for (const base of ['os-networks', 'os-tenant-networks'] as const) {
    const tenant = base === 'os-tenant-networks';
    const rules = tenant
      ? ({ list: 'os_compute_api:os-tenant-networks:list', show: 'os_compute_api:os-tenant-networks:show' } as const)
      : ({ list: 'os_compute_api:os-networks:list', show: 'os_compute_api:os-networks:show' } as const);
    const view = (req: FastifyRequest, n: NetworkDict) => (tenant ? { id: n.id, cidr: 'None', label: n.name } : networkView(req.ctx.isAdmin, n));

    app.get(`/v2.1/${base}`, async (req, reply) => {
      proxyGate(req);
      authorize(req.ctx, rules.list);
      const nets = await client(req).listNetworks();
      return sendNova(reply, 200, { networks: nets.map((n) => view(req, n)) });
    });
    app.get<{ Params: { id: string } }>(`/v2.1/${base}/:id`, async (req, reply) => {
      proxyGate(req);
      authorize(req.ctx, rules.show);
      return sendNova(reply, 200, { network: view(req, await getNetwork(client(req), req.params.id)) });
    });
    app.post(`/v2.1/${base}`, async () => {
      throw gone();
    });
    app.delete(`/v2.1/${base}/:id`, async () => {
      throw gone();
    });
  }
  app.post('/v2.1/os-networks/add', async () => {
    throw gone();
  });
  app.post('/v2.1/os-networks/:id/action', async (req) => {
    const body = requestBody(req);
    const action = body && typeof body === 'object' ? Object.keys(body)[0] : undefined;
    if (action === 'disassociate') throw gone();
    throw badRequest(`There is no such action: ${action ?? ''}`);
  });

  app.get('/v2.1/os-floating-ip-pools', async (req, reply) => {
    proxyGate(req);
    authorize(req.ctx, 'os_compute_api:os-floating-ip-pools', {});
    const pools = await client(req).listNetworks({ 'router:external': true });
    return sendNova(reply, 200, { floating_ip_pools: pools.map((p) => ({ name: p.name || p.id })) });
  });

  app.get('/v2.1/os-floating-ips', async (req, reply) => {
    proxyGate(req);
    authorize(req.ctx, 'os_compute_api:os-floating-ips:list');
    const c = client(req);
    let fips: FipDict[];
    try {
      fips = await c.list<FipDict>('floatingips', { tenant_id: req.ctx.projectId });
    } catch (e) {
      // _safe_get_floating_ips: a 404 (no L3 in neutron) is an empty list.
      if (!hasStatus(e, 404)) throw e;
      fips = [];
    }
    return sendNova(reply, 200, { floating_ips: (await withDetails(c, fips)).map(fipView) });
  });

  app.get<{ Params: { id: string } }>('/v2.1/os-floating-ips/:id', async (req, reply) => {
    proxyGate(req);
    authorize(req.ctx, 'os_compute_api:os-floating-ips:show');
    return sendNova(reply, 200, { floating_ip: fipView(await getFip(client(req), req.params.id)) });
  });

  app.post('/v2.1/os-floating-ips', async (req, reply) => {
    proxyGate(req);
    authorize(req.ctx, 'os_compute_api:os-floating-ips:create');
    const body = requestBody(req) as { pool?: unknown } | null;
    const pool = body && typeof body === 'object' && 'pool' in body ? body.pool : undefined;
    const c = client(req);
    const name = typeof pool === 'string' && pool ? pool : DEFAULT_FLOATING_POOL;
    // _get_floating_ip_pool_id_by_name_or_id
    const nets = await c.listNetworks({ 'router:external': true, fields: 'id', ...(isUuidLike(name) ? { id: name } : { name }) });
    if (nets.length === 0) throw notFound('Floating IP pool not found.');
    if (nets.length > 1) throw new HttpFault(500, `Multiple floating IP pools matches found for name '${name}'`);
    let fip: FipDict;
    try {
      fip = (await c.request<{ floatingip: FipDict }>('POST', '/floatingips', { floatingip: { floating_network_id: nets[0]!.id } })).floatingip;
    } catch (e) {
      if (isNeutronError(e, 'IpAddressGenerationFailure', 'ExternalIpAddressExhausted')) throw notFound(pool ? `No more floating IPs in pool ${String(pool)}.` : 'No more floating IPs available.');
      if (isNeutronError(e, 'OverQuota')) throw new HttpFault(403, pool ? `IP allocation over quota in pool ${String(pool)}.` : 'IP allocation over quota.');
      if (hasStatus(e, 400)) throw badRequest(e.message);
      throw e;
    }
    return sendNova(reply, 200, { floating_ip: fipView((await withDetails(c, [fip]))[0]!) });
  });

  app.delete<{ Params: { id: string } }>('/v2.1/os-floating-ips/:id', async (req, reply) => {
    proxyGate(req);
    authorize(req.ctx, 'os_compute_api:os-floating-ips:delete');
    const c = client(req);
    const fip = await getFip(c, req.params.id);
    // get_instance_by_floating_ip_addr: an associated instance must be visible to the caller.
    const instanceId = fip.port_details?.device_id;
    if (instanceId) await getInstance(d, req, instanceId);
    try {
      await c.request('DELETE', `/floatingips/${encodeURIComponent(fip.id)}`);
    } catch (e) {
      if (hasStatus(e, 404)) throw notFound(`Floating IP not found for address ${fip.floating_ip_address}.`);
      throw e;
    }
    return sendEmpty(reply, 202);
  });
}
