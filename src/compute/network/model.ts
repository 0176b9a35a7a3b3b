/**
 * Nova's network model (nova/network/model.py, seed §3.4): what compute knows about an
 * instance's networking, built from neutron's ports, subnets and networks and kept in
 * the instance info cache as JSON. NetworkInfo is a list of VIFs; each VIF carries its
 * Network, the Network its Subnets, each Subnet its fixed IPs.
 */

export interface IP {
  address: string;
  type: 'fixed' | 'floating';
  version: 4 | 6;
  meta: Record<string, unknown>;
}

export interface FixedIP extends IP {
  type: 'fixed';
  floating_ips: IP[];
}

export interface Route {
  cidr: string;
  gateway: IP;
  interface: string | null;
  meta: Record<string, unknown>;
}

export interface Subnet {
  cidr: string;
  dns: IP[];
  gateway: IP | null;
  ips: FixedIP[];
  routes: Route[];
  version: 4 | 6;
  meta: { dhcp_server?: string; [k: string]: unknown };
}

export interface Network {
  id: string;
  /** The integration bridge the VIF attaches to (br-int for ovs). */
  bridge: string | null;
  /** The network's name. */
  label: string;
  subnets: Subnet[];
  meta: { injected: boolean; tenant_id: string; mtu?: number | null; physical_network?: string; tunneled?: boolean; [k: string]: unknown };
}

export const VIF_TYPE_OVS = 'ovs';
export const VIF_TYPE_BINDING_FAILED = 'binding_failed';
export const VIF_TYPE_UNBOUND = 'unbound';

/** One port as nova sees it. */
export interface VIF {
  /** The neutron port id. */
  id: string;
  address: string;
  network: Network;
  /** binding:vif_type. */
  type: string;
  /** binding:vif_details. */
  details: Record<string, unknown>;
  /** The tap device name: "tap" + the port id, cut to 14 characters (NIC_NAME_LEN). */
  devname: string;
  /** The port id when the VIF plugs into OVS. */
  ovs_interfaceid: string | null;
  qbh_params: null;
  qbg_params: null;
  /** The port is ACTIVE in neutron (no network-vif-plugged to wait for). */
  active: boolean;
  vnic_type: string;
  /** binding:profile. */
  profile: Record<string, unknown>;
  /** The user gave this port: unbind it on delete/detach instead of deleting it. */
  preserve_on_delete: boolean;
  delegate_create: boolean;
  meta: Record<string, unknown>;
}

export type NetworkInfo = VIF[];

/** Linux's IFNAMSIZ - 2: nova's NIC_NAME_LEN. */
export const NIC_NAME_LEN = 14;

export function devName(portId: string, prefix = 'tap'): string {
  return (prefix + portId).slice(0, NIC_NAME_LEN);
}

/** Fixed IPs of a VIF, in subnet order. */
export function fixedIps(vif: VIF): FixedIP[] {
  return vif.network.subnets.flatMap((s) => s.ips);
}

/** nova's VIF.is_hybrid_plug_enabled: ovs_hybrid_plug in details, else port_filter off... as os-vif decides. */
export function isHybridPlug(vif: VIF): boolean {
  return vif.details['ovs_hybrid_plug'] === true;
}
