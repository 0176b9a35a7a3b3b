/**
 * nova-compute's _poll_unconfirmed_resizes periodic task: with [DEFAULT]
 * resize_confirm_window > 0, the `finished` migrations whose destination is this host
 * and that have not changed for that many seconds (MigrationList.
 * get_unconfirmed_by_dest_compute) are confirmed as an admin's confirmResize would
 * (compute_api.confirm_resize: the source's service up, migration confirming, a
 * confirmResize action, confirm_resize cast to the source). Nova's checks first: an
 * instance gone or in ERROR, or not RESIZED with no task, puts the migration in error;
 * one being deleted or still in resize_finish is skipped until the next run.
 */
import { serviceContext } from '../context.js';
import { ServiceUnavailable } from '../errors.js';
import { Actions } from '../objects/actions.js';
import { type Migration, MigrationStatus } from '../objects/migration.js';
import { TaskState, VmState } from '../objects/states.js';
import { ComputeRpc } from '../rpc.js';
import type { ComputeDeps } from './deps.js';

/** One run; returns the uuids of the migrations it asked the source to confirm. */
export async function pollUnconfirmedResizes(d: ComputeDeps): Promise<string[]> {
  const window = d.cfg.DEFAULT.resize_confirm_window;
  if (window === 0) return [];
  const store = d.migrations;
  const cutoff = d.clock.now() - window * 1000;
  const migrations = (await store.list({ status: MigrationStatus.FINISHED, host: d.host }, { unsorted: true })).filter(
    (m) => m.destCompute === d.host && Date.parse(m.updatedAt ?? m.createdAt) <= cutoff,
  );
  if (migrations.length > 0) d.log.info(`Found ${migrations.length} unconfirmed migrations older than ${window} seconds`);
  const toError = async (m: Migration, reason: string) => {
    d.log.warn({ instance: m.instanceUuid }, `Setting migration ${m.id} to error: ${reason}`);
    await store.save(m.uuid, { status: MigrationStatus.ERROR });
  };
  const confirmed: string[] = [];
  for (const m of migrations) {
    d.log.info(`Automatically confirming migration ${m.id} for instance ${m.instanceUuid}`);
    const instance = await d.instances.find(m.instanceUuid);
    if (!instance) {
      await toError(m, `Instance ${m.instanceUuid} not found`);
      continue;
    }
    if (instance.vmState === VmState.ERROR) {
      await toError(m, 'In ERROR state');
      continue;
    }
    // A delete confirms the resize itself; a finish_resize between saving the migration and the instance is not done yet.
    if (instance.taskState === TaskState.DELETING || instance.taskState === TaskState.SOFT_DELETING) {
      d.log.debug({ instance: instance.uuid }, 'Instance being deleted or soft deleted during resize confirmation. Skipping.');
      continue;
    }
    if (instance.taskState === TaskState.RESIZE_FINISH) {
      d.log.debug({ instance: instance.uuid }, 'Instance still resizing during resize confirmation. Skipping.');
      continue;
    }
    if (instance.vmState !== VmState.RESIZED || instance.taskState !== null) {
      await toError(m, `In states ${instance.vmState}/${instance.taskState ?? 'None'}, not RESIZED/None`);
      continue;
    }
    try {
      // compute_api.confirm_resize with the migration found here.
      const source = m.sourceCompute ? await d.services.getComputeByHost(m.sourceCompute).catch(() => null) : null;
      if (!source || !d.services.isUp(source)) throw new ServiceUnavailable();
      const ctx = serviceContext(`req-${d.random.uuid()}`);
      await store.save(m.uuid, { status: MigrationStatus.CONFIRMING });
      await d.actions.start({ instanceUuid: instance.uuid, action: Actions.CONFIRM_RESIZE, requestId: ctx.requestId, userId: ctx.userId, projectId: ctx.projectId });
      await new ComputeRpc(d.bus).confirmResize(m.sourceCompute!, { ctx, instanceUuid: instance.uuid, migrationUuid: m.uuid });
      confirmed.push(m.uuid);
    } catch (e) {
      d.log.info({ instance: instance.uuid }, `Error auto-confirming resize: ${(e as Error).message}. Will retry later.`);
    }
  }
  return confirmed;
}
