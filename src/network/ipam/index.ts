/** Neutron's IP address management, pure: addresses, CIDRs, pools, checks, the address choice and subnet pools. */
export * from './address.js';
export * from './cidr.js';
export * from './pools.js';
export * from './errors.js';
export * from './allocator.js';
export * from './subnet-checks.js';
export * from './prefix-set.js';
export * from './subnet-allocator.js';
