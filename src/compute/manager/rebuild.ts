/**
 * nova-compute's rebuild_instance in place (nova/compute/manager.py _do_rebuild_instance
 * with _rebuild_default_impl): power off, driver.destroy (which unplugs the VIFs, as
 * libvirt's cleanup does), rebuild_block_device_mapping, rebuild_spawning, then the
 * driver's spawn with the cached network info — the same ports and addresses, plugged
 * again, waiting for network-vif-plugged of the VIFs the cache does not show active, as
 * libvirt's _get_neutron_events. The server ends ACTIVE with a new launched_at, or
 * STOPPED again when it was stopped. A failure is an ERROR with a fault, as nova's.
 */
import { isoMicros } from '../../common/clock.js';
import type { NovaContext } from '../context.js';
import { faultFromError } from '../objects/faults.js';
import { TaskState, VmState } from '../objects/states.js';
import type { ComputeDeps, InstanceLocks } from './deps.js';

export async function rebuildInstance(d: ComputeDeps, locks: InstanceLocks, ctx: NovaContext, instanceUuid: string, origVmState: string): Promise<void> {
  const log = d.log.child({ instance: instanceUuid, req: ctx.requestId });
  await locks
    .run(instanceUuid, async () => {
      await d.actions.wrap(instanceUuid, ctx.requestId, 'compute_rebuild_instance', d.host, async () => {
        try {
          let instance = await d.instances.save(instanceUuid, { taskState: TaskState.REBUILDING }, { expectedTaskState: [TaskState.REBUILDING] });
          const nwInfo = await d.instances.networkInfo(instanceUuid);
          log.info('Rebuilding instance');
          await d.driver.destroy(ctx, instance, nwInfo);
          instance = await d.instances.save(instanceUuid, { taskState: TaskState.REBUILD_BLOCK_DEVICE_MAPPING, powerState: d.driver.powerState(instance) }, { expectedTaskState: [TaskState.REBUILDING] });
          instance = await d.instances.save(instanceUuid, { taskState: TaskState.REBUILD_SPAWNING }, { expectedTaskState: [TaskState.REBUILD_BLOCK_DEVICE_MAPPING] });
          await d.driver.spawn(ctx, instance, Promise.resolve(nwInfo));
          await d.instances.save(instanceUuid, { powerState: d.driver.powerState(instance), vmState: VmState.ACTIVE, taskState: null, launchedAt: isoMicros(d.clock.now()) }, { expectedTaskState: [TaskState.REBUILD_SPAWNING] });
          if (origVmState === VmState.STOPPED) {
            // "The instance was stopped before the rebuild": stop it again.
            await d.instances.save(instanceUuid, { taskState: TaskState.POWERING_OFF, progress: 0 });
            await d.driver.powerOff(instance);
            await d.instances.save(instanceUuid, { powerState: d.driver.powerState(instance), vmState: VmState.STOPPED, taskState: null }, { expectedTaskState: [TaskState.POWERING_OFF] });
          }
        } catch (err) {
          await d.instances.addFault(instanceUuid, faultFromError(err, d.host)).catch(() => undefined);
          await d.instances.save(instanceUuid, { vmState: VmState.ERROR, taskState: null }).catch(() => undefined);
          throw err;
        }
      });
    })
    .catch((err) => log.error({ err: (err as Error).message }, 'Setting instance vm_state to ERROR'));
}
