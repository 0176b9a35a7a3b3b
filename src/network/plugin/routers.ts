/**
 * Routers: neutron's L3 router plugin (l3_db, l3_gwmode_db, extraroute_db); listeners
 * hear each committed change (the L3 agent notifier, src/network/rpc/l3-notifier.ts). A router is a row plus the ports it holds (routerports): at most one
 * gateway port on a router:external network (device_owner network:router_gateway,
 * project ''), and interface ports (network:router_interface) on project subnets.
 * Each API call runs in one transaction, so a refused step leaves nothing behind
 * where neutron reverts by hand (safe_creation, delete_port_on_error).
 */
import type { Kysely } from 'kysely';
import type { RequestContext } from '../../common/auth.js';
import { fromBool, toBool } from '../../db/database.js';
import type { Dict } from '../api/resource.js';
import { specifiedKeys } from '../api/resource.js';
import { UUID_RE } from '../api/validators.js';
import {
  deletePort,
  deletePorts,
  deleteRoute,
  deleteRouter,
  deleteRoutesOf,
  getPort,
  getRouter,
  insertRoute,
  insertRouter,
  insertRouterPort,
  isRouterPort,
  listRouters,
  requirePort,
  routerHasFloatingIps,
  selectFloatingIpRouters,
  selectNetworkSubnetIds,
  selectNetworkSubnets,
  selectPortIps,
  selectPortNetworks,
  selectPortsIps,
  selectRouterFloatingIps,
  selectRouterPortIds,
  selectRouterPortIps,
  selectRouterPortsOnNetwork,
  selectRoutes,
  selectRoutesOfRouters,
  selectSubnetCidrs,
  selectSubnetPortIds,
  selectSubnets,
  updatePortDevice,
  updateRouter,
} from '../db/routers.js';
import type { NeutronDB, PortRow, RouterRow, SubnetRow } from '../db/schema.js';
import { type Cidr, NeutronBadRequest, cidrContains, cidrsOverlap, parseCidr, parseIp, pyRepr } from '../ipam/index.js';
import {
  InvalidRoutes,
  PortInUse,
  RouterExternalGatewayInUseByFloatingIp,
  RouterInUse,
  RouterInterfaceInUseByFloatingIP,
  RouterInterfaceInUseByRoute,
  RouterInterfaceNotFound,
  RouterInterfaceNotFoundForSubnet,
  RouterNotFound,
  RoutesExhausted,
  SubnetMismatchForPort,
} from '../l3-errors.js';
import { type PluginDeps, nowIso } from './deps.js';
import type { FixedIpRequest } from './ipam-backend.js';
import type { Networks } from './networks.js';
import type { Ports } from './ports.js';
import { checkQuota } from './quotas.js';
import type { Subnets } from './subnets.js';
import { deleteTagsOf, loadTags } from '../db/tags.js';

export const DEVICE_OWNER_ROUTER_GW = 'network:router_gateway';
export const DEVICE_OWNER_ROUTER_INTF = 'network:router_interface';

/** neutron's max_routes default: extra routes per router. */
export const MAX_ROUTES = 30;

/** The body of add/remove_router_interface after _validate_interface_info. */
interface InterfaceInfo {
  port_id?: string;
  subnet_id?: string;
}

/** What add/remove_router_interface answer (_make_router_interface_info plus project_id). */
export interface RouterInterfaceInfo {
  subnet_id: string;
  subnet_ids: string[];
  port_id: string;
  id: string;
  network_id: string;
  tenant_id: string;
  project_id: string;
}

interface GatewayInfo {
  network_id?: string;
  enable_snat?: boolean;
  external_fixed_ips?: FixedIpRequest[];
}

interface Route {
  destination: string;
  nexthop: string;
}

/** What a router API operation did, after its commit (the L3 agent notifier listens). */
export interface RouterEvent {
  action: 'updated' | 'deleted';
  routerId: string;
}

export class Routers {
  /** Called after each committed create, update, delete and interface add/remove. */
  readonly listeners: ((ev: RouterEvent) => void)[] = [];

  #emit(action: RouterEvent['action'], routerId: string): void {
    for (const l of this.listeners) l({ action, routerId });
  }

  constructor(
    private readonly d: PluginDeps,
    private readonly networks: Networks,
    private readonly subnets: Subnets,
    private readonly ports: Ports,
  ) {}

  /** The wire form of routers: gateway addresses, routes and tags loaded in bulk. */
  async toDicts(db: Kysely<NeutronDB>, rows: RouterRow[]): Promise<Dict[]> {
    if (!rows.length) return [];
    const ids = rows.map((r) => r.id);
    const gwIds = rows.map((r) => r.gw_port_id).filter((x): x is string => !!x);
    const gwPorts = gwIds.length ? await selectPortNetworks(db, gwIds) : [];
    const gwIps = gwIds.length ? await selectPortsIps(db, gwIds) : [];
    const routes = await selectRoutesOfRouters(db, ids);
    const tags = await loadTags(db, 'routers', ids);
    return rows.map((r) => {
      const gw = gwPorts.find((p) => p.id === r.gw_port_id);
      return {
        id: r.id,
        name: r.name,
        tenant_id: r.project_id,
        admin_state_up: toBool(r.admin_state_up),
        status: r.status,
        // l3_db then l3_gwmode_db's extender: enable_snat lands after the addresses.
        external_gateway_info: gw
          ? {
              network_id: gw.network_id,
              external_fixed_ips: gwIps.filter((i) => i.port_id === gw.id).map((i) => ({ subnet_id: i.subnet_id, ip_address: i.ip_address })),
              enable_snat: toBool(r.enable_snat),
            }
          : null,
        description: r.description,
        routes: routes.filter((x) => x.router_id === r.id).map((x) => ({ destination: x.destination, nexthop: x.nexthop })),
        tags: tags.get(r.id) ?? [],
        created_at: r.created_at,
        updated_at: r.updated_at,
        revision_number: r.revision_number,
        project_id: r.project_id,
      };
    });
  }

  /** A router the caller may see (admin, or its project's); RouterNotFound otherwise. */
  async getRow(ctx: RequestContext, id: string, db: Kysely<NeutronDB> = this.d.db): Promise<RouterRow> {
    const row = await getRouter(db, id);
    if (!row || (!ctx.isAdmin && row.project_id !== ctx.projectId)) throw new RouterNotFound(id);
    return row;
  }

  async get(ctx: RequestContext, id: string): Promise<Dict> {
    return (await this.toDicts(this.d.db, [await this.getRow(ctx, id)]))[0]!;
  }

  /** The caller's routers (all for admins); the API applies filters, sorting and paging. */
  async list(ctx: RequestContext, filters: Map<string, unknown[]>): Promise<Dict[]> {
    const ids = filters.get('id') as string[] | undefined;
    return this.toDicts(this.d.db, await listRouters(this.d.db, { ids, projectId: ctx.isAdmin ? undefined : ctx.projectId }));
  }

  async create(ctx: RequestContext, body: Dict): Promise<Dict> {
    const router = await this.#create(ctx, body);
    this.#emit('updated', router.id as string);
    return router;
  }

  async #create(ctx: RequestContext, body: Dict): Promise<Dict> {
    const d = this.d;
    const projectId = body.project_id as string;
    const gwInfo = body.external_gateway_info as GatewayInfo | null;
    return d.db.transaction().execute(async (trx) => {
      await checkQuota(trx, d.cfg, projectId, 'router');
      const now = nowIso(d.clock.now());
      const row: RouterRow = {
        id: d.random.uuid(),
        project_id: projectId,
        name: body.name as string,
        admin_state_up: fromBool(body.admin_state_up as boolean),
        status: 'ACTIVE',
        gw_port_id: null,
        enable_snat: 1,
        description: (body.description as string) ?? '',
        created_at: now,
        updated_at: now,
        // Zed's router starts at 1: its extra attributes row revises it on create.
        revision_number: 1,
      };
      await insertRouter(trx, row);
      if (gwInfo && gwInfo.network_id) {
        await this.#updateGateway(ctx, trx, row, gwInfo);
        row.revision_number += 1;
        await updateRouter(trx, row.id, { gw_port_id: row.gw_port_id, enable_snat: row.enable_snat, revision_number: row.revision_number });
      }
      return (await this.toDicts(trx, [row]))[0]!;
    });
  }

  async update(ctx: RequestContext, id: string, body: Dict): Promise<Dict> {
    const router = await this.#update(ctx, id, body);
    this.#emit('updated', id);
    return router;
  }

  async #update(ctx: RequestContext, id: string, body: Dict): Promise<Dict> {
    const keys = specifiedKeys(body);
    return this.d.db.transaction().execute(async (trx) => {
      const row = await this.getRow(ctx, id, trx);
      // extraroute's update_router runs before l3_db's gateway step, as in Zed.
      if (keys.has('routes')) await this.#updateRoutes(trx, row, body.routes as Route[]);
      if (keys.has('external_gateway_info')) await this.#updateGateway(ctx, trx, row, body.external_gateway_info as GatewayInfo | null);
      const set: Partial<RouterRow> = { gw_port_id: row.gw_port_id, enable_snat: row.enable_snat };
      if (keys.has('name')) set.name = body.name as string;
      if (keys.has('description')) set.description = body.description as string;
      if (keys.has('admin_state_up')) set.admin_state_up = fromBool(body.admin_state_up as boolean);
      set.updated_at = nowIso(this.d.clock.now());
      set.revision_number = row.revision_number + 1;
      await updateRouter(trx, id, set);
      return (await this.toDicts(trx, [{ ...row, ...set }]))[0]!;
    });
  }

  async delete(ctx: RequestContext, id: string): Promise<void> {
    await this.d.db.transaction().execute(async (trx) => {
      const row = await this.getRow(ctx, id, trx);
      const attached = await selectRouterPortIds(trx, id, DEVICE_OWNER_ROUTER_INTF);
      if (attached.length) throw new RouterInUse(id, `has ports still attached: ${attached.join(', ')}`);
      await this.#deleteGateway(trx, row);
      const rest = await selectRouterPortIds(trx, id);
      if (rest.length) {
        await deleteTagsOf(trx, 'ports', rest);
        await deletePorts(trx, rest);
      }
      await deleteRoutesOf(trx, id);
      await deleteTagsOf(trx, 'routers', [id]);
      await deleteRouter(trx, id);
    });
    this.#emit('deleted', id);
  }

  /**
   * l3_gwmode_db + l3_db _update_router_gw_info on `row` (mutated: gw_port_id,
   * enable_snat; the caller writes the router row). A new network replaces the gateway
   * port; new external_fixed_ips on the same network re-address it; no network clears it.
   */
  async #updateGateway(ctx: RequestContext, trx: Kysely<NeutronDB>, row: RouterRow, info: GatewayInfo | null): Promise<void> {
    row.enable_snat = fromBool(info && info.enable_snat !== undefined ? info.enable_snat : true);
    const gwPort = row.gw_port_id ? await getPort(trx, row.gw_port_id) : undefined;
    const gwIps = gwPort ? await selectPortIps(trx, gwPort.id) : [];
    const extIps = (info && info.external_fixed_ips) || [];
    const networkId = await this.#validateGatewayInfo(ctx, trx, row, info, extIps);
    if (gwPort && ipsChange(gwIps, extIps) && gwPort.network_id === networkId) {
      await this.ports.updateServicePortIps(trx, gwPort.id, extIps);
      return;
    }
    if (gwPort && gwPort.network_id !== networkId) await this.#deleteGateway(trx, row);
    if (networkId && (!gwPort || gwPort.network_id !== networkId)) {
      const subnets = await selectNetworkSubnets(trx, networkId);
      await this.#checkDupRouterSubnets(trx, row, subnets);
      const port = await this.ports.createServicePort(trx, {
        projectId: '', // neutron hides the gateway port from the project
        networkId,
        deviceId: row.id,
        deviceOwner: DEVICE_OWNER_ROUTER_GW,
        fixedIps: extIps.length ? extIps : undefined,
      });
      await insertRouterPort(trx, row.id, port.id as string, DEVICE_OWNER_ROUTER_GW);
      row.gw_port_id = port.id as string;
    }
  }

  /** _validate_gw_info: the network must be external, no asked-for IP a subnet's gateway; existing routes must stay reachable. */
  async #validateGatewayInfo(ctx: RequestContext, trx: Kysely<NeutronDB>, row: RouterRow, info: GatewayInfo | null, extIps: FixedIpRequest[]): Promise<string | null> {
    const networkId = info?.network_id ?? null;
    let gwSubnets: SubnetRow[] = [];
    if (networkId) {
      const net = await this.networks.getRow(ctx, networkId, trx);
      if (!toBool(net.router_external)) throw new NeutronBadRequest('router', `Network ${networkId} is not an external network`);
      gwSubnets = await selectNetworkSubnets(trx, networkId);
      for (const ip of extIps) {
        if (gwSubnets.some((s) => s.gateway_ip && s.gateway_ip === ip.ip_address)) {
          throw new NeutronBadRequest('router', `External IP ${ip.ip_address} is the same as the gateway IP`);
        }
      }
    }
    const routes = await selectRoutes(trx, row.id);
    if (!routes.length) return networkId;
    const attached = await selectRouterPortIps(trx, row.id, row.gw_port_id);
    const cidrs = [...attached.map((a) => a.cidr), ...gwSubnets.map((s) => s.cidr)];
    this.#validateRoutes(row.id, routes, cidrs, attached.map((a) => a.ip_address));
    return networkId;
  }

  /** Deletes the gateway port unless floating IPs route through it (RouterExternalGatewayInUseByFloatingIp). */
  async #deleteGateway(trx: Kysely<NeutronDB>, row: RouterRow): Promise<void> {
    if (!row.gw_port_id) return;
    const gw = await getPort(trx, row.gw_port_id);
    const fip = await routerHasFloatingIps(trx, row.id);
    if (fip && gw) throw new RouterExternalGatewayInUseByFloatingIp(row.id, gw.network_id);
    await deleteTagsOf(trx, 'ports', [row.gw_port_id]);
    await deletePort(trx, row.gw_port_id);
    row.gw_port_id = null;
  }

  /**
   * _check_for_dup_router_subnets: none of `newSubnets` may already be on the router
   * or overlap a subnet it is attached to (all of the gateway network's subnets count).
   */
  async #checkDupRouterSubnets(trx: Kysely<NeutronDB>, row: RouterRow, newSubnets: SubnetRow[]): Promise<void> {
    const newIds = new Set(newSubnets.map((s) => s.id));
    const routerSubnets: string[] = [];
    for (const a of await selectRouterPortIps(trx, row.id)) {
      if (newIds.has(a.subnet_id)) throw new NeutronBadRequest('router', `Router already has a port on subnet ${a.subnet_id}`);
      if (a.port_type === DEVICE_OWNER_ROUTER_GW) {
        for (const s of await selectNetworkSubnetIds(trx, a.network_id)) routerSubnets.push(s);
      } else {
        routerSubnets.push(a.subnet_id);
      }
    }
    if (!routerSubnets.length) return;
    const existing = await selectSubnetCidrs(trx, [...new Set(routerSubnets)]);
    for (const sub of existing) {
      for (const s of newSubnets) {
        if (cidrsOverlap(parseCidr(sub.cidr)!, parseCidr(s.cidr)!)) {
          throw new NeutronBadRequest('router', `Cidr ${s.cidr} of subnet ${s.id} overlaps with cidr ${sub.cidr} of subnet ${sub.id}`);
        }
      }
    }
  }

  /** extraroute's _validate_routes: at most MAX_ROUTES, each nexthop on a router subnet and not the router's own address. */
  #validateRoutes(routerId: string, routes: Route[], cidrs: string[], ips: string[]): void {
    if (routes.length > MAX_ROUTES) throw new RoutesExhausted(routerId, MAX_ROUTES);
    const nets = cidrs.map((c) => parseCidr(c)).filter((c): c is Cidr => !!c);
    for (const route of routes) {
      const hop = parseIp(route.nexthop)!;
      if (!nets.some((c) => cidrContains(c, hop))) throw new InvalidRoutes(pyRepr(routes), 'the nexthop is not connected with router');
      if (ips.some((ip) => parseIp(ip)?.value === hop.value && parseIp(ip)?.version === hop.version)) throw new InvalidRoutes(pyRepr(routes), 'the nexthop is used by router');
    }
  }

  /** extraroute's _update_extra_routes: validated against every port of the router, then the difference written. */
  async #updateRoutes(trx: Kysely<NeutronDB>, row: RouterRow, routes: Route[]): Promise<void> {
    const attached = await selectRouterPortIps(trx, row.id);
    this.#validateRoutes(row.id, routes, attached.map((a) => a.cidr), attached.map((a) => a.ip_address));
    const key = (r: Route) => `${r.destination}|${r.nexthop}`;
    const old = await selectRoutes(trx, row.id);
    const want = new Set(routes.map(key));
    const had = new Set(old.map(key));
    for (const r of old) {
      if (!want.has(key(r))) await deleteRoute(trx, row.id, r);
    }
    for (const r of routes) if (!had.has(key(r))) await insertRoute(trx, row.id, r);
  }

  /** PUT /routers/{id}/add_router_interface with {subnet_id} or {port_id}. */
  async addInterface(ctx: RequestContext, routerId: string, body: unknown): Promise<RouterInterfaceInfo> {
    const info = validateInterfaceInfo(body, false);
    const added = await this.d.db.transaction().execute(async (trx) => {
      const row = await this.getRow(ctx, routerId, trx);
      let port: PortRow;
      let subnets: SubnetRow[];
      if (info.port_id) ({ port, subnets } = await this.#addByPort(ctx, trx, row, info.port_id));
      else ({ port, subnets } = await this.#addBySubnet(ctx, trx, row, info.subnet_id!));
      await this.#bump(trx, row);
      return interfaceInfo(row.id, port, subnets[subnets.length - 1]!.id, subnets.map((s) => s.id));
    });
    this.#emit('updated', routerId);
    return added;
  }

  /** _add_interface_by_port: an unowned port with addresses becomes the router's interface. */
  async #addByPort(ctx: RequestContext, trx: Kysely<NeutronDB>, row: RouterRow, portId: string) {
    const port = await this.ports.getRow(ctx, portId, trx);
    if (port.device_id !== '') throw new PortInUse(port.network_id, port.id, port.device_id);
    const ips = await selectPortIps(trx, port.id);
    if (!ips.length) throw new NeutronBadRequest('router', 'Router port must have at least one fixed IP');
    const subnets = await selectSubnets(trx, ips.map((i) => i.subnet_id));
    const ordered = ips.map((i) => subnets.find((s) => s.id === i.subnet_id)!);
    if (ips.some((i) => i.ip_address.includes(':'))) {
      for (const a of await selectRouterPortIps(trx, row.id)) {
        if (a.network_id === port.network_id && a.ip_address.includes(':')) {
          throw new NeutronBadRequest(
            'router',
            `Cannot have multiple router ports with the same network id if both contain IPv6 subnets. Existing port ${a.port_id} has IPv6 subnet(s) and network id ${a.network_id}`,
          );
        }
      }
    }
    await this.#checkDupRouterSubnets(trx, row, ordered);
    if (ordered.filter((s) => s.ip_version === 4).length > 1) throw new NeutronBadRequest('router', 'Cannot have multiple IPv4 subnets on router port');
    if (!ctx.isAdmin) {
      const withPools = await this.subnets.withPools(trx, ordered);
      for (const ip of ips) {
        const s = withPools.find((x) => x.id === ip.subnet_id)!;
        const addr = parseIp(ip.ip_address)!.value;
        const inPool = s.pools.some((p) => addr >= p.first && addr <= p.last);
        if (!inPool && ctx.projectId !== s.project_id) {
          throw new NeutronBadRequest(
            'router',
            `Cannot add interface to router because specified port ${port.id} has an IP address out of the allocation pool of subnet ${s.id}, which is not owned by the project making the request`,
          );
        }
      }
    }
    const now = nowIso(this.d.clock.now());
    await updatePortDevice(trx, port.id, { device_id: row.id, device_owner: DEVICE_OWNER_ROUTER_INTF, updated_at: now, revision_number: port.revision_number + 1 });
    await insertRouterPort(trx, row.id, port.id, DEVICE_OWNER_ROUTER_INTF);
    return { port, subnets: ordered };
  }

  /** _add_interface_by_subnet: a new port holding the subnet's gateway IP (or the IPv6 prefix added to the network's router port). */
  async #addBySubnet(ctx: RequestContext, trx: Kysely<NeutronDB>, row: RouterRow, subnetId: string) {
    const subnet = await this.subnets.getRow(ctx, subnetId, trx);
    if (!subnet.gateway_ip) throw new NeutronBadRequest('router', 'Subnet for router interface must have a gateway IP');
    // Shared only by RBAC would be allowed; Nimbus has no RBAC, so a foreign subnet is refused (LP-1757482).
    if (subnet.project_id !== ctx.projectId && !ctx.isAdmin) {
      throw new NeutronBadRequest('router', `Cannot add interface to router because subnet ${subnetId} is not owned by project making the request`);
    }
    await this.#checkDupRouterSubnets(trx, row, [subnet]);
    const fixedIp = { ip_address: subnet.gateway_ip, subnet_id: subnet.id };
    if (subnet.ip_version === 6) {
      const existing = (await selectRouterPortIps(trx, row.id)).find((a) => a.port_type === DEVICE_OWNER_ROUTER_INTF && a.network_id === subnet.network_id && a.ip_address.includes(':'));
      if (existing) {
        const current = await selectPortIps(trx, existing.port_id);
        await this.ports.updateServicePortIps(trx, existing.port_id, [...current, fixedIp]);
        const port = await requirePort(trx, existing.port_id);
        return { port, subnets: [subnet] };
      }
    }
    const created = await this.ports.createServicePort(trx, {
      projectId: row.project_id,
      networkId: subnet.network_id,
      deviceId: row.id,
      deviceOwner: DEVICE_OWNER_ROUTER_INTF,
      fixedIps: [fixedIp],
    });
    await insertRouterPort(trx, row.id, created.id as string, DEVICE_OWNER_ROUTER_INTF);
    const port = await requirePort(trx, created.id as string);
    return { port, subnets: [subnet] };
  }

  /** PUT /routers/{id}/remove_router_interface with {subnet_id} and/or {port_id}. */
  async removeInterface(ctx: RequestContext, routerId: string, body: unknown): Promise<RouterInterfaceInfo> {
    const info = validateInterfaceInfo(body, true);
    const removed = await this.d.db.transaction().execute(async (trx) => {
      const row = await this.getRow(ctx, routerId, trx);
      const { port, subnets } = info.port_id ? await this.#removeByPort(trx, row, info.port_id, info.subnet_id) : await this.#removeBySubnet(ctx, trx, row, info.subnet_id!);
      await this.#bump(trx, row);
      return interfaceInfo(row.id, port, subnets[0]!.id, subnets.map((s) => s.id));
    });
    this.#emit('updated', routerId);
    return removed;
  }

  async #removeByPort(trx: Kysely<NeutronDB>, row: RouterRow, portId: string, subnetId: string | undefined) {
    const rp = await isRouterPort(trx, row.id, portId, DEVICE_OWNER_ROUTER_INTF);
    const port = rp ? await getPort(trx, portId) : undefined;
    if (!port) throw new RouterInterfaceNotFound(row.id, portId);
    const ips = await selectPortIps(trx, portId);
    if (subnetId && !ips.some((i) => i.subnet_id === subnetId)) throw new SubnetMismatchForPort(portId, subnetId);
    const subnets = ips.length ? await selectSubnets(trx, ips.map((i) => i.subnet_id)) : [];
    for (const s of subnets) await this.#confirmInterfaceNotInUse(trx, row.id, s);
    await deleteTagsOf(trx, 'ports', [portId]);
    await deletePort(trx, portId);
    return { port, subnets };
  }

  async #removeBySubnet(ctx: RequestContext, trx: Kysely<NeutronDB>, row: RouterRow, subnetId: string) {
    const subnet = await this.subnets.getRow(ctx, subnetId, trx);
    const ports = await selectRouterPortsOnNetwork(trx, row.id, DEVICE_OWNER_ROUTER_INTF, subnet.network_id);
    if (ports.length) await this.#confirmInterfaceNotInUse(trx, row.id, subnet);
    for (const p of ports) {
      const ips = await selectPortIps(trx, p.id);
      if (!ips.some((i) => i.subnet_id === subnetId)) continue;
      if (ips.length > 1) {
        // A multi-prefix (IPv6) port loses only this subnet's address.
        await this.ports.updateServicePortIps(trx, p.id, ips.filter((i) => i.subnet_id !== subnetId));
      } else {
        await deleteTagsOf(trx, 'ports', [p.id]);
        await deletePort(trx, p.id);
      }
      return { port: p, subnets: [subnet] };
    }
    throw new RouterInterfaceNotFoundForSubnet(row.id, subnetId);
  }

  /** _confirm_router_interface_not_in_use: no floating IP through the router to a port on the subnet, no extra route via it. */
  async #confirmInterfaceNotInUse(trx: Kysely<NeutronDB>, routerId: string, subnet: SubnetRow): Promise<void> {
    const cidr = parseCidr(subnet.cidr)!;
    const onSubnet = new Set(await selectSubnetPortIds(trx, subnet.id));
    for (const fip of await selectRouterFloatingIps(trx, routerId)) {
      const ip = fip.fixed_ip_address ? parseIp(fip.fixed_ip_address) : null;
      if (ip && cidrContains(cidr, ip) && fip.fixed_port_id && onSubnet.has(fip.fixed_port_id)) throw new RouterInterfaceInUseByFloatingIP(routerId, subnet.id);
    }
    for (const r of await selectRoutes(trx, routerId)) {
      const hop = parseIp(r.nexthop);
      if (hop && cidrContains(cidr, hop)) throw new RouterInterfaceInUseByRoute(routerId, subnet.id);
    }
  }

  /** A router port's change revises the router (RouterPort revises_on_change). */
  async #bump(trx: Kysely<NeutronDB>, row: RouterRow): Promise<void> {
    await updateRouter(trx, row.id, { revision_number: row.revision_number + 1, updated_at: nowIso(this.d.clock.now()) });
  }

  /**
   * l3_db's get_router_for_floatingip: a router with an interface on the port's subnet
   * and a gateway on the external network, preferring the one whose interface holds the
   * subnet's gateway IP; null when none is (the caller raises ExternalGatewayForFloatingIPNotFound).
   */
  async routerForFloatingIp(trx: Kysely<NeutronDB>, internalNetworkId: string, internalSubnet: SubnetRow, externalNetworkId: string): Promise<string | null> {
    const rows = await selectFloatingIpRouters(trx, {
      internalNetworkId,
      internalSubnetId: internalSubnet.id,
      externalNetworkId,
      interfaceTypes: [DEVICE_OWNER_ROUTER_INTF, 'network:router_interface_distributed', 'network:ha_router_replicated_interface'],
      gatewayOwner: DEVICE_OWNER_ROUTER_GW,
    });
    const preferred = rows.find((r) => r.ip_address === internalSubnet.gateway_ip);
    return (preferred ?? rows[0])?.router_id ?? null;
  }
}

/** Whether requested external_fixed_ips differ from the gateway port's (_check_for_external_ip_change). */
function ipsChange(current: { subnet_id: string; ip_address: string }[], wanted: FixedIpRequest[]): boolean {
  if (!wanted.length) return false;
  if (!current.length) return true;
  const eq = (a: Set<string>, b: Set<string>) => a.size === b.size && [...a].every((x) => b.has(x));
  const subnets = new Set(wanted.filter((f) => f.subnet_id).map((f) => f.subnet_id!));
  if (!eq(subnets, new Set(current.map((c) => c.subnet_id)))) return true;
  const ips = new Set(wanted.filter((f) => f.ip_address).map((f) => f.ip_address!));
  return !eq(ips, new Set(current.map((c) => c.ip_address)));
}

/** _validate_interface_info: subnet_id or port_id (both only when removing), each a UUID. */
function validateInterfaceInfo(body: unknown, forRemoval: boolean): InterfaceInfo {
  const info = body !== null && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
  const byPort = 'port_id' in info;
  const bySubnet = 'subnet_id' in info;
  if (!byPort && !bySubnet) throw new NeutronBadRequest('router', 'Either subnet_id or port_id must be specified');
  for (const key of ['port_id', 'subnet_id'] as const) {
    if (!(key in info)) continue;
    const v = info[key];
    if (typeof v !== 'string' || !UUID_RE.test(v)) {
      // neutron-lib's validate_uuid message; BadRequest's template adds the final period.
      throw new NeutronBadRequest('router', `'${typeof v === 'string' ? v : pyRepr(v)}' is not a valid UUID`);
    }
  }
  if (!forRemoval && byPort && bySubnet) throw new NeutronBadRequest('router', 'Cannot specify both subnet-id and port-id');
  return { port_id: info.port_id as string | undefined, subnet_id: info.subnet_id as string | undefined };
}

function interfaceInfo(routerId: string, port: PortRow, subnetId: string, subnetIds: string[]): RouterInterfaceInfo {
  return { network_id: port.network_id, tenant_id: port.project_id, subnet_id: subnetId, subnet_ids: subnetIds, port_id: port.id, id: routerId, project_id: port.project_id };
}


