/**
 * Host filters (nova/scheduler/filters): each says whether a host can take the
 * request, and why not. Capacity checks stand in for placement's allocation
 * candidates (VCPU, MEMORY_MB, DISK_GB with the allocation ratios).
 */
import type { RequestSpec } from '../rpc.js';
import { DifferentHostFilter, SameHostFilter, ServerGroupAffinityFilter, ServerGroupAntiAffinityFilter } from './affinity.js';
import type { HostState } from './host-state.js';

export interface HostFilter {
  name: string;
  /** null when the host passes, else why it does not. */
  reject(host: HostState, spec: RequestSpec): string | null;
}

export const ComputeFilter: HostFilter = {
  name: 'ComputeFilter',
  reject: (h) =>
    h.serviceDisabled ? `(${h.host}, ${h.node}) is disabled, reason: ${h.disabledReason}` : !h.serviceUp ? `(${h.host}, ${h.node}) has not been heard from in a while` : null,
};

export const AvailabilityZoneFilter: HostFilter = {
  name: 'AvailabilityZoneFilter',
  reject: (h, spec) => (spec.availabilityZone && spec.availabilityZone !== h.availabilityZone ? `(${h.host}, ${h.node}) is not in availability zone ${spec.availabilityZone}` : null),
};

/** Hosts a build was already tried on (the retry's hosts, nova's ignore_hosts). */
export const RetryFilter: HostFilter = {
  name: 'RetryFilter',
  reject: (h, spec) => (spec.ignoreHosts.includes(h.host) ? `(${h.host}, ${h.node}) was already tried` : null),
};

function capacity(name: string, total: (h: HostState) => number, used: (h: HostState) => number, ratio: (h: HostState) => number, want: (s: RequestSpec) => number, unit: string): HostFilter {
  return {
    name,
    reject: (h, spec) => {
      const free = total(h) * ratio(h) - used(h);
      return want(spec) > free ? `(${h.host}, ${h.node}) has ${Math.max(0, Math.floor(free))} ${unit} usable, needs ${want(spec)}` : null;
    },
  };
}

export const CoreFilter = capacity('VCPU', (h) => h.totalVcpus, (h) => h.usedVcpus, (h) => h.cpuAllocationRatio, (s) => s.flavor.vcpus, 'VCPU');
export const RamFilter = capacity('MEMORY_MB', (h) => h.totalRamMb, (h) => h.usedRamMb, (h) => h.ramAllocationRatio, (s) => s.flavor.memory_mb, 'MB RAM');
export const DiskFilter = capacity(
  'DISK_GB',
  (h) => h.totalDiskGb,
  (h) => h.usedDiskGb,
  (h) => h.diskAllocationRatio,
  (s) => s.flavor.root_gb + s.flavor.ephemeral_gb + Math.ceil(s.flavor.swap / 1024),
  'GB disk',
);

/** The checks placement makes (allocation candidates), which even a forced host must pass. */
export const PLACEMENT_FILTERS: HostFilter[] = [CoreFilter, RamFilter, DiskFilter];

/** In the order they run; placement's resource checks come first, as in nova. */
export const DEFAULT_FILTERS: HostFilter[] = [
  CoreFilter,
  RamFilter,
  DiskFilter,
  RetryFilter,
  AvailabilityZoneFilter,
  ComputeFilter,
  // devstack's enabled_filters add these to Zed's defaults.
  ServerGroupAntiAffinityFilter,
  ServerGroupAffinityFilter,
  SameHostFilter,
  DifferentHostFilter,
];

export interface FilterResult {
  hosts: HostState[];
  /** Per filter: how many hosts went in and came out (nova's part_filter_results). */
  counts: { filter: string; start: number; end: number }[];
  /** Why each removed host was removed. */
  removed: { host: string; filter: string; reason: string }[];
}

export function runFilters(hosts: HostState[], spec: RequestSpec, filters: HostFilter[] = DEFAULT_FILTERS): FilterResult {
  let left = hosts;
  const counts: FilterResult['counts'] = [];
  const removed: FilterResult['removed'] = [];
  for (const f of filters) {
    const start = left.length;
    left = left.filter((h) => {
      const why = f.reject(h, spec);
      if (why) removed.push({ host: h.host, filter: f.name, reason: why });
      return !why;
    });
    counts.push({ filter: f.name, start, end: left.length });
    if (left.length === 0) break;
  }
  return { hosts: left, counts, removed };
}

/** nova's log form: ['ComputeFilter: (start: 2, end: 0)', ...]. */
export function formatCounts(counts: FilterResult['counts']): string {
  return `[${counts.map((c) => `'${c.filter}: (start: ${c.start}, end: ${c.end})'`).join(', ')}]`;
}
