/**
 * nova-compute's _poll_shelved_instances periodic task (every shelved_poll_interval
 * seconds): with [DEFAULT] shelved_offload_time > 0, this host's SHELVED servers with no
 * task whose shelved_at is at least that many seconds old are offloaded
 * (shelving_offloading saved expecting no task, then shelve_offload_instance). 0 offloads
 * at shelve time (shelve.ts) and -1 never, so neither runs this.
 */
import { serviceContext } from '../context.js';
import { TaskState, VmState } from '../objects/states.js';
import type { ComputeDeps } from './deps.js';

/** One run; `offload` is the manager's shelve_offload_instance. Returns the uuids it offloaded. */
export async function pollShelvedInstances(d: ComputeDeps, offload: (ctx: ReturnType<typeof serviceContext>, uuid: string) => Promise<void>): Promise<string[]> {
  const offloadTime = d.cfg.DEFAULT.shelved_offload_time;
  if (offloadTime <= 0) return [];
  const now = d.clock.now();
  // shelved_at is Python's naive utcnow().isoformat().
  const due = (await d.instances.listByHost(d.host)).filter(
    (i) => i.vmState === VmState.SHELVED && i.taskState === null && !!i.systemMetadata.shelved_at && Date.parse(`${i.systemMetadata.shelved_at}Z`) <= now - offloadTime * 1000,
  );
  const done: string[] = [];
  for (const i of due) {
    try {
      await d.instances.save(i.uuid, { taskState: TaskState.SHELVING_OFFLOADING }, { expectedTaskState: [null] });
      // A periodic task's admin context has no project: its events go to the server's last action (the shelve), as nova's action_event_start.
      const last = (await d.actions.list(i.uuid))[0];
      await offload(serviceContext(last?.request_id ?? `req-${d.random.uuid()}`), i.uuid);
      done.push(i.uuid);
    } catch (err) {
      d.log.error({ instance: i.uuid, err: (err as Error).message }, 'Periodic task failed to offload instance.');
    }
  }
  return done;
}
