/**
 * nova-compute's init_host (nova/compute/manager.py), run when the service starts and
 * before it serves compute.<host>: whatever the previous run left half done on this
 * host is settled. First the guests of instances evacuated while it was down are
 * destroyed (evacuate.ts, _destroy_evacuated_instances); then instance by instance as
 * _init_instance does:
 *
 * - ERROR (unless a delete was in progress): left alone;
 * - vm_state deleted but the record not destroyed: the deletion is completed
 *   (_complete_partial_deletion);
 * - task_state deleting: the delete is run again ("Service started deleting the
 *   instance during the previous run, but did not finish. Restarting the deletion now.");
 * - building, or task_state scheduling / block_device_mapping / networking / spawning:
 *   the build was interrupted → ERROR ("Instance failed to spawn correctly, setting to
 *   ERROR state"), with a fault and its network given back (interrupted-build.ts);
 * - anything else (ACTIVE, STOPPED): plug_vifs from the network info cache, which puts
 *   the host's lost qbr/qvb/qvo and the br-int port with its external-ids back, so the
 *   OVS agent wires the port again; a VIF that cannot be plugged (binding_failed,
 *   unbound) sets the instance to ERROR as nova does.
 *
 * Then _error_out_instances_whose_build_was_interrupted: an instance with an allocation
 * on this host that is still building but was not handled above (the conductor had cast
 * the build, the host had not taken it yet) goes to ERROR too.
 *
 * Each instance's failure is logged and never stops the others (nova catches per instance).
 */
import { type NovaContext, serviceContext } from '../context.js';
import { failInterruptedBuild } from '../interrupted-build.js';
import { faultFromError } from '../objects/faults.js';
import type { Instance } from '../objects/instance.js';
import { TaskState, VmState } from '../objects/states.js';
import { VirtualInterfacePlugException } from '../virt/errors.js';
import type { ComputeDeps } from './deps.js';
import { MIGRATION_DONE_STATUSES } from '../objects/migration.js';
import { destroyEvacuatedInstances } from './evacuate.js';

/** Instances settled at once (neutron calls of one instance run in order). */
const INIT_WORKERS = 8;

/** task_states of a build (_init_instance's list). */
const BUILD_TASK_STATES: readonly (string | null)[] = [TaskState.SCHEDULING, TaskState.BLOCK_DEVICE_MAPPING, TaskState.NETWORKING, TaskState.SPAWNING];

export interface InitHostOps {
  /** terminate_instance as the manager runs it (under the instance's lock). */
  terminate(ctx: NovaContext, instanceUuid: string): Promise<void>;
}

/** Runs init_host for the compute of `d.host`; resolves when every instance is settled. */
export async function initHost(d: ComputeDeps, ops: InitHostOps): Promise<void> {
  const ctx = serviceContext(`req-${d.random.uuid()}`);
  // _destroy_evacuated_instances first: what was evacuated while this host was down is not initialised here.
  const evacuated = await destroyEvacuatedInstances(d, ctx);
  const instances = (await d.instances.listByHost(d.host)).filter((i) => !evacuated.has(i.uuid));
  await pool(instances, (i) => initInstance(d, ops, ctx, i).catch((err) => d.log.error({ err, instance: i.uuid }, 'Failed to initialize the instance')));
  const handled = new Set([...instances.map((i) => i.uuid), ...evacuated]);
  d.log.info('Looking for unclaimed instances stuck in BUILDING status for nodes managed by this host');
  const claimed = (await d.allocations.consumers(d.host)).filter((uuid) => !handled.has(uuid));
  const migrations = d.migrations;
  await pool(claimed, async (uuid) => {
    const i = await d.instances.find(uuid);
    // A move's source allocation is held by its migration record, not an instance: it
    // stays while the move is unconfirmed (its instance still lives).
    const migration = i ? null : await migrations.findByUuid(uuid);
    if (migration && !(MIGRATION_DONE_STATUSES as readonly string[]).includes(migration.status) && (await d.instances.find(migration.instanceUuid))) return;
    if (!i) {
      // An allocation whose instance is gone: nothing will ever release it.
      await d.allocations.delete(uuid);
      return;
    }
    if (i.vmState !== VmState.BUILDING) return;
    d.log.debug({ instance: uuid }, 'Instance spawn was interrupted before instance_claim, setting instance to ERROR state');
    await failInterruptedBuild({ ...d, host: d.host }, ctx, i, `The build was interrupted by a restart of nova-compute on ${d.host} before the host took it.`).catch((err) =>
      d.log.error({ err, instance: uuid }, 'Failed to set the instance to ERROR'),
    );
  });
}

/** _init_instance for one instance of this host. */
async function initInstance(d: ComputeDeps, ops: InitHostOps, ctx: NovaContext, instance: Instance): Promise<void> {
  let i = instance;
  const log = d.log.child({ instance: i.uuid });
  if (i.vmState === VmState.ERROR && i.taskState !== TaskState.DELETING && i.taskState !== TaskState.RESIZE_MIGRATING) {
    log.debug(`Instance is in ${i.vmState} state.`);
    return;
  }
  if (i.vmState === VmState.DELETED) {
    await d.instances.destroy(i.uuid);
    await d.allocations.delete(i.uuid);
    return;
  }
  // Before the build check (nova checks after): a server deleted while it was building
  // is deleted, as its user asked, rather than left in ERROR for a second delete.
  if (i.taskState === TaskState.DELETING) {
    log.info('Service started deleting the instance during the previous run, but did not finish. Restarting the deletion now.');
    await ops.terminate(ctx, i.uuid);
    return;
  }
  if (i.vmState === VmState.BUILDING || BUILD_TASK_STATES.includes(i.taskState)) {
    log.debug('Instance failed to spawn correctly, setting to ERROR state');
    const phase = i.taskState ? `task_state ${i.taskState}` : `vm_state ${i.vmState}`;
    await failInterruptedBuild({ ...d, host: d.host }, ctx, i, `The build was interrupted by a restart of nova-compute on ${d.host} (${phase}).`);
    return;
  }
  if (i.vmState !== VmState.ERROR && i.taskState === TaskState.RESIZE_PREP) {
    log.debug(`Instance in transitional state ${i.taskState} at start-up clearing task state`);
    i = await d.instances.save(i.uuid, { taskState: null });
  }
  const nwInfo = await d.instances.networkInfo(i.uuid);
  try {
    await d.driver.plugVifs(i, nwInfo);
  } catch (e) {
    if (!(e instanceof VirtualInterfacePlugException)) throw e;
    log.error({ err: e.message }, 'Virtual interface plugging failed for instance. The port binding:host_id may need to be manually updated.');
    // A NovaException in nova: the fault carries its message.
    await d.instances.addFault(i.uuid, faultFromError(e, d.host, [], e.message));
    await d.instances.save(i.uuid, { vmState: VmState.ERROR });
    return;
  }
  if (i.taskState === TaskState.RESIZE_MIGRATING) {
    // "We crashed during resize/migration, so roll back for safety": the guest comes back
    // here (powered on unless it was stopped) and the task state is cleared. Zed leaves
    // the migration record and its allocation as they were.
    try {
      // No network-vif-plugged is waited for: this compute's RPC listener starts after
      // init_host, so no event could reach it (nova would sit out vif_plugging_timeout
      // and then clear the task state all the same). The VIFs were just plugged above.
      const plugged = nwInfo.map((v) => ({ ...v, active: true }));
      await d.driver.finishRevertMigration(ctx, i, plugged, i.systemMetadata.old_vm_state !== VmState.STOPPED);
    } catch (err) {
      log.error({ err: (err as Error).message }, 'Failed to revert crashed migration');
    } finally {
      log.info('Instance found in migrating state during startup. Resetting task_state');
      await d.instances.save(i.uuid, { taskState: null, powerState: d.driver.powerState(i) });
    }
  }
  if (i.taskState === TaskState.MIGRATING) {
    // _reset_live_migration: a live migration this host was running died with it (the
    // driver has no job left to abort); its record goes to error, the task state is cleared.
    const store = d.migrations;
    const running = await store.getByInstanceAndStatus(i.uuid, 'running').catch(() => null);
    if (running) await store.save(running.uuid, { status: 'error' });
    log.info('Instance found in migrating state during startup. Resetting task_state');
    await d.instances.save(i.uuid, { taskState: null }, { expectedTaskState: [TaskState.MIGRATING] });
  }
}

/** Runs fn over items, INIT_WORKERS at a time. */
async function pool<T>(items: T[], fn: (item: T) => Promise<void>): Promise<void> {
  const queue = [...items];
  await Promise.all(
    Array.from({ length: Math.min(INIT_WORKERS, queue.length) }, async () => {
      for (let item = queue.shift(); item !== undefined; item = queue.shift()) await fn(item);
    }),
  );
}
