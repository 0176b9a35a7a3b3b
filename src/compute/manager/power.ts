/**
 * nova-compute's power operations (nova/compute/manager.py stop_instance,
 * start_instance, reboot_instance, pause/unpause, suspend/resume, trigger_crash_dump,
 * get_console_output): each runs under the instance's lock inside its
 * `compute_<op>` event, asks the driver, then writes the driver's power state with the
 * vm_state the operation ends in and clears the task state, guarded by the task state
 * the API set. A failure reverts the task state (reverts_task_state) and records a fault.
 * The VIFs stay plugged throughout: nova unplugs only on delete.
 */
import type { NovaContext } from '../context.js';
import { faultFromError } from '../objects/faults.js';
import type { Instance } from '../objects/instance.js';
import { InstanceInvalidState } from '../errors.js';
import { POWER_STATE_NAMES, PowerState, TaskState, VmState } from '../objects/states.js';
import type { ComputeDeps, InstanceLocks } from './deps.js';
import { withoutShelvedKeys } from './shelve.js';

/** The power operations a compute host serves (the compute.<host> methods they answer). */
export type PowerOp = 'stop' | 'start' | 'reboot_soft' | 'reboot_hard' | 'pause' | 'unpause' | 'suspend' | 'resume' | 'soft_delete' | 'restore' | 'rescue' | 'unrescue';

interface OpSpec {
  event: string;
  /** The task states the final save expects (or, for reboot, the first). */
  expected: (string | null)[];
  run: (d: ComputeDeps, i: Instance) => Promise<void>;
  /** The vm_state after, from the driver's power state. */
  vmState: (power: number, before: Instance) => string;
}

const OPS: Record<PowerOp, OpSpec> = {
  stop: { event: 'compute_stop_instance', expected: [TaskState.POWERING_OFF], run: (d, i) => d.driver.powerOff(i), vmState: () => VmState.STOPPED },
  start: { event: 'compute_start_instance', expected: [TaskState.POWERING_ON], run: (d, i) => d.driver.powerOn(i), vmState: () => VmState.ACTIVE },
  reboot_soft: { event: 'compute_reboot_instance', expected: [TaskState.REBOOT_STARTED], run: (d, i) => d.driver.reboot(i, 'SOFT'), vmState: (p, b) => (p === PowerState.RUNNING ? VmState.ACTIVE : b.vmState) },
  reboot_hard: { event: 'compute_reboot_instance', expected: [TaskState.REBOOT_STARTED_HARD], run: (d, i) => d.driver.reboot(i, 'HARD'), vmState: (p, b) => (p === PowerState.RUNNING ? VmState.ACTIVE : b.vmState) },
  pause: { event: 'compute_pause_instance', expected: [TaskState.PAUSING], run: (d, i) => d.driver.pause(i), vmState: () => VmState.PAUSED },
  unpause: { event: 'compute_unpause_instance', expected: [TaskState.UNPAUSING], run: (d, i) => d.driver.unpause(i), vmState: () => VmState.ACTIVE },
  suspend: { event: 'compute_suspend_instance', expected: [TaskState.SUSPENDING], run: (d, i) => d.driver.suspend(i), vmState: () => VmState.SUSPENDED },
  resume: { event: 'compute_resume_instance', expected: [TaskState.RESUMING], run: (d, i) => d.driver.resume(i), vmState: () => VmState.ACTIVE },
  // soft_delete_instance / restore_instance: the fake driver has no soft_delete, so nova falls back to power off / on.
  soft_delete: { event: 'compute_soft_delete_instance', expected: [TaskState.SOFT_DELETING], run: (d, i) => d.driver.powerOff(i), vmState: () => VmState.SOFT_DELETED },
  restore: { event: 'compute_restore_instance', expected: [TaskState.RESTORING], run: (d, i) => d.driver.powerOn(i), vmState: () => VmState.ACTIVE },
  rescue: { event: 'compute_rescue_instance', expected: [TaskState.RESCUING], run: (d, i) => d.driver.rescue(i), vmState: () => VmState.RESCUED },
  unrescue: { event: 'compute_unrescue_instance', expected: [TaskState.UNRESCUING], run: (d, i) => d.driver.unrescue(i), vmState: () => VmState.ACTIVE },
};

/** The power operations of one nova-compute; composed by ComputeManager. */
export class PowerOps {
  constructor(
    private readonly d: ComputeDeps,
    private readonly locks: InstanceLocks,
  ) {}

  /** Runs one operation (a cast: errors are logged, the fault and task state tell the user). */
  async run(ctx: NovaContext, instanceUuid: string, op: PowerOp): Promise<void> {
    const d = this.d;
    const spec = OPS[op];
    const log = d.log.child({ instance: instanceUuid, req: ctx.requestId });
    await this.locks
      .run(instanceUuid, async () => {
        let instance = await d.instances.get(instanceUuid);
        await d.actions.wrap(instanceUuid, ctx.requestId, spec.event, d.host, async () => {
          try {
            let expected = spec.expected;
            if (op === 'reboot_soft' || op === 'reboot_hard') {
              // reboot_instance: pending, then started, each guarded by the one before.
              const hard = op === 'reboot_hard';
              const pending = hard ? TaskState.REBOOT_PENDING_HARD : TaskState.REBOOT_PENDING;
              const first = hard ? [TaskState.REBOOTING_HARD, TaskState.REBOOT_PENDING_HARD, TaskState.REBOOT_STARTED_HARD] : [TaskState.REBOOTING, TaskState.REBOOT_PENDING, TaskState.REBOOT_STARTED];
              instance = await d.instances.save(instanceUuid, { taskState: pending }, { expectedTaskState: first });
              instance = await d.instances.save(instanceUuid, { taskState: hard ? TaskState.REBOOT_STARTED_HARD : TaskState.REBOOT_STARTED }, { expectedTaskState: [pending] });
            } else if (op === 'stop') {
              // do_stop_instance: a guest already off may be stopped with no task state.
              const p = d.driver.powerState(instance);
              if (p === PowerState.NOSTATE || p === PowerState.SHUTDOWN || p === PowerState.CRASHED) expected = [...expected, null];
            }
            log.info(`${spec.event.replace(/^compute_/, '').replace(/_instance$/, '')} instance`);
            await spec.run(d, instance);
            const power = d.driver.powerState(instance);
            await d.instances.save(instanceUuid, { powerState: power, vmState: spec.vmState(power, instance), taskState: null }, { expectedTaskState: expected });
            // start_instance also ends a shelve that was never offloaded (unshelve of a SHELVED server):
            // the shelved snapshot is deleted and the shelved_* keys go.
            const shelvedImage = instance.systemMetadata.shelved_image_id;
            if (op === 'start' && shelvedImage) {
              await d.image?.delete(ctx, shelvedImage).catch((err) => log.warn({ err: (err as Error).message }, `Failed to delete snapshot from shelved instance (${shelvedImage}).`));
              const fresh = await d.instances.get(instanceUuid);
              await d.instances.save(instanceUuid, { systemMetadata: withoutShelvedKeys(fresh.systemMetadata) });
            }
          } catch (err) {
            // reverts_task_state + wrap_instance_fault
            await d.instances.save(instanceUuid, { taskState: null }).catch(() => undefined);
            await d.instances.addFault(instanceUuid, faultFromError(err, d.host)).catch(() => undefined);
            throw err;
          }
        });
      })
      .catch((err) => log.error({ err: (err as Error).message }, `${spec.event} failed`));
  }

  /** trigger_crash_dump: the driver injects an NMI; no state changes. */
  async triggerCrashDump(ctx: NovaContext, instanceUuid: string): Promise<void> {
    const d = this.d;
    await this.locks
      .run(instanceUuid, async () => {
        const instance = await d.instances.get(instanceUuid);
        await d.actions.wrap(instanceUuid, ctx.requestId, 'compute_trigger_crash_dump', d.host, () => d.driver.triggerCrashDump(instance));
      })
      .catch((err) => d.log.error({ err: (err as Error).message, instance: instanceUuid }, 'trigger_crash_dump failed'));
  }

  /**
   * get_diagnostics / get_instance_diagnostics (calls): the driver's, for a running
   * guest only; otherwise InstanceInvalidState naming the stored power state, as nova.
   */
  async getDiagnostics(instanceUuid: string, v2: boolean): Promise<unknown> {
    const instance = await this.d.instances.get(instanceUuid);
    if (this.d.driver.powerState(instance) !== PowerState.RUNNING) {
      throw new InstanceInvalidState(instance.uuid, 'power state', POWER_STATE_NAMES[instance.powerState] ?? null, 'get_diagnostics');
    }
    this.d.log.info({ instance: instance.uuid }, 'Retrieving diagnostics');
    return v2 ? this.d.driver.getInstanceDiagnostics(instance) : this.d.driver.getDiagnostics(instance);
  }

  /** get_console_output (a call): the driver's log, its last `tailLength` lines when given, as manager._tail_log. */
  async getConsoleOutput(instanceUuid: string, tailLength: number | null): Promise<string> {
    const instance = await this.d.instances.get(instanceUuid);
    const out = await this.d.driver.getConsoleOutput(instance);
    if (tailLength === null) return out;
    if (tailLength === 0) return '';
    // Python's lines[-n:]: n = -1 gives lines[1:], as nova does.
    const lines = out.split('\n');
    return lines.slice(-tailLength).join('\n');
  }
}
