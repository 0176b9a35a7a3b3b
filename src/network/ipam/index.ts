/** Neutron's IP address management, pure: addresses, CIDRs, pools, checks and the address choice. */
export * from './address.js';
export * from './cidr.js';
export * from './pools.js';
export * from './errors.js';
export * from './allocator.js';
export * from './subnet-checks.js';
