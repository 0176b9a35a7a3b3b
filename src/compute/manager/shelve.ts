/**
 * nova-compute's shelve_instance, shelve_offload_instance and unshelve_instance
 * (nova/compute/manager.py), each inside its compute_<op> event:
 *   shelve: the guest powered off, its disk uploaded to the "<name>-shelved" image
 *     (shelving_image_pending_upload → shelving_image_uploading), shelved_at /
 *     shelved_image_id / shelved_host in the system metadata, SHELVED; with
 *     [DEFAULT] shelved_offload_time = 0 the offload follows at once (> 0: later, by
 *     the periodic task in shelved-offload.ts; -1: only an admin's shelveOffload);
 *   offload: the guest destroyed here (its VIFs unplugged), the allocation dropped,
 *     SHELVED_OFFLOADED with no host or node. Zed leaves the ports' binding:host_id on
 *     this host (nothing in _shelve_offload_instance unbinds them); the unshelve rebinds;
 *   unshelve (on the host the conductor scheduled): spawning, the host claimed, the
 *     ports bound here (setup_instance_network_on_host), the guest spawned — plugging
 *     the VIFs and waiting for network-vif-plugged as at boot — then ACTIVE with the
 *     shelved keys and image gone. A failure gives the allocation and host back and
 *     leaves the server SHELVED_OFFLOADED with a fault (reverts_task_state).
 */
import { isoMicros } from '../../common/clock.js';
import type { NovaContext } from '../context.js';
import { InstanceNotFound } from '../errors.js';
import { faultFromError } from '../objects/faults.js';
import type { Instance } from '../objects/instance.js';
import { PowerState, TaskState, VmState } from '../objects/states.js';
import type { ShelveArgs } from '../rpc.js';
import type { ComputeDeps, InstanceLocks } from './deps.js';

/** compute_utils.remove_shelved_keys_from_system_metadata. */
export function withoutShelvedKeys(sm: Record<string, string>): Record<string, string> {
  const { shelved_at: _a, shelved_image_id: _b, shelved_host: _c, ...rest } = sm;
  return rest;
}

export class ShelveOps {
  constructor(
    private readonly d: ComputeDeps,
    private readonly locks: InstanceLocks,
  ) {}

  /** One operation under the instance's lock and event; a failure clears the task state and records a fault. */
  #run(a: ShelveArgs, event: string, fn: (instance: Instance) => Promise<void>): Promise<void> {
    const d = this.d;
    const log = d.log.child({ instance: a.instanceUuid, req: a.ctx.requestId });
    return this.locks
      .run(a.instanceUuid, async () => {
        const instance = await d.instances.get(a.instanceUuid);
        await d.actions.wrap(a.instanceUuid, a.ctx.requestId, event, d.host, async () => {
          try {
            await fn(instance);
          } catch (err) {
            await d.instances.save(a.instanceUuid, { taskState: null }).catch(() => undefined);
            await d.instances.addFault(a.instanceUuid, faultFromError(err, d.host)).catch(() => undefined);
            throw err;
          }
        });
      })
      .catch((err) => log.error({ err: (err as Error).message }, `${event} failed`));
  }

  /** _power_off_instance: a guest this host no longer has is already off. */
  async #powerOff(instance: Instance): Promise<void> {
    await this.d.driver.powerOff(instance).catch((e) => {
      if (!(e instanceof InstanceNotFound)) throw e;
    });
  }

  shelve(a: ShelveArgs): Promise<void> {
    return this.#run(a, 'compute_shelve_instance', async (instance) => {
      const d = this.d;
      d.log.info({ instance: instance.uuid }, 'Shelving');
      const offload = d.cfg.DEFAULT.shelved_offload_time === 0;
      await this.#powerOff(instance);
      // The driver's snapshot with shelve's task states (update_task_state's shelving map).
      const data = await d.driver.snapshot(instance);
      await d.instances.save(instance.uuid, { taskState: TaskState.SHELVING_IMAGE_PENDING_UPLOAD }, { expectedTaskState: [TaskState.SHELVING] });
      await d.instances.save(instance.uuid, { taskState: TaskState.SHELVING_IMAGE_UPLOADING }, { expectedTaskState: [TaskState.SHELVING_IMAGE_PENDING_UPLOAD] });
      await d.image!.update(a.ctx, a.imageId!, { disk_format: 'qcow2', container_format: 'bare' });
      await d.image!.upload(a.ctx, a.imageId!, data);
      const fresh = await d.instances.get(instance.uuid);
      // shelved_at is Python's utcnow().isoformat(): microseconds, no zone.
      const systemMetadata = { ...fresh.systemMetadata, shelved_at: isoMicros(d.clock.now()).replace(/Z$/, ''), shelved_image_id: a.imageId!, shelved_host: d.host };
      instance = await d.instances.save(
        instance.uuid,
        { systemMetadata, vmState: VmState.SHELVED, taskState: offload ? TaskState.SHELVING_OFFLOADING : null, powerState: d.driver.powerState(instance) },
        { expectedTaskState: [TaskState.SHELVING, TaskState.SHELVING_IMAGE_UPLOADING] },
      );
      if (offload) await this.#offload(a.ctx, instance);
    });
  }

  shelveOffload(a: ShelveArgs): Promise<void> {
    return this.#run(a, 'compute_shelve_offload_instance', (instance) => this.#offload(a.ctx, instance));
  }

  /** _shelve_offload_instance. */
  async #offload(ctx: NovaContext, instance: Instance): Promise<void> {
    const d = this.d;
    d.log.info({ instance: instance.uuid }, 'Shelve offloading');
    await this.#powerOff(instance);
    const powerState = d.driver.powerState(instance);
    const nwInfo = await d.network.getInstanceNwInfo(ctx, instance, await d.instances.networkInfo(instance.uuid));
    await d.driver.destroy(ctx, instance, nwInfo);
    // delete_allocation_for_shelve_offloaded_instance, before the vm_state changes.
    await d.allocations.delete(instance.uuid);
    await d.instances.save(instance.uuid, { powerState: powerState === PowerState.NOSTATE ? PowerState.SHUTDOWN : powerState, vmState: VmState.SHELVED_OFFLOADED, taskState: null }, { expectedTaskState: [TaskState.SHELVING, TaskState.SHELVING_OFFLOADING] });
    await d.instances.save(instance.uuid, { host: null, node: null, launchedOn: null }, { expectedTaskState: [null] });
    await d.services.updateHostUsage(d.host);
  }

  unshelve(a: ShelveArgs): Promise<void> {
    return this.#run(a, 'compute_unshelve_instance', async (instance) => {
      const d = this.d;
      d.log.info({ instance: instance.uuid }, 'Unshelving');
      instance = await d.instances.save(instance.uuid, { taskState: TaskState.SPAWNING });
      try {
        // instance_claim: the instance takes this host and node.
        instance = await d.instances.save(instance.uuid, { host: d.host, node: a.node ?? d.driver.nodename(), launchedOn: d.host });
        await d.services.updateHostUsage(d.host);
        await d.network.setupInstanceNetworkOnHost(a.ctx, instance, d.host);
        const nwInfo = await d.cacheLocks.run(instance.uuid, async () => {
          const fresh = await d.network.getInstanceNwInfo(a.ctx, instance, await d.instances.networkInfo(instance.uuid));
          await d.instances.saveNetworkInfo(instance.uuid, fresh);
          return fresh;
        });
        await d.driver.spawn(a.ctx, instance, Promise.resolve(nwInfo));
      } catch (err) {
        d.log.error({ instance: instance.uuid, err: (err as Error).message }, 'Instance failed to spawn');
        await d.allocations.delete(instance.uuid);
        await d.instances.save(instance.uuid, { host: null, node: null, launchedOn: null }).catch(() => undefined);
        await d.services.updateHostUsage(d.host);
        throw err;
      }
      if (a.imageId) await d.image?.delete(a.ctx, a.imageId).catch((err) => d.log.warn({ err: (err as Error).message, instance: instance.uuid }, `Failed to delete snapshot from shelved instance (${a.imageId}).`));
      const fresh = await d.instances.get(instance.uuid);
      await d.instances.save(
        instance.uuid,
        { systemMetadata: withoutShelvedKeys(fresh.systemMetadata), powerState: d.driver.powerState(instance), vmState: VmState.ACTIVE, taskState: null, launchedAt: isoMicros(d.clock.now()) },
        { expectedTaskState: [TaskState.SPAWNING] },
      );
    });
  }
}
