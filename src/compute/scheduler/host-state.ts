/**
 * What the scheduler knows about each compute node (nova's HostState): capacity from
 * compute_nodes, the service's health from services, and usage from the allocations
 * the scheduler itself claimed (placement's role, folded in).
 */
import type { Kysely } from 'kysely';
import type { NovaDB } from '../db/schema.js';
import { consumersByHost, usageByHost } from '../db/allocations.js';
import { selectComputeNodes, selectComputeServices } from '../db/host-states.js';
import { serviceIsUp } from '../objects/services.js';

export interface HostState {
  host: string;
  node: string;
  availabilityZone: string;
  serviceDisabled: boolean;
  disabledReason: string | null;
  /** forced_down or no heartbeat within service_down_time. */
  serviceUp: boolean;
  totalVcpus: number;
  totalRamMb: number;
  totalDiskGb: number;
  usedVcpus: number;
  usedRamMb: number;
  usedDiskGb: number;
  cpuAllocationRatio: number;
  ramAllocationRatio: number;
  diskAllocationRatio: number;
  /** The instances placed on the host (its allocations' consumers), as nova's host_state.instances; loaded only when a filter needs them. */
  instances?: string[];
}

export interface HostStateOptions {
  now: number;
  serviceDownTimeS: number;
  defaultAz: string;
  ratios: { cpu: number; ram: number; disk: number };
}

/**
 * The HostState of every compute node with a nova-compute service. `withInstances` also
 * lists each host's instances, which only the affinity filters and weighers read: a
 * request without a group or a same_host/different_host hint skips that read.
 */
export async function loadHostStates(db: Kysely<NovaDB>, o: HostStateOptions, withInstances: boolean): Promise<HostState[]> {
  const [nodes, services, usage] = await Promise.all([selectComputeNodes(db), selectComputeServices(db), usageByHost(db)]);
  const used = new Map(usage.map((u) => [u.host, u]));
  const byHost = new Map(services.map((s) => [s.host, s]));
  const consumers = withInstances ? await consumersByHost(db, nodes.map((n) => n.host)) : undefined;
  const out: HostState[] = [];
  for (const n of nodes) {
    const svc = byHost.get(n.host);
    if (!svc) continue;
    const u = used.get(n.host);
    out.push({
      host: n.host,
      node: n.hypervisor_hostname,
      availabilityZone: o.defaultAz,
      serviceDisabled: svc.disabled === 1,
      disabledReason: svc.disabled_reason,
      serviceUp: serviceIsUp(svc, o.now, o.serviceDownTimeS),
      totalVcpus: n.vcpus,
      totalRamMb: n.memory_mb,
      totalDiskGb: n.local_gb,
      usedVcpus: u?.vcpus ?? 0,
      usedRamMb: u?.ram ?? 0,
      usedDiskGb: u?.disk ?? 0,
      cpuAllocationRatio: o.ratios.cpu,
      ramAllocationRatio: o.ratios.ram,
      diskAllocationRatio: o.ratios.disk,
      ...(consumers ? { instances: consumers.get(n.host) ?? [] } : {}),
    });
  }
  return out;
}
