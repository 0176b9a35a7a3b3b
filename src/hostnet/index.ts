/** Hypervisor hosts' network devices: the command-shaped HostNetwork, its simulation and the registry. */
export * from './host-network.js';
export { type CommandFault, OVSDB_DOWN, SimulatedHostNetwork, type SimulatedHostOptions } from './simulated/simulated-host.js';
export { HOST_DRIVERS, HostNetworks, closeHostNetworks, createHostNetworks, createSimulatedHostNetworks, simulatedHost } from './registry.js';
export { HostDriverConfigError, HostDriverUnavailable, LinuxHostNetwork } from './linux/index.js';
