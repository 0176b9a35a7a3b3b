/**
 * nova-conductor's cold migrate task (nova/conductor/manager.py migrate_server →
 * _cold_migrate, nova/conductor/tasks/migrate.py MigrationTask), for a resize and a
 * cold migration alike, inside the conductor_migrate_server and cold_migrate events:
 * the migration record (pre-migrating; resize when the flavor changes, else migration),
 * the instance's allocation on the source handed to the migration
 * (replace_allocation_with_migration), the scheduler asked for a host with the new
 * flavor (ignore_hosts holding the source unless allowed), then prep_resize cast to the
 * chosen host. On failure the task's rollback sets the migration to error and gives the
 * allocation back to the instance; the instance keeps its vm_state with no task state,
 * and gets a fault (set_vm_state_and_notify). Reschedules to alternates are not done.
 */
import { RemoteError } from '../../bus/bus.js';
import type { Random } from '../../common/clock.js';
import { NoValidHost } from '../errors.js';
import { faultFromError } from '../objects/faults.js';
import { type Migration, MigrationStatus, MigrationStore, MigrationType } from '../objects/migration.js';
import { VmState } from '../objects/states.js';
import type { ComputeRpc, MigrateRequest, SchedulerRpc } from '../rpc.js';
import { moveAllocation } from '../scheduler/manager.js';
import type { ConductorDeps } from './manager.js';

export async function migrateServer(d: ConductorDeps & { random: Random }, rpc: { scheduler: SchedulerRpc; compute: ComputeRpc }, req: MigrateRequest): Promise<void> {
  const log = d.log.child({ instance: req.instanceUuid, req: req.ctx.requestId });
  await d.actions
    .wrap(req.instanceUuid, req.ctx.requestId, 'conductor_migrate_server', null, () =>
      d.actions.wrap(req.instanceUuid, req.ctx.requestId, 'cold_migrate', null, () => coldMigrate(d, rpc, req)),
    )
    .catch((err) => log.warn({ err: (err as Error).message }, `Failed to compute_task_migrate_server: ${(err as Error).message}`));
}

async function coldMigrate(d: ConductorDeps & { random: Random }, rpc: { scheduler: SchedulerRpc; compute: ComputeRpc }, req: MigrateRequest): Promise<void> {
  const instance = await d.instances.get(req.instanceUuid);
  const store = new MigrationStore(d.db, () => d.clock.now());
  const isResize = instance.flavor.id !== req.flavor.id;
  let migration: Migration | null = null;
  let held = false;
  try {
    // _preallocate_migration
    migration = await store.create({
      uuid: d.random.uuid(),
      instanceUuid: instance.uuid,
      sourceCompute: instance.host,
      sourceNode: instance.node,
      oldInstanceTypeId: instance.flavor.id,
      newInstanceTypeId: req.flavor.id,
      status: MigrationStatus.PRE_MIGRATING,
      migrationType: isResize ? MigrationType.RESIZE : MigrationType.MIGRATION,
      userId: req.ctx.userId,
      projectId: req.ctx.projectId,
    });
    held = await moveAllocation(d.db, instance.uuid, migration.uuid);
    if (!held) d.log.debug({ instance: instance.uuid }, 'Unable to find existing allocations for instance');
    const [hosts] = await rpc.scheduler.selectDestinations(req.ctx, req.requestSpec);
    const selection = hosts![0]!;
    // The instance takes the zone of its new host (no aggregates here: the default zone).
    await d.instances.save(instance.uuid, { availabilityZone: d.cfg.compute.default_availability_zone });
    d.log.debug({ instance: instance.uuid }, `Calling prep_resize with selected host: ${selection.host}; Selected node: ${selection.node}`);
    await rpc.compute.prepResize(selection.host, { ctx: req.ctx, instanceUuid: instance.uuid, migrationUuid: migration.uuid, flavor: req.flavor, node: selection.node });
  } catch (e) {
    // MigrationTask.rollback
    if (migration) {
      await store.save(migration.uuid, { status: MigrationStatus.ERROR });
      if (held) await moveAllocation(d.db, migration.uuid, instance.uuid);
    }
    const cause = asNoValidHost(e);
    // set_vm_state_and_notify: the vm_state it had (ACTIVE when none), no task state, a fault.
    const current = await d.instances.find(instance.uuid);
    if (current) {
      await d.instances.save(instance.uuid, { vmState: current.vmState || VmState.ACTIVE, taskState: null });
      await d.instances.addFault(instance.uuid, faultFromError(cause, null));
    }
    if (cause instanceof NoValidHost) throw new NoValidHost(isResize ? 'No valid host found for resize' : 'No valid host found for cold migrate');
    throw cause;
  }
}

function asNoValidHost(e: unknown): Error {
  if (e instanceof RemoteError && e.excType === NoValidHost.wireType) {
    const err = new NoValidHost(e.value.replace(/^No valid host was found\. /, ''));
    (err as NoValidHost & { detail?: string }).detail = e.detail ?? '';
    return err;
  }
  return e as Error;
}
