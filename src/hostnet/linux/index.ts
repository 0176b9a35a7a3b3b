/** The `linux` host driver: real devices, real Open vSwitch. */
export { HostDriverConfigError, HostDriverUnavailable, type HostRequirement } from './errors.js';
export { LinuxHostNetwork, type LinuxHostOptions } from './linux-host.js';
