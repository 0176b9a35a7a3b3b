/**
 * nova-compute's _reclaim_queued_deletes periodic task: with reclaim_instance_interval
 * > 0, every that many seconds, the SOFT_DELETED servers of this host (task state none)
 * deleted at least that long ago are deleted for good (_delete_instance).
 */
import type { TimerHandle } from '../../common/clock.js';
import { serviceContext } from '../context.js';
import type { NovaContext } from '../context.js';
import { VmState } from '../objects/states.js';
import type { ComputeDeps } from './deps.js';

/** Deletes what is old enough now; returns the uuids it deleted. */
export async function reclaimQueuedDeletes(d: ComputeDeps, terminate: (ctx: NovaContext, uuid: string) => Promise<void>): Promise<string[]> {
  const interval = d.cfg.compute.reclaim_instance_interval;
  if (interval <= 0) return [];
  const now = d.clock.now();
  const due = (await d.instances.listByHost(d.host)).filter(
    // _deleted_old_enough: no deleted_at, or older than the interval.
    (i) => i.vmState === VmState.SOFT_DELETED && i.taskState === null && (!i.deletedAt || Date.parse(i.deletedAt) <= now - interval * 1000),
  );
  for (const i of due) {
    d.log.info({ instance: i.uuid }, 'Reclaiming deleted instance');
    await terminate(serviceContext(`req-${d.random.uuid()}`), i.uuid).catch((err) => d.log.warn({ instance: i.uuid, err: (err as Error).message }, 'Periodic reclaim failed to delete instance'));
  }
  return due.map((i) => i.uuid);
}

/** Runs the task every reclaim_instance_interval seconds (nothing when it is 0); the handle stops it. */
export function scheduleReclaim(d: ComputeDeps, terminate: (ctx: NovaContext, uuid: string) => Promise<void>): TimerHandle | null {
  const ms = d.cfg.compute.reclaim_instance_interval * 1000;
  if (ms <= 0) return null;
  let handle: TimerHandle;
  const tick = () => {
    handle = d.clock.after(ms, tick);
    void reclaimQueuedDeletes(d, terminate);
  };
  handle = d.clock.after(ms, tick);
  return { cancel: () => handle.cancel() };
}
