/**
 * POST /servers/{id}/action (nova's wsgi action dispatch): the body's one key names the
 * action, each action lives in a table of handlers (here: os-stop, os-start, reboot,
 * pause, unpause, suspend, resume, lock, unlock, trigger_crash_dump,
 * os-getConsoleOutput, addSecurityGroup, removeSecurityGroup, createImage, createBackup, restore,
 * forceDelete, rebuild, os-resetState). Other modules add theirs with `addServerAction`, so the one
 * route serves every action. As in nova, the action name is checked first ("There is no
 * such action"), then the body's schema, then the server (404), then the states.
 */
import { diskConfigFromApi } from '../disk-config.js';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { RemoteError } from '../../bus/bus.js';
import { novaContext } from '../context.js';
import { AutoDiskConfigDisabledByImage, FlavorDiskTooSmall, FlavorMemoryTooSmall, ImageNotActive, ImageNotFound, InstanceInvalidState, InstanceIsLocked, InstanceNotReady, Invalid, KeypairNotFound, MetadataLimitExceeded, NoUniqueMatch, SecurityGroupCannotBeApplied, SecurityGroupNotFound } from '../errors.js';
import { checkMetadataQuota } from '../metadata-quota.js';
import { addToInstance, removeFromInstance } from '../network/instance-security-groups.js';
import type { PowerOp } from '../manager/power.js';
import type { Instance } from '../objects/instance.js';
import { ServerActionsAPI } from '../server-actions.js';
import type { ComputeApiDeps } from './app.js';
import { HttpFault, badRequest, unexpectedMessage } from './faults.js';
import { UnexpectedTaskStateError } from '../objects/instance.js';
import { atLeast } from './microversion.js';
import { authorize } from './policy.js';
import { generatePassword, getInstance } from './servers.js';
import { addresses, showView } from './views.js';
import { type JsonSchema, P, isUuidLike, validateBody } from './validation.js';

/** One action: its schema (or none), its minimum microversion, and what it does with the server. */
export interface ServerAction {
  minVersion?: string;
  /** The first microversion without the action (nova's api_version upper bound + 1). */
  removedIn?: string;
  schema?: (req: FastifyRequest) => JsonSchema | null;
  /** Answers the action; the default reply is 202 with no body. */
  handle: (req: FastifyRequest, reply: FastifyReply, instance: Instance, body: unknown) => Promise<unknown>;
}

const ACTIONS = new Map<string, (d: ComputeApiDeps) => ServerAction>();

/** Registers an action handler (call before the compute app is built). */
export function addServerAction(name: string, make: (d: ComputeApiDeps) => ServerAction): void {
  ACTIONS.set(name, make);
}

/** common.raise_http_conflict_for_instance_invalid_state, from the exception's text. */
export function invalidStateConflict(e: InstanceInvalidState, action: string, serverId: string): HttpFault {
  const m = /in (vm_state|task_state|launched_at) (\S+)\. Cannot/.exec(e.message);
  return new HttpFault(409, m && m[2] !== 'None' ? `Cannot '${action}' instance ${serverId} while it is in ${m[1]} ${m[2]}` : `Instance ${serverId} is in an invalid state for '${action}'`);
}

/** The except-clauses shared by the state-checked actions: locked / not ready / invalid state → 409. */
export function actionFault(e: unknown, action: string, serverId: string): unknown {
  if (e instanceof InstanceInvalidState) return invalidStateConflict(e, action, serverId);
  if (e instanceof InstanceIsLocked || e instanceof InstanceNotReady) return new HttpFault(409, e.message);
  return e;
}

const nullBody = (key: string): JsonSchema => ({ type: 'object', properties: { [key]: { type: 'null' } }, required: [key], additionalProperties: false });

function powerAction(op: PowerOp, name: string): (d: ComputeApiDeps) => ServerAction {
  return (d) => ({
    handle: async (req, _reply, instance) => {
      try {
        await new ServerActionsAPI(d.compute).power(novaContext(req.ctx), instance, op);
      } catch (e) {
        throw actionFault(e, name, instance.uuid);
      }
    },
  });
}

addServerAction('os-stop', powerAction('stop', 'stop'));
addServerAction('os-start', powerAction('start', 'start'));
addServerAction('pause', powerAction('pause', 'pause'));
addServerAction('unpause', powerAction('unpause', 'unpause'));
addServerAction('suspend', powerAction('suspend', 'suspend'));
addServerAction('resume', powerAction('resume', 'resume'));

// rescue.py: the password (given or generated) is returned as enable_instance_password
// wants; a rescue_image_ref is checked as a uuid at the end of an href and otherwise
// unused by the fake driver.
addServerAction('rescue', (d) => ({
  schema: () => ({
    type: 'object',
    properties: {
      rescue: { type: ['object', 'null'], properties: { adminPass: { type: 'string' }, rescue_image_ref: { type: 'string', format: 'uuid' } }, additionalProperties: false },
    },
    required: ['rescue'],
    additionalProperties: false,
  }),
  handle: async (req, reply, instance, body) => {
    const r = (body as { rescue: { adminPass?: string; rescue_image_ref?: string } | null }).rescue;
    const password = r?.adminPass ?? generatePassword(d);
    if (r?.rescue_image_ref !== undefined && !isUuidLike(r.rescue_image_ref.split('/').pop()!)) throw badRequest('Invalid rescue_image_ref provided.');
    try {
      await new ServerActionsAPI(d.compute).power(novaContext(req.ctx), instance, 'rescue');
    } catch (e) {
      throw actionFault(e, 'rescue', instance.uuid);
    }
    reply.code(200);
    return { adminPass: password };
  },
}));
addServerAction('unrescue', powerAction('unrescue', 'unrescue'));

addServerAction('reboot', (d) => ({
  schema: () => ({
    type: 'object',
    properties: { reboot: { type: 'object', properties: { type: { type: 'string', enum: ['HARD', 'Hard', 'hard', 'SOFT', 'Soft', 'soft'] } }, required: ['type'], additionalProperties: false } },
    required: ['reboot'],
    additionalProperties: false,
  }),
  handle: async (req, _reply, instance, body) => {
    const type = (body as { reboot: { type: string } }).reboot.type.toUpperCase();
    try {
      await new ServerActionsAPI(d.compute).power(novaContext(req.ctx), instance, type === 'SOFT' ? 'reboot_soft' : 'reboot_hard');
    } catch (e) {
      throw actionFault(e, 'reboot', instance.uuid);
    }
  },
}));

addServerAction('trigger_crash_dump', (d) => ({
  minVersion: '2.17',
  schema: () => nullBody('trigger_crash_dump'),
  handle: async (req, _reply, instance) => {
    try {
      await new ServerActionsAPI(d.compute).triggerCrashDump(novaContext(req.ctx), instance);
    } catch (e) {
      throw actionFault(e, 'trigger_crash_dump', instance.uuid);
    }
  },
}));

addServerAction('lock', (d) => ({
  // lock_v2_73; before 2.73 the body is not validated.
  schema: (req) =>
    atLeast(req.mv, '2.73')
      ? { type: 'object', properties: { lock: { type: ['object', 'null'], properties: { locked_reason: { type: 'string', minLength: 1, maxLength: 255 } }, additionalProperties: false } }, required: ['lock'], additionalProperties: false }
      : null,
  handle: async (req, _reply, instance, body) => {
    const lock = (body as { lock: { locked_reason?: string } | null }).lock;
    const reason = atLeast(req.mv, '2.73') && lock ? (lock.locked_reason ?? null) : null;
    await new ServerActionsAPI(d.compute).lock(novaContext(req.ctx), instance, reason);
  },
}));

addServerAction('unlock', (d) => ({
  handle: async (req, _reply, instance) => {
    const api = new ServerActionsAPI(d.compute);
    const ctx = novaContext(req.ctx);
    if (!api.isExpectedLockedBy(ctx, instance)) authorize(req.ctx, 'os_compute_api:os-lock-server:unlock:unlock_override', { project_id: instance.projectId });
    await api.unlock(ctx, instance);
  },
}));

// admin_actions.py os-resetState (schemas/reset_server_state.py); not state-checked.
addServerAction('os-resetState', (d) => ({
  schema: () => ({
    type: 'object',
    properties: { 'os-resetState': { type: 'object', properties: { state: { type: 'string', enum: ['active', 'error'] } }, required: ['state'], additionalProperties: false } },
    required: ['os-resetState'],
    additionalProperties: false,
  }),
  handle: async (req, _reply, instance, body) => {
    authorize(req.ctx, 'os_compute_api:os-admin-actions:reset_state', { project_id: instance.projectId });
    const { state } = (body as { 'os-resetState': { state: 'active' | 'error' } })['os-resetState'];
    await new ServerActionsAPI(d.compute).resetState(novaContext(req.ctx), instance, state);
  },
}));

addServerAction('os-getConsoleOutput', (d) => ({
  schema: () => ({
    type: 'object',
    properties: { 'os-getConsoleOutput': { type: 'object', properties: { length: { type: ['integer', 'string', 'null'], pattern: '^-?[0-9]+$', minimum: -1 } }, additionalProperties: false } },
    required: ['os-getConsoleOutput'],
    additionalProperties: false,
  }),
  handle: async (req, reply, instance, body) => {
    const length = (body as { 'os-getConsoleOutput': { length?: number | string | null } })['os-getConsoleOutput'].length;
    let output: string;
    try {
      output = await new ServerActionsAPI(d.compute).getConsoleOutput(novaContext(req.ctx), instance, length === undefined || length === null ? null : Number(length));
    } catch (e) {
      if (e instanceof InstanceNotReady) throw new HttpFault(409, e.message);
      if (e instanceof RemoteError && e.excType === 'InstanceNotFound') throw new HttpFault(404, e.value);
      throw e;
    }
    reply.code(200);
    // nova strips control characters other than tab and newline.
    // eslint-disable-next-line no-control-regex
    return { output: output.replace(/[\x00-\x08\x0B-\x1F]/g, '') };
  },
}));

/** common.check_img_metadata_properties_quota, which 2.39 dropped (the image API proxies went). */
async function checkImageMetadataQuota(d: ComputeApiDeps, req: FastifyRequest, metadata: Record<string, string>): Promise<void> {
  if (atLeast(req.mv, '2.39') || Object.keys(metadata).length === 0) return;
  try {
    await checkMetadataQuota(d.db, d.cfg, req.ctx.projectId, metadata);
  } catch (e) {
    if (e instanceof MetadataLimitExceeded) throw new HttpFault(403, 'Image metadata limit exceeded');
    throw e;
  }
}

addServerAction('createImage', (d) => ({
  schema: () => ({
    type: 'object',
    properties: { createImage: { type: 'object', properties: { name: P.name, metadata: P.metadata() }, required: ['name'], additionalProperties: false } },
    required: ['createImage'],
    additionalProperties: false,
  }),
  handle: async (req, reply, instance, body) => {
    const entity = (body as { createImage: { name: string; metadata?: Record<string, string> } }).createImage;
    await checkImageMetadataQuota(d, req, entity.metadata ?? {});
    const api = new ServerActionsAPI(d.compute);
    let image: { id: string };
    try {
      image = await api.snapshot(novaContext(req.ctx), instance, entity.name.trim(), entity.metadata ?? {});
    } catch (e) {
      if (e instanceof InstanceInvalidState) throw invalidStateConflict(e, 'createImage', instance.uuid);
      if (e instanceof Invalid) throw new HttpFault(400, e.message);
      throw e;
    }
    // 2.45 answers with the id in the body instead of the Location header.
    if (atLeast(req.mv, '2.45')) return { image_id: image.id };
    reply.header('location', await api.imageUrl(image.id));
    return undefined;
  },
}));

addServerAction('createBackup', (d) => ({
  schema: () => ({
    type: 'object',
    properties: {
      createBackup: {
        type: 'object',
        properties: { name: P.name, backup_type: { type: 'string' }, rotation: P.nonNegativeInteger, metadata: P.metadata() },
        required: ['name', 'backup_type', 'rotation'],
        additionalProperties: false,
      },
    },
    required: ['createBackup'],
    additionalProperties: false,
  }),
  handle: async (req, reply, instance, body) => {
    authorize(req.ctx, 'os_compute_api:os-create-backup', { project_id: instance.projectId });
    const entity = (body as { createBackup: { name: string; backup_type: string; rotation: number | string; metadata?: Record<string, string> } }).createBackup;
    const rotation = Number(entity.rotation);
    const metadata = entity.metadata ?? {};
    await checkImageMetadataQuota(d, req, metadata);
    const api = new ServerActionsAPI(d.compute);
    let image: { id: string };
    try {
      image = await api.backup(novaContext(req.ctx), instance, entity.name.trim(), entity.backup_type, rotation, metadata);
    } catch (e) {
      if (e instanceof InstanceInvalidState) throw invalidStateConflict(e, 'createBackup', instance.uuid);
      if (e instanceof Invalid) throw new HttpFault(400, e.message);
      throw e;
    }
    if (atLeast(req.mv, '2.45')) return { image_id: image.id };
    // The Location header only when the backup is kept (rotation > 0).
    if (rotation > 0) reply.header('location', await api.imageUrl(image.id));
    return undefined;
  },
}));

addServerAction('restore', (d) => ({
  handle: async (req, _reply, instance) => {
    try {
      await new ServerActionsAPI(d.compute).restore(novaContext(req.ctx), instance);
    } catch (e) {
      // nova's InstanceIsLocked is an InstanceInvalidState without attr/state: the generic text.
      if (e instanceof InstanceIsLocked) throw new HttpFault(409, `Instance ${instance.uuid} is in an invalid state for 'restore'`);
      throw actionFault(e, 'restore', instance.uuid);
    }
  },
}));

addServerAction('forceDelete', (d) => ({
  handle: async (req, _reply, instance) => {
    try {
      await new ServerActionsAPI(d.compute).forceDelete(novaContext(req.ctx), instance);
    } catch (e) {
      throw actionFault(e, 'forceDelete', instance.uuid);
    }
  },
}));

/** schemas/servers.py base_rebuild and its microversion variants. */
function rebuildSchema(req: FastifyRequest): JsonSchema {
  const props: Record<string, unknown> = {
    name: P.name,
    imageRef: { type: 'string' },
    adminPass: { type: 'string' },
    metadata: P.metadata(),
    preserve_ephemeral: P.boolean,
    'OS-DCF:diskConfig': { type: 'string', enum: ['AUTO', 'MANUAL'] },
    accessIPv4: { type: 'string' },
    accessIPv6: { type: 'string' },
  };
  if (!atLeast(req.mv, '2.57')) props.personality = { type: 'array' };
  if (atLeast(req.mv, '2.19')) props.description = { type: ['string', 'null'], maxLength: 255 };
  if (atLeast(req.mv, '2.54')) props.key_name = { anyOf: [P.name, { type: 'null' }] };
  if (atLeast(req.mv, '2.57')) props.user_data = { type: ['string', 'null'], maxLength: 65535 };
  if (atLeast(req.mv, '2.90')) props.hostname = P.fqdn;
  return { type: 'object', properties: { rebuild: { type: 'object', properties: props, required: ['imageRef'], additionalProperties: false } }, required: ['rebuild'], additionalProperties: false };
}

/** Keys the rebuild response leaves out before 2.75 (show_* = False in _action_rebuild). */
const REBUILD_HIDDEN = /^(OS-EXT-STS:|OS-EXT-SRV-ATTR:|OS-SRV-USG:|os-extended-volumes:|OS-EXT-AZ:)|^(config_drive|security_groups|host_status)$/;

addServerAction('rebuild', (d) => ({
  schema: rebuildSchema,
  handle: async (req, _reply, instance, body) => {
    const r = (body as { rebuild: Record<string, unknown> }).rebuild;
    const imageRef = String(r.imageRef).replace(/^.*\//, '');
    if (!isUuidLike(imageRef)) throw badRequest('Invalid imageRef provided.');
    const password = typeof r.adminPass === 'string' ? r.adminPass : generatePassword(d);
    const ctx = novaContext(req.ctx);
    try {
      await new ServerActionsAPI(d.compute).rebuild(ctx, instance, imageRef, {
        name: typeof r.name === 'string' ? r.name.trim() : undefined,
        description: 'description' in r ? (r.description as string | null) : undefined,
        metadata: r.metadata as Record<string, string> | undefined,
        keyName: atLeast(req.mv, '2.54') && 'key_name' in r ? (r.key_name as string | null) : undefined,
        userData: atLeast(req.mv, '2.57') && 'user_data' in r ? (r.user_data as string | null) : undefined,
        autoDiskConfig: diskConfigFromApi(r['OS-DCF:diskConfig']),
      });
    } catch (e) {
      if (e instanceof ImageNotFound) throw badRequest('Cannot find image for rebuild');
      if (e instanceof KeypairNotFound) throw badRequest('Invalid key_name provided.');
      if (e instanceof ImageNotActive || e instanceof FlavorDiskTooSmall || e instanceof FlavorMemoryTooSmall || e instanceof AutoDiskConfigDisabledByImage) throw badRequest(e.message);
      throw actionFault(e, 'rebuild', instance.uuid);
    }
    const i = await getInstance(d, req, instance.uuid);
    const all = atLeast(req.mv, '2.75');
    const server = showView(req, i, { nwInfo: await d.instances.networkInfo(i.uuid), fault: undefined, now: d.clock.now(), isAdmin: req.ctx.isAdmin });
    if (!all) {
      for (const k of Object.keys(server)) if (REBUILD_HIDDEN.test(k)) delete server[k];
      server.addresses = addresses(i, await d.instances.networkInfo(i.uuid), false);
      if (!atLeast(req.mv, '2.54')) delete server.key_name;
      if (!atLeast(req.mv, '2.71')) delete server.server_groups;
    }
    // nova's rebuild view passes show_user_data=False: user_data only as `user_data` (2.57).
    delete server['OS-EXT-SRV-ATTR:user_data'];
    if (atLeast(req.mv, '2.57')) server.user_data = i.userData;
    // [api] enable_instance_password (True by default).
    server.adminPass = password;
    return { server };
  },
}));

/** security_groups.py _parse: the texts for a body without a usable name. */
function securityGroupName(body: unknown, action: string): string {
  const inner = (body as Record<string, unknown>)[action];
  if (inner === null || typeof inner !== 'object' || Array.isArray(inner)) throw badRequest('Missing parameter dict');
  if (!('name' in inner)) throw badRequest('Security group not specified');
  const name = (inner as { name: unknown }).name;
  if (!name || (typeof name === 'string' && name.trim() === '')) throw badRequest('Security group name cannot be empty');
  return String(name);
}

/** addSecurityGroup / removeSecurityGroup's except-clauses. */
function securityGroupFault(e: unknown): unknown {
  if (e instanceof SecurityGroupNotFound) return new HttpFault(404, e.message);
  if (e instanceof NoUniqueMatch) return new HttpFault(409, e.message);
  if (e instanceof SecurityGroupCannotBeApplied) return new HttpFault(400, e.message);
  return e;
}

for (const [action, op] of [
  ['addSecurityGroup', addToInstance],
  ['removeSecurityGroup', removeFromInstance],
] as const) {
  addServerAction(action, (d) => ({
    handle: async (req, _reply, instance, body) => {
      const name = securityGroupName(body, action);
      const ctx = novaContext(req.ctx);
      try {
        await op(d.compute.d.network.userClient(ctx), d.instances, ctx, instance, name);
      } catch (e) {
        throw securityGroupFault(e);
      }
    },
  }));
}

export function registerServerActions(app: FastifyInstance, d: ComputeApiDeps): void {
  const handlers = new Map([...ACTIONS].map(([name, make]) => [name, make(d)]));
  app.post('/v2.1/servers/:id/action', async (req, reply) => {
    const body = req.body;
    if (body === null || typeof body !== 'object' || Array.isArray(body) || Object.keys(body).length !== 1) throw badRequest('Malformed request body');
    const name = Object.keys(body)[0]!;
    const action = handlers.get(name);
    if (!action) throw badRequest(`There is no such action: ${name}`);
    if ((action.minVersion && !atLeast(req.mv, action.minVersion)) || (action.removedIn && atLeast(req.mv, action.removedIn))) {
      throw new HttpFault(404, 'The resource could not be found.');
    }
    const schema = action.schema?.(req);
    if (schema) validateBody(schema, body);
    const instance = await getInstance(d, req, (req.params as { id: string }).id);
    reply.code(202);
    let out: unknown;
    try {
      out = await action.handle(req, reply, instance, body);
    } catch (e) {
      // A racing request changed the task state between the check and the save: not an
      // expected error of any action, so nova's expected_errors answers 500.
      if (e instanceof UnexpectedTaskStateError) throw new HttpFault(500, unexpectedMessage({ type: 'nova.exception.UnexpectedTaskStateError' }));
      throw e;
    }
    if (out === undefined) return reply.send();
    return out;
  });
}


