/**
 * nova-compute's snapshot_instance (nova/compute/manager.py _snapshot_instance with the
 * libvirt driver's snapshot): image_snapshot → image_pending_upload → image_uploading →
 * none, each save guarded by the state before; the driver's disk data goes to the
 * glance image nova-api created, with its formats set first, as the user. On failure
 * the task state is reverted and the image deleted, as nova does.
 */
import type { NovaContext } from '../context.js';
import { TaskState } from '../objects/states.js';
import type { ComputeDeps, InstanceLocks } from './deps.js';

export async function snapshotInstance(d: ComputeDeps, locks: InstanceLocks, ctx: NovaContext, instanceUuid: string, imageId: string): Promise<void> {
  const log = d.log.child({ instance: instanceUuid, req: ctx.requestId });
  await locks
    .run(instanceUuid, async () => {
      await d.actions.wrap(instanceUuid, ctx.requestId, 'compute_snapshot_instance', d.host, async () => {
        try {
          const instance = await d.instances.save(instanceUuid, { taskState: TaskState.IMAGE_SNAPSHOT }, { expectedTaskState: [TaskState.IMAGE_SNAPSHOT_PENDING] });
          log.info('instance snapshotting');
          const data = await d.driver.snapshot(instance);
          await d.instances.save(instanceUuid, { taskState: TaskState.IMAGE_PENDING_UPLOAD }, { expectedTaskState: [TaskState.IMAGE_SNAPSHOT] });
          await d.instances.save(instanceUuid, { taskState: TaskState.IMAGE_UPLOADING }, { expectedTaskState: [TaskState.IMAGE_PENDING_UPLOAD] });
          await d.image!.update(ctx, imageId, { disk_format: 'qcow2', container_format: 'bare' });
          await d.image!.upload(ctx, imageId, data);
          await d.instances.save(instanceUuid, { taskState: null }, { expectedTaskState: [TaskState.IMAGE_UPLOADING] });
          log.info('Snapshot image upload complete');
        } catch (err) {
          await d.instances.save(instanceUuid, { taskState: null }).catch(() => undefined);
          await d.image?.delete(ctx, imageId).catch(() => undefined);
          throw err;
        }
      });
    })
    .catch((err) => log.error({ err: (err as Error).message }, 'snapshot_instance failed'));
}
