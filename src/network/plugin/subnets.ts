/**
 * Subnets: CIDR, gateway and allocation-pool rules of neutron's ipam_backend_mixin,
 * DNS servers and host routes, and delete refused while ports still hold addresses.
 */
import type { Kysely } from 'kysely';
import type { RequestContext } from '../../common/auth.js';
import { fromBool, toBool } from '../../db/database.js';
import type { Dict } from '../api/resource.js';
import { specifiedKeys } from '../api/resource.js';
import { validateIpAddress } from '../ipam/address.js';
import {
  type Cidr,
  type IpRange,
  WIDTH,
  cidrOf,
  defaultGatewayIp,
  formatCidr,
  formatIp,
  parseCidr,
  parseIp,
  poolsSize,
  prepareAllocationPools,
  rangeToPool,
  validateGatewayInSubnet,
  validateIpVersion,
  validateSubnet,
  isAutoAddressSubnet,
  validateIpv6Modes,
  validateSubnetCidr,
  DNSNameServersExhausted,
  HostRoutesExhausted,
  NeutronBadRequest,
} from '../ipam/index.js';
import { deleteIpAllocationsOfSubnet, insertIpAllocation, selectIpHolder, selectSubnetHolders } from '../db/ipam.js';
import { selectNetworkRevision, selectNetworkShared, selectSharedNetworkIds, updateNetwork } from '../db/networks.js';
import { selectPortMacsOnNetworkExcept } from '../db/ports.js';
import type { NeutronDB, SubnetPoolRow, SubnetRow } from '../db/schema.js';
import {
  deleteSubnet,
  insertSubnet,
  replaceAllocationPools,
  replaceDnsNameservers,
  replaceSubnetRoutes,
  selectAllocationPools,
  selectDnsNameservers,
  selectSubnet,
  selectSubnetCidrsOfNetwork,
  selectSubnetPoolIdsOnNetwork,
  selectSubnetRoutes,
  selectSubnets,
  selectSubnetsOfNetwork,
  updateSubnet,
} from '../db/subnets.js';
import { NamedError } from '../../common/errors.js';
import { InvalidInput, PolicyNotAuthorized, SubnetInUse, SubnetNotFound, badRequest } from '../errors.js';
import { AUTO_DELETE_PORT_OWNERS, type PluginDeps, ROUTER_INTERFACE_OWNERS, nowIso } from './deps.js';
import { ROUTER_INTERFACE_OWNERS_SNAT, eui64Address } from './ipam-backend.js';
import type { Networks } from './networks.js';
import { checkQuota } from './quotas.js';
import type { SubnetPools } from './subnet-pools.js';
import { NetworkSubnetPoolAffinityError } from '../subnetpool-errors.js';
import { deleteTagsOf, loadTags } from '../db/tags.js';

const MAX_DNS_NAMESERVERS = 5;
const MAX_SUBNET_HOST_ROUTES = 20;
/** neutron-lib's IPV6_PD_POOL_ID, the pseudo pool of IPv6 prefix delegation. */
const IPV6_PD_POOL_ID = 'prefix_delegation';

export interface SubnetWithPools extends SubnetRow {
  pools: IpRange[];
}

export class Subnets {
  constructor(
    private readonly d: PluginDeps,
    private readonly networks: Networks,
    private readonly pools: SubnetPools,
  ) {}

  /** The rows (with pools) of a network's subnets, in creation order. */
  async ofNetwork(db: Kysely<NeutronDB>, networkId: string): Promise<SubnetWithPools[]> {
    const rows = await selectSubnetsOfNetwork(db, networkId);
    return this.withPools(db, rows);
  }

  async withPools(db: Kysely<NeutronDB>, rows: SubnetRow[]): Promise<SubnetWithPools[]> {
    if (!rows.length) return [];
    const pools = await selectAllocationPools(db, rows.map((r) => r.id));
    return rows.map((r) => ({
      ...r,
      pools: pools
        .filter((p) => p.subnet_id === r.id)
        .map((p) => ({ version: r.ip_version as 4 | 6, first: parseIp(p.first_ip)!.value, last: parseIp(p.last_ip)!.value }))
        .sort((a, b) => (a.first < b.first ? -1 : 1)),
    }));
  }

  async toDicts(db: Kysely<NeutronDB>, rows: SubnetRow[]): Promise<Dict[]> {
    if (!rows.length) return [];
    const ids = rows.map((r) => r.id);
    const [withPools, dns, routes] = await Promise.all([
      this.withPools(db, rows),
      selectDnsNameservers(db, ids),
      selectSubnetRoutes(db, ids),
    ]);
    const tags = await loadTags(db, 'subnets', ids);
    return withPools.map((r) => ({
      id: r.id,
      name: r.name,
      tenant_id: r.project_id,
      network_id: r.network_id,
      ip_version: r.ip_version,
      subnetpool_id: r.subnetpool_id,
      enable_dhcp: toBool(r.enable_dhcp),
      ipv6_ra_mode: r.ipv6_ra_mode,
      ipv6_address_mode: r.ipv6_address_mode,
      gateway_ip: r.gateway_ip,
      cidr: r.cidr,
      allocation_pools: r.pools.map(rangeToPool),
      host_routes: routes.filter((x) => x.subnet_id === r.id).map((x) => ({ destination: x.destination, nexthop: x.nexthop })),
      dns_nameservers: dns.filter((x) => x.subnet_id === r.id).map((x) => x.address),
      description: r.description,
      service_types: [],
      tags: tags.get(r.id) ?? [],
      created_at: r.created_at,
      updated_at: r.updated_at,
      revision_number: r.revision_number,
      project_id: r.project_id,
    }));
  }

  /**
   * A subnet the caller may see. Zed's get_subnet policy is admin, project reader or
   * rule:shared (the network is shared): unlike the network itself, the subnets of another
   * project's router:external network stay hidden (tempest test_external_network_visibility).
   */
  async getRow(ctx: RequestContext, id: string, db: Kysely<NeutronDB> = this.d.db): Promise<SubnetRow> {
    const row = await selectSubnet(db, id);
    if (!row) throw new SubnetNotFound(id);
    if (!ctx.isAdmin && row.project_id !== ctx.projectId) {
      const net = await selectNetworkShared(db, row.network_id);
      if (!net || !toBool(net.shared)) throw new SubnetNotFound(id);
    }
    return row;
  }

  async get(ctx: RequestContext, id: string): Promise<Dict> {
    return (await this.toDicts(this.d.db, [await this.getRow(ctx, id)]))[0]!;
  }

  async list(ctx: RequestContext, filters: Map<string, unknown[]>): Promise<Dict[]> {
    const pick = (k: string) => filters.get(k) as string[] | undefined;
    let rows = await selectSubnets(this.d.db, { id: pick('id'), network_id: pick('network_id'), name: pick('name') });
    if (!ctx.isAdmin) {
      const shared = new Set(await selectSharedNetworkIds(this.d.db));
      rows = rows.filter((r) => r.project_id === ctx.projectId || shared.has(r.network_id));
    }
    return this.toDicts(this.d.db, rows);
  }

  /** neutron's checks on dns_nameservers and host_routes (count, form, version). */
  #checkDnsAndRoutes(ipVersion: 4 | 6, subnetId: string, dns: unknown[], routes: unknown[]): void {
    if (dns.length > MAX_DNS_NAMESERVERS) throw new DNSNameServersExhausted(subnetId, MAX_DNS_NAMESERVERS);
    const seen = new Set<string>();
    for (const ns of dns) {
      const bad = validateIpAddress(ns);
      if (bad) throw badRequest(`Invalid input for dns_nameservers. Reason: '${String(ns)}' is not a valid nameserver. ${bad}.`);
      if (seen.has(ns as string)) throw badRequest(`Invalid input for dns_nameservers. Reason: Duplicate nameserver '${String(ns)}'.`);
      seen.add(ns as string);
      validateIpVersion(ipVersion, ns as string, 'dns_nameserver');
    }
    if (routes.length > MAX_SUBNET_HOST_ROUTES) throw new HostRoutesExhausted(subnetId, MAX_SUBNET_HOST_ROUTES);
    for (const r of routes) {
      const route = r as { destination?: unknown; nexthop?: unknown };
      if (!route || typeof route !== 'object' || typeof route.destination !== 'string' || typeof route.nexthop !== 'string') {
        throw badRequest(`Invalid input for host_routes. Reason: Invalid data format for hostroute: '${JSON.stringify(r)}'.`);
      }
      if (!parseCidr(route.destination)) throw badRequest(`Invalid input for host_routes. Reason: '${route.destination}' is not a valid CIDR.`);
      const bad = validateIpAddress(route.nexthop);
      if (bad) throw badRequest(`Invalid input for host_routes. Reason: ${bad}.`);
      validateIpVersion(ipVersion, route.nexthop, 'nexthop');
      validateIpVersion(ipVersion, route.destination, 'destination');
    }
  }

  /**
   * _get_subnetpool_id: the pool a create names, or the default pool of its IP version
   * when it asks for one (use_default_subnetpool); null for none.
   */
  async #subnetpoolId(ctx: RequestContext, body: Dict, cidr: Cidr | null): Promise<string | null> {
    const useDefault = body.use_default_subnetpool === true;
    const id = (body.subnetpool_id as string | null | undefined) ?? null;
    if (useDefault && id) throw new NeutronBadRequest('subnets', 'subnetpool_id and use_default_subnetpool cannot both be specified');
    // ipv6_pd_enabled is off: a prefix-delegation subnet with a CIDR is an ordinary one.
    if (id === IPV6_PD_POOL_ID && cidr) return null;
    if (id || !useDefault) return id;
    const ipVersion = cidr ? cidr.version : (body.ip_version as number);
    const pool = await this.pools.defaultPool(ctx, ipVersion);
    if (pool) return pool.id;
    throw new NeutronBadRequest('subnets', `No default subnetpool found for IPv${ipVersion}`);
  }

  /**
   * The gateway and allocation pools of a subnet on `cidr` (_gateway_ip_str,
   * _prepare_allocation_pools), with its DNS servers, host routes and IPv6 modes checked.
   */
  #layout(body: Dict, id: string, cidr: Cidr): { gateway: string | null; pools: IpRange[] } {
    const ipVersion = body.ip_version as 4 | 6;
    let gateway: string | null;
    if (body.gateway_ip === undefined) {
      const gw = defaultGatewayIp(cidr);
      gateway = gw === null ? null : formatIp(gw, ipVersion);
    } else if (body.gateway_ip === null) {
      gateway = null;
    } else {
      this.#checkGatewayText(ipVersion, body.gateway_ip);
      validateGatewayInSubnet(cidr, parseIp(body.gateway_ip as string)!);
      gateway = formatIp(parseIp(body.gateway_ip as string)!.value, ipVersion);
    }
    // allocation_pools' shape was checked by the attribute map (validate_ip_pools).
    const pools = prepareAllocationPools((body.allocation_pools as { start: string; end: string }[] | undefined) ?? null, cidr, gateway);
    this.#checkDnsAndRoutes(ipVersion, id, (body.dns_nameservers as unknown[]) ?? [], (body.host_routes as unknown[]) ?? []);
    validateIpv6Modes(ipVersion, cidr, (body.ipv6_ra_mode as string | null) ?? null, (body.ipv6_address_mode as string | null) ?? null, body.enable_dhcp as boolean);
    return { gateway, pools };
  }

  #checkGatewayText(ipVersion: 4 | 6, gatewayIp: unknown): void {
    const bad = validateIpAddress(gatewayIp);
    if (bad) throw badRequest(`Invalid input for gateway_ip. Reason: ${bad}.`);
    validateIpVersion(ipVersion, gatewayIp as string, 'gateway_ip');
  }

  /**
   * The CIDR a subnet gets from its pool (SubnetRequestFactory): the given one; else,
   * with a gateway, the prefixlen-bit network around it; else any free block of
   * prefixlen bits (the pool's default_prefixlen when not given), its gateway the block's
   * first host. Runs under the pool's lock in the subnet's transaction.
   */
  async #allocateFromPool(
    ctx: RequestContext,
    trx: Kysely<NeutronDB>,
    body: Dict,
    poolId: string,
    cidr: Cidr | null,
  ): Promise<{ pool: SubnetPoolRow; cidr: Cidr; anyRequest: boolean }> {
    const pool = await this.pools.getRow(ctx, poolId, trx);
    const ipVersion = body.ip_version as number;
    if (ipVersion !== pool.ip_version) throw new NeutronBadRequest('subnets', `Cannot allocate IPv${ipVersion} subnet from IPv${pool.ip_version} subnet pool`);
    const prefixlen = (body.prefixlen as number | undefined) ?? pool.default_prefixlen;
    const gatewayGiven = body.gateway_ip !== undefined && body.gateway_ip !== null;
    if (cidr) return { pool, cidr: await this.pools.allocate(trx, pool, { kind: 'specific', cidr }), anyRequest: false };
    if (gatewayGiven) {
      this.#checkGatewayText(ipVersion as 4 | 6, body.gateway_ip);
      const gw = parseIp(body.gateway_ip as string)!;
      const around = cidrOf(gw.version, gw.value, Math.min(prefixlen, WIDTH[gw.version]));
      return { pool, cidr: await this.pools.allocate(trx, pool, { kind: 'specific', cidr: around }), anyRequest: false };
    }
    return { pool, cidr: await this.pools.allocate(trx, pool, { kind: 'any', prefixlen }), anyRequest: true };
  }

  /**
   * _validate_network_subnetpools: the subnets of one IP version on a network come all
   * from one pool or all from none.
   */
  async #checkNetworkPools(trx: Kysely<NeutronDB>, networkId: string, ipVersion: number, poolId: string | null): Promise<void> {
    const others = await selectSubnetPoolIdsOnNetwork(trx, networkId, ipVersion);
    if (others.some((o) => (poolId ? o.subnetpool_id !== poolId : o.subnetpool_id !== null))) throw new NetworkSubnetPoolAffinityError();
  }

  async create(ctx: RequestContext, body: Dict): Promise<Dict> {
    const d = this.d;
    const ipVersion = body.ip_version as 4 | 6;
    const hasCidr = body.cidr !== undefined && body.cidr !== null;
    let cidr: Cidr | null = null;
    if (hasCidr) {
      const badCidr = validateSubnet(body.cidr);
      if (badCidr) throw badRequest(`Invalid input for cidr. Reason: ${badCidr}.`);
      cidr = parseCidr(body.cidr as string)!;
    }
    if (hasCidr && body.prefixlen !== undefined) throw new NeutronBadRequest('subnets', 'cidr and prefixlen must not be supplied together');
    const poolId = await this.#subnetpoolId(ctx, body, cidr);
    if (!poolId && !cidr) throw new NeutronBadRequest('subnets', 'a subnetpool must be specified in the absence of a cidr');
    // validate_pools_with_subnetpool
    if (poolId && !cidr && body.allocation_pools !== undefined && body.allocation_pools !== null) {
      throw new NeutronBadRequest('subnets', 'allocation_pools allowed only for specific subnet requests.');
    }
    if (!poolId) validateIpVersion(ipVersion, formatCidr(cidr!), 'cidr');
    const id = d.random.uuid();
    // A given CIDR is laid out before the transaction, as neutron validates it first.
    const early = cidr ? this.#layout(body, id, cidr) : null;
    const now = nowIso(d.clock.now());
    return d.db.transaction().execute(async (trx) => {
      const net = await this.networks.getRow(ctx, body.network_id as string, trx);
      if (!ctx.isAdmin && net.project_id !== body.project_id && !toBool(net.shared)) {
        throw new NamedError(403, 'HTTPForbidden', `Tenant ${String(body.project_id)} not allowed to create subnet on this network`);
      }
      await checkQuota(trx, d.cfg, body.project_id as string, 'subnet');
      let final = cidr!;
      let layout = early;
      if (poolId) {
        const got = await this.#allocateFromPool(ctx, trx, body, poolId, cidr);
        final = got.cidr;
        // An "any" request's gateway is the block's first host, whatever gateway_ip said.
        if (!layout) layout = this.#layout(got.anyRequest ? { ...body, gateway_ip: formatIp(final.first + 1n, ipVersion) } : body, id, final);
      }
      const { gateway, pools } = layout!;
      const cidrText = formatCidr(final);
      const others = (await selectSubnetCidrsOfNetwork(trx, net.id)).map((c) => parseCidr(c)!);
      validateSubnetCidr(final, cidrText, net.id, others);
      await this.#checkNetworkPools(trx, net.id, ipVersion, poolId);
      const row: SubnetRow = {
        id,
        project_id: body.project_id as string,
        network_id: net.id,
        name: body.name as string,
        ip_version: ipVersion,
        cidr: cidrText,
        gateway_ip: gateway,
        enable_dhcp: fromBool(body.enable_dhcp as boolean),
        ipv6_ra_mode: (body.ipv6_ra_mode as string | null) ?? null,
        ipv6_address_mode: (body.ipv6_address_mode as string | null) ?? null,
        pool_size: poolsSize(pools).toString(),
        subnetpool_id: poolId,
        description: body.description as string,
        created_at: now,
        updated_at: now,
        revision_number: 0,
      };
      await insertSubnet(trx, row);
      const dns = (body.dns_nameservers as string[]) ?? [];
      const routes = (body.host_routes as { destination: string; nexthop: string }[]) ?? [];
      await this.#writeChildren(trx, id, pools, dns, routes, ipVersion);
      if (isAutoAddressSubnet(row)) await this.#addAutoAddresses(trx, row);
      await updateNetwork(trx, net.id, { revision_number: net.revision_number + 1, updated_at: now });
      return (await this.toDicts(trx, [row]))[0]!;
    });
  }

  /**
   * add_auto_addrs_on_network_ports: a new SLAAC/DHCPv6-stateless subnet gives every port
   * of its network (router interfaces aside) its EUI-64 address; a taken one is skipped.
   */
  async #addAutoAddresses(trx: Kysely<NeutronDB>, subnet: SubnetRow): Promise<void> {
    const ports = await selectPortMacsOnNetworkExcept(trx, subnet.network_id, ROUTER_INTERFACE_OWNERS_SNAT);
    for (const p of ports) {
      const ip = eui64Address(subnet.cidr, p.mac_address);
      const taken = await selectIpHolder(trx, subnet.id, ip);
      if (!taken) await insertIpAllocation(trx, { port_id: p.id, ip_address: ip, subnet_id: subnet.id, network_id: subnet.network_id });
    }
  }

  async #writeChildren(trx: Kysely<NeutronDB>, id: string, pools: IpRange[] | null, dns: string[] | null, routes: { destination: string; nexthop: string }[] | null, v: 4 | 6) {
    if (pools) {
      await replaceAllocationPools(trx, id, pools.map((p) => ({ id: this.d.random.uuid(), subnet_id: id, first_ip: formatIp(p.first, v), last_ip: formatIp(p.last, v) })));
    }
    if (dns) await replaceDnsNameservers(trx, id, dns.map((address, order) => ({ subnet_id: id, address, order })));
    if (routes) {
      await replaceSubnetRoutes(trx, id, routes.map((r) => ({ subnet_id: id, destination: formatCidr(parseCidr(r.destination)!), nexthop: r.nexthop })));
    }
  }

  async update(ctx: RequestContext, id: string, body: Dict): Promise<Dict> {
    const d = this.d;
    return d.db.transaction().execute(async (trx) => {
      const row = await this.getRow(ctx, id, trx);
      if (!ctx.isAdmin && row.project_id !== ctx.projectId) throw new PolicyNotAuthorized('rule:update_subnet');
      const keys = specifiedKeys(body);
      const v = row.ip_version as 4 | 6;
      const cidr = parseCidr(row.cidr)!;
      const set: Partial<SubnetRow> = {};
      if (keys.has('name')) set.name = body.name as string;
      if (keys.has('description')) set.description = body.description as string;
      if (keys.has('enable_dhcp')) {
        // _validate_ipv6_update_dhcp: DHCP stays on while the subnet has IPv6 modes.
        if (body.enable_dhcp === false && (row.ipv6_ra_mode !== null || row.ipv6_address_mode !== null)) {
          throw new InvalidInput('Cannot disable enable_dhcp with ipv6 attributes set');
        }
        set.enable_dhcp = fromBool(body.enable_dhcp as boolean);
      }
      if (keys.has('gateway_ip')) {
        if (body.gateway_ip === null) set.gateway_ip = null;
        else {
          const bad = validateIpAddress(body.gateway_ip);
          if (bad) throw badRequest(`Invalid input for gateway_ip. Reason: ${bad}.`);
          validateIpVersion(v, body.gateway_ip as string, 'gateway_ip');
          validateGatewayInSubnet(cidr, parseIp(body.gateway_ip as string)!);
          set.gateway_ip = formatIp(parseIp(body.gateway_ip as string)!.value, v);
        }
      }
      const gateway = set.gateway_ip !== undefined ? set.gateway_ip : row.gateway_ip;
      let pools: IpRange[] | null = null;
      if (keys.has('allocation_pools')) {
        pools = prepareAllocationPools(body.allocation_pools as { start: string; end: string }[], cidr, gateway);
        set.pool_size = poolsSize(pools).toString();
      } else if (keys.has('gateway_ip') && gateway) {
        const current = (await this.withPools(trx, [row]))[0]!.pools;
        prepareAllocationPools(current.map(rangeToPool), cidr, gateway);
      }
      const dns = keys.has('dns_nameservers') ? (body.dns_nameservers as string[]) : null;
      const routes = keys.has('host_routes') ? (body.host_routes as { destination: string; nexthop: string }[]) : null;
      this.#checkDnsAndRoutes(v, id, dns ?? [], routes ?? []);
      set.updated_at = nowIso(d.clock.now());
      set.revision_number = row.revision_number + 1;
      await updateSubnet(trx, id, set);
      await this.#writeChildren(trx, id, pools, dns, routes, v);
      return (await this.toDicts(trx, [{ ...row, ...set }]))[0]!;
    });
  }

  async delete(ctx: RequestContext, id: string): Promise<void> {
    await this.d.db.transaction().execute(async (trx) => {
      const row = await this.getRow(ctx, id, trx);
      if (!ctx.isAdmin && row.project_id !== ctx.projectId) throw new PolicyNotAuthorized('rule:delete_subnet');
      const holders = await selectSubnetHolders(trx, id);
      // _remove_subnet_ip_allocations_from_ports: router interfaces always hold a subnet; a
      // SLAAC/DHCPv6-stateless subnet's addresses are taken off the other ports that hold
      // them; any other subnet is held by user ports.
      if (holders.some((h) => ROUTER_INTERFACE_OWNERS.includes(h.device_owner))) throw new SubnetInUse(id);
      if (!isAutoAddressSubnet(row) && holders.some((h) => !AUTO_DELETE_PORT_OWNERS.includes(h.device_owner))) throw new SubnetInUse(id);
      await deleteIpAllocationsOfSubnet(trx, id);
      await deleteTagsOf(trx, 'subnets', [id]);
      await deleteSubnet(trx, id);
      const now = nowIso(this.d.clock.now());
      const net = await selectNetworkRevision(trx, row.network_id);
      if (net) await updateNetwork(trx, row.network_id, { revision_number: net.revision_number + 1, updated_at: now });
    });
  }
}
