/**
 * The database side of IPAM: turns a port's requested fixed_ips into allocation rows,
 * choosing addresses with the pure strategy of src/network/ipam and relying on the
 * (subnet_id, ip_address) primary key so one address has exactly one owner.
 */
import type { Kysely } from 'kysely';
import type { Random } from '../../common/clock.js';
import { guardUnique, isUniqueViolation } from '../../db/database.js';
import { insertIpAllocation, selectAllocatedAmong, selectAllocatedIps } from '../db/ipam.js';
import type { NeutronDB } from '../db/schema.js';
import { badRequest, InvalidInput } from '../errors.js';
import { ROUTER_INTERFACE_OWNERS } from './deps.js';
import {
  AllocationOnAutoAddressSubnet,
  chooseAddress,
  isAutoAddressSubnet,
  formatIp,
  IpAddressAlreadyAllocated,
  IpAddressGenerationFailure,
  NetworkIpAddressGenerationFailure,
  parseCidr,
  parseIp,
  subnetForFixedIp,
  validateIpAddress,
} from '../ipam/index.js';
import type { SubnetWithPools } from './subnets.js';

/** neutron-lib's ROUTER_INTERFACE_OWNERS_SNAT: router ports that get no automatic IPv6 address. */
export const ROUTER_INTERFACE_OWNERS_SNAT = [...ROUTER_INTERFACE_OWNERS, 'network:router_centralized_snat'];

/** ipv6_utils.get_ipv6_addr_by_EUI64: the /64 prefix plus the modified EUI-64 of the MAC. */
export function eui64Address(cidr: string, mac: string): string {
  const bytes = mac.split(/[:-]/).map((h) => parseInt(h, 16));
  const eui = [bytes[0]! ^ 0x02, bytes[1]!, bytes[2]!, 0xff, 0xfe, bytes[3]!, bytes[4]!, bytes[5]!];
  const iid = eui.reduce((acc, b) => (acc << 8n) | BigInt(b), 0n);
  return formatIp(parseCidr(cidr)!.first | iid, 6);
}

export interface FixedIpRequest {
  subnet_id?: string;
  ip_address?: string;
}

export interface Allocation {
  subnet_id: string;
  ip_address: string;
}

/** Checks the shape of a fixed_ips list (neutron-lib's validate_fixed_ips). */
export function validateFixedIps(list: unknown[]): FixedIpRequest[] {
  const seen = new Set<string>();
  const out: FixedIpRequest[] = [];
  for (const item of list) {
    const f = item as Record<string, unknown>;
    if (!f || typeof f !== 'object' || Array.isArray(f) || Object.keys(f).some((k) => k !== 'subnet_id' && k !== 'ip_address')) {
      throw badRequest(`Invalid input for fixed_ips. Reason: Invalid data format for fixed IP: '${JSON.stringify(item)}'.`);
    }
    if ('ip_address' in f) {
      const bad = validateIpAddress(f.ip_address);
      if (bad) throw badRequest(`Invalid input for fixed_ips. Reason: ${bad}.`);
      if (seen.has(f.ip_address as string)) throw badRequest(`Invalid input for fixed_ips. Reason: Duplicate IP address '${String(f.ip_address)}'.`);
      seen.add(f.ip_address as string);
    }
    if ('subnet_id' in f && (typeof f.subnet_id !== 'string' || !/^[0-9a-f-]{36}$/i.test(f.subnet_id))) {
      throw badRequest(`Invalid input for fixed_ips. Reason: '${String(f.subnet_id)}' is not a valid UUID.`);
    }
    out.push(f as FixedIpRequest);
  }
  return out;
}

export class IpamBackend {
  constructor(private readonly random: Random) {}

  /** Allocates one given address; IpAddressAlreadyAllocated when someone holds it. */
  async allocateSpecific(trx: Kysely<NeutronDB>, portId: string, networkId: string, subnet: SubnetWithPools, ip: string): Promise<Allocation> {
    const v = subnet.ip_version as 4 | 6;
    const text = formatIp(parseIp(ip)!.value, v);
    try {
      // Guarded: allocateAny goes on to another address in the same transaction.
      await guardUnique(trx, () => insertIpAllocation(trx, { port_id: portId, ip_address: text, subnet_id: subnet.id, network_id: networkId }));
    } catch (e) {
      if (isUniqueViolation(e)) throw new IpAddressAlreadyAllocated(text, subnet.id);
      throw e;
    }
    return { subnet_id: subnet.id, ip_address: text };
  }

  /** Allocates any free address of the subnet, or returns null when it is full. */
  async allocateAny(trx: Kysely<NeutronDB>, portId: string, networkId: string, subnet: SubnetWithPools): Promise<Allocation | null> {
    const v = subnet.ip_version as 4 | 6;
    for (let attempt = 0; attempt < 5; attempt++) {
      // No count of the subnet's allocations (an O(n) scan per port): the random batch
      // finds a free address in a sparse subnet, and a full or dense one falls through
      // to the allocator's scan, which also decides exhaustion.
      const chosen = await chooseAddress(
        subnet.pools,
        async (cands) => {
          const taken = await selectAllocatedAmong(trx, subnet.id, cands.map((c) => formatIp(c, v)));
          return new Set(taken.map((ip) => parseIp(ip)!.value));
        },
        async () => (await selectAllocatedIps(trx, subnet.id)).map((ip) => parseIp(ip)!.value),
        0n,
        this.random,
      );
      if (chosen === null) return null;
      try {
        return await this.allocateSpecific(trx, portId, networkId, subnet, formatIp(chosen, v));
      } catch (e) {
        if (!(e instanceof IpAddressAlreadyAllocated)) throw e;
      }
    }
    return null;
  }

  /**
   * Allocates a new port's addresses, as Zed's _allocate_ips_for_port. Without a request:
   * one address from the IPv4 subnets and one from the DHCPv6-stateful (non-auto) IPv6
   * subnets, first with room. With one: each entry on its subnet, checked like
   * _test_fixed_ips_for_port (an address on a SLAAC subnet is refused; a subnet_id alone
   * of one is left to the next step). Then, given the port's `mac` and unless it is a
   * router interface, the EUI-64 address of every SLAAC/DHCPv6-stateless subnet.
   */
  async allocateForPort(
    trx: Kysely<NeutronDB>,
    portId: string,
    networkId: string,
    subnets: SubnetWithPools[],
    requested: FixedIpRequest[] | undefined,
    deviceOwner: string,
    mac?: string,
  ): Promise<Allocation[]> {
    const out: Allocation[] = [];
    const routerIntf = ROUTER_INTERFACE_OWNERS_SNAT.includes(deviceOwner);
    const auto = subnets.filter((s) => s.ip_version === 6 && isAutoAddressSubnet(s));
    if (requested === undefined) {
      for (const v of [4, 6]) {
        const ofVersion = subnets.filter((s) => s.ip_version === v && !auto.includes(s));
        if (!ofVersion.length) continue;
        let got: Allocation | null = null;
        for (const s of ofVersion) {
          got = await this.allocateAny(trx, portId, networkId, s);
          if (got) break;
        }
        if (!got) throw new NetworkIpAddressGenerationFailure(networkId);
        out.push(got);
      }
    } else {
      for (const f of requested) {
        if (f.ip_address === undefined && !routerIntf && auto.some((s) => s.id === f.subnet_id)) continue;
        out.push(await this.allocateOne(trx, portId, networkId, subnets, f, deviceOwner));
      }
    }
    if (mac !== undefined && !routerIntf) {
      for (const s of auto) out.push(await this.allocateSpecific(trx, portId, networkId, s, eui64Address(s.cidr, mac)));
    }
    return out;
  }

  /** Allocates one requested fixed IP entry. */
  async allocateOne(trx: Kysely<NeutronDB>, portId: string, networkId: string, subnets: SubnetWithPools[], f: FixedIpRequest, deviceOwner: string): Promise<Allocation> {
    const candidates = subnets.map((s) => ({ ...s, cidr: parseCidr(s.cidr)! }));
    let subnet: SubnetWithPools | undefined;
    if (f.ip_address !== undefined) {
      const found = subnetForFixedIp(candidates, f.ip_address, deviceOwner, f.subnet_id);
      subnet = found && subnets.find((s) => s.id === found.id);
    } else if (f.subnet_id !== undefined) {
      subnet = subnets.find((s) => s.id === f.subnet_id);
    }
    if (!subnet) {
      throw new InvalidInput(`Failed to create port on network ${networkId}, because fixed_ips included invalid subnet ${f.subnet_id}`);
    }
    if (f.ip_address !== undefined) {
      if (isAutoAddressSubnet(subnet) && !ROUTER_INTERFACE_OWNERS.includes(deviceOwner)) throw new AllocationOnAutoAddressSubnet(f.ip_address, subnet.id);
      return this.allocateSpecific(trx, portId, networkId, subnet, f.ip_address);
    }
    const got = await this.allocateAny(trx, portId, networkId, subnet);
    if (!got) {
      throw new IpAddressGenerationFailure(subnet.id);
    }
    return got;
  }
}
