/**
 * The OVS agent's `iptables_hybrid` firewall (neutron's OVSHybridIptablesFirewallDriver,
 * agent/linux/iptables_firewall.py, with enable_ipset = True): a VIF's traffic crosses
 * its qbr Linux bridge, where bridge-nf hands it to iptables; each filtered port gets
 *
 * - in the filter table (IPv4 and IPv6): `neutron-openvswi-i<port[:10]>` (to the VM),
 *   `-o<port[:10]>` (from the VM) and `-s<port[:10]>` (anti-spoofing: the port's
 *   MAC/IP pairs and allowed address pairs), reached from neutron-openvswi-FORWARD
 *   through neutron-openvswi-sg-chain by physdev matches on the tap
 *   (`--physdev-out tapX --physdev-is-bridged` to the VM, `--physdev-in` from it; from
 *   INPUT too), each ending in neutron-openvswi-sg-fallback (DROP); DHCP client traffic
 *   allowed out, DHCP server replies and IPv6 RAs from the VM dropped, ICMPv6 ND allowed;
 * - in the raw table: CT zone rules (`-j CT --zone N` from 4097, one zone per port as
 *   CONNTRACK_ZONE_PER_PORT) on the qvb and the tap;
 * - remote-group rules as `-m set --match-set NIPv4<group id[:25]> src|dst` (ipset.ts).
 *
 * Ports with port_security_enabled false are not filtered: they get the ACCEPT rules
 * (_update_port_sec_rules). The tables are applied by iptables-manager.ts. Stateless
 * groups (stateful false) get `-j CT --notrack` in raw as Zed; the filter rules are
 * otherwise the stateful ones.
 *
 * Conntrack: after an apply, the connections a deleted rule allowed are deleted from the
 * ports' zones (`conntrack -D [-p proto] -f ipv4 -d|-s <port ip> -w <zone>`, exit 1 =
 * none), as are all of a port's that left a group (_clean_updated_sg_member_conntrack_entries);
 * Zed runs these from a worker thread and only logs failures, as here. Not done: the
 * member-removal cleanup Zed runs only without ipset.
 */
import type { Logger } from '../../../common/log.js';
import type { HostNetwork } from '../../../hostnet/host-network.js';
import type { MemberIp, SgDeviceInfo, SgRuleInfo } from '../../rpc/sg-wire.js';
import { type Ethertype, IpsetManager, ipsetName, toCidr } from './ipset.js';
import { type IpVersion, type IptablesTable, type TableName, type XlockState, applyTables, baseTables, chainName } from './iptables-manager.js';

/** neutron/agent/linux/iptables_comments.py. */
const C = {
  VM_INT_SG: 'Direct traffic from the VM interface to the security group chain.',
  SG_TO_VM_SG: 'Jump to the VM specific chain.',
  INPUT_TO_SG: 'Direct incoming traffic from VM to the security group chain.',
  PAIR_ALLOW: 'Allow traffic from defined IP/MAC pairs.',
  PAIR_DROP: 'Drop traffic without an IP/MAC allow rule.',
  DHCP_CLIENT: 'Allow DHCP client traffic.',
  DHCP_SPOOF: 'Prevent DHCP Spoofing by VM.',
  UNMATCHED: 'Send unmatched traffic to the fallback chain.',
  INVALID_DROP: 'Drop packets that appear related to an existing connection (e.g. TCP ACK/FIN) but do not have an entry in conntrack.',
  ALLOW_ASSOC: 'Direct packets associated with a known session to the RETURN chain.',
  PORT_SEC_ACCEPT: 'Accept all packets when port security is disabled.',
  IPV6_RA_DROP: 'Drop IPv6 Router Advts from VM Instance.',
  IPV6_ICMP_ALLOW: 'Allow IPv6 ICMP traffic.',
  UNMATCH_DROP: 'Default drop rule for unmatched traffic.',
} as const;

const SG_CHAIN = 'sg-chain';
const SG_FALLBACK = 'sg-fallback';
/** LINUX_DEV_LEN. */
const DEV_LEN = 14;
/** ip_conntrack ZONE_START / MAX_CONNTRACK_ZONES. */
const ZONE_START = 4097;
const MAX_ZONES = 65535;
/** neutron_lib ICMPV6_ALLOWED_UNSPEC_ADDR_TYPES (MLD report, NS, MLDv2 report) and firewall.ICMPV6_ALLOWED_INGRESS_TYPES (MLD query, NS, NA). */
const ICMPV6_UNSPEC_TYPES = [131, 135, 143];
const ICMPV6_INGRESS_TYPES = [130, 135, 136];
const ICMPV6_TYPE_RA = 134;
/** neutron_lib IPTABLES_PROTOCOL_MAP: protocols whose port match needs `-m <module>`. */
const PROTOCOL_MODULE: Record<string, string> = { dccp: 'dccp', icmp: 'icmp', 'ipv6-icmp': 'icmp6', sctp: 'sctp', tcp: 'tcp', udp: 'udp' };
/** SG_PORT_PROTO_NAMES and IPTABLES_MULTIPORT_ONLY_PROTOCOLS. */
const PORT_PROTOCOLS = new Set(['dccp', 'sctp', 'tcp', 'udp', 'udplite']);
const MULTIPORT_ONLY = new Set(['udplite']);
/**
 * neutron_lib IPTABLES_PROTOCOL_NAME_MAP with the names /etc/protocols gives the usual
 * numbers (_local_protocol_name_map): a protocol given as a number is matched by name.
 */
const PROTOCOL_NAMES: Record<string, string | null> = {
  encap: 'ipv6', icmpv6: 'ipv6-icmp', pgm: '113', '0': null, '1': 'icmp', '2': 'igmp', '3': 'ggp', '4': 'ipencap', '5': 'st', '6': 'tcp',
  '8': 'egp', '9': 'igp', '12': 'pup', '17': 'udp', '20': 'hmp', '22': 'xns-idp', '27': 'rdp', '29': 'iso-tp4', '33': 'dccp', '36': 'xtp',
  '37': 'ddp', '38': 'idpr-cmtp', '41': 'ipv6', '43': 'ipv6-route', '44': 'ipv6-frag', '45': 'idrp', '46': 'rsvp', '47': 'gre', '50': 'esp',
  '51': 'ah', '57': 'skip', '58': 'ipv6-icmp', '59': 'ipv6-nonxt', '60': 'ipv6-opts', '73': 'rspf', '81': 'vmtp', '88': 'eigrp', '89': 'ospf',
  '93': 'ax.25', '94': 'ipip', '97': 'etherip', '98': 'encap', '103': 'pim', '108': 'ipcomp', '112': 'vrrp', '115': 'l2tp', '124': 'isis',
  '132': 'sctp', '133': 'fc', '135': 'mobility-header', '136': 'udplite', '137': 'mpls-in-ip', '138': 'manet', '139': 'hip', '140': 'shim6',
  '141': 'wesp', '142': 'rohc',
};

const protocolName = (p: string | undefined): string | null => (p && p !== '0' ? (p in PROTOCOL_NAMES ? PROTOCOL_NAMES[p]! : p) : null);

/** The device names the hybrid driver derives from a port (get_hybrid_port_name and the qvb). */
export const tapName = (device: string) => `tap${device}`.slice(0, DEV_LEN);
const qvbName = (device: string) => `qvb${device}`.slice(0, DEV_LEN);

type Tables = Record<IpVersion, Record<TableName, IptablesTable>>;

/** firewall.port_sec_enabled. */
const portSecurity = (p: SgDeviceInfo) => p.port_security_enabled ?? true;

/** The hybrid iptables firewall of one host (one per agent). Not re-entrant: the agent calls it from its loop only. */
export class HybridIptablesFirewall {
  readonly #filtered = new Map<string, SgDeviceInfo>();
  readonly #unfiltered = new Map<string, SgDeviceInfo>();
  readonly #sgRules = new Map<string, SgRuleInfo[]>();
  readonly #sgMembers = new Map<string, Partial<Record<Ethertype, MemberIp[]>>>();
  /** Zone key (the device's [3:14]) → CT zone (IpConntrackManager._device_zone_map). */
  readonly #zones = new Map<string, number>();
  readonly ipset: IpsetManager;
  readonly #xlock: XlockState;
  /** Group id → its rules deleted since the last apply (_find_deleted_sg_rules). */
  readonly #deletedRules = new Map<string, SgRuleInfo[]>();
  /** Devices that left a group since the last apply. */
  readonly #leftGroup = new Set<string>();

  /** `reportInterval`: [agent] report_interval (seconds), from which the xtables lock wait derives. */
  constructor(
    private readonly net: HostNetwork,
    reportInterval = 30,
    private readonly log?: Logger,
  ) {
    this.ipset = new IpsetManager(net);
    this.#xlock = { useTableLock: false, waitSeconds: Math.max(Math.trunc(reportInterval / 3), 1) };
  }

  /** The host this firewall writes to. */
  get host(): string {
    return this.net.host;
  }

  /** The devices this firewall filters or lets through (port ids). */
  get ports(): ReadonlyMap<string, SgDeviceInfo> {
    return new Map([...this.#filtered, ...this.#unfiltered]);
  }

  /** update_security_group_rules. */
  updateSecurityGroupRules(sgId: string, rules: SgRuleInfo[]): void {
    const before = this.#sgRules.get(sgId);
    if (before) {
      const now = new Set(rules.map((r) => JSON.stringify(r)));
      const gone = before.filter((r) => !now.has(JSON.stringify(r)));
      if (gone.length) this.#deletedRules.set(sgId, [...(this.#deletedRules.get(sgId) ?? []), ...gone]);
    }
    this.#sgRules.set(sgId, rules);
  }

  /** update_security_group_members: the group's ipsets follow at once (commands on the host). */
  async updateSecurityGroupMembers(sgId: string, members: Partial<Record<Ethertype, MemberIp[]>>): Promise<void> {
    this.#sgMembers.set(sgId, members);
    for (const et of ['IPv4', 'IPv6'] as const) {
      const m = members[et];
      if (m) await this.ipset.setMembers(sgId, et, m.map(([ip]) => ip));
    }
  }

  /** _set_ports: a port joins (or is updated in) the filtered or unfiltered set. Call apply() after. */
  setPort(port: SgDeviceInfo): void {
    const before = this.#filtered.get(port.device);
    if (before && portSecurity(port) && before.security_groups.some((sg) => !port.security_groups.includes(sg))) this.#leftGroup.add(port.device);
    this.#filtered.delete(port.device);
    this.#unfiltered.delete(port.device);
    (portSecurity(port) ? this.#filtered : this.#unfiltered).set(port.device, port);
  }

  /** _unset_ports. Call apply() after. */
  unsetPort(device: string): boolean {
    return this.#filtered.delete(device) || this.#unfiltered.delete(device);
  }

  /**
   * filter_defer_apply_off: writes the tables (iptables-save / iptables-restore -n per
   * family), then destroys the ipsets of groups no filtered port refers to any more
   * (_remove_unused_security_group_info), once no rule matches them.
   */
  async apply(): Promise<void> {
    await applyTables(this.net, this.build(), this.#xlock);
    await this.#removeConntrackEntries();
    await this.#removeUnusedGroupInfo();
  }

  /** _remove_conntrack_entries_from_sg_updates (with ipset): deleted rules' and departed groups' connections. */
  async #removeConntrackEntries(): Promise<void> {
    const cmds = new Map<string, string[]>();
    const add = (port: SgDeviceInfo, rule: { ethertype: string; direction: string; protocol?: string }) => {
      const zone = this.#zones.get(port.device.slice(3, DEV_LEN));
      if (zone === undefined) return;
      const base = ['conntrack', '-D'];
      // An IPv6 rule's legacy icmp names are ipv6-icmp by then (_split_sgr_by_ethertype rewrites the rule in place).
      const v6icmp = rule.ethertype.toLowerCase() === 'ipv6' && (rule.protocol === 'icmp' || rule.protocol === 'icmpv6');
      if (rule.protocol !== undefined) base.push('-p', rule.protocol === '0' ? 'ip' : v6icmp ? 'ipv6-icmp' : rule.protocol);
      base.push('-f', rule.ethertype.toLowerCase(), rule.direction === 'ingress' ? '-d' : '-s');
      for (const ip of port.fixed_ips) {
        if (!rule.ethertype.endsWith(ip.includes(':') ? '6' : '4')) continue;
        const argv = [...base, ip.split('/')[0]!, '-w', String(zone)];
        cmds.set(argv.join(' '), argv);
      }
    };
    for (const [sg, rules] of this.#deletedRules) {
      const ports = [...this.#filtered.values()].filter((p) => p.security_groups.includes(sg));
      for (const rule of rules) for (const p of ports) add(p, rule);
    }
    this.#deletedRules.clear();
    for (const device of this.#leftGroup) {
      const p = this.#filtered.get(device);
      if (p) for (const ethertype of ['ipv4', 'ipv6']) for (const direction of ['ingress', 'egress']) add(p, { ethertype, direction });
    }
    this.#leftGroup.clear();
    for (const argv of cmds.values()) {
      try {
        await this.net.execute(argv);
      } catch (e) {
        // Exit 1: no such connection (extra_ok_codes=[1]); anything else is logged, as Zed's worker does.
        if ((e as { exitCode?: number }).exitCode !== 1) this.log?.error({ err: e, host: this.net.host }, `Failed execute conntrack command ${argv.join(' ')}`);
      }
    }
  }

  /** The wanted tables for the current ports (_setup_chains_apply over IptablesManager's base). */
  build(): Tables {
    const t: Tables = { 4: baseTables(), 6: baseTables() };
    for (const v of [4, 6] as const) {
      t[v].filter.addChain(SG_FALLBACK);
      t[v].filter.addRule(SG_FALLBACK, '-j DROP', { comment: C.UNMATCH_DROP });
      t[v].filter.addChain(SG_CHAIN);
    }
    for (const device of [...this.#filtered.keys()].sort()) {
      const port = this.#filtered.get(device)!;
      this.#addConntrackJump(t, port);
      this.#setupChain(t, port, 'ingress');
      this.#setupChain(t, port, 'egress');
    }
    for (const v of [4, 6] as const) t[v].filter.addRule(SG_CHAIN, '-j ACCEPT');
    for (const port of this.#unfiltered.values()) {
      for (const dir of ['ingress', 'egress'] as const) {
        const rule = `-m physdev --${physdevDirection(dir)} ${tapName(port.device)} --physdev-is-bridged -j ACCEPT`;
        for (const v of [4, 6] as const) {
          t[v].filter.addRule('FORWARD', rule, { comment: C.PORT_SEC_ACCEPT });
          if (dir === 'egress') t[v].filter.addRule('INPUT', rule, { comment: C.PORT_SEC_ACCEPT });
        }
      }
    }
    return t;
  }

  /** The CT zone of a port (a new one from ZONE_START, the highest used + 1 first, then gaps). */
  #zone(port: SgDeviceInfo): number {
    const key = port.device.slice(3, DEV_LEN);
    const have = this.#zones.get(key);
    if (have !== undefined) return have;
    const used = [...new Set(this.#zones.values())].sort((a, b) => a - b);
    let zone = ZONE_START;
    if (used.length) {
      const last = used[used.length - 1]!;
      if (last < MAX_ZONES) zone = Math.max(last + 1, ZONE_START);
      else {
        const gap = used.findIndex((z, i) => z - i !== ZONE_START);
        if (gap < 0) throw new Error('IPtables conntrack zones exhausted, iptables rules cannot be applied.');
        zone = gap + ZONE_START;
      }
    }
    this.#zones.set(key, zone);
    return zone;
  }

  /** _get_jump_rules / _add_conntrack_jump: the port's qvb and tap into its CT zone (or untracked when its groups are stateless). */
  #addConntrackJump(t: Tables, port: SgDeviceInfo): void {
    const first = port.security_groups[0] !== undefined ? this.#sgRules.get(port.security_groups[0])?.[0] : undefined;
    const stateful = first?.stateful ?? true;
    // The zone is allocated either way, as get_device_zone runs before the stateful check.
    const zone = this.#zone(port);
    const comment = stateful ? `Set zone for ${port.device}` : `Make ${port.device} stateless`;
    const ct = stateful ? `--zone ${zone}` : '--notrack';
    const br = qvbName(port.device);
    const tap = tapName(port.device);
    for (const match of [`-m physdev --physdev-in ${br}`, `-i ${br}`, `-m physdev --physdev-in ${tap}`]) {
      for (const v of [4, 6] as const) t[v].raw.addRule('PREROUTING', `${match} -m comment --comment "${comment}" -j CT ${ct}`);
    }
  }

  #chain(port: SgDeviceInfo, kind: 'ingress' | 'egress' | 'spoof'): string {
    return chainName(`${kind === 'ingress' ? 'i' : kind === 'egress' ? 'o' : 's'}${port.device}`);
  }

  /** _setup_chain: _add_chain (the jumps to it) and _add_rules_by_security_group. */
  #setupChain(t: Tables, port: SgDeviceInfo, dir: 'ingress' | 'egress'): void {
    const chain = this.#chain(port, dir);
    const tap = tapName(port.device);
    const pd = physdevDirection(dir);
    for (const v of [4, 6] as const) {
      const f = t[v].filter;
      f.addChain(chain);
      f.addRule('FORWARD', `-m physdev --${pd} ${tap} --physdev-is-bridged -j $${SG_CHAIN}`, { top: true, comment: C.VM_INT_SG });
      f.addRule(SG_CHAIN, `-m physdev --${pd} ${tap} --physdev-is-bridged -j $${chain}`, { comment: C.SG_TO_VM_SG });
      if (dir === 'egress') f.addRule('INPUT', `-m physdev --${pd} ${tap} --physdev-is-bridged -j $${chain}`, { comment: C.INPUT_TO_SG });
    }
    const rules = [...port.security_group_rules.filter((r) => r.direction === dir), ...this.#groupRules(port, dir)];
    const v4 = rules.filter((r) => r.ethertype === 'IPv4');
    // _split_sgr_by_ethertype: IPv6 rules of the legacy icmp names mean ipv6-icmp.
    const v6 = rules.filter((r) => r.ethertype === 'IPv6').map((r) => (r.protocol === 'icmp' || r.protocol === 'icmpv6' ? { ...r, protocol: 'ipv6-icmp' } : r));
    const out4: string[] = [];
    const out6: string[] = [];
    if (dir === 'egress') {
      this.#spoofing(t, port, out4, out6);
      out4.push(cr('-p udp -m udp --sport 67 --dport 68 -j DROP', C.DHCP_SPOOF));
      out6.push(cr('-p udp -m udp --sport 547 --dport 546 -j DROP', C.DHCP_SPOOF));
    } else {
      for (const type of ICMPV6_INGRESS_TYPES) out6.push(`-p ipv6-icmp -m icmp6 --icmpv6-type ${type} -j RETURN`);
    }
    out4.push(...this.#convert(v4));
    out6.push(...this.#convert(v6));
    for (const r of out4) t[4].filter.addRule(chain, r);
    for (const r of out6) t[6].filter.addRule(chain, r);
  }

  /** _select_sg_rules_for_port (ipset on: remote-group rules stay whole). */
  #groupRules(port: SgDeviceInfo, dir: 'ingress' | 'egress'): SgRuleInfo[] {
    return port.security_groups.flatMap((sg) => (this.#sgRules.get(sg) ?? []).filter((r) => r.direction === dir));
  }

  /** _spoofing_rule: DHCP discovery and ICMPv6 from the unspecified address, then the port's MAC/IP pairs only. */
  #spoofing(t: Tables, port: SgDeviceInfo, out4: string[], out6: string[]): void {
    out4.push(cr('-s 0.0.0.0/32 -d 255.255.255.255/32 -p udp -m udp --sport 68 --dport 67 -j RETURN', C.DHCP_CLIENT));
    for (const type of ICMPV6_UNSPEC_TYPES) out6.push(cr(`-s ::/128 -d ff02::/16 -p ipv6-icmp -m icmp6 --icmpv6-type ${type} -j RETURN`, C.IPV6_ICMP_ALLOW));
    const pairs4: [string, string | null][] = [];
    const pairs6: [string, string | null][] = [];
    const addPair = (mac: string, ip: string) => {
      const m = mac.toUpperCase();
      if (!ip.includes(':')) pairs4.push([m, ip]);
      else {
        pairs6.push([m, ip]);
        const lla = eui64LinkLocal(m);
        if (!pairs6.some(([a, b]) => a === m && b === lla)) pairs6.push([m, lla]);
      }
    };
    for (const p of port.allowed_address_pairs ?? []) addPair(p.mac_address, p.ip_address);
    for (const ip of port.fixed_ips) addPair(port.mac_address, ip);
    if (!port.fixed_ips.length) {
      pairs4.push([port.mac_address, null]);
      pairs6.push([port.mac_address, null]);
    }
    const spoof = this.#chain(port, 'spoof');
    for (const [v, pairs, out] of [[4, pairs4, out4], [6, pairs6, out6]] as const) {
      if (!pairs.length) continue;
      const f = t[v].filter;
      f.addChain(spoof);
      for (const [mac, ip] of pairs) {
        const rule = ip === null ? `-m mac --mac-source ${mac.toUpperCase()} -j RETURN` : `-s ${toCidr(ip)} -m mac --mac-source ${mac.toUpperCase()} -j RETURN`;
        f.addRule(spoof, rule, { comment: C.PAIR_ALLOW });
      }
      f.addRule(spoof, '-j DROP', { comment: C.PAIR_DROP });
      out.push(`-j $${spoof}`);
    }
    out4.push(cr('-p udp -m udp --sport 68 --dport 67 -j RETURN', C.DHCP_CLIENT));
    out6.push(cr(`-p ipv6-icmp -m icmp6 --icmpv6-type ${ICMPV6_TYPE_RA} -j DROP`, C.IPV6_RA_DROP));
    out6.push(cr('-p ipv6-icmp -j RETURN', C.IPV6_ICMP_ALLOW));
    out6.push(cr('-p udp -m udp --sport 546 --dport 547 -j RETURN', C.DHCP_CLIENT));
  }

  /** _convert_sgr_to_iptables_rules: established first, the rules (once each), INVALID dropped, the rest to the fallback. */
  #convert(rules: SgRuleInfo[]): string[] {
    const out = [cr('-m state --state RELATED,ESTABLISHED -j RETURN', C.ALLOW_ASSOC)];
    const seen = new Set<string>();
    for (const r of rules) {
      const args = this.#ruleArgs(r);
      if (!args) continue;
      const line = args.join(' ');
      if (seen.has(line)) continue;
      seen.add(line);
      out.push(line);
    }
    out.push(cr('-m state --state INVALID -j DROP', C.INVALID_DROP));
    out.push(cr(`-j $${SG_FALLBACK}`, C.UNMATCHED));
    return out;
  }

  /** _convert_sg_rule_to_iptables_args: a remote-group rule matches its ipset (none yet: no rule). */
  #ruleArgs(r: SgRuleInfo): string[] | null {
    if (r.remote_group_id) {
      const name = ipsetName(r.remote_group_id, r.ethertype);
      if (!this.ipset.has(name)) return null;
      return [...protocolAndPortArgs(r), '-m set', '--match-set', name, r.direction === 'ingress' ? 'src' : 'dst', '-j RETURN'];
    }
    return [...ipPrefixArg('s', r.source_ip_prefix), ...ipPrefixArg('d', r.dest_ip_prefix), ...protocolAndPortArgs(r), '-j RETURN'];
  }

  /** _remove_unused_security_group_info: forgets groups no port uses and destroys the ipsets of remote groups no port refers to. */
  async #removeUnusedGroupInfo(): Promise<void> {
    const remote = new Set<string>();
    const used = new Set<string>();
    for (const port of this.#filtered.values()) {
      for (const sg of port.security_groups) {
        used.add(sg);
        for (const r of this.#sgRules.get(sg) ?? []) if (r.remote_group_id) remote.add(`${r.ethertype} ${r.remote_group_id}`);
      }
    }
    for (const [sg, members] of [...this.#sgMembers]) {
      for (const et of ['IPv4', 'IPv6'] as const) {
        if (!remote.has(`${et} ${sg}`)) {
          await this.ipset.destroy(sg, et);
          delete members[et];
        }
      }
      if (!Object.keys(members).length) this.#sgMembers.delete(sg);
    }
    for (const sg of [...this.#sgRules.keys()]) if (!used.has(sg)) this.#sgRules.delete(sg);
  }
}

const physdevDirection = (dir: 'ingress' | 'egress') => (dir === 'ingress' ? 'physdev-out' : 'physdev-in');
const cr = (rule: string, comment: string) => {
  if (rule.startsWith('-j')) return `-m comment --comment "${comment}" ${rule}`;
  const j = rule.indexOf(' -j ');
  return `${rule.slice(0, j)} -m comment --comment "${comment}" ${rule.slice(j + 1)}`;
};

/** _ip_prefix_arg: /0 matches everything (no argument); a bare address is a host route. */
function ipPrefixArg(flag: 's' | 'd', prefix: string | undefined): string[] {
  if (!prefix) return [];
  if (prefix.includes('/') && prefix.endsWith('/0')) return [];
  return [`-${flag}`, toCidr(prefix)];
}

/** _generate_protocol_and_port_args. */
function protocolAndPortArgs(r: SgRuleInfo): string[] {
  const isPort = r.source_port_range_min !== undefined || r.port_range_min !== undefined;
  const proto = protocolName(r.protocol);
  const args: string[] = [];
  if (proto) {
    args.push('-p', proto);
    if (isPort && proto in PROTOCOL_MODULE) args.push('-m', PROTOCOL_MODULE[proto]!);
  }
  args.push(...portArg('sport', proto, r.source_port_range_min, r.source_port_range_max));
  args.push(...portArg('dport', proto, r.port_range_min, r.port_range_max));
  return args;
}

/** _port_arg: ICMP type/code, a port, or a multiport range. */
function portArg(dir: 'sport' | 'dport', proto: string | null, min: number | undefined, max: number | undefined): string[] {
  if (min === undefined || min === null) return [];
  if (proto === 'icmp' || proto === 'ipv6-icmp') {
    const type = proto === 'ipv6-icmp' ? 'icmpv6' : 'icmp';
    return [`--${type}-type`, max !== undefined && max !== null ? `${min}/${max}` : `${min}`];
  }
  if (proto && PORT_PROTOCOLS.has(proto)) {
    if (min === max) return MULTIPORT_ONLY.has(proto) ? ['-m', 'multiport', `--${dir}s`, `${min}`] : [`--${dir}`, `${min}`];
    return ['-m', 'multiport', `--${dir}s`, `${min}:${max}`];
  }
  return [];
}

/** netutils.get_ipv6_addr_by_EUI64(fe80::/64, mac), as netaddr prints it. */
export function eui64LinkLocal(mac: string): string {
  const b = mac.split(/[:-]/).map((x) => parseInt(x, 16));
  const eui = [b[0]! ^ 0x02, b[1]!, b[2]!, 0xff, 0xfe, b[3]!, b[4]!, b[5]!];
  const groups = [0xfe80, 0, 0, 0, ...[0, 2, 4, 6].map((i) => (eui[i]! << 8) | eui[i + 1]!)];
  return compressIpv6(groups);
}

/** RFC 5952 text of eight 16-bit groups: the longest run of two or more zero groups (the first of equals) as `::`. */
function compressIpv6(groups: number[]): string {
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < groups.length; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < groups.length && groups[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}
