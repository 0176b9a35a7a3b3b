/**
 * nova's services and compute nodes (nova/objects/service.py, compute_node.py, and the
 * servicegroup DB driver): every nova service process registers a row for its
 * (host, binary) and heartbeats it every report_interval; it counts as up unless forced
 * down or silent for longer than service_down_time. Each compute host also owns a
 * compute node row with its capacity and the usage its resource tracker last reported.
 * The scheduler reads both; the os-services, os-hypervisors and os-availability-zone
 * APIs show them.
 */
import type { Kysely, Selectable } from 'kysely';
import { type Clock, isoMicros, type Random } from '../../common/clock.js';
import { isUniqueViolation } from '../../db/database.js';
import type { ComputeNodesTable, NovaDB, ServicesTable } from '../db/schema.js';
import { ComputeHostNotFound, HostBinaryNotFound, ServiceNotFound } from '../errors.js';

/** A services row. Booleans are 0/1, times ISO text (isoMicros). */
export type ServiceRow = Selectable<ServicesTable>;
/** A compute_nodes row. */
export type ComputeNodeRow = Selectable<ComputeNodesTable>;

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
    const existing = await this.#db.selectFrom('services').selectAll().where('host', '=', host).where('binary', '=', binary).executeTakeFirst();
    if (existing) {
      if (existing.version !== SERVICE_VERSION || existing.topic !== topic) {
        await this.#db.updateTable('services').set({ version: SERVICE_VERSION, topic, updated_at: this.#now() }).where('id', '=', existing.id).execute();
        return this.get(existing.id);
      }
      return existing;
    }
    try {
      await this.#db
        .insertInto('services')
        .values({
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
        })
        .execute();
    } catch (e) {
      // Another process of the same (host, binary) won the race: use its row.
      if (!isUniqueViolation(e)) throw e;
    }
    return this.getByHostAndBinary(host, binary);
  }

  /** One report_state: report_count + 1 and last_seen_up now. ServiceNotFound if the row was deleted. */
  async heartbeat(id: number): Promise<ServiceRow> {
    const now = this.#now();
    const r = await this.#db
      .updateTable('services')
      .set((eb) => ({ report_count: eb('report_count', '+', 1), last_seen_up: now, updated_at: now }))
      .where('id', '=', id)
      .executeTakeFirst();
    if (Number(r.numUpdatedRows) === 0) throw new ServiceNotFound(String(id));
    return this.get(id);
  }

  /** The servicegroup DB driver's is_up (serviceIsUp) with this cloud's service_down_time. */
  isUp(row: Pick<ServiceRow, 'forced_down' | 'last_seen_up' | 'created_at'>, now: number = this.#d.clock.now()): boolean {
    return serviceIsUp(row, now, this.#d.serviceDownTimeS);
  }

  /** Every service, in creation order; optionally of one host and/or binary. */
  async list(filter: { host?: string; binary?: string } = {}): Promise<ServiceRow[]> {
    let q = this.#db.selectFrom('services').selectAll();
    if (filter.host !== undefined) q = q.where('host', '=', filter.host);
    if (filter.binary !== undefined) q = q.where('binary', '=', filter.binary);
    return q.orderBy('id').execute();
  }

  /** By integer id or uuid; ServiceNotFound otherwise. */
  async get(id: number | string): Promise<ServiceRow> {
    const q = this.#db.selectFrom('services').selectAll();
    const row = await (typeof id === 'number' ? q.where('id', '=', id) : q.where('uuid', '=', id)).executeTakeFirst();
    if (!row) throw new ServiceNotFound(String(id));
    return row;
  }

  /** HostBinaryNotFound when the host runs no such binary. */
  async getByHostAndBinary(host: string, binary: string): Promise<ServiceRow> {
    const row = await this.#db.selectFrom('services').selectAll().where('host', '=', host).where('binary', '=', binary).executeTakeFirst();
    if (!row) throw new HostBinaryNotFound(host, binary);
    return row;
  }

  /** The nova-compute service of a host (service_get_by_compute_host); ComputeHostNotFound otherwise. */
  async getComputeByHost(host: string): Promise<ServiceRow> {
    const row = await this.#db.selectFrom('services').selectAll().where('host', '=', host).where('binary', '=', 'nova-compute').executeTakeFirst();
    if (!row) throw new ComputeHostNotFound(host);
    return row;
  }

  /** get_availability_zones(get_only_available=True): the sorted zones of the enabled services (internal included, as nova). */
  async availableZones(defaultAz: string): Promise<string[]> {
    const rows = await this.#db.selectFrom('services').select('topic').where('disabled', '=', 0).execute();
    return [...new Set(rows.map((r) => serviceAvailabilityZone(r, defaultAz)))].sort();
  }

  /**
   * The compute nodes of a host and/or with a hypervisor_hostname, in id order (nova's
   * get_compute_nodes_by_host_or_node); empty when none matches.
   */
  async computeNodesByHostOrNode(host: string | null, node: string | null): Promise<ComputeNodeRow[]> {
    let q = this.#db.selectFrom('compute_nodes').selectAll();
    if (host !== null) q = q.where('host', '=', host);
    if (node !== null) q = q.where('hypervisor_hostname', '=', node);
    return q.orderBy('id').execute();
  }

  /** Enables/disables (with an optional reason) or forces down a service; returns the new row. */
  async update(id: number | string, changes: ServiceChanges): Promise<ServiceRow> {
    const svc = await this.get(id);
    const set: { updated_at: string; disabled?: number; disabled_reason?: string | null; forced_down?: number } = { updated_at: this.#now() };
    if (changes.disabled !== undefined) set.disabled = changes.disabled ? 1 : 0;
    if (changes.disabledReason !== undefined) set.disabled_reason = changes.disabledReason;
    if (changes.forcedDown !== undefined) set.forced_down = changes.forcedDown ? 1 : 0;
    await this.#db.updateTable('services').set(set).where('id', '=', svc.id).execute();
    return this.get(svc.id);
  }

  /** Deletes a service; a nova-compute takes its host's compute nodes with it (nova's service_destroy). */
  async delete(id: number | string): Promise<void> {
    const svc = await this.get(id);
    await this.#db.transaction().execute(async (trx) => {
      await trx.deleteFrom('services').where('id', '=', svc.id).execute();
      if (svc.binary === 'nova-compute') await trx.deleteFrom('compute_nodes').where('host', '=', svc.host).execute();
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
    const existing = await this.#db.selectFrom('compute_nodes').select('id').where('hypervisor_hostname', '=', hypervisorHostname).executeTakeFirst();
    if (existing) {
      await this.#db.updateTable('compute_nodes').set({ ...fields, updated_at: now }).where('id', '=', existing.id).execute();
    } else {
      await this.#db
        .insertInto('compute_nodes')
        .values({ ...fields, uuid: this.#d.random.uuid(), hypervisor_hostname: hypervisorHostname, vcpus_used: 0, memory_mb_used: 0, local_gb_used: 0, running_vms: 0, created_at: now, updated_at: null })
        .execute();
    }
    return this.#db.selectFrom('compute_nodes').selectAll().where('hypervisor_hostname', '=', hypervisorHostname).executeTakeFirstOrThrow();
  }

  /** Records the resource tracker's counts for every compute node of the host; ComputeHostNotFound when it has none. */
  async updateUsage(host: string, u: ComputeNodeUsage): Promise<void> {
    const r = await this.#db
      .updateTable('compute_nodes')
      .set({ vcpus_used: u.vcpus_used, memory_mb_used: u.memory_mb_used, local_gb_used: u.local_gb_used, running_vms: u.running_vms, updated_at: this.#now() })
      .where('host', '=', host)
      .executeTakeFirst();
    if (Number(r.numUpdatedRows) === 0) throw new ComputeHostNotFound(host);
  }

  /** Compute nodes in id order, the page after the node `marker` (resolve it with findComputeNode). */
  async listComputeNodes(o: { limit?: number; marker?: { id: number } } = {}): Promise<ComputeNodeRow[]> {
    let q = this.#db.selectFrom('compute_nodes').selectAll();
    if (o.marker) q = q.where('id', '>', o.marker.id);
    q = q.orderBy('id');
    if (o.limit !== undefined) q = q.limit(o.limit);
    return q.execute();
  }

  /** A compute node by integer id or uuid, or null. */
  async findComputeNode(id: number | string): Promise<ComputeNodeRow | null> {
    const q = this.#db.selectFrom('compute_nodes').selectAll();
    return (await (typeof id === 'number' ? q.where('id', '=', id) : q.where('uuid', '=', id)).executeTakeFirst()) ?? null;
  }

  /** nova's compute_node_search_by_hypervisor: hypervisor_hostname LIKE %pattern%. */
  async searchComputeNodes(pattern: string): Promise<ComputeNodeRow[]> {
    const all = await this.#db.selectFrom('compute_nodes').selectAll().orderBy('id').execute();
    return all.filter((n) => likeContains(n.hypervisor_hostname, pattern));
  }

  /** Non-deleted instances on a host (name and uuid, for with_servers views; count for delete checks). */
  async instancesOnHost(host: string): Promise<{ uuid: string; display_name: string }[]> {
    return this.#db.selectFrom('instances').select(['uuid', 'display_name']).where('host', '=', host).where('deleted', '=', 0).orderBy('id').execute();
  }
}

/** SQL's `x LIKE '%p%'` (case-insensitive as MySQL's default collation and SQLite's ASCII LIKE are), with % and _ wildcards in p. */
function likeContains(value: string, pattern: string): boolean {
  const re = pattern.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/%/g, '.*').replace(/_/g, '.');
  return new RegExp(re, 'is').test(value);
}
