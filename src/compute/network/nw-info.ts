/**
 * Building nova's network model (model.ts) from what neutron says about an instance's
 * ports: nova's _build_vif_model, _nw_info_build_network, _get_subnets_from_port and
 * _get_physnet_tunneled_info, without the I/O. neutron.ts reads the ports, subnets, DHCP
 * ports, floating IPs and network provider data once per call (batched with `id=a&id=b`
 * filters) and hands them here; these functions only pick and shape, in nova's key order,
 * so the info cache JSON reads like nova's (transcript 92).
 */
import { NovaException } from '../errors.js';
import type { FloatingIpDict, NetworkDict, PortDict, SubnetDict } from './neutron-client.js';
import { type FixedIP, type IP, type Network, type Route, type Subnet, type VIF, VIF_TYPE_OVS, VIF_TYPE_UNBOUND, devName } from './model.js';

/** nova.conf [neutron] ovs_bridge: the integration bridge when the binding names none. */
export const DEFAULT_OVS_BRIDGE = 'br-int';
/** nova's constants.L3_NETWORK_TYPES: networks whose traffic is tunneled. */
const L3_NETWORK_TYPES = new Set(['vxlan', 'gre', 'geneve']);
const VIF_TYPE_AGILIO_OVS = 'agilio_ovs';
const VIF_TYPE_BRIDGE = 'bridge';
const VIF_TYPE_DVS = 'dvs';
const VIF_TYPE_VHOSTUSER = 'vhostuser';

/** The physical network a port's network sits on, and whether it is a tunnel (network meta). */
export interface ProviderInfo {
  physicalNetwork: string | null;
  tunneled: boolean;
}

/** Everything the model of some ports is built from, read from neutron beforehand. */
export interface NwInfoSources {
  /** The networks of the ports (name, tenant_id, mtu). */
  networks: NetworkDict[];
  /** The subnets of the ports' fixed IPs. */
  subnets: SubnetDict[];
  /** The network:dhcp ports of those subnets' networks. */
  dhcpPorts: PortDict[];
  /** Floating IPs of the ports. */
  floatingIps: FloatingIpDict[];
  /** physnetTunneled() of each network, by network id. */
  providers: Map<string, ProviderInfo>;
  /** nova.conf [neutron] ovs_bridge (br-int). */
  ovsBridge?: string;
  /** nova.conf flat_injected (false). */
  flatInjected?: boolean;
}

export function ipVersion(address: string): 4 | 6 {
  return address.includes(':') ? 6 : 4;
}

/**
 * nova's _get_physnet_tunneled_info from an admin's read of the network: with segments
 * (multi-provider), the first segment naming a physical network (not tunneled), and a
 * NovaException when none does; else provider:physical_network and whether
 * provider:network_type is vxlan/gre/geneve.
 */
export function physnetTunneled(net: NetworkDict | undefined, netId: string): ProviderInfo {
  const segments = net?.segments;
  if (segments && segments.length > 0) {
    for (const s of segments) {
      const physnet = s['provider:physical_network'];
      if (physnet) return { physicalNetwork: physnet, tunneled: false };
    }
    throw new NovaException(`None of the segments of network ${netId} provides a physical_network`);
  }
  return { physicalNetwork: net?.['provider:physical_network'] ?? null, tunneled: L3_NETWORK_TYPES.has(net?.['provider:network_type'] ?? '') };
}

/** nova's IP(type='gateway'|'dns'): model.ts names only fixed/floating, so the type is widened here. */
function typedIp(address: string, type: 'gateway' | 'dns' | 'floating'): IP {
  return { address, type: type as IP['type'], version: ipVersion(address), meta: {} };
}

/** The fixed IPs of a port with their floating IPs (nova's _nw_info_get_ips), keyed by subnet id. */
function portIps(port: PortDict, floatingIps: FloatingIpDict[]): { subnetId: string; ip: FixedIP }[] {
  return port.fixed_ips.map((f) => {
    const floats: IP[] = [];
    for (const fip of floatingIps) {
      if (fip.port_id !== port.id || fip.fixed_ip_address !== f.ip_address) continue;
      if (!floats.some((x) => x.address === fip.floating_ip_address)) floats.push(typedIp(fip.floating_ip_address, 'floating'));
    }
    return { subnetId: f.subnet_id, ip: { address: f.ip_address, type: 'fixed', version: ipVersion(f.ip_address), meta: {}, floating_ips: floats } };
  });
}

/**
 * The subnets of a port (nova's _get_subnets_from_port + _nw_info_get_subnets): cidr,
 * gateway, DNS servers, host routes, the port's IPs in each, and meta.dhcp_server — the
 * network's DHCP port address in the subnet, else the gateway when DHCP is enabled.
 */
export function buildSubnets(port: PortDict, src: Pick<NwInfoSources, 'subnets' | 'dhcpPorts' | 'floatingIps'>): Subnet[] {
  if (port.fixed_ips.length === 0) return [];
  const wanted = new Set(port.fixed_ips.map((f) => f.subnet_id));
  const ips = portIps(port, src.floatingIps);
  const out: Subnet[] = [];
  for (const s of src.subnets) {
    if (!wanted.has(s.id)) continue;
    const meta: Subnet['meta'] = {};
    if (s.ipv6_address_mode) meta['ipv6_address_mode'] = s.ipv6_address_mode;
    // nova breaks out of the inner loop only: the last DHCP port with an address in the subnet wins.
    for (const p of src.dhcpPorts) {
      if (p.network_id !== s.network_id) continue;
      const hit = p.fixed_ips.find((f) => f.subnet_id === s.id);
      if (hit) meta.dhcp_server = hit.ip_address;
    }
    if (s.enable_dhcp && meta.dhcp_server === undefined && s.gateway_ip) meta.dhcp_server = s.gateway_ip;
    const dns: IP[] = [];
    for (const d of s.dns_nameservers ?? []) if (!dns.some((x) => x.address === d)) dns.push(typedIp(d, 'dns'));
    const routes: Route[] = [];
    for (const r of s.host_routes ?? []) {
      if (routes.some((x) => x.cidr === r.destination && x.gateway.address === r.nexthop)) continue;
      routes.push({ cidr: r.destination, gateway: typedIp(r.nexthop, 'gateway'), interface: null, meta: {} });
    }
    out.push({
      cidr: s.cidr,
      dns,
      // nova keeps {"address": null, "type": "gateway"} for a subnet without gateway; the model's null says the same.
      gateway: s.gateway_ip ? typedIp(s.gateway_ip, 'gateway') : null,
      ips: ips.filter((x) => x.subnetId === s.id).map((x) => x.ip),
      routes,
      version: s.ip_version === 6 || s.cidr.includes(':') ? 6 : 4,
      meta,
    });
  }
  return out;
}

/**
 * The Network of a VIF (nova's _nw_info_build_network): label, tenant and MTU from the
 * instance's networks (the port's tenant when the network is not among them), the bridge
 * by vif_type (binding's bridge_name or br-int for ovs, brq<net> for linux bridge), and the
 * OVS interface id when the port plugs into OVS.
 */
export function buildNetwork(port: PortDict, src: Pick<NwInfoSources, 'networks' | 'providers' | 'ovsBridge' | 'flatInjected'>, subnets: Subnet[], warn?: (msg: string) => void): { network: Network; ovsInterfaceId: string | null } {
  const net = src.networks.find((n) => n.id === port.network_id);
  if (!net) warn?.(`Network ${port.network_id} not matched with the tenants network! The ports tenant ${port.tenant_id} will be used.`);
  const vifType = port['binding:vif_type'];
  const details = port['binding:vif_details'] ?? {};
  const bridgeName = typeof details['bridge_name'] === 'string' ? details['bridge_name'] : undefined;
  let bridge: string | null = null;
  let ovsInterfaceId: string | null = null;
  let shouldCreateBridge: boolean | undefined;
  if (vifType === VIF_TYPE_OVS || vifType === VIF_TYPE_AGILIO_OVS) {
    bridge = bridgeName ?? src.ovsBridge ?? DEFAULT_OVS_BRIDGE;
    ovsInterfaceId = port.id;
  } else if (vifType === VIF_TYPE_BRIDGE) {
    bridge = bridgeName ?? `brq${port.network_id}`;
    shouldCreateBridge = true;
  } else if (vifType === VIF_TYPE_DVS) {
    bridge = port.network_id;
  } else if (vifType === VIF_TYPE_VHOSTUSER && details['vhostuser_ovs_plug'] === true) {
    bridge = bridgeName ?? src.ovsBridge ?? DEFAULT_OVS_BRIDGE;
    ovsInterfaceId = port.id;
  } else if (vifType === VIF_TYPE_VHOSTUSER && details['vhostuser_fp_plug'] === true) {
    bridge = bridgeName ?? `brq${port.network_id}`;
  }
  if (bridge !== null && vifType !== VIF_TYPE_DVS) bridge = bridge.slice(0, 14);
  const provider = src.providers.get(port.network_id) ?? { physicalNetwork: null, tunneled: false };
  // Built as a record so physical_network can be null as in nova's JSON (model.ts types it string | undefined).
  const meta: Record<string, unknown> = {
    injected: src.flatInjected ?? false,
    tenant_id: net ? net.tenant_id : port.tenant_id,
    mtu: net?.mtu ?? null,
    physical_network: provider.physicalNetwork,
    tunneled: provider.tunneled,
  };
  if (shouldCreateBridge !== undefined) meta['should_create_bridge'] = shouldCreateBridge;
  return {
    network: { id: port.network_id, bridge, label: net?.name ?? '', subnets, meta: meta as Network['meta'] },
    ovsInterfaceId,
  };
}

/** One VIF from a port as an admin sees it (nova's _build_vif_model). */
export function buildVif(port: PortDict, src: NwInfoSources, preserveOnDelete: boolean, warn?: (msg: string) => void): VIF {
  const subnets = buildSubnets(port, src);
  const { network, ovsInterfaceId } = buildNetwork(port, src, subnets, warn);
  return {
    id: port.id,
    address: port.mac_address,
    network,
    // Admin reads always carry binding:vif_type; nova would store None for a view without it.
    type: port['binding:vif_type'] ?? VIF_TYPE_UNBOUND,
    details: port['binding:vif_details'] ?? {},
    devname: devName(port.id),
    ovs_interfaceid: ovsInterfaceId,
    qbh_params: null,
    qbg_params: null,
    active: port.admin_state_up === false || port.status === 'ACTIVE',
    vnic_type: port['binding:vnic_type'] ?? 'normal',
    profile: port['binding:profile'] ?? {},
    preserve_on_delete: preserveOnDelete,
    delegate_create: true,
    meta: {},
  };
}
