/**
 * Networks: create with their ML2 segments (allocated in the same transaction),
 * visibility (own, shared, external), update, and delete with neutron's NetworkInUse
 * rule (only ports neutron owns itself, like network:dhcp, go away on their own).
 */
import type { Kysely } from 'kysely';
import type { RequestContext } from '../../common/auth.js';
import { fromBool, toBool } from '../../db/database.js';
import type { Dict } from '../api/resource.js';
import { specifiedKeys } from '../api/resource.js';
import { deleteFloatingIpRows, deleteNetwork, insertNetwork, selectNetwork, selectNetworks, selectUnassociatedFloatingIps, updateNetwork } from '../db/networks.js';
import { deletePortsById, deletePortsOfNetwork, selectPortOfOwnerOnNetwork, selectPortOwnersOnNetwork } from '../db/ports.js';
import { deleteIpAllocationsOfSubnets } from '../db/ipam.js';
import type { NeutronDB, NetworkRow } from '../db/schema.js';
import { deleteSubnetsOfNetwork, selectSubnetIdsOfNetwork, selectSubnetIdsOfNetworks } from '../db/subnets.js';
import { InvalidInput, NetworkInUse, NetworkNotFound, PolicyNotAuthorized } from '../errors.js';
import { ExternalNetworkInUse } from '../l3-errors.js';
import type { Segment } from '../ml2/index.js';
import { AUTO_DELETE_PORT_OWNERS, type PluginDeps, nowIso } from './deps.js';
import { checkQuota } from './quotas.js';
import { deleteTagsOf, loadTags } from '../db/tags.js';

/** Whether a non-admin may see the network: their own, shared or external. */
export function networkVisible(ctx: RequestContext, row: Pick<NetworkRow, 'project_id' | 'shared' | 'router_external'>): boolean {
  return ctx.isAdmin || row.project_id === ctx.projectId || toBool(row.shared) || toBool(row.router_external);
}

export class Networks {
  constructor(private readonly d: PluginDeps) {}

  /** The wire form of networks, with subnets and provider attributes, in one query each. */
  async toDicts(db: Kysely<NeutronDB>, rows: NetworkRow[]): Promise<Dict[]> {
    if (!rows.length) return [];
    const ids = rows.map((r) => r.id);
    const subnets = await selectSubnetIdsOfNetworks(db, ids);
    const segs = await this.d.ml2.getSegments(db, ids);
    const tags = await loadTags(db, 'networks', ids);
    return rows.map((r) => ({
      id: r.id,
      name: r.name,
      tenant_id: r.project_id,
      admin_state_up: toBool(r.admin_state_up),
      mtu: r.mtu,
      status: r.status,
      subnets: subnets.filter((s) => s.network_id === r.id).map((s) => s.id),
      shared: toBool(r.shared),
      project_id: r.project_id,
      port_security_enabled: toBool(r.port_security_enabled),
      'router:external': toBool(r.router_external),
      ...this.d.ml2.extendNetworkDict(segs.get(r.id) ?? []),
      availability_zone_hints: JSON.parse(r.availability_zone_hints),
      availability_zones: [],
      ipv4_address_scope: null,
      ipv6_address_scope: null,
      description: r.description,
      tags: tags.get(r.id) ?? [],
      created_at: r.created_at,
      updated_at: r.updated_at,
      revision_number: r.revision_number,
    }));
  }

  /** The row of a network the caller may see; NetworkNotFound otherwise. */
  async getRow(ctx: RequestContext, id: string, db: Kysely<NeutronDB> = this.d.db): Promise<NetworkRow> {
    const row = await selectNetwork(db, id);
    if (!row || !networkVisible(ctx, row)) throw new NetworkNotFound(id);
    return row;
  }

  async get(ctx: RequestContext, id: string): Promise<Dict> {
    return (await this.toDicts(this.d.db, [await this.getRow(ctx, id)]))[0]!;
  }

  async list(ctx: RequestContext, filters: Map<string, unknown[]>): Promise<Dict[]> {
    const ids = filters.get('id') as string[] | undefined;
    const names = filters.get('name') as string[] | undefined;
    const rows = (await selectNetworks(this.d.db, { id: ids, name: names })).filter((r) => networkVisible(ctx, r));
    return this.toDicts(this.d.db, rows);
  }

  async create(ctx: RequestContext, body: Dict): Promise<Dict> {
    const d = this.d;
    const provider = {
      network_type: body['provider:network_type'] as string | undefined,
      physical_network: body['provider:physical_network'] as string | undefined,
      segmentation_id: body['provider:segmentation_id'] as number | undefined,
    };
    const hasProvider = Object.values(provider).some((v) => v !== undefined);
    if (hasProvider) d.ml2.validateProviderRequest(provider);
    const id = d.random.uuid();
    const now = nowIso(d.clock.now());
    const projectId = body.project_id as string;
    return d.db.transaction().execute(async (trx) => {
      await checkQuota(trx, d.cfg, projectId, 'network');
      const row: NetworkRow = {
        id,
        project_id: projectId,
        name: body.name as string,
        admin_state_up: fromBool(body.admin_state_up as boolean),
        status: 'ACTIVE',
        shared: fromBool(body.shared as boolean),
        mtu: 0,
        port_security_enabled: fromBool(body.port_security_enabled as boolean),
        router_external: fromBool(body['router:external'] as boolean),
        availability_zone_hints: JSON.stringify(body.availability_zone_hints ?? []),
        description: body.description as string,
        created_at: now,
        updated_at: now,
        revision_number: 1,
      };
      await insertNetwork(trx, row);
      const segments: Segment[] = await d.ml2.createNetworkSegments(trx, id, hasProvider ? provider : undefined);
      const maxMtu = d.ml2.networkMtu(segments);
      const mtu = body.mtu === undefined ? maxMtu : (body.mtu as number);
      if (mtu > maxMtu) {
        throw new InvalidInput(`Requested MTU is too big, maximum is ${maxMtu}`);
      }
      await updateNetwork(trx, id, { mtu });
      row.mtu = mtu;
      return (await this.toDicts(trx, [row]))[0]!;
    });
  }

  async update(ctx: RequestContext, id: string, body: Dict): Promise<Dict> {
    const d = this.d;
    return d.db.transaction().execute(async (trx) => {
      const row = await this.getRow(ctx, id, trx);
      if (!ctx.isAdmin && row.project_id !== ctx.projectId) throw new PolicyNotAuthorized('rule:update_network');
      const keys = specifiedKeys(body);
      const set: Partial<NetworkRow> = {};
      if (keys.has('name')) set.name = body.name as string;
      if (keys.has('description')) set.description = body.description as string;
      if (keys.has('admin_state_up')) set.admin_state_up = fromBool(body.admin_state_up as boolean);
      if (keys.has('shared')) set.shared = fromBool(body.shared as boolean);
      if (keys.has('port_security_enabled')) set.port_security_enabled = fromBool(body.port_security_enabled as boolean);
      if (keys.has('router:external')) {
        set.router_external = fromBool(body['router:external'] as boolean);
        // external_net_db: routers' gateways (and so floating IPs) need the network external.
        if (toBool(row.router_external) && !set.router_external) {
          const gw = await selectPortOfOwnerOnNetwork(trx, id, 'network:router_gateway');
          if (gw) throw new ExternalNetworkInUse(id);
        }
      }
      if (keys.has('mtu')) set.mtu = body.mtu as number;
      if (['provider:network_type', 'provider:physical_network', 'provider:segmentation_id'].some((k) => keys.has(k))) {
        throw new InvalidInput('Plugin does not support updating the following provider network attributes: provider:network_type, provider:physical_network, provider:segmentation_id');
      }
      set.updated_at = nowIso(d.clock.now());
      set.revision_number = row.revision_number + 1;
      await updateNetwork(trx, id, set);
      return (await this.toDicts(trx, [{ ...row, ...set }]))[0]!;
    });
  }

  /**
   * delete_network. First, in a transaction of its own as Zed's BEFORE_DELETE handler
   * (external_net_db._process_l3_delete), the network's floating IPs that are not
   * associated go, even when the delete then fails. Then NetworkInUse names the ports
   * that are not AUTO_DELETE_PORT_OWNERS' (an associated floating IP's port is one);
   * the others, the subnets and the network are deleted together.
   */
  async delete(ctx: RequestContext, id: string): Promise<void> {
    const d = this.d;
    const net = await this.getRow(ctx, id);
    if (!ctx.isAdmin && net.project_id !== ctx.projectId) throw new PolicyNotAuthorized('rule:delete_network');
    await d.db.transaction().execute(async (trx) => {
      const fips = await selectUnassociatedFloatingIps(trx, id);
      if (!fips.length) return;
      await deleteTagsOf(trx, 'floatingips', fips.map((f) => f.id));
      await deleteTagsOf(trx, 'ports', fips.map((f) => f.floating_port_id));
      await deleteFloatingIpRows(trx, fips.map((f) => f.id));
      await deletePortsById(trx, fips.map((f) => f.floating_port_id));
    });
    await d.db.transaction().execute(async (trx) => {
      await this.getRow(ctx, id, trx);
      const ports = await selectPortOwnersOnNetwork(trx, id);
      const inUse = ports.filter((p) => !AUTO_DELETE_PORT_OWNERS.includes(p.device_owner));
      if (inUse.length) {
        throw new NetworkInUse(id, `There are one or more ports still in use on the network, id for these ports is: ${inUse.map((p) => p.id).join(',')}`);
      }
      if (ports.length) {
        await deleteTagsOf(trx, 'ports', ports.map((p) => p.id));
        await deletePortsOfNetwork(trx, id);
      }
      const subnetIds = await selectSubnetIdsOfNetwork(trx, id);
      if (subnetIds.length) await deleteIpAllocationsOfSubnets(trx, subnetIds);
      await deleteTagsOf(trx, 'subnets', subnetIds);
      await deleteSubnetsOfNetwork(trx, id);
      await d.ml2.releaseNetworkSegments(trx, id);
      await deleteTagsOf(trx, 'networks', [id]);
      await deleteNetwork(trx, id);
    });
  }
}
