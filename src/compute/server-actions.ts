/**
 * nova-api's side of the server actions (nova/compute/api.py stop, start, reboot,
 * pause/unpause, suspend/resume, lock/unlock, trigger_crash_dump, get_console_output).
 * Each action is allowed only in the states nova's @check_instance_state allows, and
 * @check_instance_lock refuses a locked server to non-admins; the rules are data
 * (ACTION_RULES) checked by one pure function. An allowed action sets its task state
 * (guarded by the task state it was checked in), records its instance action, and casts
 * to the instance's host.
 */
import { inheritAutoDiskConfig } from './disk-config.js';
import type { ComputeAPI, ComputeApiDeps } from './compute-api.js';
import type { NovaContext } from './context.js';
import { FlavorDiskTooSmall, FlavorMemoryTooSmall, ImageNotActive, InstanceInvalidState, InstanceIsLocked, InstanceNotReady } from './errors.js';
import { KeyPairStore } from './db/keypairs.js';
import type { PowerOp } from './manager/power.js';
import { Actions } from './objects/actions.js';
import type { Instance } from './objects/instance.js';
import { TaskState, VmState } from './objects/states.js';
import { isoMicros } from '../common/clock.js';

/** One action's @check_instance_state / @check_instance_host / @check_instance_lock. */
export interface ActionRule {
  /** nova's method name, which InstanceInvalidState quotes. */
  method: string;
  /** Allowed vm_states; undefined: any. */
  vmStates?: readonly string[];
  /** Allowed task_states; nova's default is [None]. */
  taskStates: readonly (string | null)[];
  /** check_instance_state's must_have_launched (true by default in nova). */
  mustHaveLaunched: boolean;
  /** @check_instance_host: InstanceNotReady without a host. */
  needsHost: boolean;
  /** @check_instance_lock. */
  lockChecked: boolean;
}

/** task_states.ALLOW_REBOOT: what a hard reboot may interrupt. */
const ALLOW_REBOOT = [null, TaskState.REBOOTING, TaskState.REBOOT_PENDING, TaskState.REBOOT_STARTED, TaskState.RESUMING, TaskState.REBOOTING_HARD, TaskState.UNPAUSING, TaskState.PAUSING, TaskState.SUSPENDING] as const;

const rule = (method: string, vmStates: readonly string[] | undefined, extra: Partial<ActionRule> = {}): ActionRule => ({ method, vmStates, taskStates: [null], mustHaveLaunched: true, needsHost: false, lockChecked: true, ...extra });

/** vm_states.py's ALLOW_* lists and the decorators of each compute API method. */
export const ACTION_RULES = {
  stop: rule('stop', [VmState.ACTIVE, VmState.ERROR], { needsHost: true }),
  start: rule('start', [VmState.STOPPED], { needsHost: true }),
  reboot_soft: rule('_soft_reboot', [VmState.ACTIVE]),
  reboot_hard: rule('_hard_reboot', [VmState.ACTIVE, VmState.STOPPED, VmState.PAUSED, VmState.SUSPENDED, VmState.ERROR], { taskStates: ALLOW_REBOOT }),
  pause: rule('pause', [VmState.ACTIVE]),
  unpause: rule('unpause', [VmState.PAUSED]),
  suspend: rule('suspend', [VmState.ACTIVE]),
  resume: rule('resume', [VmState.SUSPENDED]),
  // "We don't check instance lock for snapshot because lock is intended to prevent accidental change/delete of instances."
  snapshot: rule('snapshot', [VmState.ACTIVE, VmState.STOPPED, VmState.PAUSED, VmState.SUSPENDED], { lockChecked: false }),
  // The same for backup.
  backup: rule('backup', [VmState.ACTIVE, VmState.STOPPED, VmState.PAUSED, VmState.SUSPENDED], { lockChecked: false }),
  restore: rule('restore', [VmState.SOFT_DELETED]),
  rebuild: rule('rebuild', [VmState.ACTIVE, VmState.STOPPED, VmState.ERROR]),
  rescue: rule('rescue', [VmState.ACTIVE, VmState.STOPPED, VmState.ERROR]),
  unrescue: rule('unrescue', [VmState.RESCUED]),
  trigger_crash_dump: rule('trigger_crash_dump', [VmState.ACTIVE, VmState.PAUSED, VmState.RESCUED, 'resized', VmState.ERROR], { needsHost: true }),
} as const satisfies Record<string, ActionRule>;
export type RuledAction = keyof typeof ACTION_RULES;

/**
 * The decorators in nova's order (lock, then host, then state): throws InstanceIsLocked,
 * InstanceNotReady or InstanceInvalidState; returns nothing when the action may go on.
 */
export function checkAction(instance: Instance, r: ActionRule, isAdmin: boolean): void {
  if (r.lockChecked && instance.locked && !isAdmin) throw new InstanceIsLocked(instance.uuid);
  if (r.needsHost && !instance.host) throw new InstanceNotReady(instance.uuid);
  if (r.vmStates && !r.vmStates.includes(instance.vmState)) throw new InstanceInvalidState(instance.uuid, 'vm_state', instance.vmState, r.method);
  if (!r.taskStates.includes(instance.taskState)) throw new InstanceInvalidState(instance.uuid, 'task_state', instance.taskState ?? 'None', r.method);
  if (r.mustHaveLaunched && !instance.launchedAt) throw new InstanceInvalidState(instance.uuid, 'launched_at', 'None', r.method);
}

/** The task state each power operation starts in, and its instance action. */
const STARTS: Record<PowerOp, { rule: RuledAction; taskState: string; action: string }> = {
  stop: { rule: 'stop', taskState: TaskState.POWERING_OFF, action: Actions.STOP },
  start: { rule: 'start', taskState: TaskState.POWERING_ON, action: Actions.START },
  reboot_soft: { rule: 'reboot_soft', taskState: TaskState.REBOOTING, action: Actions.REBOOT },
  reboot_hard: { rule: 'reboot_hard', taskState: TaskState.REBOOTING_HARD, action: Actions.REBOOT },
  pause: { rule: 'pause', taskState: TaskState.PAUSING, action: Actions.PAUSE },
  unpause: { rule: 'unpause', taskState: TaskState.UNPAUSING, action: Actions.UNPAUSE },
  suspend: { rule: 'suspend', taskState: TaskState.SUSPENDING, action: Actions.SUSPEND },
  resume: { rule: 'resume', taskState: TaskState.RESUMING, action: Actions.RESUME },
  // Started by softDelete / restore below, not by power().
  soft_delete: { rule: 'stop', taskState: TaskState.SOFT_DELETING, action: Actions.DELETE },
  restore: { rule: 'restore', taskState: TaskState.RESTORING, action: Actions.RESTORE },
  rescue: { rule: 'rescue', taskState: TaskState.RESCUING, action: Actions.RESCUE },
  unrescue: { rule: 'unrescue', taskState: TaskState.UNRESCUING, action: Actions.UNRESCUE },
};

/** What a rebuild may change besides the image (absent: kept). */
export interface RebuildChanges {
  name?: string;
  description?: string | null;
  metadata?: Record<string, string>;
  keyName?: string | null;
  userData?: string | null;
  /** OS-DCF:diskConfig; null: the new image decides. */
  autoDiskConfig?: boolean | null;
}

export class ServerActionsAPI {
  private readonly d: ComputeApiDeps;
  constructor(private readonly api: ComputeAPI) {
    this.d = api.d;
  }

  #record(ctx: NovaContext, instance: Instance, action: string): Promise<void> {
    return this.d.actions.start({ instanceUuid: instance.uuid, action, requestId: ctx.requestId, userId: ctx.userId, projectId: ctx.projectId });
  }

  /** stop/start/reboot/pause/unpause/suspend/resume: check, set the task state, record, cast. */
  async power(ctx: NovaContext, instance: Instance, op: PowerOp): Promise<void> {
    const s = STARTS[op];
    const r = ACTION_RULES[s.rule];
    checkAction(instance, r, ctx.isAdmin);
    await this.d.instances.save(instance.uuid, { taskState: s.taskState, ...(op === 'stop' ? { progress: 0 } : {}) }, { expectedTaskState: [...r.taskStates] });
    await this.#record(ctx, instance, s.action);
    await this.d.compute.powerAction(instance.host!, ctx, instance.uuid, op);
  }

  async triggerCrashDump(ctx: NovaContext, instance: Instance): Promise<void> {
    checkAction(instance, ACTION_RULES.trigger_crash_dump, ctx.isAdmin);
    await this.#record(ctx, instance, Actions.TRIGGER_CRASH_DUMP);
    await this.d.compute.triggerCrashDump(instance.host!, ctx, instance.uuid);
  }

  /**
   * snapshot (createImage): the glance image is created first, as the user, from the
   * instance's image system metadata (compute_utils.create_image: min_ram/min_disk,
   * the other image_* keys as properties, no formats) plus instance_uuid, user_id,
   * image_type=snapshot and the request's metadata; private to the owner, or shared
   * with the owner's project when someone else snapshots (createImage). Then
   * image_snapshot_pending, the createImage action, and the cast. Returns the image.
   */
  async snapshot(ctx: NovaContext, instance: Instance, name: string, extra: Record<string, string>): Promise<{ id: string }> {
    checkAction(instance, ACTION_RULES.snapshot, ctx.isAdmin);
    const image = await this.createImage(ctx, instance, name, 'snapshot', extra);
    await this.#setImageTaskState(ctx, instance, image.id, TaskState.IMAGE_SNAPSHOT_PENDING);
    await this.#record(ctx, instance, Actions.CREATE_IMAGE);
    await this.d.compute.snapshotInstance(instance.host!, ctx, instance.uuid, image.id);
    return { id: image.id };
  }

  /**
   * backup (createBackup): a snapshot whose image says image_type=backup and the
   * backup_type; image_backup, the createBackup action, and the cast. nova-compute then
   * keeps the newest `rotation` backups of that type and deletes the rest.
   */
  async backup(ctx: NovaContext, instance: Instance, name: string, backupType: string, rotation: number, extra: Record<string, string>): Promise<{ id: string }> {
    checkAction(instance, ACTION_RULES.backup, ctx.isAdmin);
    const image = await this.createImage(ctx, instance, name, 'backup', { ...extra, backup_type: backupType });
    await this.#setImageTaskState(ctx, instance, image.id, TaskState.IMAGE_BACKUP);
    await this.#record(ctx, instance, Actions.BACKUP);
    await this.d.compute.backupInstance(instance.host!, ctx, instance.uuid, image.id, backupType, rotation);
    return { id: image.id };
  }

  /** The first task state of an image action; the image is deleted when another request won the race. */
  async #setImageTaskState(ctx: NovaContext, instance: Instance, imageId: string, taskState: TaskState): Promise<void> {
    try {
      await this.d.instances.save(instance.uuid, { taskState }, { expectedTaskState: [null] });
    } catch (e) {
      await this.d.image.delete(ctx, imageId).catch(() => undefined);
      throw e;
    }
  }

  /** compute_utils.create_image: the glance record of a snapshot or backup (or a shelve's snapshot), before any data. */
  async createImage(ctx: NovaContext, instance: Instance, name: string, imageType: 'snapshot' | 'backup', extra: Record<string, string>): Promise<{ id: string }> {
    const sm = instance.systemMetadata;
    const properties: Record<string, string> = {};
    for (const [k, v] of Object.entries(sm)) {
      if (!k.startsWith('image_')) continue;
      const key = k.slice('image_'.length);
      if (['min_ram', 'min_disk', 'disk_format', 'container_format', 'size', 'checksum'].includes(key)) continue;
      properties[key] = v;
    }
    const otherProject = ctx.projectId !== instance.projectId;
    if (otherProject) properties.instance_owner = instance.projectId;
    Object.assign(properties, { instance_uuid: instance.uuid, user_id: ctx.userId, image_type: imageType }, extra);
    const meta = {
      name,
      visibility: otherProject ? 'shared' : 'private',
      min_ram: Number(sm.image_min_ram ?? 0),
      // get_system_metadata_from_image at boot keeps max(image min_disk, flavor root_gb).
      min_disk: Math.max(Number(sm.image_min_disk ?? 0), instance.flavor.root_gb),
      ...properties,
    };
    const image = await this.d.image.create(ctx, meta);
    if (otherProject) await this.d.image.addMember(ctx, image.id, instance.projectId);
    return image;
  }

  /** nova's generate_image_url: the glance endpoint + /images/<id> (createImage's Location before 2.45). */
  async imageUrl(imageId: string): Promise<string> {
    return `${(await this.d.image.endpoint()).replace(/\/$/, '')}/images/${imageId}`;
  }

  /**
   * soft_delete (a delete with reclaim_instance_interval > 0): any state, but only a
   * server that was launched (else InstanceInvalidState, and the caller deletes it for
   * good); the `delete` action, soft-deleting, deleted_at now, then the host powers it
   * off into SOFT_DELETED. Without a live host it is deleted at once, as nova's _delete.
   */
  async softDelete(ctx: NovaContext, instance: Instance): Promise<void> {
    if (instance.locked && !ctx.isAdmin) throw new InstanceIsLocked(instance.uuid);
    if (!instance.launchedAt) throw new InstanceInvalidState(instance.uuid, 'launched_at', 'None', 'soft_delete');
    if (instance.taskState === TaskState.SOFT_DELETING || instance.vmState === VmState.SOFT_DELETED) return;
    if (!instance.host || !(await this.api.hostIsUp(instance.host))) {
      await this.api.delete(ctx, instance);
      return;
    }
    await this.#record(ctx, instance, Actions.DELETE);
    await this.d.instances.save(instance.uuid, { taskState: TaskState.SOFT_DELETING, deletedAt: isoMicros(this.d.clock.now()) });
    await this.d.compute.powerAction(instance.host, ctx, instance.uuid, 'soft_delete');
  }

  /** restore: a SOFT_DELETED server back to ACTIVE (the host powers it on). */
  async restore(ctx: NovaContext, instance: Instance): Promise<void> {
    checkAction(instance, ACTION_RULES.restore, ctx.isAdmin);
    await this.#record(ctx, instance, Actions.RESTORE);
    if (!instance.host) {
      await this.d.instances.save(instance.uuid, { vmState: VmState.ACTIVE, taskState: null, deletedAt: null }, { expectedTaskState: [null] });
      return;
    }
    await this.d.instances.save(instance.uuid, { taskState: TaskState.RESTORING, deletedAt: null }, { expectedTaskState: [null] });
    await this.d.compute.powerAction(instance.host, ctx, instance.uuid, 'restore');
  }

  /** force_delete: @check_instance_lock, any state; then an ordinary delete. */
  async forceDelete(ctx: NovaContext, instance: Instance): Promise<void> {
    if (instance.locked && !ctx.isAdmin) throw new InstanceIsLocked(instance.uuid);
    await this.api.delete(ctx, instance);
  }

  /**
   * rebuild: the new image must exist and be active and fit the flavor, the key pair
   * (2.54) must exist; then the instance takes the new image (its image_* system
   * metadata replaced, image_base_image_ref the new id), name, metadata, key and user
   * data, goes `rebuilding`, the `rebuild` action is recorded and its host rebuilds it.
   */
  async rebuild(ctx: NovaContext, instance: Instance, imageRef: string, changes: RebuildChanges): Promise<void> {
    checkAction(instance, ACTION_RULES.rebuild, ctx.isAdmin);
    const image = await this.d.image.show(ctx, imageRef);
    if (image.status !== 'active') throw new ImageNotActive(imageRef);
    const f = instance.flavor;
    if (f.memory_mb < (image.min_ram ?? 0)) throw new FlavorMemoryTooSmall();
    if (f.root_gb > 0 && ((image.min_disk ?? 0) > f.root_gb || (image.size ?? 0) > f.root_gb * 1024 ** 3)) throw new FlavorDiskTooSmall();
    if (changes.keyName) await new KeyPairStore(this.d.db).getByName(instance.userId, changes.keyName);
    // _inherit_properties_from_image: the request, else what the new image says.
    const autoDiskConfig = inheritAutoDiskConfig(image, imageRef, changes.autoDiskConfig ?? null);
    const systemMetadata = Object.fromEntries(Object.entries(instance.systemMetadata).filter(([k]) => !k.startsWith('image_')));
    Object.assign(systemMetadata, {
      image_min_ram: String(image.min_ram ?? 0),
      image_min_disk: String(Math.max(image.min_disk ?? 0, f.root_gb)),
      image_disk_format: image.disk_format ?? '',
      image_container_format: image.container_format ?? '',
      image_base_image_ref: imageRef,
    });
    await this.d.instances.save(
      instance.uuid,
      {
        taskState: TaskState.REBUILDING,
        progress: 0,
        imageRef,
        systemMetadata,
        autoDiskConfig,
        ...(changes.name !== undefined ? { displayName: changes.name } : {}),
        ...(changes.description !== undefined ? { displayDescription: changes.description } : {}),
        ...(changes.metadata !== undefined ? { metadata: changes.metadata } : {}),
        ...(changes.keyName !== undefined ? { keyName: changes.keyName } : {}),
        ...(changes.userData !== undefined ? { userData: changes.userData } : {}),
      },
      { expectedTaskState: [null] },
    );
    await this.#record(ctx, instance, Actions.REBUILD);
    await this.d.compute.rebuildInstance(instance.host!, ctx, instance.uuid, instance.vmState);
  }

  /** get_diagnostics / get_instance_diagnostics (`v2`): only @check_instance_host. */
  async getDiagnostics(ctx: NovaContext, instance: Instance, v2: boolean): Promise<unknown> {
    if (!instance.host) throw new InstanceNotReady(instance.uuid);
    return this.d.compute.getDiagnostics(instance.host, ctx, instance.uuid, v2);
  }

  /** get_console_output: only @check_instance_host. */
  async getConsoleOutput(ctx: NovaContext, instance: Instance, tailLength: number | null): Promise<string> {
    if (!instance.host) throw new InstanceNotReady(instance.uuid);
    return this.d.compute.getConsoleOutput(instance.host, ctx, instance.uuid, tailLength);
  }

  /**
   * lock: the owner locking an already locked server changes nothing; otherwise the
   * `lock` action with its api_lock event, locked_by owner or admin (by project).
   */
  async lock(ctx: NovaContext, instance: Instance, reason: string | null): Promise<void> {
    const isOwner = instance.projectId === ctx.projectId;
    if (instance.locked && isOwner) return;
    await this.#record(ctx, instance, Actions.LOCK);
    await this.d.actions.wrap(instance.uuid, ctx.requestId, 'api_lock', null, () =>
      this.d.instances.save(instance.uuid, { locked: true, lockedBy: isOwner ? 'owner' : 'admin', ...(reason ? { lockedReason: reason } : {}) }),
    );
  }

  /** admin_actions _reset_state: any server to active or error, task state cleared, recorded. */
  async resetState(ctx: NovaContext, instance: Instance, state: 'active' | 'error'): Promise<void> {
    await this.#record(ctx, instance, Actions.RESET_STATE);
    await this.d.instances.save(instance.uuid, { vmState: state, taskState: null });
  }

  /** is_expected_locked_by: false when the other kind of caller (owner/admin) locked it. */
  isExpectedLockedBy(ctx: NovaContext, instance: Instance): boolean {
    const expected = instance.projectId === ctx.projectId ? 'owner' : 'admin';
    return !instance.lockedBy || instance.lockedBy === expected;
  }

  async unlock(ctx: NovaContext, instance: Instance): Promise<void> {
    await this.#record(ctx, instance, Actions.UNLOCK);
    await this.d.actions.wrap(instance.uuid, ctx.requestId, 'api_unlock', null, () => this.d.instances.save(instance.uuid, { locked: false, lockedBy: null, lockedReason: null }));
  }
}
