/**
 * Floating IPs: an address on a router:external network (held by a port owned by
 * network:floatingip) that can be associated with a fixed IP of another port, through a
 * router that joins the port's subnet to that network (router_id). There is no L3
 * agent, so no data path: status stays DOWN.
 */
import type { RequestContext } from '../../common/auth.js';
import { NamedError } from '../../common/errors.js';
import { toBool } from '../../db/database.js';
import type { Dict } from '../api/resource.js';
import { specifiedKeys } from '../api/resource.js';
import { deleteFloatingIpAndPort, getFloatingIp, getFloatingNetwork, getTargetPort, getTargetSubnet, insertFloatingIp, insertFloatingIpPort, listFloatingIps, selectTargetPortIps, updateFloatingIp } from '../db/floating-ips.js';
import type { FloatingIpRow, NeutronDB } from '../db/schema.js';
import { ExternalGatewayForFloatingIPNotFound, FloatingIPNotFound, PortNotFound } from '../errors.js';
import { NeutronBadRequest, parseIp } from '../ipam/index.js';
import { type PluginDeps, nowIso } from './deps.js';
import { IpamBackend } from './ipam-backend.js';
import { randomMac } from './mac.js';
import { checkQuota } from './quotas.js';
import type { Routers } from './routers.js';
import type { Subnets } from './subnets.js';
import { deleteTagsOf, loadTags } from '../db/tags.js';
import type { Kysely } from 'kysely';

/** What a floating IP API operation did, for the nova notifier (neutron's BEFORE_RESPONSE for FLOATING_IP). */
export type FloatingIpAction = 'create_floatingip' | 'update_floatingip' | 'delete_floatingip';
export type FloatingIpListener = (action: FloatingIpAction, original: Dict, returned: Dict) => void;

export class FloatingIps {
  readonly #ipam: IpamBackend;
  /** Called after each committed create/update/delete with the floating IP before ({} on create) and after. */
  readonly listeners: FloatingIpListener[] = [];
  constructor(
    private readonly d: PluginDeps,
    private readonly subnets: Subnets,
    private readonly routers: Routers,
  ) {
    this.#ipam = new IpamBackend(d.random);
  }

  /** The wire form of floating IPs, their tags loaded in one query. */
  async toDicts(db: Kysely<NeutronDB>, rows: FloatingIpRow[]): Promise<Dict[]> {
    if (!rows.length) return [];
    const tags = await loadTags(db, 'floatingips', rows.map((r) => r.id));
    return rows.map((r) => this.#toDict(r, tags.get(r.id) ?? []));
  }

  #toDict(r: FloatingIpRow, tags: string[]): Dict {
    return {
      id: r.id,
      tenant_id: r.project_id,
      floating_ip_address: r.floating_ip_address,
      floating_network_id: r.floating_network_id,
      router_id: r.router_id,
      port_id: r.fixed_port_id,
      fixed_ip_address: r.fixed_ip_address,
      status: r.status,
      project_id: r.project_id,
      description: r.description,
      port_details: null,
      qos_policy_id: null,
      tags,
      created_at: r.created_at,
      updated_at: r.updated_at,
      revision_number: r.revision_number,
    };
  }

  /** The row of a floating IP the caller may see (their own); FloatingIPNotFound otherwise. */
  async getRow(ctx: RequestContext, id: string, db: Kysely<NeutronDB> = this.d.db): Promise<FloatingIpRow> {
    const row = await getFloatingIp(db, id);
    if (!row || (!ctx.isAdmin && row.project_id !== ctx.projectId)) throw new FloatingIPNotFound(id);
    return row;
  }

  async get(ctx: RequestContext, id: string): Promise<Dict> {
    return (await this.toDicts(this.d.db, [await this.getRow(ctx, id)]))[0]!;
  }

  async list(ctx: RequestContext, filters: Map<string, unknown[]>): Promise<Dict[]> {
    const ports = filters.get('port_id') as string[] | undefined;
    return this.toDicts(this.d.db, await listFloatingIps(this.d.db, { fixedPortIds: ports, projectId: ctx.isAdmin ? undefined : ctx.projectId }));
  }

  /**
   * _get_assoc_data: the fixed IP an association targets (the port must be the caller's,
   * not a DHCP port, with the asked-for or its only IPv4 address) and the router that
   * reaches the floating IP's network from that address's subnet.
   */
  async #target(ctx: RequestContext, trx: Kysely<NeutronDB>, portId: string, fixedIp: string | null | undefined, projectId: string, externalNetworkId: string): Promise<{ ip: string; routerId: string }> {
    const port = await getTargetPort(trx, portId);
    if (!port || (!ctx.isAdmin && port.project_id !== projectId)) throw new PortNotFound(portId);
    if (port.device_owner === 'network:dhcp') throw new NeutronBadRequest('floatingip', `Port ${portId} is unable to be assigned a floating IP`);
    const ips = await selectTargetPortIps(trx, portId);
    let chosen: { ip_address: string; subnet_id: string } | undefined;
    if (fixedIp) {
      if (parseIp(fixedIp)?.version !== 4) throw new NeutronBadRequest('floatingip', `Cannot process floating IP association with ${fixedIp}, since that is not an IPv4 address`);
      chosen = ips.find((i) => i.ip_address === fixedIp);
      if (!chosen) throw new NeutronBadRequest('floatingip', `Port ${portId} does not have fixed ip ${fixedIp}`);
    } else {
      const v4 = ips.filter((i) => parseIp(i.ip_address)?.version === 4);
      if (!v4.length) throw new NeutronBadRequest('floatingip', `Cannot add floating IP to port ${portId} that has no fixed IPv4 addresses`);
      if (v4.length > 1) throw new NeutronBadRequest('floatingip', `Port ${portId} has multiple fixed IPv4 addresses.  Must provide a specific IPv4 address when assigning a floating IP`);
      chosen = v4[0]!;
    }
    const subnet = await getTargetSubnet(trx, chosen.subnet_id);
    const routerId = await this.routers.routerForFloatingIp(trx, port.network_id, subnet, externalNetworkId);
    if (!routerId) throw new ExternalGatewayForFloatingIPNotFound(subnet.id, externalNetworkId, portId);
    return { ip: chosen.ip_address, routerId };
  }

  #emit(action: FloatingIpAction, original: Dict, returned: Dict): void {
    for (const l of this.listeners) {
      try {
        l(action, original, returned);
      } catch (e) {
        this.d.log.error({ err: e, action }, 'floating IP listener failed');
      }
    }
  }

  async create(ctx: RequestContext, body: Dict): Promise<Dict> {
    const fip = await this.#create(ctx, body);
    this.#emit('create_floatingip', {}, fip);
    return fip;
  }

  async #create(ctx: RequestContext, body: Dict): Promise<Dict> {
    const d = this.d;
    const projectId = body.project_id as string;
    return d.db.transaction().execute(async (trx) => {
      const netId = body.floating_network_id as string;
      const net = await getFloatingNetwork(trx, netId);
      if (!net) throw new NamedError(404, 'NetworkNotFound', `Network ${netId} could not be found.`);
      if (!toBool(net.router_external)) {
        throw new NeutronBadRequest('floatingip', `Network ${netId} is not a valid external network`);
      }
      await checkQuota(trx, d.cfg, projectId, 'floatingip');
      const id = d.random.uuid();
      const portId = d.random.uuid();
      const now = nowIso(d.clock.now());
      await insertFloatingIpPort(
        trx,
        { id: portId, project_id: '', network_id: netId, name: '', mac_address: randomMac(d.cfg.network.base_mac, d.random), admin_state_up: 1, status: 'N/A', device_id: id, device_owner: 'network:floatingip', port_security_enabled: 0, description: '', created_at: now, updated_at: now, revision_number: 1 },
        { port_id: portId, host: '', vnic_type: 'normal', profile: '{}', vif_type: 'unbound', vif_details: '{}', status: 'ACTIVE' },
      );
      const subnets = (await this.subnets.ofNetwork(trx, netId)).filter((s) => s.ip_version === 4);
      if (!subnets.length) throw new NeutronBadRequest('floatingip', `Network ${netId} does not contain any IPv4 subnet`);
      const want = body.floating_ip_address as string | undefined;
      const [ip] = await this.#ipam.allocateForPort(trx, portId, netId, subnets, want ? [{ ip_address: want }] : undefined, 'network:floatingip');
      let fixedPort: string | null = null;
      let fixedIp: string | null = null;
      let routerId: string | null = null;
      if (body.fixed_ip_address && !body.port_id) throw new NeutronBadRequest('floatingip', 'fixed_ip_address cannot be specified without a port_id');
      if (body.port_id) {
        fixedPort = body.port_id as string;
        ({ ip: fixedIp, routerId } = await this.#target(ctx, trx, fixedPort, body.fixed_ip_address as string | undefined, projectId, netId));
      }
      const row: FloatingIpRow = { id, project_id: projectId, floating_ip_address: ip!.ip_address, floating_network_id: netId, floating_port_id: portId, fixed_port_id: fixedPort, fixed_ip_address: fixedIp, router_id: routerId, status: 'DOWN', description: (body.description as string) ?? '', created_at: now, updated_at: now, revision_number: 0 };
      await insertFloatingIp(trx, row);
      return (await this.toDicts(trx, [row]))[0]!;
    });
  }

  async update(ctx: RequestContext, id: string, body: Dict): Promise<Dict> {
    let original: Dict = {};
    const fip = await this.d.db.transaction().execute(async (trx) => {
      const row = await this.getRow(ctx, id, trx);
      original = (await this.toDicts(trx, [row]))[0]!;
      const keys = specifiedKeys(body);
      const set: Partial<FloatingIpRow> = { updated_at: nowIso(this.d.clock.now()), revision_number: row.revision_number + 1 };
      if (keys.has('description')) set.description = body.description as string;
      if (keys.has('fixed_ip_address') && body.fixed_ip_address && !body.port_id) {
        throw new NeutronBadRequest('floatingip', 'fixed_ip_address cannot be specified without a port_id');
      }
      if (keys.has('port_id')) {
        if (body.port_id === null) {
          set.fixed_port_id = null;
          set.fixed_ip_address = null;
          set.router_id = null;
        } else {
          set.fixed_port_id = body.port_id as string;
          const target = await this.#target(ctx, trx, body.port_id as string, body.fixed_ip_address as string | undefined, row.project_id, row.floating_network_id);
          set.fixed_ip_address = target.ip;
          set.router_id = target.routerId;
        }
      }
      await updateFloatingIp(trx, id, set);
      return (await this.toDicts(trx, [{ ...row, ...set }]))[0]!;
    });
    this.#emit('update_floatingip', original, fip);
    return fip;
  }

  async delete(ctx: RequestContext, id: string): Promise<void> {
    let gone: Dict = {};
    await this.d.db.transaction().execute(async (trx) => {
      const row = await this.getRow(ctx, id, trx);
      gone = (await this.toDicts(trx, [row]))[0]!;
      await deleteTagsOf(trx, 'floatingips', [id]);
      await deleteTagsOf(trx, 'ports', [row.floating_port_id]);
      await deleteFloatingIpAndPort(trx, id, row.floating_port_id);
    });
    this.#emit('delete_floatingip', {}, gone);
  }
}
