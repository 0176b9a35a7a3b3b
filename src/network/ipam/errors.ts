/**
 * The exceptions IPAM raises, with neutron's class names (the NeutronError `type`) and
 * message texts: neutron_lib/exceptions/__init__.py and neutron/ipam/exceptions.py.
 * neutron-lib's InUse family answers 409 (neutron's FAULT_MAP), so those extend Conflict.
 * Where neutron has two classes of one name (neutron-lib's and neutron.ipam's), the second
 * here carries a distinct TypeScript name and reports the shared `type`.
 */
import { BadRequest, Conflict, OpenStackError } from '../../common/errors.js';

export { InvalidInput } from '../errors.js';

/** neutron_lib BadRequest (400) with its resource/msg template, e.g. resource 'subnets'. */
export class NeutronBadRequest extends BadRequest {
  static override readonly wireType: string = 'BadRequest';
  constructor(resource: string, msg: string) {
    super(`Bad ${resource} request: ${msg}.`);
  }
}

/** neutron_lib InvalidAllocationPool (400); `pool` is printed as neutron prints it (range or dict repr). */
export class InvalidAllocationPool extends BadRequest {
  static override readonly wireType: string = 'InvalidAllocationPool';
  constructor(pool: string) {
    super(`The allocation pool ${pool} is not valid.`);
  }
}

/** neutron_lib OutOfBoundsAllocationPool (400). */
export class OutOfBoundsAllocationPool extends BadRequest {
  static override readonly wireType: string = 'OutOfBoundsAllocationPool';
  constructor(pool: string, subnetCidr: string) {
    super(`The allocation pool ${pool} spans beyond the subnet cidr ${subnetCidr}.`);
  }
}

/** neutron_lib OverlappingAllocationPools (409). */
export class OverlappingAllocationPools extends Conflict {
  static override readonly wireType: string = 'OverlappingAllocationPools';
  constructor(pool1: string, pool2: string, subnetCidr: string) {
    super(`Found overlapping allocation pools: ${pool1} ${pool2} for subnet ${subnetCidr}.`);
  }
}

/** neutron_lib GatewayConflictWithAllocationPools (InUse, 409). */
export class GatewayConflictWithAllocationPools extends Conflict {
  static override readonly wireType: string = 'GatewayConflictWithAllocationPools';
  constructor(ipAddress: string, pool: string) {
    super(`Gateway ip ${ipAddress} conflicts with allocation pool ${pool}.`);
  }
}

/** neutron_lib GatewayIpInUse (InUse, 409): a subnet update moving a gateway a router port holds. */
export class GatewayIpInUse extends Conflict {
  static override readonly wireType: string = 'GatewayIpInUse';
  constructor(ipAddress: string, portId: string) {
    super(`Current gateway ip ${ipAddress} already in use by port ${portId}. Unable to update.`);
  }
}

/** neutron_lib InvalidIpForSubnet (400): a fixed IP that check_subnet_ip refuses for the named subnet. */
export class InvalidIpForSubnet extends BadRequest {
  static override readonly wireType: string = 'InvalidIpForSubnet';
  constructor(ipAddress: string) {
    super(`IP address ${ipAddress} is not a valid IP for the specified subnet.`);
  }
}

/** neutron.ipam InvalidIpForSubnet (400): the IPAM driver's own check, naming the subnet. */
export class IpamInvalidIpForSubnet extends BadRequest {
  static override readonly wireType: string = 'InvalidIpForSubnet';
  constructor(ip: string, subnetId: string) {
    super(`IP address ${ip} does not belong to subnet ${subnetId}`);
  }
}

/** neutron_lib InvalidIpForNetwork (400): a fixed IP (no subnet_id) that fits none of the network's subnets. */
export class InvalidIpForNetwork extends BadRequest {
  static override readonly wireType: string = 'InvalidIpForNetwork';
  constructor(ipAddress: string) {
    super(`IP address ${ipAddress} is not a valid IP for any of the subnets on the specified network.`);
  }
}

/** neutron.ipam IpAddressAlreadyAllocated (409): the IPAM driver's uniqueness check. */
export class IpAddressAlreadyAllocated extends Conflict {
  static override readonly wireType: string = 'IpAddressAlreadyAllocated';
  constructor(ip: string, subnetId: string) {
    super(`IP address ${ip} already allocated in subnet ${subnetId}`);
  }
}

/** neutron.ipam IpAddressGenerationFailure (409): the subnet's pools are exhausted. */
export class IpAddressGenerationFailure extends Conflict {
  static override readonly wireType: string = 'IpAddressGenerationFailure';
  constructor(subnetId: string) {
    super(`No more IP addresses available for subnet ${subnetId}.`);
  }
}

/** neutron_lib IpAddressGenerationFailure (409), the network-level variant (plugins raise it). */
export class NetworkIpAddressGenerationFailure extends Conflict {
  static override readonly wireType: string = 'IpAddressGenerationFailure';
  constructor(netId: string) {
    super(`No more IP addresses available on network ${netId}.`);
  }
}

/** neutron.ipam IpAddressGenerationFailureAllSubnets (409): every candidate subnet is full. */
export class IpAddressGenerationFailureAllSubnets extends Conflict {
  static override readonly wireType: string = 'IpAddressGenerationFailureAllSubnets';
  constructor() {
    super('No more IP addresses available.');
  }
}

/** neutron.ipam IpAddressGenerationFailureNoMatchingSubnet (409): no subnet serves the device owner. */
export class IpAddressGenerationFailureNoMatchingSubnet extends Conflict {
  static override readonly wireType: string = 'IpAddressGenerationFailureNoMatchingSubnet';
  constructor(networkId: string, serviceType: string) {
    super(
      `No valid service subnet for the given device owner, network ${networkId}, service type ${serviceType}.`,
    );
  }
}

/** neutron.ipam AllocationOnAutoAddressSubnet (InvalidInput, 400): a fixed IP on a SLAAC subnet. */
export class AllocationOnAutoAddressSubnet extends BadRequest {
  static override readonly wireType: string = 'AllocationOnAutoAddressSubnet';
  constructor(ip: string, subnetId: string) {
    super(
      `IPv6 address ${ip} cannot be directly assigned to a port on subnet ${subnetId} as the subnet is configured for automatic addresses`,
    );
  }
}

/** neutron.ipam InvalidSubnetRequest (400). */
export class InvalidSubnetRequest extends BadRequest {
  static override readonly wireType: string = 'InvalidSubnetRequest';
  constructor(reason: string) {
    super(`The subnet request could not be satisfied because: ${reason}`);
  }
}

/** neutron.ipam InvalidAddressRequest (400). */
export class InvalidAddressRequest extends BadRequest {
  static override readonly wireType: string = 'InvalidAddressRequest';
  constructor(reason: string) {
    super(`The address allocation request could not be satisfied because: ${reason}`);
  }
}

/** neutron.ipam IpamValueInvalid (409): the message is given whole. */
export class IpamValueInvalid extends Conflict {
  static override readonly wireType: string = 'IpamValueInvalid';
}

/** neutron.ipam IPAllocationFailed (500): allocation lost a race too many times. */
export class IPAllocationFailed extends OpenStackError {
  static override readonly wireType: string = 'IPAllocationFailed';
  constructor() {
    super('IP allocation failed. Try again later.');
  }
}

/** neutron_lib HostRoutesExhausted (400); subnetId is 'new subnet' on create, as neutron prints it. */
export class HostRoutesExhausted extends BadRequest {
  static override readonly wireType: string = 'HostRoutesExhausted';
  constructor(subnetId: string, quota: number) {
    super(`Unable to complete operation for ${subnetId}. The number of host routes exceeds the limit ${quota}.`);
  }
}

/** neutron_lib DNSNameServersExhausted (400); subnetId is 'new subnet' on create. */
export class DNSNameServersExhausted extends BadRequest {
  static override readonly wireType: string = 'DNSNameServersExhausted';
  constructor(subnetId: string, quota: number) {
    super(
      `Unable to complete operation for ${subnetId}. The number of DNS nameservers exceeds the limit ${quota}.`,
    );
  }
}
