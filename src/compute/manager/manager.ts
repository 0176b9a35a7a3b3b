/**
 * nova-compute for one host: serves compute.<host> on the bus, heartbeats its service
 * record, keeps its compute node's usage (the resource tracker), and runs the instance
 * operations: build (build.ts), terminate, interface attach/detach and the external
 * events neutron sends (network-vif-plugged wakes a waiting spawn).
 */
import type { Listener } from '../../bus/bus.js';
import { Topics } from '../../bus/topics.js';
import { isoMicros, type TimerHandle } from '../../common/clock.js';
import type { NovaContext } from '../context.js';
import { InterfaceAttachFailed, PortNotFound } from '../errors.js';
import type { NetworkInfo, VIF } from '../network/model.js';
import type { Instance } from '../objects/instance.js';
import { deleteAllocation } from '../scheduler/manager.js';
import type { AttachInterfaceArgs, BuildRequest, ExternalEvent } from '../rpc.js';
import { Builder } from './build.js';
import { type ComputeDeps, InstanceLocks } from './deps.js';
import { eventKey } from './events.js';

export class ComputeManager {
  readonly #builder: Builder;
  readonly #locks = new InstanceLocks();
  #listener: Listener | null = null;
  #heartbeat: TimerHandle | null = null;
  #usageDirty: Promise<void> | null = null;

  constructor(private readonly d: ComputeDeps) {
    d.onUsageChanged = () => this.updateUsage();
    this.#builder = new Builder(d);
  }

  get host(): string {
    return this.d.host;
  }

  /** Registers the service and its compute node, then serves compute.<host>. */
  async start(): Promise<void> {
    await this.#registerService();
    await this.#registerNode();
    this.#listener = await this.d.bus.listen(Topics.compute, this.d.host, {
      build_and_run_instance: (req: BuildRequest & { node: string }) => this.buildAndRunInstance(req),
      terminate_instance: (a: { ctx: NovaContext; instanceUuid: string }) => this.terminateInstance(a.ctx, a.instanceUuid),
      attach_interface: (a: AttachInterfaceArgs) => this.attachInterface(a),
      detach_interface: (a: { ctx: NovaContext; instanceUuid: string; portId: string }) => this.detachInterface(a.ctx, a.instanceUuid, a.portId),
      external_instance_event: (a: { ctx: NovaContext; events: ExternalEvent[] }) => this.externalInstanceEvent(a.ctx, a.events),
    });
    this.#scheduleHeartbeat();
  }

  async stop(): Promise<void> {
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
    const d = this.d;
    const now = isoMicros(d.clock.now());
    const row = await d.db.selectFrom('services').select(['id']).where('host', '=', d.host).where('binary', '=', 'nova-compute').executeTakeFirst();
    if (row) {
      await d.db.updateTable('services').set({ last_seen_up: now, updated_at: now }).where('id', '=', row.id).execute();
      return;
    }
    await d.db
      .insertInto('services')
      .values({ uuid: crypto.randomUUID(), host: d.host, binary: 'nova-compute', topic: 'compute', report_count: 0, disabled: 0, disabled_reason: null, forced_down: 0, last_seen_up: now, version: 61, created_at: now, updated_at: null })
      .execute();
  }

  async #registerNode(): Promise<void> {
    const d = this.d;
    const r = d.driver.resources();
    const now = isoMicros(d.clock.now());
    const node = d.driver.nodename();
    const existing = await d.db.selectFrom('compute_nodes').select(['id']).where('hypervisor_hostname', '=', node).executeTakeFirst();
    const values = { host: d.host, hypervisor_type: r.hypervisor_type, hypervisor_version: r.hypervisor_version, host_ip: r.host_ip, vcpus: r.vcpus, memory_mb: r.memory_mb, local_gb: r.local_gb, cpu_info: r.cpu_info };
    if (existing) await d.db.updateTable('compute_nodes').set({ ...values, updated_at: now }).where('id', '=', existing.id).execute();
    else
      await d.db
        .insertInto('compute_nodes')
        .values({ ...values, uuid: crypto.randomUUID(), hypervisor_hostname: node, vcpus_used: 0, memory_mb_used: 0, local_gb_used: 0, running_vms: 0, created_at: now, updated_at: null })
        .execute();
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
    const now = isoMicros(this.d.clock.now());
    await this.d.db
      .updateTable('services')
      .set((eb) => ({ report_count: eb('report_count', '+', 1), last_seen_up: now, updated_at: now }))
      .where('host', '=', this.d.host)
      .where('binary', '=', 'nova-compute')
      .execute()
      .catch((err) => this.d.log.warn({ err }, 'Model server went away'));
  }

  /** The resource tracker: compute_nodes' usage from the instances on this host (coalesced). */
  updateUsage(): Promise<void> {
    this.#usageDirty ??= (async () => {
      await Promise.resolve();
      this.#usageDirty = null;
      const d = this.d;
      const rows = await d.db.selectFrom('instances').select(['flavor']).where('host', '=', d.host).where('deleted', '=', 0).execute();
      let vcpus = 0;
      let ram = 0;
      let disk = 0;
      for (const r of rows) {
        const f = JSON.parse(r.flavor) as { vcpus: number; memory_mb: number; root_gb: number; ephemeral_gb: number };
        vcpus += f.vcpus;
        ram += f.memory_mb;
        disk += f.root_gb + f.ephemeral_gb;
      }
      await d.db
        .updateTable('compute_nodes')
        .set({ vcpus_used: vcpus, memory_mb_used: ram + 512, local_gb_used: disk, running_vms: rows.length, updated_at: isoMicros(d.clock.now()) })
        .where('host', '=', d.host)
        .execute();
    })();
    return this.#usageDirty;
  }

  // --- build ------------------------------------------------------------------------

  /** Returns at once; the build runs in the background, one operation per instance. */
  async buildAndRunInstance(req: BuildRequest & { node: string }): Promise<void> {
    void this.#locks.run(req.instanceUuid, () => this.#builder.run(req)).catch((err) => this.d.log.error({ err, instance: req.instanceUuid }, 'build failed'));
  }

  // --- delete -----------------------------------------------------------------------

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
          await deleteAllocation(d.db, instanceUuid);
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
          attach: true,
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

  /** external_instance_event: wake waiters, refresh or prune the info cache. */
  async externalInstanceEvent(ctx: NovaContext, events: ExternalEvent[]): Promise<void> {
    const d = this.d;
    for (const ev of events) {
      const log = d.log.child({ instance: ev.serverUuid });
      if (ev.name === 'network-changed') {
        const instance = await d.instances.find(ev.serverUuid);
        if (!instance) continue;
        log.debug(`Refreshing network info cache for port ${ev.tag}`);
        // refresh_cache-<uuid>: a cache refresh must not wait for a build holding the instance.
        await d.cacheLocks
          .run(ev.serverUuid, async () => {
            const info = await d.network.getInstanceNwInfo(ctx, instance, await d.instances.networkInfo(instance.uuid));
            await d.instances.saveNetworkInfo(instance.uuid, info);
          })
          .catch((err) => log.warn({ err: (err as Error).message }, 'Failed to refresh the network info cache'));
        continue;
      }
      if (ev.name === 'network-vif-deleted') {
        await d.cacheLocks.run(ev.serverUuid, async () => {
          const cached: NetworkInfo = await d.instances.networkInfo(ev.serverUuid);
          if (cached.some((v) => v.id === ev.tag)) await d.instances.saveNetworkInfo(ev.serverUuid, cached.filter((v) => v.id !== ev.tag));
        });
        continue;
      }
      if (!d.events.pop(ev.serverUuid, ev)) {
        const instance = await d.instances.find(ev.serverUuid);
        log.debug(`Received unexpected event ${eventKey(ev.name, ev.tag)} for instance with vm_state ${instance?.vmState} and task_state ${instance?.taskState}.`);
      }
    }
  }
}
