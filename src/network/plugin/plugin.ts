/** The core plugin: one object holding each resource family, sharing deps and the ML2 driver. */
import type { RequestContext } from '../../common/auth.js';
import type { Dict } from '../api/resource.js';
import { poolsSize } from '../ipam/index.js';
import { countAllocationsBySubnet } from '../db/ipam.js';
import { selectNetworkProject, selectNetworksByCreation } from '../db/networks.js';
import { selectSubnetsOfNetwork } from '../db/subnets.js';
import { NetworkNotFound } from '../errors.js';
import type { PluginDeps } from './deps.js';
import { FloatingIps } from './floating-ips.js';
import { Networks } from './networks.js';
import { PortBindings } from './port-bindings.js';
import { Ports } from './ports.js';
import { Routers } from './routers.js';
import { SecurityGroups } from './security-groups.js';
import { SubnetPools } from './subnet-pools.js';
import { Subnets } from './subnets.js';
import { Tags } from './tags.js';

export class CorePlugin {
  readonly networks: Networks;
  readonly subnets: Subnets;
  readonly subnetPools: SubnetPools;
  readonly ports: Ports;
  /** binding-extended: a port's bindings per host. */
  readonly portBindings: PortBindings;
  readonly securityGroups: SecurityGroups;
  readonly floatingIps: FloatingIps;
  readonly routers: Routers;
  readonly tags: Tags;

  constructor(readonly deps: PluginDeps) {
    this.networks = new Networks(deps);
    this.subnetPools = new SubnetPools(deps);
    this.subnets = new Subnets(deps, this.networks, this.subnetPools);
    this.securityGroups = new SecurityGroups(deps);
    this.ports = new Ports(deps, this.networks, this.subnets, this.securityGroups);
    this.portBindings = new PortBindings(deps, this.ports);
    this.routers = new Routers(deps, this.networks, this.subnets, this.ports);
    this.floatingIps = new FloatingIps(deps, this.subnets, this.routers);
    this.tags = new Tags(deps, {
      networks: (ctx, id, db) => this.networks.getRow(ctx, id, db),
      subnets: (ctx, id, db) => this.subnets.getRow(ctx, id, db),
      ports: (ctx, id, db) => this.ports.getRow(ctx, id, db),
      security_groups: (ctx, id, db) => this.securityGroups.getRow(ctx, id, db),
      floatingips: (ctx, id, db) => this.floatingIps.getRow(ctx, id, db),
      routers: (ctx, id, db) => this.routers.getRow(ctx, id, db),
      subnetpools: (ctx, id, db) => this.subnetPools.getRow(ctx, id, db),
    });
  }

  /** Whether the caller owns the network an item (port) lives on. */
  async ownsNetwork(ctx: RequestContext, item: Dict): Promise<boolean> {
    if (ctx.isAdmin) return true;
    const net = await selectNetworkProject(this.deps.db, String(item.network_id));
    return !net || net.project_id === ctx.projectId;
  }

  /** neutron's network-ip-availability for one network or all (the API lets only admins ask). */
  async ipAvailability(networkId?: string): Promise<Dict[]> {
    const db = this.deps.db;
    const nets = await selectNetworksByCreation(db, networkId);
    if (networkId && !nets.length) throw new NetworkNotFound(networkId);
    const out: Dict[] = [];
    for (const n of nets) {
      const subnets = await this.subnets.withPools(db, await selectSubnetsOfNetwork(db, n.id, false));
      const usedBy = await countAllocationsBySubnet(db, n.id);
      const subnetIp = subnets.map((s) => ({
        used_ips: usedBy.get(s.id) ?? 0,
        subnet_id: s.id,
        subnet_name: s.name,
        ip_version: s.ip_version,
        cidr: s.cidr,
        total_ips: Number(poolsSize(s.pools)),
      }));
      out.push({
        network_id: n.id,
        network_name: n.name,
        tenant_id: n.project_id,
        project_id: n.project_id,
        total_ips: subnetIp.reduce((a, s) => a + s.total_ips, 0),
        used_ips: subnetIp.reduce((a, s) => a + s.used_ips, 0),
        subnet_ip_availability: subnetIp,
      });
    }
    return out;
  }
}
