/**
 * neutron-server's SecurityGroupServerRpcCallback on q-plugin:
 * security_group_info_for_devices (RPC 1.3), what an L2 agent's iptables firewall needs
 * for its ports, built as securitygroups_rpc_base.security_group_info_for_ports does:
 *
 * - devices: each known, untrusted port (device_owner not network:*) by id — its port
 *   dict with security_groups, fixed_ips as plain addresses, the remote groups of its
 *   groups' rules (security_group_source_groups) and the provider rules
 *   (security_group_rules: an IPv6 port accepts router advertisements, DHCP replies to
 *   its addresses, 255.255.255.255 and fe80::/64);
 * - security_groups: each group's rules as rule dicts (direction, ethertype, stateful,
 *   protocol, port range, remote_ip_prefix as source_ip_prefix / dest_ip_prefix, remote
 *   group), groups without rules as [];
 * - sg_member_ips: for each remote group, per ethertype its rules use, the members'
 *   [address, null] and allowed address pairs' [address, mac] (1.3; an older
 *   call_version gets plain addresses, make_compatible_sg_member_ips).
 * Address groups (remote_address_group_id) are answered with no members: Nimbus has no
 * address group API.
 */
import type { Kysely } from 'kysely';
import type { Logger } from '../../common/log.js';
import type { Dict } from '../api/resource.js';
import { selectPortsByIds } from '../db/ports.js';
import type { NeutronDB } from '../db/schema.js';
import { listSecurityGroups, selectRemoteGroupMemberIps, selectRulesOfGroups } from '../db/security-groups.js';
import type { Ports } from '../plugin/ports.js';
import type { MemberIp, SecurityGroupInfoArgs, SecurityGroupInfoReply, SgDeviceInfo, SgRuleInfo } from './sg-wire.js';

export interface SecurityGroupRpcDeps {
  db: Kysely<NeutronDB>;
  ports: Ports;
  log: Logger;
}

/** constants.INTERFACE_PREFIXES: a device named after its port loses the prefix (_device_to_port_id). */
const INTERFACE_PREFIXES = ['tap', 'qvo', 'qvb', 'qbr', 'qr-', 'qg-', 'sg-', 'fp-', 'vhu'];

const isV6 = (ip: string) => ip.includes(':');

export class SecurityGroupRpcCallbacks {
  constructor(private readonly d: SecurityGroupRpcDeps) {}

  async securityGroupInfoForDevices(args: SecurityGroupInfoArgs): Promise<SecurityGroupInfoReply> {
    const { db, ports } = this.d;
    const byPortId = new Map<string, string>();
    for (const device of args.devices) {
      const prefix = INTERFACE_PREFIXES.find((p) => device.startsWith(p));
      byPortId.set(prefix ? device.slice(prefix.length) : device, device);
    }
    const rows = (byPortId.size ? await selectPortsByIds(db, [...byPortId.keys()]) : []).filter((r) => !r.device_owner.startsWith('network:'));
    const dicts = await ports.toDicts(db, rows);
    const devices: Record<string, SgDeviceInfo> = {};
    for (const p of dicts) devices[p.id as string] = deviceInfo(p, byPortId.get(p.id as string)!);

    const groupIds = [...new Set(Object.values(devices).flatMap((p) => p.security_groups))];
    const rules = groupIds.length ? await selectRulesOfGroups(db, groupIds) : [];
    const stateful = new Map((groupIds.length ? await listSecurityGroups(db, { ids: groupIds }) : []).map((g) => [g.id, !!g.stateful]));
    const securityGroups: Record<string, SgRuleInfo[]> = {};
    const memberEthertypes = new Map<string, Set<'IPv4' | 'IPv6'>>();
    const addressGroups = new Map<string, Set<'IPv4' | 'IPv6'>>();
    for (const port of Object.values(devices)) {
      for (const sg of port.security_groups) {
        for (const r of rules.filter((x) => x.security_group_id === sg)) {
          const et = r.ethertype as 'IPv4' | 'IPv6';
          if (r.remote_group_id) {
            if (!port.security_group_source_groups.includes(r.remote_group_id)) port.security_group_source_groups.push(r.remote_group_id);
            (memberEthertypes.get(r.remote_group_id) ?? memberEthertypes.set(r.remote_group_id, new Set()).get(r.remote_group_id)!).add(et);
          } else if (r.remote_address_group_id) {
            if (!port.security_group_remote_address_groups.includes(r.remote_address_group_id)) port.security_group_remote_address_groups.push(r.remote_address_group_id);
            (addressGroups.get(r.remote_address_group_id) ?? addressGroups.set(r.remote_address_group_id, new Set()).get(r.remote_address_group_id)!).add(et);
          }
          const rule: SgRuleInfo = { direction: r.direction as SgRuleInfo['direction'], ethertype: et, stateful: stateful.get(sg) ?? true };
          if (r.protocol !== null) rule.protocol = r.protocol;
          if (r.port_range_min !== null) rule.port_range_min = r.port_range_min;
          if (r.port_range_max !== null) rule.port_range_max = r.port_range_max;
          if (r.remote_ip_prefix !== null) rule[r.direction === 'ingress' ? 'source_ip_prefix' : 'dest_ip_prefix'] = r.remote_ip_prefix;
          if (r.remote_group_id !== null) rule.remote_group_id = r.remote_group_id;
          if (r.remote_address_group_id !== null) rule.remote_address_group_id = r.remote_address_group_id;
          const list = (securityGroups[sg] ??= []);
          if (!list.some((x) => JSON.stringify(x) === JSON.stringify(rule))) list.push(rule);
        }
        securityGroups[sg] ??= [];
      }
    }
    for (const port of Object.values(devices)) port.security_group_rules.push(...providerRules(port.fixed_ips));

    const members: SecurityGroupInfoReply['sg_member_ips'] = {};
    for (const [sg, ets] of memberEthertypes) members[sg] = Object.fromEntries([...ets].map((et) => [et, [] as MemberIp[]]));
    const seen = new Set<string>();
    for (const m of await selectRemoteGroupMemberIps(db, [...memberEthertypes.keys()])) {
      const key = `${m.security_group_id} ${m.ip_address} ${m.mac_address}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const list = members[m.security_group_id]?.[isV6(m.ip_address) ? 'IPv6' : 'IPv4'];
      list?.push([m.ip_address, m.mac_address]);
    }
    for (const [ag, ets] of addressGroups) members[ag] = Object.fromEntries([...ets].map((et) => [et, [] as MemberIp[]]));
    if ((args.call_version ?? '1.2') !== '1.3') {
      this.d.log.warn(`RPC security_group_info_for_devices call has inconsistent version between server and agents. The server supports RPC version is 1.3 while the agent is ${args.call_version ?? '1.2'}.`);
      for (const m of Object.values(members)) for (const et of ['IPv4', 'IPv6'] as const) if (m[et]) m[et] = [...new Set(m[et].map(([ip]) => ip))] as unknown as MemberIp[];
    }
    return { devices, security_groups: securityGroups, sg_member_ips: members };
  }
}

/** make_port_dict_with_security_groups, with the device the agent asked with. */
function deviceInfo(p: Dict, device: string): SgDeviceInfo {
  return {
    ...(p as unknown as SgDeviceInfo),
    security_groups: [...((p.security_groups as string[]) ?? [])],
    security_group_rules: [],
    security_group_source_groups: [],
    security_group_remote_address_groups: [],
    fixed_ips: ((p.fixed_ips as { ip_address: string }[]) ?? []).map((ip) => ip.ip_address),
    allowed_address_pairs: (p.allowed_address_pairs as SgDeviceInfo['allowed_address_pairs']) ?? [],
    port_security_enabled: (p.port_security_enabled as boolean | undefined) ?? true,
    device,
  };
}

/** _add_ingress_ra_rule and _add_ingress_dhcp_rule (DHCP_RULE_PORT: v4 67 → 68, v6 547 → 546). */
export function providerRules(fixedIps: string[]): SgRuleInfo[] {
  const out: SgRuleInfo[] = [];
  if (fixedIps.some(isV6)) out.push({ direction: 'ingress', ethertype: 'IPv6', protocol: 'ipv6-icmp', source_port_range_min: 134 });
  for (const v of [4, 6] as const) {
    const dests = fixedIps.filter((ip) => isV6(ip) === (v === 6)).map((ip) => `${ip}/${v === 4 ? 32 : 128}`);
    dests.push(v === 4 ? '255.255.255.255/32' : 'fe80::/64');
    const [sport, dport, ethertype] = v === 4 ? ([67, 68, 'IPv4'] as const) : ([547, 546, 'IPv6'] as const);
    for (const dest of dests) {
      out.push({ direction: 'ingress', ethertype, protocol: 'udp', port_range_min: dport, port_range_max: dport, source_port_range_min: sport, source_port_range_max: sport, dest_ip_prefix: dest });
    }
  }
  return out;
}
