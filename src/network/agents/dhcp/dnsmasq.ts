/**
 * What neutron's Dnsmasq driver (neutron/agent/linux/dhcp.py, Zed) writes and runs for
 * one network, as pure functions: the command line (_build_cmdline_callback), the
 * hosts file (_output_hosts_file), the additional hosts file (_output_addn_hosts_file)
 * and the options file (_generate_opts_per_subnet), plus the names the agent gives
 * things (qdhcp-<network_id>, tap<port_id[:11]>, dhcp<host uuid5>-<network_id>).
 *
 * Differences from Zed: no IPv6 address lists merged per port (dnsmasq_enable_addr6_list),
 * no extra_dhcp_opts client-id forms, no isolated-metadata routes (enable_isolated_metadata
 * and force_metadata are off by default in Zed too).
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { DEVICE_OWNER_DHCP, type DhcpNetworkInfo, type DhcpPort, type DhcpSubnet } from '../../rpc/dhcp-wire.js';

/** The dnsmasq options of dhcp_agent.ini / neutron.conf the agent uses (Zed's defaults in dnsmasqDefaults). */
export interface DnsmasqConf {
  /** <state_path>/dhcp: dhcp_confs. */
  confsDir: string;
  /** [DEFAULT] dhcp_lease_duration, seconds; -1 = infinite. */
  leaseDuration: number;
  /** [DEFAULT] dns_domain. */
  dnsDomain: string;
  dnsmasqLeaseMax: number;
  dnsmasqDnsServers: string[];
  dnsmasqLocalResolv: boolean;
  dnsmasqConfigFile: string;
  dhcpRenewalTime: number;
  dhcpRebindingTime: number;
  dhcpBroadcastReply: boolean;
}

/** Zed's defaults (dnsmasq_lease_max 2**24, no DNS servers, local resolv off...). */
export function dnsmasqDefaults(confsDir: string, leaseDuration = 86400, dnsDomain = 'openstacklocal'): DnsmasqConf {
  return {
    confsDir,
    leaseDuration,
    dnsDomain,
    dnsmasqLeaseMax: 2 ** 24,
    dnsmasqDnsServers: [],
    dnsmasqLocalResolv: false,
    dnsmasqConfigFile: '',
    dhcpRenewalTime: 0,
    dhcpRebindingTime: 0,
    dhcpBroadcastReply: false,
  };
}

/** The network's namespace (dhcp.NS_PREFIX). */
export const dhcpNamespace = (networkId: string) => `qdhcp-${networkId}`;

/** The DHCP port's device name: (DEV_NAME_PREFIX + port id)[:DEV_NAME_LEN]. */
export const dhcpDeviceName = (portId: string) => `tap${portId}`.slice(0, 14);

/** One of a network's files (get_conf_file_name): <confs>/<network_id>/<kind>. */
export const confFile = (conf: Pick<DnsmasqConf, 'confsDir'>, networkId: string, kind: 'host' | 'addn_hosts' | 'opts' | 'leases' | 'pid' | 'interface') =>
  join(conf.confsDir, networkId, kind);

/** Python's uuid.uuid5(namespace, name). */
export function uuid5(namespace: string, name: string): string {
  const ns = Buffer.from(namespace.replace(/-/g, ''), 'hex');
  const h = createHash('sha1').update(ns).update(name, 'utf8').digest().subarray(0, 16);
  h[6] = (h[6]! & 0x0f) | 0x50;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const x = h.toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

/** uuid.NAMESPACE_DNS. */
const NAMESPACE_DNS = '6ba7b810-9dad-11d1-80b4-00c04fd430c8';

/** common_utils.get_dhcp_agent_device_id: the device_id of the DHCP port a host's agent owns. */
export const dhcpDeviceId = (networkId: string, host: string) => `dhcp${uuid5(NAMESPACE_DNS, host)}-${networkId}`;

/** IPv4 network address and dotted netmask, or IPv6 network and prefix length, of a CIDR. */
function cidrParts(cidr: string): { network: string; netmask: string; prefixlen: number; size: number; v: 4 | 6 } {
  const [addr, lenText] = cidr.split('/') as [string, string];
  const prefixlen = Number(lenText);
  if (!addr.includes(':')) {
    const n = addr.split('.').reduce((a, o) => a * 256 + Number(o), 0);
    const mask = prefixlen === 0 ? 0 : (0xffffffff << (32 - prefixlen)) >>> 0;
    const dotted = (v: number) => [24, 16, 8, 0].map((s) => (v >>> s) & 255).join('.');
    return { network: dotted((n & mask) >>> 0), netmask: dotted(mask), prefixlen, size: 2 ** (32 - prefixlen), v: 4 };
  }
  return { network: addr, netmask: '', prefixlen, size: Number.MAX_SAFE_INTEGER, v: 6 };
}

const SUBNET_TAG = (id: string) => `subnet-${id}`;
const PORT_TAG = (id: string) => `port-${id}`;

/** Dnsmasq._build_cmdline_callback: dnsmasq's argv for the network (run inside qdhcp-<id>). */
export function dnsmasqCmdline(conf: DnsmasqConf, net: DhcpNetworkInfo): string[] {
  const f = (kind: Parameters<typeof confFile>[2]) => confFile(conf, net.id, kind);
  const cmd = [
    'dnsmasq',
    '--no-hosts',
    ...(conf.dnsmasqDnsServers.length || !conf.dnsmasqLocalResolv ? ['--no-resolv'] : []),
    `--pid-file=${f('pid')}`,
    `--dhcp-hostsfile=${f('host')}`,
    `--addn-hosts=${f('addn_hosts')}`,
    `--dhcp-optsfile=${f('opts')}`,
    `--dhcp-leasefile=${f('leases')}`,
    '--dhcp-match=set:ipxe,175',
    '--dhcp-userclass=set:ipxe6,iPXE',
    '--local-service',
    '--bind-dynamic',
  ];
  // The OVS interface driver is bridged: no --bridge-interface.
  let possibleLeases = 0;
  const lease = conf.leaseDuration === -1 ? 'infinite' : `${conf.leaseDuration}s`;
  for (const s of net.subnets) {
    if (!s.enable_dhcp) continue;
    let mode: string | null = null;
    if (s.ip_version === 4) mode = 'static';
    else {
      const addr = s.ipv6_address_mode ?? null;
      const ra = s.ipv6_ra_mode ?? null;
      if (addr === 'dhcpv6-stateful' || addr === 'dhcpv6-stateless' || (!addr && !ra)) mode = 'static';
    }
    const c = cidrParts(s.cidr);
    if (!mode) continue;
    if (s.ip_version === 4) cmd.push(`--dhcp-range=set:${SUBNET_TAG(s.id)},${c.network},${mode},${c.netmask},${lease}`);
    else {
      if (c.prefixlen < 64) continue;
      cmd.push(`--dhcp-range=set:${SUBNET_TAG(s.id)},${c.network},${mode},${c.prefixlen},${lease}`);
    }
    possibleLeases += c.size;
  }
  if (net.mtu > 0) cmd.push(`--dhcp-option-force=option:mtu,${net.mtu}`);
  cmd.push(`--dhcp-lease-max=${Math.min(possibleLeases, conf.dnsmasqLeaseMax)}`);
  if (conf.dhcpRenewalTime > 0) cmd.push(`--dhcp-option-force=option:T1,${conf.dhcpRenewalTime}s`);
  if (conf.dhcpRebindingTime > 0) cmd.push(`--dhcp-option-force=option:T2,${conf.dhcpRebindingTime}s`);
  cmd.push(`--conf-file=${conf.dnsmasqConfigFile.trim() || '/dev/null'}`);
  for (const server of conf.dnsmasqDnsServers) cmd.push(`--server=${server}`);
  if (conf.dnsDomain) cmd.push(`--domain=${conf.dnsDomain}`);
  if (conf.dhcpBroadcastReply) cmd.push('--dhcp-broadcast');
  return cmd;
}

/** port_requires_dhcp_configuration: every port but HA router, floating IP, DHCP and distributed ones. */
export function portRequiresDhcp(port: Pick<DhcpPort, 'device_owner'>): boolean {
  if (!port.device_owner) return true;
  return !['network:router_ha_interface', 'network:floatingip', DEVICE_OWNER_DHCP, 'network:distributed'].includes(port.device_owner);
}

interface HostEntry {
  port: DhcpPort;
  ip: string;
  subnetId: string;
  hostname: string;
  fqdn: string;
  noDhcp: boolean;
}

/** _iter_hosts (without addr6 lists): one entry per fixed IP of each port needing DHCP. */
function iterHosts(conf: DnsmasqConf, net: DhcpNetworkInfo): HostEntry[] {
  const v6 = new Map(net.subnets.filter((s) => s.ip_version === 6).map((s) => [s.id, s]));
  const out: HostEntry[] = [];
  for (const port of net.ports) {
    if (!portRequiresDhcp(port)) continue;
    for (const alloc of port.fixed_ips) {
      const mode = v6.get(alloc.subnet_id)?.ipv6_address_mode;
      const noDhcp = mode === 'slaac' || mode === 'dhcpv6-stateless';
      const dns = port.dns_assignment?.find((d) => d.ip_address === alloc.ip_address);
      const hostname = dns?.hostname ?? `host-${alloc.ip_address.replace(/[.:]/g, '-')}`;
      const fqdn = dns ? dns.fqdn : conf.dnsDomain ? `${hostname}.${conf.dnsDomain}` : hostname;
      out.push({ port, ip: alloc.ip_address, subnetId: alloc.subnet_id, hostname, fqdn, noDhcp });
    }
  }
  return out;
}

/** IPv6 addresses go in brackets in dnsmasq's files (_format_address_for_dnsmasq). */
const dnsmasqAddress = (ip: string) => (ip.includes(':') ? `[${ip}]` : ip);

/** _output_hosts_file's content: "mac,fqdn,ip" per fixed IP on a DHCP subnet (",set:port-<id>" with extra DHCP options). */
export function hostsFile(conf: DnsmasqConf, net: DhcpNetworkInfo): string {
  const dhcpSubnets = new Set(net.subnets.filter((s) => s.enable_dhcp).map((s) => s.id));
  let buf = '';
  for (const h of iterHosts(conf, net)) {
    const opts = h.port.extra_dhcp_opts ?? [];
    if (h.noDhcp) {
      if (opts.length) buf += `${h.port.mac_address},set:${PORT_TAG(h.port.id)}\n`;
      continue;
    }
    if (!dhcpSubnets.has(h.subnetId)) continue;
    const ip = dnsmasqAddress(h.ip);
    buf += opts.length ? `${h.port.mac_address},${h.fqdn},${ip},set:${PORT_TAG(h.port.id)}\n` : `${h.port.mac_address},${h.fqdn},${ip}\n`;
  }
  return buf;
}

/** _output_addn_hosts_file's content: "ip<TAB>fqdn hostname" per fixed IP. */
export function addnHostsFile(conf: DnsmasqConf, net: DhcpNetworkInfo): string {
  return iterHosts(conf, net)
    .map((h) => `${h.ip}\t${h.fqdn} ${h.hostname}\n`)
    .join('');
}

/** _format_option. */
function formatOption(v: 4 | 6, tag: string, option: string, ...args: string[]): string {
  const name = v === 6 ? `option6:${option}` : /^\d+$/.test(option) ? option : `option:${option}`;
  return [`tag:${tag}`, name, ...args].join(',');
}

/** Whether a subnet has no router interface on its gateway (get_isolated_subnets). */
function isolatedSubnets(net: DhcpNetworkInfo): Map<string, boolean> {
  const iso = new Map(net.subnets.map((s) => [s.id, true] as [string, boolean]));
  const byId = new Map(net.subnets.map((s) => [s.id, s]));
  for (const p of net.ports) {
    if (!['network:router_interface', 'network:router_interface_distributed', 'network:ha_router_replicated_interface'].includes(p.device_owner)) continue;
    for (const ip of p.fixed_ips) if (byId.get(ip.subnet_id)?.gateway_ip === ip.ip_address) iso.set(ip.subnet_id, false);
  }
  return iso;
}

/**
 * _output_opts_file's per-subnet options: dns-server (subnet's nameservers), host routes
 * with classless-static-route and 249, router (gateway, or none: "option:router" alone).
 */
export function optsFile(net: DhcpNetworkInfo, dnsDomain = ''): string {
  const options: string[] = [];
  const isolated = isolatedSubnets(net);
  for (const s of net.subnets as DhcpSubnet[]) {
    if (!s.enable_dhcp || (s.ip_version === 6 && s.ipv6_address_mode === 'slaac')) continue;
    const tag = SUBNET_TAG(s.id);
    if (s.dns_nameservers.length) {
      const any = s.dns_nameservers.every((d) => d === '0.0.0.0' || d === '::');
      options.push(any ? formatOption(s.ip_version, tag, 'dns-server') : formatOption(s.ip_version, tag, 'dns-server', s.dns_nameservers.map((d) => (s.ip_version === 6 ? `[${d}]` : d)).join(',')));
    }
    if (s.ip_version === 6 && dnsDomain) options.push(formatOption(6, tag, 'domain-search', dnsDomain));
    let gateway = s.gateway_ip;
    const routes: string[] = [];
    for (const hr of s.host_routes) {
      if (hr.destination === '0.0.0.0/0') gateway ??= hr.nexthop;
      else routes.push(`${hr.destination},${hr.nexthop}`);
    }
    if (!isolated.get(s.id) && gateway) routes.push(`169.254.169.254/32,${gateway}`);
    if (s.ip_version !== 4) continue;
    for (const o of net.subnets) {
      if (o.ip_version === 4 && o.cidr !== s.cidr && (o.segment_id ?? null) === (s.segment_id ?? null)) routes.unshift(`${o.cidr},0.0.0.0`);
    }
    if (routes.length) {
      if (gateway) routes.push(`0.0.0.0/0,${gateway}`);
      options.push(formatOption(4, tag, 'classless-static-route', routes.join(',')));
      options.push(formatOption(4, tag, '249', routes.join(',')));
    }
    options.push(gateway ? formatOption(4, tag, 'router', gateway) : formatOption(4, tag, 'router'));
  }
  // _generate_opts_per_port: a port's extra DHCP options for the IP versions it has (client-id goes in the hosts file).
  for (const p of net.ports) {
    const versions = new Set(p.fixed_ips.map((ip) => (ip.ip_address.includes(':') ? 6 : 4)));
    for (const o of p.extra_dhcp_opts ?? []) {
      if (['client-id', '61'].includes(o.opt_name)) continue;
      const v = o.ip_version === 6 ? 6 : 4;
      if (versions.has(v)) options.push(formatOption(v, PORT_TAG(p.id), o.opt_name, o.opt_value));
    }
  }
  return options.join('\n');
}
