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
 * and gets a fault (set_vm_state_and_notify). The scheduler's alternates go with the
 * cast; when the destination's prep_resize fails it casts migrate_server back (a
 * reschedule, resize.ts), which reuses the pre-migrating record and claims the next
 * alternate (MaxRetriesExceeded, a NoValidHost, when none is left or fits).
 */
import { RemoteError } from '../../bus/bus.js';
import type { Random } from '../../common/clock.js';
import { MaxRetriesExceeded, NoValidHost } from '../errors.js';
import { faultFromError } from '../objects/faults.js';
import { type Migration, MigrationStatus, MigrationStore, MigrationType } from '../objects/migration.js';
import { VmState } from '../objects/states.js';
import type { ComputeRpc, MigrateRequest, MoveRetry, SchedulerRpc, Selection } from '../rpc.js';
import { moveAllocation } from '../db/allocations.js';
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
  const migrationType = isResize ? MigrationType.RESIZE : MigrationType.MIGRATION;
  let migration: Migration | null = null;
  let held = false;
  try {
    const retry = populateRetry(d, req);
    // _preallocate_migration: a reschedule finds the pre-migrating record of the first attempt.
    migration =
      (await store.list({ instanceUuid: instance.uuid, migrationType, status: MigrationStatus.PRE_MIGRATING }))[0] ??
      (await store.create({
        uuid: d.random.uuid(),
        instanceUuid: instance.uuid,
        sourceCompute: instance.host,
        sourceNode: instance.node,
        oldInstanceTypeId: instance.flavor.id,
        newInstanceTypeId: req.flavor.id,
        status: MigrationStatus.PRE_MIGRATING,
        migrationType,
        userId: req.ctx.userId,
        projectId: req.ctx.projectId,
      }));
    held = await moveAllocation(d.db, instance.uuid, migration.uuid);
    if (!held) d.log.debug({ instance: instance.uuid }, 'Unable to find existing allocations for instance');
    let selection: Selection;
    let hostList: Selection[];
    if (req.hostList === undefined) {
      const [hosts] = await rpc.scheduler.selectDestinations(req.ctx, req.requestSpec);
      [selection, ...hostList] = hosts as [Selection, ...Selection[]];
    } else {
      // _reschedule: the alternates claimed one by one until one still fits.
      hostList = [...req.hostList];
      let claimed: Selection | null = null;
      while (!claimed && hostList.length > 0) {
        const next = hostList.shift()!;
        if (await rpc.scheduler.claim(req.ctx, next.host, req.requestSpec)) claimed = next;
      }
      if (!claimed) throw new MaxRetriesExceeded(`Exhausted all hosts available for retrying build failures for instance ${instance.uuid}.`);
      selection = claimed;
    }
    // The instance takes the zone of its new host (no aggregates here: the default zone).
    await d.instances.save(instance.uuid, { availabilityZone: d.cfg.compute.default_availability_zone });
    d.log.debug({ instance: instance.uuid }, `Calling prep_resize with selected host: ${selection.host}; Selected node: ${selection.node}; Alternates: ${JSON.stringify(hostList)}`);
    await rpc.compute.prepResize(selection.host, {
      ctx: req.ctx,
      instanceUuid: instance.uuid,
      migrationUuid: migration.uuid,
      flavor: req.flavor,
      node: selection.node,
      requestSpec: req.requestSpec,
      hostList,
      retry,
    });
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
    // MaxRetriesExceeded is a NoValidHost in nova.
    if (cause instanceof NoValidHost || cause instanceof MaxRetriesExceeded) throw new NoValidHost(isResize ? 'No valid host found for resize' : 'No valid host found for cold migrate');
    throw cause;
  }
}

/**
 * scheduler_utils.populate_retry for a move: no retry when max_attempts is 1 or the
 * move targets a host (2.56; the forced hosts of the boot were reset); else the attempt
 * counted, MaxRetriesExceeded past max_attempts.
 */
function populateRetry(d: ConductorDeps, req: MigrateRequest): MoveRetry | null {
  const max = d.cfg.compute.max_attempts;
  if (max <= 1 || req.requestSpec.requestedDestination?.host) return null;
  const retry: MoveRetry = { numAttempts: (req.retry?.numAttempts ?? 0) + 1 };
  if (req.retry?.exc) d.log.error({ instance: req.instanceUuid }, `Error from last host: ${req.retry.exc}`);
  if (retry.numAttempts > max) {
    throw new MaxRetriesExceeded(`Exceeded max scheduling attempts ${max} for instance ${req.instanceUuid}. Last exception: ${req.retry?.exc ?? 'None'}`);
  }
  return retry;
}

function asNoValidHost(e: unknown): Error {
  if (e instanceof RemoteError && e.excType === NoValidHost.wireType) {
    const err = new NoValidHost(e.value.replace(/^No valid host was found\. /, ''));
    (err as NoValidHost & { detail?: string }).detail = e.detail ?? '';
    return err;
  }
  return e as Error;
}
