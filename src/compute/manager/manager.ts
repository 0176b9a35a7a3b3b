/**
 * nova-compute for one host: serves compute.<host> on the bus, heartbeats its service
 * record, keeps its compute node's usage (the resource tracker), and runs the instance
 * operations: build (build.ts), resize and cold migration (resize.ts), live migration
 * (live-migration.ts), shelve (shelve.ts), evacuate (evacuate.ts), terminate, interface
 * attach/detach and the external
 * events neutron sends (network-vif-plugged wakes a waiting spawn).
 */
import type { Listener } from '../../bus/bus.js';
import { listen } from '../../bus/contract.js';
import type { TimerHandle } from '../../common/clock.js';
import type { NovaContext } from '../context.js';
import { InterfaceAttachFailed, PortNotFound } from '../errors.js';
import type { NetworkInfo, VIF } from '../network/model.js';
import type { Instance } from '../objects/instance.js';
import { TaskState } from '../objects/states.js';
import { type AttachInterfaceArgs, type BuildRequest, ComputeTopicDef, type ExternalEvent } from '../rpc.js';
import { Builder } from './build.js';
import { type ComputeDeps, InstanceLocks } from './deps.js';
import { eventKey } from './events.js';
import { initHost } from './init-host.js';
import { PowerOps } from './power.js';
import { backupInstance, snapshotInstance } from './snapshot.js';
import { scheduleReclaim } from './reclaim.js';
import { rebuildInstance } from './rebuild.js';
import { evacuateInstance } from './evacuate.js';
import { LiveMigrationOps } from './live-migration.js';
import { ResizeOps } from './resize.js';
import { ShelveOps } from './shelve.js';
import { DEFAULT_PERIODIC_SPACING_S, every } from './periodic.js';
import { pollShelvedInstances } from './shelved-offload.js';
import { pollUnconfirmedResizes } from './unconfirmed-resizes.js';

/** How many instances' network info caches an external event batch refreshes at once. */
const REFRESH_WORKERS = 8;

export class ComputeManager {
  readonly #builder: Builder;
  readonly #locks = new InstanceLocks();
  readonly #power: PowerOps;
  readonly #resize: ResizeOps;
  readonly #shelve: ShelveOps;
  readonly #live: LiveMigrationOps;
  #listener: Listener | null = null;
  #heartbeat: TimerHandle | null = null;
  #reclaim: TimerHandle | null = null;
  /** _poll_unconfirmed_resizes and _poll_shelved_instances (unconfirmed-resizes.ts, shelved-offload.ts). */
  #periodics: (TimerHandle | null)[] = [];
  #usageDirty: Promise<void> | null = null;
  #serviceId: number | null = null;

  constructor(private readonly d: ComputeDeps) {
    d.onUsageChanged = () => this.updateUsage();
    this.#builder = new Builder(d);
    this.#power = new PowerOps(d, this.#locks);
    this.#resize = new ResizeOps(d, this.#locks);
    this.#shelve = new ShelveOps(d, this.#locks);
    this.#live = new LiveMigrationOps(d);
  }

  get host(): string {
    return this.d.host;
  }

  /**
   * Registers the service and its compute node, settles what the previous run left on
   * this host (init_host), then serves compute.<host>.
   */
  async start(): Promise<void> {
    await this.#registerService();
    await this.#registerNode();
    await initHost(this.d, { terminate: (ctx, uuid) => this.terminateInstance(ctx, uuid) });
    await this.updateUsage();
    this.#listener = await listen(this.d.bus, ComputeTopicDef, this.d.host, {
      build_and_run_instance: (req) => this.buildAndRunInstance(req),
      terminate_instance: (a) => this.#traced(a.ctx, a.instanceUuid, 'terminate_instance', (ctx) => this.terminateInstance(ctx, a.instanceUuid)),
      attach_interface: (a) => this.#traced(a.ctx, a.instanceUuid, 'attach_interface', (ctx) => this.attachInterface({ ...a, ctx }), { port: a.portId, network: a.networkId }),
      detach_interface: (a) => this.#traced(a.ctx, a.instanceUuid, 'detach_interface', (ctx) => this.detachInterface(ctx, a.instanceUuid, a.portId), { port: a.portId }),
      power_action: (a) => this.#power.run(a.ctx, a.instanceUuid, a.op),
      trigger_crash_dump: (a) => this.#power.triggerCrashDump(a.ctx, a.instanceUuid),
      // recreate: an evacuation to this host (evacuate.ts), a cast that returns at once.
      rebuild_instance: async (a) =>
        'recreate' in a ? void evacuateInstance(this.d, this.#locks, a) : rebuildInstance(this.d, this.#locks, a.ctx, a.instanceUuid, a.origVmState),
      snapshot_instance: (a) => snapshotInstance(this.d, this.#locks, a.ctx, a.instanceUuid, a.imageId),
      backup_instance: (a) =>
        backupInstance(this.d, this.#locks, a.ctx, a.instanceUuid, a.imageId, a.backupType, a.rotation),
      get_console_output: (a) => this.#power.getConsoleOutput(a.instanceUuid, a.tailLength),
      get_diagnostics: (a) => this.#power.getDiagnostics(a.instanceUuid, false),
      get_instance_diagnostics: (a) => this.#power.getDiagnostics(a.instanceUuid, true),
      get_host_uptime: async (_a) => this.d.driver.getHostUptime(),
      external_instance_event: (a) => this.externalInstanceEvent(a.ctx, a.events),
      // Resize and cold migration (resize.ts): casts that return at once, the step running behind.
      prep_resize: async (a) => void this.#traced(a.ctx, a.instanceUuid, 'prep_resize', (ctx) => this.#resize.prepResize({ ...a, ctx })),
      resize_instance: async (a) => void this.#traced(a.ctx, a.instanceUuid, 'resize_instance', (ctx) => this.#resize.resizeInstance({ ...a, ctx })),
      finish_resize: async (a) => void this.#traced(a.ctx, a.instanceUuid, 'finish_resize', (ctx) => this.#resize.finishResize({ ...a, ctx })),
      // Resolves when done, for a delete's confirm (a call); a cast does not wait either way.
      confirm_resize: (a) => this.#traced(a.ctx, a.instanceUuid, 'confirm_resize', (ctx) => this.#resize.confirmResize({ ...a, ctx })),
      revert_resize: async (a) => void this.#traced(a.ctx, a.instanceUuid, 'revert_resize', (ctx) => this.#resize.revertResize({ ...a, ctx })),
      finish_revert_resize: async (a) => void this.#traced(a.ctx, a.instanceUuid, 'finish_revert_resize', (ctx) => this.#resize.finishRevertResize({ ...a, ctx })),
      // Shelve, offload and unshelve (shelve.ts).
      shelve_instance: async (a) => void this.#shelve.shelve(a),
      shelve_offload_instance: async (a) => void this.#shelve.shelveOffload(a),
      unshelve_instance: async (a) => void this.#shelve.unshelve(a),
      // Live migration (live-migration.ts): the checks, pre and post at the destination are calls.
      check_can_live_migrate_destination: (a) => this.#live.checkCanLiveMigrateDestination(a),
      check_can_live_migrate_source: (a) => this.#live.checkCanLiveMigrateSource(a),
      live_migration: (a) => this.#traced(a.ctx, a.instanceUuid, 'live_migration', (ctx) => this.#live.liveMigration({ ...a, ctx }), { dest: a.dest }),
      pre_live_migration: (a) => this.#traced(a.ctx, a.instanceUuid, 'pre_live_migration', (ctx) => this.#live.preLiveMigration({ ...a, ctx })),
      post_live_migration_at_destination: (a) => this.#traced(a.ctx, a.instanceUuid, 'post_live_migration_at_destination', (ctx) => this.#live.postLiveMigrationAtDestination({ ...a, ctx })),
      rollback_live_migration_at_destination: (a) => this.#live.rollbackLiveMigrationAtDestination(a),
      live_migration_force_complete: (a) => this.#live.liveMigrationForceComplete(a),
      live_migration_abort: (a) => this.#live.liveMigrationAbort(a),
      host_devices: async (_a) => this.d.driver.hostDevices(),
      host_run_commands: (a) => this.d.driver.runHostCommands(a.commands),
      host_snapshot_dump: async (_a) => this.d.driver.dumpHost(),
      host_snapshot_restore: async (a) => this.d.driver.restoreHost(a.dump),
    });
    this.#scheduleHeartbeat();
    this.#reclaim = scheduleReclaim(this.d, (ctx, uuid) => this.terminateInstance(ctx, uuid));
    const failed = (task: string) => (err: unknown) => this.d.log.error({ err: (err as Error).message }, `Error during ComputeManager.${task}`);
    this.#periodics = [
      this.d.cfg.DEFAULT.resize_confirm_window > 0 ? every(this.d.clock, DEFAULT_PERIODIC_SPACING_S, () => pollUnconfirmedResizes(this.d), failed('_poll_unconfirmed_resizes')) : null,
      this.d.cfg.DEFAULT.shelved_offload_time > 0
        ? every(this.d.clock, this.d.cfg.DEFAULT.shelved_poll_interval, () => pollShelvedInstances(this.d, (ctx, instanceUuid) => this.#shelve.shelveOffload({ ctx, instanceUuid })), failed('_poll_shelved_instances'))
        : null,
    ];
  }

  async stop(): Promise<void> {
    this.#reclaim?.cancel();
    this.#reclaim = null;
    for (const p of this.#periodics) p?.cancel();
    this.#periodics = [];
    this.#heartbeat?.cancel();
    this.#heartbeat = null;
    await this.#listener?.stop();
    this.#listener = null;
  }

  /** Fault injection: a host whose service stops reporting goes down after service_down_time. */
  setReporting(on: boolean): void {
    if (!on) {
      this.#heartbeat?.cancel();
      this.#heartbeat = null;
    } else if (!this.#heartbeat) {
      void this.#beat();
      this.#scheduleHeartbeat();
    }
  }

  // --- service and resource tracking ------------------------------------------------

  async #registerService(): Promise<void> {
    this.#serviceId = (await this.d.services.register(this.d.host, 'nova-compute', 'compute')).id;
    await this.#beat();
  }

  async #registerNode(): Promise<void> {
    await this.d.services.upsertComputeNode(this.d.host, { ...this.d.driver.resources(), hypervisor_hostname: this.d.driver.nodename() });
    await this.updateUsage();
  }

  #scheduleHeartbeat(): void {
    const ms = this.d.cfg.compute.report_interval * 1000;
    if (ms <= 0) return;
    this.#heartbeat = this.d.clock.after(ms, () => {
      this.#scheduleHeartbeat();
      void this.#beat();
    });
  }

  async #beat(): Promise<void> {
    if (this.#serviceId === null) return;
    await this.d.services.heartbeat(this.#serviceId).catch((err) => this.d.log.warn({ err }, 'Model server went away'));
  }

  /** The resource tracker: compute_nodes' usage from the instances on this host (coalesced). */
  updateUsage(): Promise<void> {
    this.#usageDirty ??= (async () => {
      await Promise.resolve();
      this.#usageDirty = null;
      await this.d.services.updateHostUsage(this.d.host);
    })();
    return this.#usageDirty;
  }

  // --- build ------------------------------------------------------------------------

  /** Returns at once; the build runs in the background, one operation per instance. */
  async buildAndRunInstance(req: BuildRequest & { node: string }): Promise<void> {
    void this.#locks.run(req.instanceUuid, () => this.#builder.run(req)).catch((err) => this.d.log.error({ err, instance: req.instanceUuid }, 'build failed'));
  }

  // --- delete -----------------------------------------------------------------------

  /** Runs an RPC endpoint as a trace step, its own steps nested under it. */
  #traced<T>(ctx: NovaContext, instanceUuid: string, step: string, fn: (ctx: NovaContext) => Promise<T>, detail?: Record<string, unknown>): Promise<T> {
    const t = this.d.trace;
    if (!t) return fn(ctx);
    return t.span({ requestId: ctx.requestId, instanceUuid, parentId: ctx.spanId ?? null }, 'nova-compute', step, (inner) => fn({ ...ctx, spanId: inner.parentId! }), { host: this.d.host, ...detail });
  }

  /** terminate_instance → _delete_instance → _shutdown_instance, then destroy the record. */
  async terminateInstance(ctx: NovaContext, instanceUuid: string): Promise<void> {
    // Whatever a build still waits for is cancelled before the lock is taken.
    this.d.events.clear(instanceUuid);
    await this.#locks.run(instanceUuid, async () => {
      const d = this.d;
      const instance = await d.instances.find(instanceUuid);
      if (!instance) return;
      const log = d.log.child({ instance: instanceUuid, req: ctx.requestId });
      await d.actions
        .wrap(instanceUuid, ctx.requestId, 'compute_terminate_instance', d.host, async () => {
          await this.shutdownInstance(ctx, instance, log);
          await d.instances.destroy(instanceUuid);
          await d.allocations.delete(instanceUuid);
          // A server deleted mid-move: the source allocation its migration held goes too.
          for (const m of await d.migrations.list({ instanceUuid })) await d.allocations.delete(m.uuid);
          log.info('Instance destroyed successfully.');
        })
        .catch((err) => log.error({ err }, 'Setting instance vm_state to ERROR'));
      await this.updateUsage();
    });
  }

  /** _shutdown_instance: unplug (driver.destroy) and give the ports back. */
  async shutdownInstance(ctx: NovaContext, instance: Instance, log = this.d.log): Promise<void> {
    const d = this.d;
    const nwInfo = await d.instances.networkInfo(instance.uuid);
    log.info('Terminating instance');
    await d.driver.destroy(ctx, instance, nwInfo);
    // _try_deallocate_network
    await d.network.deallocateForInstance(ctx, instance, nwInfo);
    await d.instances.saveNetworkInfo(instance.uuid, []);
  }

  // --- interfaces -------------------------------------------------------------------

  /** attach_interface: allocate one port, plug it, return its VIF (a call: the API waits). */
  async attachInterface(a: AttachInterfaceArgs): Promise<VIF> {
    return this.#locks.run(a.instanceUuid, async () => {
      const d = this.d;
      const instance = await d.instances.get(a.instanceUuid);
      return d.actions.wrap(instance.uuid, a.ctx.requestId, 'compute_attach_interface', d.host, async () => {
        const before = await d.instances.networkInfo(instance.uuid);
        const all = await d.network.allocateForInstance(a.ctx, instance, {
          requestedNetworks: [{ networkId: a.networkId, portId: a.portId, address: a.requestedIp, tag: a.tag }],
          securityGroups: [],
          bindHostId: d.driver.networkBindingHostId(instance),
          macs: null,
          availabilityZone: instance.availabilityZone ?? d.cfg.compute.default_availability_zone,
        });
        const added = all.filter((v) => !before.some((b) => b.id === v.id));
        if (added.length !== 1) throw new InterfaceAttachFailed(instance.uuid);
        const vif = added[0]!;
        try {
          await d.driver.attachInterface(a.ctx, instance, vif);
        } catch (err) {
          d.log.warn({ err, instance: instance.uuid }, `attach interface failed , try to deallocate port ${vif.id}`);
          await d.instances.saveNetworkInfo(instance.uuid, await d.network.deallocatePortForInstance(a.ctx, instance, vif.id, all));
          throw new InterfaceAttachFailed(instance.uuid);
        }
        await d.cacheLocks.run(instance.uuid, () => d.instances.saveNetworkInfo(instance.uuid, [...before, vif]));
        return vif;
      });
    });
  }

  /** detach_interface: unplug, then delete the port nova made or unbind the user's. */
  async detachInterface(ctx: NovaContext, instanceUuid: string, portId: string): Promise<void> {
    await this.#locks.run(instanceUuid, async () => {
      const d = this.d;
      const instance = await d.instances.get(instanceUuid);
      await d.actions.wrap(instanceUuid, ctx.requestId, 'compute_detach_interface', d.host, async () => {
        const nwInfo = await d.instances.networkInfo(instanceUuid);
        const condemned = nwInfo.find((v) => v.id === portId);
        if (!condemned) throw new PortNotFound(portId, `Port ${portId} is not attached`);
        await d.driver.detachInterface(ctx, instance, condemned);
        const left = await d.network.deallocatePortForInstance(ctx, instance, portId, nwInfo);
        await d.instances.saveNetworkInfo(instanceUuid, left);
      });
    }).catch((err) => this.d.log.error({ err: (err as Error).message, instance: instanceUuid }, 'Exception during message handling'));
  }

  // --- external events --------------------------------------------------------------

  /**
   * external_instance_event: wake waiters, refresh or prune the info cache. nova walks
   * the batch in order. Here each instance's events keep their order, but an instance
   * with nothing to refresh is served at once, so a batch's hundreds of cache refreshes
   * (a few at a time, like a pool of RPC workers) do not hold back the
   * network-vif-plugged another instance's spawn is waiting for.
   */
  async externalInstanceEvent(ctx: NovaContext, events: ExternalEvent[]): Promise<void> {
    for (const ev of events) {
      this.d.trace?.point({ requestId: ctx.requestId, instanceUuid: ev.serverUuid, parentId: ctx.spanId ?? null }, 'nova-compute', 'external_event_received', { name: ev.name, tag: ev.tag, status: ev.status, host: this.d.host });
    }
    const byInstance = new Map<string, ExternalEvent[]>();
    for (const ev of events) {
      const evs = byInstance.get(ev.serverUuid);
      if (evs) evs.push(ev);
      else byInstance.set(ev.serverUuid, [ev]);
    }
    const inOrder = async (evs: ExternalEvent[]) => {
      for (const ev of evs) await this.#processEvent(ctx, ev);
    };
    const refreshing: ExternalEvent[][] = [];
    const quick: ExternalEvent[][] = [];
    for (const evs of byInstance.values()) (evs.some((ev) => ev.name === 'network-changed') ? refreshing : quick).push(evs);
    const workers = Array.from({ length: Math.min(REFRESH_WORKERS, refreshing.length) }, async () => {
      for (let evs = refreshing.shift(); evs; evs = refreshing.shift()) await inOrder(evs);
    });
    await Promise.all([...quick.map(inOrder), ...workers]);
  }

  async #processEvent(ctx: NovaContext, ev: ExternalEvent): Promise<void> {
    const d = this.d;
    const log = d.log.child({ instance: ev.serverUuid });
    if (ev.name === 'network-changed') {
      const instance = await d.instances.find(ev.serverUuid);
      if (!instance) return;
      log.debug(`Refreshing network info cache for port ${ev.tag}`);
      // refresh_cache-<uuid>: a cache refresh must not wait for a build holding the instance.
      await d.cacheLocks
        .run(ev.serverUuid, async () => {
          const info = await d.network.getInstanceNwInfo(ctx, instance, await d.instances.networkInfo(instance.uuid));
          await d.instances.saveNetworkInfo(instance.uuid, info);
        })
        .catch((err) => log.warn({ err: (err as Error).message }, 'Failed to refresh the network info cache'));
      return;
    }
    if (ev.name === 'network-vif-deleted') {
      // _process_instance_vif_deleted_event: out of the cache, then detached from the guest here.
      const gone = await d.cacheLocks.run(ev.serverUuid, async () => {
        const cached: NetworkInfo = await d.instances.networkInfo(ev.serverUuid);
        const vif = cached.find((v) => v.id === ev.tag);
        if (vif) await d.instances.saveNetworkInfo(ev.serverUuid, cached.filter((v) => v.id !== ev.tag));
        return vif;
      });
      const instance = gone ? await d.instances.find(ev.serverUuid) : null;
      if (gone && instance && d.driver.listInstances().includes(instance.uuid)) {
        log.info(`Neutron deleted interface ${gone.id}; detaching it from the instance and deleting it from the info cache`);
        await d.driver.detachInterface(ctx, instance, gone).catch((err) => log.info({ err: (err as Error).message }, `Detach interface failed, port_id=${gone.id}, reason: ${(err as Error).message}`));
      }
      return;
    }
    if (!d.events.pop(ev.serverUuid, ev)) {
      const instance = await d.instances.find(ev.serverUuid);
      // nova warns, except for an unplug during a delete or a migration (expected then).
      if (ev.name === 'network-vif-unplugged' && (instance?.taskState === TaskState.DELETING || instance?.taskState === TaskState.MIGRATING)) {
        log.debug(`Received event ${eventKey(ev.name, ev.tag)} for instance with task_state ${instance.taskState}.`);
      } else {
        log.warn(`Received unexpected event ${eventKey(ev.name, ev.tag)} for instance with vm_state ${instance?.vmState} and task_state ${instance?.taskState}.`);
      }
    }
  }
}
