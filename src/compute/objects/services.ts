/**
 * nova's services and compute nodes (nova/objects/service.py, compute_node.py, and the
 * servicegroup DB driver): every nova service process registers a row for its
 * (host, binary) and heartbeats it every report_interval; it counts as up unless forced
 * down or silent for longer than service_down_time. Each compute host also owns a
 * compute node row with its capacity and the usage its resource tracker last reported.
 * The scheduler reads both; the os-services, os-hypervisors and os-availability-zone
 * APIs show them. The statements are db/services.ts's.
 */
import type { Kysely } from 'kysely';
import { type Clock, isoMicros, type Random } from '../../common/clock.js';
import { isUniqueViolation } from '../../db/database.js';
import { selectInstanceNamesOnHost } from '../db/instances.js';
import type { NovaDB } from '../db/schema.js';
import {
  type ComputeNodeRow,
  deleteComputeNodesOfHost,
  deleteService,
  findComputeNode,
  findComputeNodeIdByHypervisorHostname,
  findService,
  findServiceByHostAndBinary,
  getComputeNodeByHypervisorHostname,
  insertComputeNode,
  insertService,
  recordServiceReport,
  selectComputeNodes,
  selectComputeNodesByHostOrNode,
  selectComputeNodesPage,
  selectEnabledServiceTopics,
  selectServices,
  type ServiceRow,
  updateComputeNode,
  updateComputeNodesOfHost,
  updateService,
} from '../db/services.js';
import { ComputeHostNotFound, HostBinaryNotFound, ServiceNotFound } from '../errors.js';

export type { ComputeNodeRow, ServiceRow } from '../db/services.js';

/** nova's SERVICE_VERSION in Zed (nova/objects/service.py). */
export const SERVICE_VERSION = 64;

/** What a compute host's driver reports about itself (get_available_resource). */
export interface ComputeNodeResources {
  /** Defaults to the host name, as a single-node driver reports it. */
  hypervisor_hostname?: string;
  hypervisor_type: string;
  hypervisor_version: number;
  host_ip: string;
  vcpus: number;
  memory_mb: number;
  local_gb: number;
  /** JSON text, as nova stores it. */
  cpu_info: string;
}

/** What the resource tracker last counted on a host. */
export interface ComputeNodeUsage {
  vcpus_used: number;
  memory_mb_used: number;
  local_gb_used: number;
  running_vms: number;
}

/** The changes the os-services API makes. */
export interface ServiceChanges {
  disabled?: boolean;
  disabledReason?: string | null;
  forcedDown?: boolean;
}

/** What ServiceStore needs besides the database. */
export interface ServiceStoreDeps {
  clock: Clock;
  random: Random;
  /** CONF.service_down_time, seconds. */
  serviceDownTimeS: number;
}

/**
 * services and compute_nodes for every nova service: register and heartbeat (the
 * services themselves), health and admin changes (the API), capacity and usage (the
 * compute manager's resource tracker). Methods throw nova's NotFound errors.
 */
/** The servicegroup DB driver's is_up: not forced down, and heard from within service_down_time. */
export function serviceIsUp(row: Pick<ServiceRow, 'forced_down' | 'last_seen_up' | 'created_at'>, now: number, downTimeS: number): boolean {
  if (row.forced_down) return false;
  const last = Date.parse(row.last_seen_up ?? row.created_at);
  return Math.abs(now - last) <= downTimeS * 1000;
}

/** nova's availability_zones.set_availability_zones without aggregates: compute hosts in the default zone, the rest internal. */
export function serviceAvailabilityZone(svc: Pick<ServiceRow, 'topic'>, defaultAz: string): string {
  return svc.topic === 'compute' ? defaultAz : 'internal';
}

export class ServiceStore {
  readonly #db: Kysely<NovaDB>;
  readonly #d: ServiceStoreDeps;

  constructor(db: Kysely<NovaDB>, deps: ServiceStoreDeps) {
    this.#db = db;
    this.#d = deps;
  }

  #now(): string {
    return isoMicros(this.#d.clock.now());
  }

  /**
   * A service process starting: returns its existing row for (host, binary) — disabled
   * and forced_down stay as the operator left them, as nova's Service.create does not
   * touch an existing record — or creates one, enabled.
   */
  async register(host: string, binary: string, topic: string | null): Promise<ServiceRow> {
    const existing = await findServiceByHostAndBinary(this.#db, host, binary);
    if (existing) {
      if (existing.version !== SERVICE_VERSION || existing.topic !== topic) {
        await updateService(this.#db, existing.id, { version: SERVICE_VERSION, topic, updated_at: this.#now() });
        return this.get(existing.id);
      }
      return existing;
    }
    try {
      await insertService(this.#db, {
        uuid: this.#d.random.uuid(),
        host,
        binary,
        topic,
        report_count: 0,
        disabled: 0,
        disabled_reason: null,
        forced_down: 0,
        last_seen_up: null,
        version: SERVICE_VERSION,
        created_at: this.#now(),
        updated_at: null,
      });
    } catch (e) {
      // Another process of the same (host, binary) won the race: use its row.
      if (!isUniqueViolation(e)) throw e;
    }
    return this.getByHostAndBinary(host, binary);
  }

  /** One report_state: report_count + 1 and last_seen_up now. ServiceNotFound if the row was deleted. */
  async heartbeat(id: number): Promise<ServiceRow> {
    if ((await recordServiceReport(this.#db, id, this.#now())) === 0) throw new ServiceNotFound(String(id));
    return this.get(id);
  }

  /** The servicegroup DB driver's is_up (serviceIsUp) with this cloud's service_down_time. */
  isUp(row: Pick<ServiceRow, 'forced_down' | 'last_seen_up' | 'created_at'>, now: number = this.#d.clock.now()): boolean {
    return serviceIsUp(row, now, this.#d.serviceDownTimeS);
  }

  /** Every service, in creation order; optionally of one host and/or binary. */
  async list(filter: { host?: string; binary?: string } = {}): Promise<ServiceRow[]> {
    return selectServices(this.#db, filter);
  }

  /** By integer id or uuid; ServiceNotFound otherwise. */
  async get(id: number | string): Promise<ServiceRow> {
    const row = await findService(this.#db, id);
    if (!row) throw new ServiceNotFound(String(id));
    return row;
  }

  /** HostBinaryNotFound when the host runs no such binary. */
  async getByHostAndBinary(host: string, binary: string): Promise<ServiceRow> {
    const row = await findServiceByHostAndBinary(this.#db, host, binary);
    if (!row) throw new HostBinaryNotFound(host, binary);
    return row;
  }

  /** The nova-compute service of a host (service_get_by_compute_host); ComputeHostNotFound otherwise. */
  async getComputeByHost(host: string): Promise<ServiceRow> {
    const row = await findServiceByHostAndBinary(this.#db, host, 'nova-compute');
    if (!row) throw new ComputeHostNotFound(host);
    return row;
  }

  /** get_availability_zones(get_only_available=True): the sorted zones of the enabled services (internal included, as nova). */
  async availableZones(defaultAz: string): Promise<string[]> {
    const rows = await selectEnabledServiceTopics(this.#db);
    return [...new Set(rows.map((r) => serviceAvailabilityZone(r, defaultAz)))].sort();
  }

  /**
   * The compute nodes of a host and/or with a hypervisor_hostname, in id order (nova's
   * get_compute_nodes_by_host_or_node); empty when none matches.
   */
  async computeNodesByHostOrNode(host: string | null, node: string | null): Promise<ComputeNodeRow[]> {
    return selectComputeNodesByHostOrNode(this.#db, host, node);
  }

  /** Enables/disables (with an optional reason) or forces down a service; returns the new row. */
  async update(id: number | string, changes: ServiceChanges): Promise<ServiceRow> {
    const svc = await this.get(id);
    const set: { updated_at: string; disabled?: number; disabled_reason?: string | null; forced_down?: number } = { updated_at: this.#now() };
    if (changes.disabled !== undefined) set.disabled = changes.disabled ? 1 : 0;
    if (changes.disabledReason !== undefined) set.disabled_reason = changes.disabledReason;
    if (changes.forcedDown !== undefined) set.forced_down = changes.forcedDown ? 1 : 0;
    await updateService(this.#db, svc.id, set);
    return this.get(svc.id);
  }

  /** Deletes a service; a nova-compute takes its host's compute nodes with it (nova's service_destroy). */
  async delete(id: number | string): Promise<void> {
    const svc = await this.get(id);
    await this.#db.transaction().execute(async (trx) => {
      await deleteService(trx, svc.id);
      if (svc.binary === 'nova-compute') await deleteComputeNodesOfHost(trx, svc.host);
    });
  }

  /** Creates or refreshes a host's compute node from what its driver reports; usage is kept. */
  async upsertComputeNode(host: string, r: ComputeNodeResources): Promise<ComputeNodeRow> {
    const hypervisorHostname = r.hypervisor_hostname ?? host;
    const now = this.#now();
    const fields = {
      host,
      hypervisor_type: r.hypervisor_type,
      hypervisor_version: r.hypervisor_version,
      host_ip: r.host_ip,
      vcpus: r.vcpus,
      memory_mb: r.memory_mb,
      local_gb: r.local_gb,
      cpu_info: r.cpu_info,
    };
    const existing = await findComputeNodeIdByHypervisorHostname(this.#db, hypervisorHostname);
    if (existing) {
      await updateComputeNode(this.#db, existing.id, { ...fields, updated_at: now });
    } else {
      await insertComputeNode(this.#db, {
        ...fields,
        uuid: this.#d.random.uuid(),
        hypervisor_hostname: hypervisorHostname,
        vcpus_used: 0,
        memory_mb_used: 0,
        local_gb_used: 0,
        running_vms: 0,
        created_at: now,
        updated_at: null,
      });
    }
    return getComputeNodeByHypervisorHostname(this.#db, hypervisorHostname);
  }

  /** Records the resource tracker's counts for every compute node of the host; ComputeHostNotFound when it has none. */
  async updateUsage(host: string, u: ComputeNodeUsage): Promise<void> {
    const n = await updateComputeNodesOfHost(this.#db, host, {
      vcpus_used: u.vcpus_used,
      memory_mb_used: u.memory_mb_used,
      local_gb_used: u.local_gb_used,
      running_vms: u.running_vms,
      updated_at: this.#now(),
    });
    if (n === 0) throw new ComputeHostNotFound(host);
  }

  /** Compute nodes in id order, the page after the node `marker` (resolve it with findComputeNode). */
  async listComputeNodes(o: { limit?: number; marker?: { id: number } } = {}): Promise<ComputeNodeRow[]> {
    return selectComputeNodesPage(this.#db, o);
  }

  /** A compute node by integer id or uuid, or null. */
  async findComputeNode(id: number | string): Promise<ComputeNodeRow | null> {
    return (await findComputeNode(this.#db, id)) ?? null;
  }

  /** nova's compute_node_search_by_hypervisor: hypervisor_hostname LIKE %pattern%. */
  async searchComputeNodes(pattern: string): Promise<ComputeNodeRow[]> {
    const all = await selectComputeNodes(this.#db);
    return all.filter((n) => likeContains(n.hypervisor_hostname, pattern));
  }

  /** Non-deleted instances on a host (name and uuid, for with_servers views; count for delete checks). */
  async instancesOnHost(host: string): Promise<{ uuid: string; display_name: string }[]> {
    return selectInstanceNamesOnHost(this.#db, host);
  }
}

/** SQL's `x LIKE '%p%'` (case-insensitive as MySQL's default collation and SQLite's ASCII LIKE are), with % and _ wildcards in p. */
function likeContains(value: string, pattern: string): boolean {
  const re = pattern.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/%/g, '.*').replace(/_/g, '.');
  return new RegExp(re, 'is').test(value);
}
