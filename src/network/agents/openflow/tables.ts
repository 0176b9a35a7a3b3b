/**
 * OpenFlow table numbers of the OVS agent's bridges (neutron_lib.plugins.ml2.ovs_constants,
 * stable/zed) and the flow text the agent's native driver installs, written as
 * `ovs-ofctl -O OpenFlow13 add-flows` lines. Pure functions: no I/O.
 *
 * Only what the agent installs with the iptables_hybrid firewall is here: br-int's default
 * table, canary table, dead VLAN and ARP/MAC spoofing protection
 * (the hybrid driver has provides_arp_spoofing_protection = False, so the agent adds it),
 * and br-tun's tables for tunnels without l2population. Provider bridges and DVR are not.
 */

/** br-int tables (ovs_constants). */
export const IntTables = {
  LOCAL_SWITCHING: 0,
  CANARY: 23,
  ARP_SPOOF: 24,
  MAC_SPOOF: 25,
  LOCAL_EGRESS: 30,
  LOCAL_IP: 31,
  PACKET_RATE_LIMIT: 59,
  TRANSIENT: 60,
  TRANSIENT_EGRESS: 62,
} as const;

/** br-tun tables (ovs_constants). */
export const TunTables = {
  LOCAL_SWITCHING: 0,
  PATCH_LV_TO_TUN: 2,
  GRE_TUN_TO_LV: 3,
  VXLAN_TUN_TO_LV: 4,
  GENEVE_TUN_TO_LV: 6,
  LEARN_FROM_TUN: 10,
  UCAST_TO_TUN: 20,
  ARP_RESPONDER: 21,
  FLOOD_TO_TUN: 22,
} as const;

/** ovs_constants.TUN_TABLE: a tunnel type's table turning a VNI into a local VLAN. */
export const TUN_TABLE: Readonly<Record<string, number>> = { gre: 3, vxlan: 4, geneve: 6 };

/** ovs_constants.OPENFLOW_MAX_PRIORITY. */
export const OPENFLOW_MAX_PRIORITY = 65535;

/** The OpenFlow version the agent's bridges speak (ovs_lib sets protocols OpenFlow10..15; the native driver uses 1.3). */
export const OFCTL_PROTOCOL = 'OpenFlow13';

/** One flow of an add-flows batch, before the cookie is prefixed. */
export interface FlowSpec {
  table: number;
  priority: number;
  /** ovs-ofctl match fields, comma separated ("" matches everything). */
  match: string;
  /** ovs-ofctl actions ("drop" for none). */
  actions: string;
}

/** `cookie=0x…,table=T,priority=P[,MATCH],actions=A` as ovs-ofctl add-flows reads it. */
export function flowLine(cookie: string, f: FlowSpec): string {
  return `cookie=${cookie},table=${f.table},priority=${f.priority}${f.match ? `,${f.match}` : ''},actions=${f.actions}`;
}

/** A match for del-flows (no priority unless strict): `table=T[,MATCH]`. */
export function matchLine(table: number | null, match: string, priority?: number): string {
  const parts: string[] = [];
  if (table !== null) parts.push(`table=${table}`);
  if (priority !== undefined) parts.push(`priority=${priority}`);
  if (match) parts.push(match);
  return parts.join(',');
}

/** A 64-bit cookie as ovs-ofctl prints it, from 8 random bytes (ovs_lib.generate_random_cookie: uuid4().int & UINT64). */
export function cookieFromBytes(b: Uint8Array): string {
  let hex = '';
  for (const x of b.subarray(0, 8)) hex += x.toString(16).padStart(2, '0');
  hex = hex.replace(/^0+(?=.)/, '');
  return `0x${hex}`;
}

const goto = (t: number) => `goto_table:${t}`;

/**
 * br_int.setup_default_table (enable_openflow_dhcp off, the iptables_hybrid default):
 * canary drop, 0→59→60 NORMAL, ARP spoof table drop, dead VLAN drop at max priority,
 * transient egress NORMAL, local IP tables back to 59.
 */
export function intDefaultFlows(): FlowSpec[] {
  const t = IntTables;
  return [
    { table: t.CANARY, priority: 0, match: '', actions: 'drop' },
    { table: t.LOCAL_SWITCHING, priority: 0, match: '', actions: goto(t.PACKET_RATE_LIMIT) },
    { table: t.PACKET_RATE_LIMIT, priority: 0, match: '', actions: goto(t.TRANSIENT) },
    { table: t.TRANSIENT, priority: 3, match: '', actions: 'NORMAL' },
    { table: t.ARP_SPOOF, priority: 0, match: '', actions: 'drop' },
    { table: t.LOCAL_SWITCHING, priority: OPENFLOW_MAX_PRIORITY, match: 'dl_vlan=4095', actions: 'drop' },
    { table: t.TRANSIENT_EGRESS, priority: 3, match: '', actions: 'NORMAL' },
    { table: t.LOCAL_EGRESS, priority: 0, match: '', actions: goto(t.PACKET_RATE_LIMIT) },
    { table: t.LOCAL_IP, priority: 0, match: '', actions: goto(t.PACKET_RATE_LIMIT) },
  ];
}

/** ovs_bridge.drop_port: everything in from a dead port is dropped (table 0, priority 2). */
export function dropPortFlow(ofport: number): FlowSpec {
  return { table: IntTables.LOCAL_SWITCHING, priority: 2, match: `in_port=${ofport}`, actions: 'drop' };
}

/** The strict match port_alive removes when a dead port is bound again. */
export function dropPortMatch(ofport: number): string {
  return matchLine(IntTables.LOCAL_SWITCHING, `in_port=${ofport}`, 2);
}

/** What ARP spoofing protection needs to know of a port (the agent's port details and VifPort). */
export interface SpoofingPort {
  ofport: number;
  mac: string;
  fixedIps: readonly string[];
  allowedAddressPairs: readonly { ip_address: string; mac_address?: string }[];
}

/** netutils.get_ipv6_addr_by_EUI64('fe80::/64', mac), compressed as netaddr prints it. */
export function linkLocalFromMac(mac: string): string {
  const b = mac.split(':').map((x) => parseInt(x, 16));
  b[0]! ^= 0x02;
  const words = [0xfe80, 0, 0, 0, (b[0]! << 8) | b[1]!, (b[2]! << 8) | 0xff, (0xfe << 8) | b[3]!, (b[4]! << 8) | b[5]!];
  return compressV6(words);
}

function compressV6(words: number[]): string {
  // The longest run of two or more zero words becomes "::" (RFC 5952).
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = words.map((w) => w.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

const isV6 = (ip: string) => ip.includes(':');
/** An address or CIDR with a /0 prefix (has_zero_prefixlen_address): protection is skipped. */
const zeroPrefix = (ips: Iterable<string>) => [...ips].some((ip) => ip.endsWith('/0'));

/**
 * OVSNeutronAgent.setup_arp_spoofing_protection for a port with port security on that no
 * network:* owner has: allowed MACs (table 25, and table 0 priority 9 sending the port's
 * traffic there), ICMPv6 neighbour advertisements for its IPv6 and link-local addresses,
 * and ARP for its IPv4 addresses (table 24, and table 0 priority 10 sending its ARP there).
 * Returns the flows to add; the caller first deletes the port's table-24 allow rules and
 * table-25 flows (delete_arp_spoofing_allow_rules, stale MACs).
 */
export function arpSpoofingFlows(p: SpoofingPort): FlowSpec[] {
  const t = IntTables;
  const addresses = new Set([...p.fixedIps, ...p.allowedAddressPairs.map((x) => x.ip_address)]);
  const macs = new Set([p.mac, ...p.allowedAddressPairs.map((x) => x.mac_address).filter((m): m is string => !!m)]);
  const flows: FlowSpec[] = [];
  for (const mac of macs) flows.push({ table: t.MAC_SPOOF, priority: 2, match: `in_port=${p.ofport},dl_src=${mac}`, actions: goto(t.LOCAL_EGRESS) });
  flows.push({ table: t.LOCAL_SWITCHING, priority: 9, match: `in_port=${p.ofport}`, actions: goto(t.MAC_SPOOF) });
  const v6 = new Set([...addresses].filter(isV6));
  for (const mac of macs) v6.add(linkLocalFromMac(mac));
  if (!zeroPrefix(v6)) {
    for (const ip of v6) flows.push({ table: t.ARP_SPOOF, priority: 2, match: `icmp6,in_port=${p.ofport},icmp_type=136,nd_target=${ip}`, actions: goto(t.PACKET_RATE_LIMIT) });
    flows.push({ table: t.LOCAL_SWITCHING, priority: 10, match: `icmp6,in_port=${p.ofport},icmp_type=136`, actions: goto(t.ARP_SPOOF) });
  }
  const v4 = [...addresses].filter((ip) => !isV6(ip));
  if (!zeroPrefix(v4)) {
    for (const ip of v4) flows.push({ table: t.ARP_SPOOF, priority: 2, match: `arp,in_port=${p.ofport},arp_spa=${ip}`, actions: goto(t.MAC_SPOOF) });
    flows.push({ table: t.LOCAL_SWITCHING, priority: 10, match: `arp,in_port=${p.ofport}`, actions: goto(t.ARP_SPOOF) });
  }
  return flows;
}

/**
 * The del-flows matches that clear a port's spoofing protection before it is installed
 * again (delete_arp_spoofing_allow_rules + the MAC table), or for good
 * (delete_arp_spoofing_protection + set_allowed_macs_for_port allow_all): non-strict.
 */
export function arpSpoofingClearMatches(ofport: number, all: boolean): string[] {
  const t = IntTables;
  const m = [matchLine(t.ARP_SPOOF, `in_port=${ofport}`), matchLine(t.MAC_SPOOF, `in_port=${ofport}`)];
  if (all) m.push(matchLine(t.LOCAL_SWITCHING, `in_port=${ofport}`));
  return m;
}

/**
 * br_tun.setup_default_table (arp_responder off: no l2population): from patch-int to
 * table 2, else drop; unicast → 20, multicast/broadcast → 22; tunnel tables drop until a
 * network is provisioned; 10 learns the source MAC into 20 and outputs to patch-int; 20
 * falls back to flooding, 22 drops.
 */
export function tunDefaultFlows(patchIntOfport: number, cookie: string): FlowSpec[] {
  const t = TunTables;
  const learn =
    `learn(table=${t.UCAST_TO_TUN},hard_timeout=300,priority=1,cookie=${cookie},` +
    'NXM_OF_VLAN_TCI[0..11],NXM_OF_ETH_DST[]=NXM_OF_ETH_SRC[],load:0->NXM_OF_VLAN_TCI[],' +
    `load:NXM_NX_TUN_ID[]->NXM_NX_TUN_ID[],output:OXM_OF_IN_PORT[]),output:${patchIntOfport}`;
  return [
    { table: t.LOCAL_SWITCHING, priority: 1, match: `in_port=${patchIntOfport}`, actions: goto(t.PATCH_LV_TO_TUN) },
    { table: t.LOCAL_SWITCHING, priority: 0, match: '', actions: 'drop' },
    { table: t.PATCH_LV_TO_TUN, priority: 0, match: 'dl_dst=00:00:00:00:00:00/01:00:00:00:00:00', actions: goto(t.UCAST_TO_TUN) },
    { table: t.PATCH_LV_TO_TUN, priority: 0, match: 'dl_dst=01:00:00:00:00:00/01:00:00:00:00:00', actions: goto(t.FLOOD_TO_TUN) },
    { table: t.GRE_TUN_TO_LV, priority: 0, match: '', actions: 'drop' },
    { table: t.VXLAN_TUN_TO_LV, priority: 0, match: '', actions: 'drop' },
    { table: t.GENEVE_TUN_TO_LV, priority: 0, match: '', actions: 'drop' },
    { table: t.LEARN_FROM_TUN, priority: 1, match: '', actions: learn },
    { table: t.UCAST_TO_TUN, priority: 0, match: '', actions: goto(t.FLOOD_TO_TUN) },
    { table: t.FLOOD_TO_TUN, priority: 0, match: '', actions: 'drop' },
  ];
}

/** br_tun.provision_local_vlan (not distributed): the network's VNI becomes its local VLAN, then learning. */
export function tunProvisionFlow(networkType: string, lvid: number, segmentationId: number): FlowSpec {
  return {
    table: TUN_TABLE[networkType] ?? TunTables.VXLAN_TUN_TO_LV,
    priority: 1,
    match: `tun_id=0x${segmentationId.toString(16)}`,
    actions: `push_vlan:0x8100,set_field:${4096 | lvid}->vlan_vid,${goto(TunTables.LEARN_FROM_TUN)}`,
  };
}

/** br_tun.reclaim_local_vlan: the non-strict match removing a network's VNI flow. */
export function tunReclaimMatch(networkType: string, segmentationId: number): string {
  return matchLine(TUN_TABLE[networkType] ?? TunTables.VXLAN_TUN_TO_LV, `tun_id=0x${segmentationId.toString(16)}`);
}

/** br_tun.install_flood_to_tun: a local VLAN's broadcast leaves untagged with the VNI through every tunnel. */
export function tunFloodFlow(lvid: number, segmentationId: number, ofports: readonly number[]): FlowSpec {
  const out = ofports.map((p) => `output:${p}`).join(',');
  return {
    table: TunTables.FLOOD_TO_TUN,
    priority: 1,
    match: `dl_vlan=${lvid}`,
    actions: `pop_vlan,set_field:0x${segmentationId.toString(16)}->tun_id${out ? `,${out}` : ''}`,
  };
}

/** br_tun.delete_flood_to_tun / delete_unicast_to_tun(vlan, None): a reclaimed VLAN's flows in 22 and 20. */
export function tunVlanMatches(lvid: number): string[] {
  return [matchLine(TunTables.FLOOD_TO_TUN, `dl_vlan=${lvid}`), matchLine(TunTables.UCAST_TO_TUN, `dl_vlan=${lvid}`)];
}

/** br_tun.setup_tunnel_port: what comes in from a tunnel goes to its type's table. */
export function tunPortFlow(networkType: string, ofport: number): FlowSpec {
  return { table: TunTables.LOCAL_SWITCHING, priority: 1, match: `in_port=${ofport}`, actions: goto(TUN_TABLE[networkType] ?? TunTables.VXLAN_TUN_TO_LV) };
}

/** Every flow on an ofport (br_tun.cleanup_tunnel_port, int_br.uninstall_flows(in_port=...)). */
export function inPortMatch(ofport: number): string {
  return `in_port=${ofport}`;
}

/**
 * OVSNeutronAgent.get_tunnel_name: TYPE-HASH within 15 characters, the hash being the
 * remote IPv4 address in hex (get_tunnel_hash: '%08x' of the address, cut to the room
 * left); IPv6 addresses use a sha1 prefix, not modelled (null).
 */
export function tunnelPortName(networkType: string, remoteIp: string): string | null {
  const parts = remoteIp.split('.');
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) return null;
  const hashlen = 15 - networkType.length - 1;
  const hex = parts.map((p) => Number(p).toString(16).padStart(2, '0')).join('');
  return `${networkType}-${hex.slice(0, hashlen)}`;
}
