/**
 * /servers/{id}/metadata (server_metadata.py): list, show one key, merge (POST), replace
 * all (PUT), set one key (PUT .../{key}) and delete one key. Changes are refused on a
 * locked server (non-admins) and outside ACTIVE/PAUSED/SUSPENDED/STOPPED or during a task
 * (409), and over the metadata_items quota (403), as compute/api.py update_instance_metadata.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ComputeApiDeps } from './app.js';
import { checkMetadataQuota } from '../metadata-quota.js';
import type { Instance } from '../objects/instance.js';
import { HttpFault, badRequest } from './faults.js';
import { authorize } from './policy.js';
import { getInstance } from './servers.js';
import { P, type JsonSchema, validateBody } from './validation.js';

const metadataBody = (key: string, extra: JsonSchema = {}): JsonSchema => ({
  type: 'object',
  properties: { [key]: { ...P.metadata(), ...extra } },
  required: [key],
  additionalProperties: false,
});
const CREATE = metadataBody('metadata');
const UPDATE = metadataBody('meta', { minProperties: 1, maxProperties: 1 });
const UPDATE_ALL = metadataBody('metadata');

const CHANGEABLE_VM_STATES = ['active', 'paused', 'suspended', 'stopped'];

/**
 * check_instance_lock then check_instance_state(vm_state=[ACTIVE, PAUSED, SUSPENDED,
 * STOPPED], task_state=None), with the API's 409 texts for `action`.
 */
export function checkChangeable(req: FastifyRequest, i: Instance, action: string, opts: { taskState?: boolean } = {}): void {
  if (i.locked && !req.ctx.isAdmin) throw new HttpFault(409, `Instance ${i.uuid} is locked`);
  if (!CHANGEABLE_VM_STATES.includes(i.vmState)) throw new HttpFault(409, `Cannot '${action}' instance ${i.uuid} while it is in vm_state ${i.vmState}`);
  if ((opts.taskState ?? true) && i.taskState !== null) throw new HttpFault(409, `Cannot '${action}' instance ${i.uuid} while it is in task_state ${i.taskState}`);
}

export function registerServerMetadata(app: FastifyInstance, d: ComputeApiDeps): void {
  const serverOf = async (req: FastifyRequest, rule: 'index' | 'show' | 'create' | 'update' | 'update_all' | 'delete') => {
    const i = await getInstance(d, req, (req.params as { id: string }).id);
    authorize(req.ctx, `os_compute_api:server-metadata:${rule}`, { project_id: i.projectId });
    return i;
  };

  /** update_instance_metadata: merged (or replaced when `replace`), quota-checked, saved. */
  const save = async (req: FastifyRequest, i: Instance, metadata: Record<string, string>, replace: boolean) => {
    checkChangeable(req, i, 'update metadata');
    const merged = replace ? metadata : { ...i.metadata, ...metadata };
    try {
      await checkMetadataQuota(d.db, d.cfg, i.projectId, merged);
    } catch (e) {
      throw new HttpFault(403, (e as Error).message);
    }
    await d.instances.save(i.uuid, { metadata: merged });
    return merged;
  };

  app.get('/v2.1/servers/:id/metadata', async (req) => {
    const i = await serverOf(req, 'index');
    return { metadata: i.metadata };
  });

  app.get('/v2.1/servers/:id/metadata/:key', async (req) => {
    const i = await serverOf(req, 'show');
    const key = (req.params as { key: string }).key;
    if (!Object.hasOwn(i.metadata, key)) throw new HttpFault(404, 'Metadata item was not found');
    return { meta: { [key]: i.metadata[key] } };
  });

  // Returns 200, not 201, as nova keeps for compatibility.
  app.post('/v2.1/servers/:id/metadata', async (req) => {
    validateBody(CREATE, req.body);
    const i = await serverOf(req, 'create');
    return { metadata: await save(req, i, (req.body as { metadata: Record<string, string> }).metadata, false) };
  });

  app.put('/v2.1/servers/:id/metadata', async (req) => {
    validateBody(UPDATE_ALL, req.body);
    const i = await serverOf(req, 'update_all');
    return { metadata: await save(req, i, (req.body as { metadata: Record<string, string> }).metadata, true) };
  });

  app.put('/v2.1/servers/:id/metadata/:key', async (req) => {
    validateBody(UPDATE, req.body);
    const i = await serverOf(req, 'update');
    const meta = (req.body as { meta: Record<string, string> }).meta;
    const key = (req.params as { key: string }).key;
    if (!Object.hasOwn(meta, key)) throw badRequest('Request body and URI mismatch');
    await save(req, i, meta, false);
    return { meta };
  });

  app.delete('/v2.1/servers/:id/metadata/:key', async (req, reply) => {
    const i = await serverOf(req, 'delete');
    const key = (req.params as { key: string }).key;
    if (!Object.hasOwn(i.metadata, key)) throw new HttpFault(404, 'Metadata item was not found');
    checkChangeable(req, i, 'delete metadata');
    const rest = { ...i.metadata };
    delete rest[key];
    await d.instances.save(i.uuid, { metadata: rest });
    reply.code(204);
    return reply.send();
  });
}
