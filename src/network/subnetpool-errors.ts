/**
 * neutron-lib's subnet pool exceptions (neutron_lib/exceptions/__init__.py and
 * address_scope.py), with neutron's class names and texts. BadRequest ones answer 400,
 * NotFound 404, OverQuota 409; SubnetAllocationError is a bare NeutronException, which
 * neutron's fault map leaves to 500.
 */
import { BadRequest, Conflict, NotFound, OpenStackError } from '../common/errors.js';

export class SubnetPoolNotFound extends NotFound {
  static override readonly wireType: string = 'SubnetPoolNotFound';
  constructor(subnetpoolId: string) {
    super(`Subnet pool ${subnetpoolId} could not be found.`);
  }
}

/** The address-scope extension's NotFound: Nimbus has no address scopes, so any id is unknown. */
export class AddressScopeNotFound extends NotFound {
  static override readonly wireType: string = 'AddressScopeNotFound';
  constructor(addressScopeId: string) {
    super(`Address scope ${addressScopeId} could not be found.`);
  }
}

export class EmptySubnetPoolPrefixList extends BadRequest {
  static override readonly wireType: string = 'EmptySubnetPoolPrefixList';
  constructor() {
    super('Empty subnet pool prefix list.');
  }
}

export class PrefixVersionMismatch extends BadRequest {
  static override readonly wireType: string = 'PrefixVersionMismatch';
  constructor() {
    super('Cannot mix IPv4 and IPv6 prefixes in a subnet pool.');
  }
}

export class IllegalSubnetPoolPrefixBounds extends BadRequest {
  static override readonly wireType: string = 'IllegalSubnetPoolPrefixBounds';
  constructor(prefixType: string, prefixlen: number, basePrefixType: string, basePrefixlen: number) {
    super(`Illegal prefix bounds: ${prefixType}=${prefixlen}, ${basePrefixType}=${basePrefixlen}.`);
  }
}

export class IllegalSubnetPoolPrefixUpdate extends BadRequest {
  static override readonly wireType: string = 'IllegalSubnetPoolPrefixUpdate';
  constructor(msg: string) {
    super(`Illegal update to prefixes: ${msg}.`);
  }
}

export class SubnetPoolDeleteError extends BadRequest {
  static override readonly wireType: string = 'SubnetPoolDeleteError';
  constructor(reason: string) {
    super(`Unable to delete subnet pool: ${reason}.`);
  }
}

export class MinPrefixSubnetAllocationError extends BadRequest {
  static override readonly wireType: string = 'MinPrefixSubnetAllocationError';
  constructor(prefixlen: number, minPrefixlen: number) {
    super(`Unable to allocate subnet with prefix length ${prefixlen}, minimum allowed prefix is ${minPrefixlen}.`);
  }
}

export class MaxPrefixSubnetAllocationError extends BadRequest {
  static override readonly wireType: string = 'MaxPrefixSubnetAllocationError';
  constructor(prefixlen: number, maxPrefixlen: number) {
    super(`Unable to allocate subnet with prefix length ${prefixlen}, maximum allowed prefix is ${maxPrefixlen}.`);
  }
}

export class NetworkSubnetPoolAffinityError extends BadRequest {
  static override readonly wireType: string = 'NetworkSubnetPoolAffinityError';
  constructor() {
    super('Subnets hosted on the same network must be allocated from the same subnet pool.');
  }
}

/** neutron-lib's SubnetPoolQuotaExceeded, an OverQuota (409). */
export class SubnetPoolQuotaExceeded extends Conflict {
  static override readonly wireType: string = 'SubnetPoolQuotaExceeded';
  constructor() {
    super('Per-tenant subnet pool prefix quota exceeded.');
  }
}

/** A bare NeutronException: neutron answers it with 500 and its text. */
export class SubnetAllocationError extends OpenStackError {
  static override readonly wireType: string = 'SubnetAllocationError';
  constructor(reason: string) {
    super(`Failed to allocate subnet: ${reason}.`);
  }
}
