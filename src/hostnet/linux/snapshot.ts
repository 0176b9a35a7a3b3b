/**
 * A real host's devices as HostDevices: links from `ip -details -json link show`, Linux
 * bridges from /sys/class/net/BR/bridge and brif, OVS from one `ovs-vsctl --format=json`
 * call listing Bridge, Port and Interface. Only the kinds Nimbus makes are listed (veth,
 * bridge, tun/tap, OVS's own devices); the machine's lo and NICs are left out.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { type HostDevices, type LinkInfo, type LinkKind, LinkKinds, type LinuxBridgeInfo, type OvsBridgeInfo } from '../host-network.js';
import { runSync } from './exec.js';
import { mapOf, optional, setOf, tableRows, uuidOf } from './ovsdb-json.js';

/** What the simulated host shows as the master of an OVS port (the kernel datapath). */
const OVS_SYSTEM = 'ovs-system';

interface IpLink {
  ifindex: number;
  ifname: string;
  link?: string;
  master?: string;
  flags: string[];
  mtu: number;
  address?: string;
  linkinfo?: { info_kind?: string; info_data?: { stp_state?: number; forward_delay?: number; mcast_snooping?: number } };
}

/** The ovs-vsctl arguments listing Bridge, Port and Interface as parseOvs reads them. */
export const LIST_OVS_ARGS = [
  '--format=json',
  '--',
  '--columns=name,datapath_type,fail_mode,external_ids,ports',
  'list',
  'Bridge',
  '--',
  '--columns=_uuid,name,tag,vlan_mode,trunks,external_ids,other_config,interfaces',
  'list',
  'Port',
  '--',
  '--columns=_uuid,name,type,ofport,external_ids,options,error,mtu_request',
  'list',
  'Interface',
];

export function readOvs(ovsVsctl: readonly string[]): OvsBridgeInfo[] {
  return parseOvs(runSync([...ovsVsctl, ...LIST_OVS_ARGS]));
}

/** The bridges, ports and interfaces from the output of `ovs-vsctl LIST_OVS_ARGS`. */
export function parseOvs(out: string): OvsBridgeInfo[] {
  const [bridges, ports, ifaces] = out.trim().split('\n').map(tableRows) as [Record<string, unknown>[], Record<string, unknown>[], Record<string, unknown>[]];
  const ifaceBy = new Map(ifaces.map((i) => [uuidOf(i['_uuid']), i]));
  const portBy = new Map(ports.map((p) => [uuidOf(p['_uuid']), p]));
  return bridges
    .map((b) => ({
      name: String(b['name']),
      datapathType: String(b['datapath_type']),
      failMode: optional<string>(b['fail_mode']),
      externalIds: mapOf(b['external_ids']),
      ports: setOf(b['ports'])
        .map((u) => portBy.get(uuidOf(u))!)
        .filter(Boolean)
        .map((p) => ({
          name: String(p['name']),
          tag: optional<number>(p['tag']),
          vlanMode: optional<string>(p['vlan_mode']),
          trunks: setOf(p['trunks']) as number[],
          externalIds: mapOf(p['external_ids']),
          otherConfig: mapOf(p['other_config']),
          interfaces: setOf(p['interfaces'])
            .map((u) => ifaceBy.get(uuidOf(u))!)
            .filter(Boolean)
            .map((i) => ({
              name: String(i['name']),
              type: String(i['type']),
              ofport: optional<number>(i['ofport']) ?? -1,
              externalIds: mapOf(i['external_ids']),
              options: mapOf(i['options']),
              error: optional<string>(i['error']),
              mtuRequest: optional<number>(i['mtu_request']),
            })),
        }))
        .sort((x, y) => x.name.localeCompare(y.name)),
    }))
    .sort((x, y) => x.name.localeCompare(y.name));
}

function kindOf(l: IpLink, ovsDevices: Set<string>): LinkKind | null {
  const k = l.linkinfo?.info_kind;
  if (ovsDevices.has(l.ifname) && k !== 'veth') return LinkKinds.internal;
  if (k === 'openvswitch') return LinkKinds.internal;
  if (k === 'veth') return LinkKinds.veth;
  if (k === 'bridge') return LinkKinds.bridge;
  if (k === 'tun') return LinkKinds.tap;
  return null;
}

function readBridge(name: string, links: Map<string, LinkInfo>): LinuxBridgeInfo {
  const dir = `/sys/class/net/${name}`;
  const num = (f: string) => Number(readFileSync(`${dir}/bridge/${f}`, 'utf8').trim());
  const ports = existsSync(`${dir}/brif`) ? readdirSync(`${dir}/brif`) : [];
  // The kernel keeps no enslaving order; ifindex order is the creation order of the ports.
  ports.sort((a, b) => (links.get(a)?.ifindex ?? 0) - (links.get(b)?.ifindex ?? 0));
  return { name, stp: num('stp_state') !== 0, forwardDelay: num('forward_delay') / 100, multicastSnooping: num('multicast_snooping') !== 0, ports };
}

/** A Linux bridge from `ip -details` alone (a host namespace's, whose /sys this process does not see); same units as sysfs. */
function bridgeFromIp(l: IpLink, raw: readonly IpLink[]): LinuxBridgeInfo {
  const d = l.linkinfo?.info_data ?? {};
  const ports = raw.filter((p) => p.master === l.ifname).sort((a, b) => a.ifindex - b.ifindex).map((p) => p.ifname);
  return { name: l.ifname, stp: (d.stp_state ?? 0) !== 0, forwardDelay: (d.forward_delay ?? 0) / 100, multicastSnooping: (d.mcast_snooping ?? 1) !== 0, ports };
}

/** The host's devices; `netns` = the host's network namespace (null = this process's). */
export function readDevices(host: string, ovsVsctl: readonly string[], netns: string | null = null): HostDevices {
  const ovsBridges = readOvs(ovsVsctl);
  const ovsDevices = new Set(ovsBridges.flatMap((b) => b.ports.flatMap((p) => p.interfaces.map((i) => i.name))));
  const raw = JSON.parse(runSync(['ip', ...(netns ? ['-n', netns] : []), '-details', '-json', 'link', 'show'])) as IpLink[];
  const links = new Map<string, LinkInfo>();
  for (const l of raw) {
    const kind = kindOf(l, ovsDevices);
    if (!kind) continue;
    links.set(l.ifname, {
      name: l.ifname,
      ifindex: l.ifindex,
      kind,
      peer: kind === LinkKinds.veth ? (l.link ?? null) : null,
      master: l.master ?? (ovsDevices.has(l.ifname) ? OVS_SYSTEM : null),
      up: l.flags.includes('UP'),
      // The PROMISC flag is the one `ip link set promisc on` sets; a bridge's own promiscuity count is not.
      promisc: l.flags.includes('PROMISC'),
      mtu: l.mtu,
      mac: l.address ?? '',
    });
  }
  const linuxBridges = [...links.values()]
    .filter((l) => l.kind === LinkKinds.bridge)
    .map((l) => (netns ? bridgeFromIp(raw.find((r) => r.ifname === l.name)!, raw) : readBridge(l.name, links)))
    .sort((a, b) => a.name.localeCompare(b.name));
  return { host, links: [...links.values()].sort((a, b) => a.ifindex - b.ifindex), linuxBridges, ovsBridges };
}
