/**
 * The flows of Zed's OVSFirewallDriver (neutron/agent/linux/openvswitch_firewall/
 * firewall.py and rules.py, `[agent] firewall_driver = openvswitch`) on br-int, as pure
 * functions: the bridge-wide tables, one port's base flows (anti-spoofing, DHCP, ARP,
 * ICMPv6 neighbour discovery, conntrack in the network's zone) and its security group
 * rules as ct flows, the flows of a port without port security (trusted), and the
 * del-flows matches that remove a port. No I/O.
 *
 * Registers (openvswitch_firewall/constants.py): reg5 holds the port's ofport, reg6 its
 * network's local VLAN, which is also its conntrack zone. explicitly_egress_direct is off
 * (Zed's default) and there is no hardware offload, so accepted ingress is `output:OFPORT`
 * and accepted egress goes through table 94's NORMAL.
 *
 * One difference from Zed, on purpose: rules with a remote group are expanded here into
 * one flow set per member address (as a remote IP prefix rule at the priority Zed gives
 * the group's conjunction flows), instead of Zed's conjunction(…) flows with conj_id
 * bookkeeping across ports; what a packet meets is the same, the flow text is not.
 */
import { type FlowSpec, linkLocalFromMac, matchLine } from '../openflow/tables.js';
import type { MemberIp, SgRuleInfo } from '../../rpc/sg-wire.js';

/** br-int's firewall tables (neutron_lib ovs_constants). */
export const FwTables = {
  TRANSIENT: 60,
  BASE_EGRESS: 71,
  RULES_EGRESS: 72,
  ACCEPT_OR_INGRESS: 73,
  BASE_INGRESS: 81,
  RULES_INGRESS: 82,
  ACCEPTED_EGRESS_TRAFFIC: 91,
  ACCEPTED_INGRESS_TRAFFIC: 92,
  DROPPED_TRAFFIC: 93,
  ACCEPTED_EGRESS_TRAFFIC_NORMAL: 94,
} as const;

/** OVS_FIREWALL_TABLES: each drops what nothing else matched. */
const FIREWALL_TABLES = [71, 72, 73, 81, 82] as const;

const REG_PORT = 5;
const REG_NET = 6;
const CT_MARK_NORMAL = '0x0';
const CT_MARK_INVALID = '0x1';
/** ovs_constants.FLAT_VLAN_TCI: untagged frames. */
const FLAT_VLAN_TCI = '0x0000/0x1fff';
const ETH = { IP: '0x0800', IPV6: '0x86dd', ARP: '0x0806' } as const;
const PROTO = { ICMP: 1, TCP: 6, UDP: 17, ICMPV6: 58, SCTP: 132 } as const;
/** neutron.agent.firewall: ICMPv6 types a port may send / receive whatever its rules. */
const ICMPV6_ALLOWED_EGRESS = [130, 133, 135] as const;
const ICMPV6_RESTRICTED_EGRESS = [136] as const;
/** ICMPV6_ALLOWED_INGRESS_TYPES + RA (the OVS firewall adds router advertisements itself). */
const ICMPV6_ALLOWED_INGRESS = [130, 135, 136, 134] as const;
const ICMPV6_TYPE_RA = 134;

const zone = `NXM_NX_REG${REG_NET}[0..15]`;
const resubmit = (t: number) => `resubmit(,${t})`;

/** A filtered port as the firewall sees it (OFPort): its VIF on br-int and its Neutron addresses. */
export interface FwPort {
  ofport: number;
  /** The network's local VLAN on br-int: reg6 and the conntrack zone. */
  vlanTag: number;
  /** The VIF's attached-mac. */
  mac: string;
  fixedIps: readonly string[];
  allowedAddressPairs: readonly { ip_address: string; mac_address: string }[];
  networkType: string | null;
  segmentId: number | null;
}

type Field = [string, string | number];
const flow = (table: number, priority: number, fields: Field[], actions: string): FlowSpec => ({
  table,
  priority,
  match: fields.map(([k, v]) => `${k}=${v}`).join(','),
  actions,
});

const isV6 = (ip: string) => ip.includes(':');

function pairs(p: FwPort, v6: boolean): [string, string][] {
  const out = new Map<string, [string, string]>();
  const add = (mac: string, ip: string) => out.set(`${mac} ${ip}`, [mac, ip]);
  for (const a of p.allowedAddressPairs) if (isV6(a.ip_address) === v6) add(a.mac_address, a.ip_address);
  for (const ip of p.fixedIps) if (isV6(ip) === v6) add(p.mac, ip);
  return [...out.values()];
}

/** OFPort.all_allowed_macs. */
export function allowedMacs(p: FwPort): string[] {
  return [...new Set([p.mac, ...p.allowedAddressPairs.map((a) => a.mac_address)])];
}

/** _drop_all_unmatched_flows, _initialize_common_flows and _initialize_third_party_tables (once per bridge). */
export function firewallBridgeFlows(): FlowSpec[] {
  const t = FwTables;
  return [
    ...FIREWALL_TABLES.map((table) => flow(table, 0, [], 'drop')),
    flow(t.BASE_EGRESS, 110, [['ct_state', '+trk']], `ct_clear,${resubmit(t.BASE_EGRESS)}`),
    flow(t.ACCEPTED_EGRESS_TRAFFIC_NORMAL, 1, [], 'normal'),
    flow(t.ACCEPTED_EGRESS_TRAFFIC, 1, [], resubmit(t.ACCEPTED_EGRESS_TRAFFIC_NORMAL)),
    flow(t.ACCEPTED_INGRESS_TRAFFIC, 0, [], 'drop'),
    flow(t.DROPPED_TRAFFIC, 0, [], 'drop'),
  ];
}

const setRegs = (p: FwPort) => `set_field:${p.ofport}->reg${REG_PORT},set_field:${p.vlanTag}->reg${REG_NET},`;

/** initialize_port_flows: table 60's classification, then the egress and ingress base tables. */
export function portBaseFlows(p: FwPort): FlowSpec[] {
  const t = FwTables;
  const out: FlowSpec[] = [flow(t.TRANSIENT, 100, [['in_port', p.ofport]], `${setRegs(p)}${resubmit(t.BASE_EGRESS)}`)];
  for (const mac of allowedMacs(p)) {
    // install_physical_direct_flow: frames of a VLAN or flat network straight from the physical bridge.
    if (p.networkType === 'vlan' && p.segmentId !== null) {
      out.push(flow(t.TRANSIENT, 90, [['dl_dst', mac], ['dl_vlan', `0x${p.segmentId.toString(16)}`]], `${setRegs(p)}strip_vlan,${resubmit(t.BASE_INGRESS)}`));
    } else if (p.networkType === 'flat') {
      out.push(flow(t.TRANSIENT, 90, [['dl_dst', mac], ['vlan_tci', FLAT_VLAN_TCI]], `${setRegs(p)}${resubmit(t.BASE_INGRESS)}`));
    }
    out.push(flow(t.TRANSIENT, 90, [['dl_dst', mac], ['dl_vlan', `0x${p.vlanTag.toString(16)}`]], `${setRegs(p)}strip_vlan,${resubmit(t.BASE_INGRESS)}`));
  }
  out.push(...egressBase(p), ...ingressBase(p));
  return out;
}

function egressBase(p: FwPort): FlowSpec[] {
  const t = FwTables;
  const port: Field[] = [['in_port', p.ofport], ['reg5', p.ofport]];
  const out: FlowSpec[] = [];
  const v4 = pairs(p, false);
  for (const [mac, ip] of v4) {
    out.push(flow(t.BASE_EGRESS, 95, [...port, ['dl_src', mac], ['dl_type', ETH.ARP], ['arp_spa', ip]], resubmit(t.ACCEPTED_EGRESS_TRAFFIC_NORMAL)));
    out.push(flow(t.BASE_EGRESS, 65, [...port, ['dl_type', ETH.IP], ['dl_src', mac], ['nw_src', ip]], `ct(table=${t.RULES_EGRESS},zone=${zone})`));
  }
  const v6 = pairs(p, true);
  // _initialize_egress_ipv6_icmp: the port's link-local address too.
  const lla = linkLocalFromMac(p.mac);
  const nd = v6.some(([m, ip]) => m === p.mac && ip === lla) ? v6 : [...v6, [p.mac, lla] as [string, string]];
  for (const [mac, ip] of nd) {
    for (const type of ICMPV6_ALLOWED_EGRESS) {
      out.push(flow(t.BASE_EGRESS, 95, [...port, ['dl_type', ETH.IPV6], ['nw_proto', PROTO.ICMPV6], ['icmp_type', type], ['dl_src', mac], ['ipv6_src', ip]], resubmit(t.ACCEPTED_EGRESS_TRAFFIC_NORMAL)));
    }
    for (const type of ICMPV6_RESTRICTED_EGRESS) {
      out.push(flow(t.BASE_EGRESS, 95, [...port, ['dl_type', ETH.IPV6], ['nw_proto', PROTO.ICMPV6], ['icmp_type', type], ['nd_target', ip]], resubmit(t.ACCEPTED_EGRESS_TRAFFIC_NORMAL)));
    }
  }
  for (const [mac, ip] of v6) {
    out.push(flow(t.BASE_EGRESS, 65, [...port, ['dl_type', ETH.IPV6], ['dl_src', mac], ['ipv6_src', ip]], `ct(table=${t.RULES_EGRESS},zone=${zone})`));
  }
  // DHCP discovery (from the unspecified address too), and no DHCP server in a guest.
  for (const [mac, ip] of [...v4, [p.mac, '0.0.0.0'] as [string, string]]) {
    out.push(flow(t.BASE_EGRESS, 80, [...port, ['dl_type', ETH.IP], ['dl_src', mac], ['nw_src', ip], ['nw_proto', PROTO.UDP], ['tp_src', 68], ['tp_dst', 67]], resubmit(t.ACCEPT_OR_INGRESS)));
  }
  for (const [mac, ip] of v6) {
    out.push(flow(t.BASE_EGRESS, 80, [...port, ['dl_type', ETH.IPV6], ['dl_src', mac], ['ipv6_src', ip], ['nw_proto', PROTO.UDP], ['tp_src', 546], ['tp_dst', 547]], resubmit(t.ACCEPT_OR_INGRESS)));
  }
  out.push(flow(t.BASE_EGRESS, 70, [...port, ['dl_type', ETH.IP], ['nw_proto', PROTO.UDP], ['tp_src', 67], ['tp_dst', 68]], resubmit(t.DROPPED_TRAFFIC)));
  out.push(flow(t.BASE_EGRESS, 70, [...port, ['dl_type', ETH.IPV6], ['nw_proto', PROTO.UDP], ['tp_src', 547], ['tp_dst', 546]], resubmit(t.DROPPED_TRAFFIC)));
  out.push(flow(t.BASE_EGRESS, 70, [...port, ['dl_type', ETH.IPV6], ['nw_proto', PROTO.ICMPV6], ['icmp_type', ICMPV6_TYPE_RA]], resubmit(t.DROPPED_TRAFFIC)));
  out.push(flow(t.BASE_EGRESS, 10, port, `ct_clear,${resubmit(t.DROPPED_TRAFFIC)}`));
  // accept_or_ingress: traffic to another port of this host meets its ingress tables.
  for (const mac of allowedMacs(p)) {
    out.push(flow(t.ACCEPT_OR_INGRESS, 100, [['dl_dst', mac], ['reg6', p.vlanTag]], `set_field:${p.ofport}->reg${REG_PORT},${resubmit(t.BASE_INGRESS)}`));
  }
  for (const eth of [ETH.IP, ETH.IPV6]) {
    out.push(flow(t.ACCEPT_OR_INGRESS, 90, [['dl_type', eth], ['reg5', p.ofport], ['ct_state', '+new-est']], `ct(commit,zone=${zone}),${resubmit(t.ACCEPTED_EGRESS_TRAFFIC)}`));
  }
  out.push(flow(t.ACCEPT_OR_INGRESS, 80, [['reg5', p.ofport]], resubmit(t.ACCEPTED_EGRESS_TRAFFIC_NORMAL)));
  return out;
}

function ingressBase(p: FwPort): FlowSpec[] {
  const t = FwTables;
  const reg: Field = ['reg5', p.ofport];
  const output = `output:${p.ofport}`;
  const out: FlowSpec[] = [flow(t.BASE_INGRESS, 100, [['dl_type', ETH.ARP], reg], output)];
  for (const type of ICMPV6_ALLOWED_INGRESS) out.push(flow(t.BASE_INGRESS, 100, [reg, ['dl_type', ETH.IPV6], ['nw_proto', PROTO.ICMPV6], ['icmp_type', type]], output));
  out.push(flow(t.BASE_INGRESS, 95, [reg, ['dl_type', ETH.IP], ['nw_proto', PROTO.UDP], ['tp_src', 67], ['tp_dst', 68]], output));
  out.push(flow(t.BASE_INGRESS, 95, [reg, ['dl_type', ETH.IPV6], ['nw_proto', PROTO.UDP], ['tp_src', 547], ['tp_dst', 546]], output));
  for (const eth of [ETH.IP, ETH.IPV6]) out.push(flow(t.BASE_INGRESS, 90, [reg, ['dl_type', eth], ['ct_state', '-trk']], `ct(table=${t.RULES_INGRESS},zone=${zone})`));
  out.push(flow(t.BASE_INGRESS, 80, [['ct_state', '+trk'], reg], resubmit(t.RULES_INGRESS)));
  return out;
}

/** _initialize_tracked_ingress / _initialize_tracked_egress: invalid, stale-mark, established and related. */
function trackedFlows(p: FwPort, table: number, accept: string): FlowSpec[] {
  const t = FwTables;
  const reg: Field = ['reg5', p.ofport];
  const out = [
    flow(table, 50, [['ct_state', '+trk+inv']], resubmit(t.DROPPED_TRAFFIC)),
    flow(table, 50, [reg, ['ct_mark', CT_MARK_INVALID]], resubmit(t.DROPPED_TRAFFIC)),
  ];
  for (const state of ['+est-rel+rpl', '-new-est+rel-inv']) {
    out.push(flow(table, 50, [['ct_state', state], ['ct_mark', CT_MARK_NORMAL], reg, ['ct_zone', p.vlanTag]], accept));
  }
  out.push(flow(table, 40, [reg, ['ct_state', '-est']], resubmit(t.DROPPED_TRAFFIC)));
  for (const eth of [ETH.IP, ETH.IPV6]) {
    out.push(flow(table, 40, [['dl_type', eth], reg, ['ct_state', '+est']], `ct(commit,zone=${zone},exec(set_field:${CT_MARK_INVALID}->ct_mark))`));
  }
  return out;
}

/** A rule with its protocol as a number (SecurityGroup.update_rules). */
interface FwRule extends Omit<SgRuleInfo, 'protocol'> {
  protocol?: number | string;
}

const PROTOCOL_NUMBERS: Readonly<Record<string, number>> = {
  ah: 51, dccp: 33, egp: 8, esp: 50, gre: 47, hopopt: 0, icmp: 1, igmp: 2, ipip: 4, ipv6_encap: 41, ipv6_frag: 44,
  ipv6_icmp: 58, 'ipv6-icmp': 58, ipv6_nonxt: 59, ipv6_opts: 60, ipv6_route: 43, ospf: 89, pgm: 113, rsvp: 46,
  sctp: 132, tcp: 6, udp: 17, udplite: 136, vrrp: 112,
};

function normalise(rule: SgRuleInfo): FwRule {
  const p = rule.protocol;
  if (p === undefined || p === null) return rule;
  let protocol: number | string;
  if (/^\d+$/.test(p)) protocol = Number(p);
  else if (rule.ethertype === 'IPv6' && p === 'icmp') protocol = PROTO.ICMPV6;
  else protocol = PROTOCOL_NUMBERS[p] ?? p;
  return { ...rule, protocol };
}

/** rules.flow_priority_offset: more specific rules first; remote group rules below prefix rules. */
function priorityOffset(r: FwRule, remote: boolean): number {
  const base = remote ? 0 : 4;
  if (r.protocol === undefined) return base;
  if (r.protocol === PROTO.ICMP || r.protocol === PROTO.ICMPV6) {
    if (r.port_range_min === undefined) return base + 1;
    if (r.port_range_max === undefined) return base + 2;
  }
  return base + 3;
}

const hex4 = (n: number) => `0x${n.toString(16).padStart(4, '0')}`;
const hexFormat = (port: number, mask = 0) => (mask > 0 ? `${hex4(port)}/${hex4(0xffff & ~mask)}` : hex4(port));

/** neutron.common.utils.port_rule_masking: a port range as value/mask matches. */
export function portRuleMasking(min: number, max: number): string[] {
  if (max < min) throw new RangeError("'port_max' is smaller than 'port_min'");
  const diff = min ^ max;
  if (diff === 0) return [hexFormat(min)];
  let top = 1;
  while (top <= diff) top <<= 1;
  if ((min & (top - 1)) === 0 && (max & (top - 1)) === top - 1) return [hexFormat(min, top - 1)];
  top >>= 1;
  const rules: string[] = [];
  let bit = top;
  let mask = bit - 1;
  for (;;) {
    if ((min & mask) === 0) {
      rules.push(hexFormat(min, mask));
      break;
    }
    bit >>= 1;
    mask >>= 1;
    if ((min & bit) === 0) rules.push(hexFormat((min & ~mask) | bit, mask));
  }
  bit = top;
  mask = bit - 1;
  for (;;) {
    if ((max & mask) === mask) {
      rules.push(hexFormat(max & ~mask, mask));
      break;
    }
    bit >>= 1;
    mask >>= 1;
    if ((max & bit) === bit) rules.push(hexFormat(max & ~mask & ~bit, mask));
  }
  return rules;
}

const ZERO_PREFIXES = new Set(['0.0.0.0/0', '::/0']);
const validPrefix = (p: string | undefined): p is string => !!p && !ZERO_PREFIXES.has(p) && !/^(0\.0\.0\.0|::)\/0$/.test(p);
const PORT_PROTOCOL_NAMES: Readonly<Record<number, string>> = { 6: 'tcp', 17: 'udp', 132: 'sctp' };

/** rules.create_flows_from_rule_and_port, each flow then made into its accept pair (create_accept_flows). */
function ruleFlows(p: FwPort, r: FwRule, remote: boolean): FlowSpec[] {
  const t = FwTables;
  const ingress = r.direction === 'ingress';
  const table = ingress ? t.RULES_INGRESS : t.RULES_EGRESS;
  const action = ingress ? `output:${p.ofport}` : resubmit(t.ACCEPT_OR_INGRESS);
  const priority = 70 + priorityOffset(r, remote);
  const base: Field[] = [['dl_type', r.ethertype === 'IPv6' ? ETH.IPV6 : ETH.IP], ['reg5', p.ofport]];
  if (validPrefix(r.dest_ip_prefix)) base.push([isV6(r.dest_ip_prefix) ? 'ipv6_dst' : 'nw_dst', r.dest_ip_prefix]);
  if (validPrefix(r.source_ip_prefix)) base.push([isV6(r.source_ip_prefix) ? 'ipv6_src' : 'nw_src', r.source_ip_prefix]);
  if (r.protocol !== undefined) base.push(['nw_proto', r.protocol]);
  let variants: Field[][] = [base];
  if (r.protocol === PROTO.ICMP || r.protocol === PROTO.ICMPV6) {
    if (r.port_range_min !== undefined) {
      const f: Field[] = [...base, ['icmp_type', r.port_range_min]];
      if (r.port_range_max !== undefined) f.push(['icmp_code', r.port_range_max]);
      variants = [f];
    }
  } else {
    const name = typeof r.protocol === 'number' ? PORT_PROTOCOL_NAMES[r.protocol] : undefined;
    if (name) {
      const dst = r.port_range_min && r.port_range_max ? portRuleMasking(r.port_range_min, r.port_range_max) : [];
      const made: Field[][] = [];
      if (r.source_port_range_min && r.source_port_range_max) {
        for (const s of portRuleMasking(r.source_port_range_min, r.source_port_range_max)) {
          const f: Field[] = [...base, [`${name}_src`, s]];
          if (dst.length) for (const d of dst) made.push([...f, [`${name}_dst`, d]]);
          else made.push(f);
        }
      } else for (const d of dst) made.push([...base, [`${name}_dst`, d]]);
      if (made.length) variants = made;
    }
  }
  const out: FlowSpec[] = [];
  for (const f of variants) {
    out.push(flow(table, priority, [...f, ['ct_state', '+est-rel-rpl']], action));
    out.push(flow(table, priority, [...f, ['ct_state', '+new-est']], ingress ? `ct(commit,zone=${zone}),${action},${resubmit(t.ACCEPTED_INGRESS_TRAFFIC)}` : action));
  }
  return out;
}

/** A host prefix for a member address (netaddr's IPNetwork(ip).cidr prints bare addresses as /32 or /128). */
const memberPrefix = (ip: string) => (ip.includes('/') ? ip : `${ip}/${isV6(ip) ? 128 : 32}`);

/**
 * add_flows_from_rules: the tracked flows of both directions, then each rule of the
 * port's groups. A rule with remote_group_id becomes one rule per member address of that
 * group and of the rule's ethertype (see the header); one with remote_address_group_id
 * likewise from the address group's members.
 */
export function portRuleFlows(
  p: FwPort,
  groupRules: readonly (readonly SgRuleInfo[])[],
  members: (remoteId: string) => Partial<Record<'IPv4' | 'IPv6', readonly MemberIp[]>> | undefined,
): FlowSpec[] {
  const t = FwTables;
  const out = [...trackedFlows(p, t.RULES_INGRESS, `output:${p.ofport}`), ...trackedFlows(p, t.RULES_EGRESS, resubmit(t.ACCEPTED_EGRESS_TRAFFIC_NORMAL))];
  for (const rules of groupRules) {
    for (const raw of rules) {
      const r = normalise(raw);
      const remote = r.remote_group_id ?? r.remote_address_group_id;
      if (!remote) {
        out.push(...ruleFlows(p, r, false));
        continue;
      }
      const { remote_group_id: _g, remote_address_group_id: _a, ...plain } = r;
      for (const [ip] of members(remote)?.[r.ethertype] ?? []) {
        const prefix = memberPrefix(ip);
        const expanded: FwRule = r.direction === 'ingress' ? { ...plain, source_ip_prefix: prefix } : { ...plain, dest_ip_prefix: prefix };
        out.push(...ruleFlows(p, expanded, true));
      }
    }
  }
  return out;
}

/** _initialize_egress_no_port_security: a trusted port (no port security, or network:* owned) skips filtering. */
export function unfilteredPortFlows(ofport: number, vlanTag: number): FlowSpec[] {
  const t = FwTables;
  return [
    flow(t.TRANSIENT, 100, [['in_port', ofport]], `set_field:${ofport}->reg${REG_PORT},set_field:${vlanTag}->reg${REG_NET},${resubmit(t.ACCEPT_OR_INGRESS)}`),
    flow(t.ACCEPT_OR_INGRESS, 80, [['reg5', ofport]], resubmit(t.ACCEPTED_EGRESS_TRAFFIC_NORMAL)),
  ];
}

/** _remove_egress_no_port_security's non-strict matches. */
export function unfilteredPortDeleteMatches(ofport: number): string[] {
  const t = FwTables;
  return [matchLine(t.TRANSIENT, `in_port=${ofport}`), matchLine(t.ACCEPT_OR_INGRESS, `reg5=${ofport}`)];
}

/** delete_all_port_flows's non-strict matches (explicitly_egress_direct off: no table-94 flows to remove). */
export function portDeleteMatches(p: FwPort): string[] {
  const t = FwTables;
  const out: string[] = [];
  for (const mac of allowedMacs(p)) {
    out.push(matchLine(t.TRANSIENT, `dl_dst=${mac},dl_vlan=${p.vlanTag}`));
    out.push(matchLine(t.TRANSIENT, p.segmentId ? `dl_dst=${mac},dl_vlan=${p.segmentId}` : `dl_dst=${mac},vlan_tci=${FLAT_VLAN_TCI}`));
    out.push(matchLine(t.ACCEPT_OR_INGRESS, `dl_dst=${mac},reg6=${p.vlanTag}`));
  }
  out.push(matchLine(t.ACCEPTED_EGRESS_TRAFFIC_NORMAL, `dl_dst=${p.mac},reg6=${p.vlanTag}`));
  out.push(matchLine(t.ACCEPTED_EGRESS_TRAFFIC_NORMAL, `dl_src=${p.mac},reg6=${p.vlanTag}`));
  out.push(matchLine(t.TRANSIENT, `in_port=${p.ofport}`));
  out.push(matchLine(null, `reg5=${p.ofport}`));
  return out;
}
