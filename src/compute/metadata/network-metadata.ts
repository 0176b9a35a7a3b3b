/**
 * network_data.json and the EC2 addresses from an instance's NetworkInfo, as nova's
 * nova/virt/netutils.py get_network_metadata and get_ec2_ip_info build them: one link
 * per VIF with subnets, one network per first IPv4 and first IPv6 subnet with
 * addresses (ipvN_dhcp when neutron runs DHCP there), the subnets' DNS as services.
 */
import type { NetworkInfo, Subnet, VIF } from '../network/model.js';

/** model.LEGACY_EXPOSED_VIF_TYPES: these are shown as they are, others as "phy". */
const LEGACY_EXPOSED_VIF_TYPES = new Set(['bridge', 'dvs', 'hw_veb', 'hyperv', 'ovs', 'tap', 'vhostuser', 'vif']);

/** The dotted netmask of an IPv4 prefix length; for IPv6 the expanded-then-compressed mask netaddr prints. */
export function netmask(version: 4 | 6, prefix: number): string {
  if (version === 4) {
    const m = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
    return [24, 16, 8, 0].map((s) => (m >>> s) & 255).join('.');
  }
  const groups: string[] = [];
  for (let i = 0; i < 8; i++) {
    const bits = Math.max(0, Math.min(16, prefix - i * 16));
    groups.push((bits === 0 ? 0 : (0xffff << (16 - bits)) & 0xffff).toString(16));
  }
  // Compress the longest run of zero groups as "::" (netaddr's compact form).
  let best = [-1, 0];
  for (let i = 0; i < 8; ) {
    if (groups[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > best[1]! && j - i > 1) best = [i, j - i];
    i = j;
  }
  if (best[0]! < 0) return groups.join(':');
  return `${groups.slice(0, best[0]).join(':')}::${groups.slice(best[0]! + best[1]!).join(':')}`;
}

/** The network part of a CIDR (netaddr's IPNetwork(cidr).network) for IPv4; IPv6 as given. */
function networkAddress(cidr: string): string {
  const [addr, len] = cidr.split('/') as [string, string];
  if (addr.includes(':')) return addr;
  const n = addr.split('.').reduce((a, o) => ((a << 8) | Number(o)) >>> 0, 0);
  const m = Number(len) === 0 ? 0 : (0xffffffff << (32 - Number(len))) >>> 0;
  const net = (n & m) >>> 0;
  return [24, 16, 8, 0].map((s) => (net >>> s) & 255).join('.');
}

const prefixOf = (cidr: string) => Number(cidr.split('/')[1]);

function dnsServices(subnet: Subnet) {
  return subnet.dns.map((ip) => ({ type: 'dns', address: ip.address }));
}

function linkOf(vif: VIF, ifcNum: number) {
  const mtu = vif.network.subnets.some((s) => s.meta.dhcp_server) ? null : (vif.network.meta.mtu ?? null);
  return {
    id: vif.devname || `interface${ifcNum}`,
    vif_id: vif.id,
    type: LEGACY_EXPOSED_VIF_TYPES.has(vif.type) ? vif.type : 'phy',
    mtu,
    ethernet_mac_address: vif.address,
  };
}

function netOf(vif: VIF, subnet: Subnet, version: 4 | 6, netNum: number, linkId: string): Record<string, unknown> {
  let netType = '';
  if (subnet.meta.ipv6_address_mode != null) netType = `_${String(subnet.meta.ipv6_address_mode)}`;
  else if (subnet.meta.dhcp_server != null) return { id: `network${netNum}`, type: `ipv${version}_dhcp`, link: linkId, network_id: vif.network.id };
  const ip = subnet.ips[0]!;
  const gw = subnet.gateway?.address;
  const routes: Record<string, string>[] = gw ? [{ network: version === 4 ? '0.0.0.0' : '::', netmask: version === 4 ? '0.0.0.0' : '::', gateway: gw }] : [];
  for (const r of subnet.routes) {
    const v = r.cidr.includes(':') ? 6 : 4;
    routes.push({ network: networkAddress(r.cidr), netmask: netmask(v, prefixOf(r.cidr)), gateway: r.gateway.address });
  }
  return {
    id: `network${netNum}`,
    type: `ipv${version}${netType}`,
    link: linkId,
    ip_address: ip.address,
    netmask: netmask(version, prefixOf(subnet.cidr)),
    routes,
    network_id: vif.network.id,
    services: dnsServices(subnet),
  };
}

/** netutils.get_network_metadata; null for an instance without networks (nova answers {} then). */
export function getNetworkMetadata(nwInfo: NetworkInfo): { links: unknown[]; networks: unknown[]; services: unknown[] } | null {
  if (!nwInfo.length) return null;
  const links: ReturnType<typeof linkOf>[] = [];
  const networks: unknown[] = [];
  const services: { type: string; address: string }[] = [];
  let ifcNum = -1;
  let netNum = -1;
  for (const vif of nwInfo) {
    if (!vif.network?.subnets?.length) continue;
    const v4 = vif.network.subnets.find((s) => s.version === 4);
    const v6 = vif.network.subnets.find((s) => s.version === 6);
    ifcNum++;
    let link: ReturnType<typeof linkOf> | undefined;
    if (v4 || v6) {
      link = linkOf(vif, ifcNum);
      links.push(link);
    }
    for (const [subnet, version] of [
      [v4, 4],
      [v6, 6],
    ] as const) {
      if (!subnet || !subnet.ips.length) continue;
      netNum++;
      networks.push(netOf(vif, subnet, version, netNum, link!.id));
      for (const dns of dnsServices(subnet)) if (!services.some((s) => s.address === dns.address && s.type === dns.type)) services.push(dns);
    }
  }
  return { links, networks, services };
}

/** netutils.get_ec2_ip_info: fixed IPv4s, fixed IPv6s and floating IPs, in VIF order. */
export function ec2IpInfo(nwInfo: NetworkInfo): { fixed_ips: string[]; fixed_ip6s: string[]; floating_ips: string[] } {
  const fixed = nwInfo.flatMap((v) => v.network.subnets.flatMap((s) => s.ips));
  return {
    fixed_ips: fixed.filter((ip) => ip.version === 4).map((ip) => ip.address),
    fixed_ip6s: fixed.filter((ip) => ip.version === 6).map((ip) => ip.address),
    floating_ips: fixed.flatMap((ip) => ip.floating_ips.map((f) => f.address)),
  };
}
