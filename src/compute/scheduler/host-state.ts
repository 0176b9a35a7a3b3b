/**
 * What the scheduler knows about each compute node (nova's HostState): capacity from
 * compute_nodes, the service's health from services, and usage from the allocations
 * the scheduler itself claimed (placement's role, folded in).
 */
import type { Kysely } from 'kysely';
import type { NovaDB } from '../db/schema.js';
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
  /** The instances placed on the host (its allocations' consumers), as nova's host_state.instances. */
  instances?: string[];
}

export interface HostStateOptions {
  now: number;
  serviceDownTimeS: number;
  defaultAz: string;
  ratios: { cpu: number; ram: number; disk: number };
}

export async function loadHostStates(db: Kysely<NovaDB>, o: HostStateOptions): Promise<HostState[]> {
  const nodes = await db.selectFrom('compute_nodes').selectAll().orderBy('id').execute();
  const services = await db.selectFrom('services').selectAll().where('binary', '=', 'nova-compute').execute();
  const usage = await db
    .selectFrom('allocations')
    .select((eb) => ['host', eb.fn.sum<number>('vcpus').as('vcpus'), eb.fn.sum<number>('memory_mb').as('ram'), eb.fn.sum<number>('disk_gb').as('disk')])
    .groupBy('host')
    .execute();
  const used = new Map(usage.map((u) => [u.host, u]));
  const consumers = new Map<string, string[]>();
  for (const a of await db.selectFrom('allocations').select(['host', 'consumer_uuid']).execute()) {
    consumers.set(a.host, [...(consumers.get(a.host) ?? []), a.consumer_uuid]);
  }
  const out: HostState[] = [];
  for (const n of nodes) {
    const svc = services.find((s) => s.host === n.host);
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
      usedVcpus: Number(u?.vcpus ?? 0),
      usedRamMb: Number(u?.ram ?? 0),
      usedDiskGb: Number(u?.disk ?? 0),
      cpuAllocationRatio: o.ratios.cpu,
      ramAllocationRatio: o.ratios.ram,
      diskAllocationRatio: o.ratios.disk,
      instances: consumers.get(n.host) ?? [],
    });
  }
  return out;
}
