/**
 * Host weighers (nova/scheduler/weights): RAM and CPU spread by default (multiplier
 * 1.0: more free is better), each normalised to 0..1 across the candidates as nova does.
 */
import type { RequestSpec } from '../rpc.js';
import { ServerGroupSoftAffinityWeigher, ServerGroupSoftAntiAffinityWeigher } from './affinity.js';
import type { HostState } from './host-state.js';

export interface Weigher {
  name: string;
  multiplier: number;
  /** The spec is for the weighers that look at the request (server group members). */
  weigh(h: HostState, spec?: RequestSpec): number;
}

export const RAMWeigher: Weigher = { name: 'RAMWeigher', multiplier: 1, weigh: (h) => h.totalRamMb * h.ramAllocationRatio - h.usedRamMb };
export const CPUWeigher: Weigher = { name: 'CPUWeigher', multiplier: 1, weigh: (h) => h.totalVcpus * h.cpuAllocationRatio - h.usedVcpus };
export const DiskWeigher: Weigher = { name: 'DiskWeigher', multiplier: 1, weigh: (h) => h.totalDiskGb * h.diskAllocationRatio - h.usedDiskGb };

export const DEFAULT_WEIGHERS: Weigher[] = [RAMWeigher, CPUWeigher, DiskWeigher, ServerGroupSoftAffinityWeigher, ServerGroupSoftAntiAffinityWeigher];

function normalize(values: number[]): number[] {
  const min = Math.min(...values);
  const max = Math.max(...values);
  return values.map((v) => (max === min ? 0 : (v - min) / (max - min)));
}

/** Hosts best first, with their total weight (ties keep the input order). */
export function weighHosts(hosts: HostState[], weighers: Weigher[] = DEFAULT_WEIGHERS, spec?: RequestSpec): { host: HostState; weight: number }[] {
  const totals = hosts.map(() => 0);
  for (const w of weighers) {
    normalize(hosts.map((h) => w.weigh(h, spec))).forEach((n, i) => (totals[i]! += w.multiplier * n));
  }
  return hosts.map((host, i) => ({ host, weight: totals[i]! })).sort((a, b) => b.weight - a.weight);
}
