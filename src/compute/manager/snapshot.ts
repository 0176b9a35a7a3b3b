/**
 * nova-compute's snapshot_instance and backup_instance (nova/compute/manager.py
 * _snapshot_instance with the libvirt driver's snapshot): image_snapshot (or the API's
 * image_backup) → image_pending_upload → image_uploading → none, each save guarded by
 * the state before; the driver's disk data goes to the glance image nova-api created,
 * with its formats set first, as the user. On failure the task state is reverted and
 * the image deleted, as nova does. A backup then rotates: the newest `rotation` backups
 * of its type for the instance stay, older ones are deleted (_rotate_backups).
 */
import type { NovaContext } from '../context.js';
import { TaskState } from '../objects/states.js';
import type { ComputeDeps, InstanceLocks } from './deps.js';

export function snapshotInstance(d: ComputeDeps, locks: InstanceLocks, ctx: NovaContext, instanceUuid: string, imageId: string): Promise<void> {
  return run(d, locks, ctx, instanceUuid, 'compute_snapshot_instance', async (log) => {
    await d.instances.save(instanceUuid, { taskState: TaskState.IMAGE_SNAPSHOT }, { expectedTaskState: [TaskState.IMAGE_SNAPSHOT_PENDING] });
    await upload(d, ctx, instanceUuid, imageId, TaskState.IMAGE_SNAPSHOT, log);
  });
}

export function backupInstance(d: ComputeDeps, locks: InstanceLocks, ctx: NovaContext, instanceUuid: string, imageId: string, backupType: string, rotation: number): Promise<void> {
  return run(d, locks, ctx, instanceUuid, 'compute_backup_instance', async (log) => {
    await upload(d, ctx, instanceUuid, imageId, TaskState.IMAGE_BACKUP, log);
    await rotateBackups(d, ctx, instanceUuid, backupType, rotation, log);
  });
}

type Log = ComputeDeps['log'];

function run(d: ComputeDeps, locks: InstanceLocks, ctx: NovaContext, instanceUuid: string, event: string, body: (log: Log) => Promise<void>): Promise<void> {
  const log = d.log.child({ instance: instanceUuid, req: ctx.requestId });
  return locks
    .run(instanceUuid, () => d.actions.wrap(instanceUuid, ctx.requestId, event, d.host, () => body(log)))
    .catch((err) => log.error({ err: (err as Error).message }, `${event.replace(/^compute_/, '')} failed`));
}

async function upload(d: ComputeDeps, ctx: NovaContext, instanceUuid: string, imageId: string, from: TaskState, log: Log): Promise<void> {
  try {
    const instance = await d.instances.get(instanceUuid);
    log.info('instance snapshotting');
    const data = await d.driver.snapshot(instance);
    await d.instances.save(instanceUuid, { taskState: TaskState.IMAGE_PENDING_UPLOAD }, { expectedTaskState: [from] });
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
}

/** _rotate_backups: newest first, keep `rotation`, delete the rest; a failed delete is logged and skipped. */
async function rotateBackups(d: ComputeDeps, ctx: NovaContext, instanceUuid: string, backupType: string, rotation: number, log: Log): Promise<void> {
  const images = await d.image!.list(ctx, { image_type: 'backup', backup_type: backupType, instance_uuid: instanceUuid, sort_key: 'created_at', sort_dir: 'desc' });
  log.debug(`Found ${images.length} images (rotation: ${rotation})`);
  for (const image of images.slice(rotation).reverse()) {
    log.debug(`Deleting image ${image.id}`);
    await d.image!.delete(ctx, image.id).catch((err) => log.info(`Failed to delete image ${image.id} during deleting excess backups. Continuing for next image.. ${(err as Error).message}`));
  }
}
