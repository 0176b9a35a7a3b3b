/**
 * The subnet-level checks neutron makes around IPAM: which fixed IPs a subnet accepts
 * (ipam/utils.py check_subnet_ip), which gateways are refused
 * (check_gateway_invalid_in_subnet), and the CIDR rules of _validate_subnet_cidr.
 */
import { parseIp, type IpAddress, type IpVersion } from './address.js';
import { cidrContains, cidrsOverlap, formatCidr, parseCidr, type Cidr } from './cidr.js';
import { InvalidInput, InvalidIpForNetwork, InvalidIpForSubnet } from './errors.js';

/** neutron-lib's ROUTER_PORT_OWNERS: the owners that may hold an IPv6 subnet's network address. */
export const ROUTER_PORT_OWNERS: readonly string[] = [
  'network:router_interface',
  'network:ha_router_replicated_interface',
  'network:router_interface_distributed',
  'network:router_centralized_snat',
  'network:router_gateway',
];

/**
 * check_subnet_ip: whether `ip` may be a fixed IP on the subnet. IPv4 refuses the
 * network and broadcast addresses (even on /31 and /32, as neutron does); IPv6 refuses
 * the network address (the default gateway, the subnet-router anycast address) unless
 * the owner is a router port or unknown (''). The gateway is otherwise not special:
 * neutron lets any port take it.
 */
export function checkFixedIp(cidr: Cidr, ip: IpAddress, deviceOwner = ''): boolean {
  if (!cidrContains(cidr, ip)) return false;
  if (cidr.version === 6) return deviceOwner === '' || ROUTER_PORT_OWNERS.includes(deviceOwner) || ip.value !== cidr.first;
  return ip.value !== cidr.first && ip.value !== cidr.last;
}

/** A subnet as the fixed-IP lookup needs it. */
export interface SubnetForIp {
  readonly id: string;
  readonly cidr: Cidr;
}

/**
 * _get_subnet_for_fixed_ip with an ip_address: the named subnet when it accepts the IP
 * (else InvalidIpForSubnet), or without a subnet id the first subnet that accepts it
 * (else InvalidIpForNetwork). `ipText` is echoed in messages as given. An unknown
 * subnet id answers undefined: neutron then raises SubnetNotFound or InvalidInput.
 */
export function subnetForFixedIp<S extends SubnetForIp>(
  subnets: readonly S[],
  ipText: string,
  deviceOwner: string,
  subnetId?: string,
): S | undefined {
  const ip = parseIp(ipText);
  if (subnetId !== undefined) {
    const subnet = subnets.find((s) => s.id === subnetId);
    if (subnet && (ip === null || !checkFixedIp(subnet.cidr, ip, deviceOwner))) throw new InvalidIpForSubnet(ipText);
    return subnet;
  }
  const found = ip === null ? undefined : subnets.find((s) => checkFixedIp(s.cidr, ip, deviceOwner));
  if (!found) throw new InvalidIpForNetwork(ipText);
  return found;
}

/**
 * check_gateway_invalid_in_subnet: true for an IPv4 gateway equal to the network or
 * broadcast address; a gateway outside the CIDR is allowed (neutron cannot know its subnet).
 */
export function checkGatewayInvalidInSubnet(cidr: Cidr, gateway: IpAddress): boolean {
  return cidrContains(cidr, gateway) && cidr.version === 4 && (gateway.value === cidr.first || gateway.value === cidr.last);
}

/**
 * _validate_subnet's gateway rule: throws InvalidInput("Gateway is not valid on subnet")
 * when checkGatewayInvalidInSubnet holds.
 */
export function validateGatewayInSubnet(cidr: Cidr, gateway: IpAddress): void {
  if (checkGatewayInvalidInSubnet(cidr, gateway)) throw new InvalidInput('Gateway is not valid on subnet');
}

/**
 * _validate_ip_version: throws InvalidInput "%(name)s '%(addr)s' does not match the
 * ip_version '%(ip_version)s'" when `addr` (an address or CIDR) is of the other version.
 */
export function validateIpVersion(ipVersion: IpVersion, addr: string, name: string): void {
  const version = parseIp(addr)?.version ?? parseCidr(addr)?.version;
  if (version !== undefined && version !== ipVersion) {
    throw new InvalidInput(`${name} '${addr}' does not match the ip_version '${ipVersion}'`);
  }
}

/**
 * _validate_subnet_cidr: refuses prefix length 0 (dnsmasq cannot serve it, bug 1362651)
 * and a CIDR overlapping another subnet of the network, with neutron's InvalidInput texts.
 * `cidrText` is echoed as the request gave it (after normalisation).
 */
export function validateSubnetCidr(cidr: Cidr, cidrText: string, networkId: string, others: readonly Cidr[]): void {
  if (cidr.prefixlen === 0) throw new InvalidInput('0 is not allowed as CIDR prefix length');
  for (const other of others) {
    // The provisional IPv6 prefix-delegation subnet (::/64) overlaps nothing.
    if (other.version === 6 && other.prefixlen === 64 && other.first === 0n) continue;
    if (cidrsOverlap(cidr, other)) {
      throw new InvalidInput(
        `Requested subnet with cidr: ${cidrText} for network: ${networkId} overlaps with another subnet`,
      );
    }
  }
}


/** ipv6_utils.is_auto_address_subnet: SLAAC or DHCPv6-stateless addresses (EUI-64). */
export function isAutoAddressSubnet(s: { ipv6_ra_mode: string | null; ipv6_address_mode: string | null }): boolean {
  const modes = ['slaac', 'dhcpv6-stateless'];
  return modes.includes(s.ipv6_address_mode ?? '') || modes.includes(s.ipv6_ra_mode ?? '');
}

/**
 * The IPv6 part of _validate_subnet on create (_validate_ipv6_attributes, or the refusal of
 * the modes on IPv4), with neutron's InvalidInput texts.
 */
export function validateIpv6Modes(ipVersion: IpVersion, cidr: Cidr, raMode: string | null, addressMode: string | null, enableDhcp: boolean): void {
  if (ipVersion === 4) {
    if (raMode !== null) throw new InvalidInput('ipv6_ra_mode is not valid when ip_version is 4');
    if (addressMode !== null) throw new InvalidInput('ipv6_address_mode is not valid when ip_version is 4');
    return;
  }
  if ((raMode !== null || addressMode !== null) && !enableDhcp) {
    throw new InvalidInput('ipv6_ra_mode or ipv6_address_mode cannot be set when enable_dhcp is set to False');
  }
  if (raMode !== null && addressMode !== null && raMode !== addressMode) {
    throw new InvalidInput(`ipv6_ra_mode set to '${raMode}' with ipv6_address_mode set to '${addressMode}' is not valid. If both attributes are set, they must be the same value`);
  }
  // _validate_eui64_applicable: neutron only makes EUI-64 interface ids, so a /64.
  if (isAutoAddressSubnet({ ipv6_ra_mode: raMode, ipv6_address_mode: addressMode }) && cidr.prefixlen !== 64) {
    throw new InvalidInput(`Invalid CIDR ${formatCidr(cidr)} for IPv6 address mode. OpenStack uses the EUI-64 address format, which requires the prefix to be /64`);
  }
}
