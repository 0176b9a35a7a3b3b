/**
 * What one nova-compute needs: its host, driver, the objects it reads and writes
 * (through the conductor: it holds no database handle), neutron and the RPC clients.
 */
import type { Bus } from '../../bus/bus.js';
import type { Clock, Random } from '../../common/clock.js';
import type { Config } from '../../common/config.js';
import type { Logger } from '../../common/log.js';
import type { NeutronAPI } from '../network/neutron.js';
import type { ComputeActions, ComputeAllocations, ComputeInstances, ComputeMigrations, ComputeServices } from '../objects/compute-data.js';
import type { ConductorRpc } from '../rpc.js';
import type { VirtDriver } from '../virt/driver.js';
import type { InstanceEvents } from './events.js';
import type { GlanceAPI } from '../image-api.js';
import type { TraceRecorder } from '../../common/trace.js';

export interface ComputeDeps {
  host: string;
  cfg: Config;
  clock: Clock;
  random: Random;
  log: Logger;
  bus: Bus;
  driver: VirtDriver;
  events: InstanceEvents;
  instances: ComputeInstances;
  /** services and compute_nodes rows: registration, heartbeat, the resource tracker's usage. */
  services: ComputeServices;
  actions: ComputeActions;
  migrations: ComputeMigrations;
  allocations: ComputeAllocations;
  network: NeutronAPI;
  conductor: ConductorRpc;
  /** Called after a build or delete changed what runs here (the resource tracker). */
  onUsageChanged?: () => Promise<void>;
  /**
   * nova's refresh_cache-<uuid> lock, held by whoever writes an instance's network info
   * cache (a network-changed refresh reads, rebuilds and saves under it), so a refresh
   * never saves a model older than an allocation's (losing preserve_on_delete).
   */
  cacheLocks: InstanceLocks;
  /** glance, for snapshots (the user's token rides in the context). */
  image?: GlanceAPI;
  /** Records the build's steps, external events and interface changes for `nimbus trace`. */
  trace?: TraceRecorder;
}

/** nova's utils.synchronized(instance.uuid): one operation per instance at a time. */
export class InstanceLocks {
  readonly #tails = new Map<string, Promise<unknown>>();

  run<T>(uuid: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.#tails.get(uuid) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    const tail = next.catch(() => undefined);
    this.#tails.set(uuid, tail);
    void tail.then(() => {
      if (this.#tails.get(uuid) === tail) this.#tails.delete(uuid);
    });
    return next;
  }
}
