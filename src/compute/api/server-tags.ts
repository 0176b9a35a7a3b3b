/**
 * /servers/{id}/tags (server_tags.py, 2.26+): list, replace all, add one (201 with a
 * Location, 204 when already there), check one (204/404), delete one and all. nova finds
 * the server through its cell mapping, so another project's server is a policy refusal
 * (403), not a 404; changes need ACTIVE/PAUSED/SUSPENDED/STOPPED (any task state).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ComputeApiDeps } from './app.js';
import { ValidationError } from '../errors.js';
import type { Instance } from '../objects/instance.js';
import { HttpFault, badRequest } from './faults.js';
import { atLeast } from './microversion.js';
import { authorize } from './policy.js';
import { baseUrl } from './views.js';
import { type JsonSchema, validateBody } from './validation.js';

/** objects.instance.MAX_TAG_COUNT and parameter_types.tag. */
export const MAX_TAG_COUNT = 50;
export const TAG: JsonSchema = { type: 'string', minLength: 1, maxLength: 60, pattern: '^[^,/]*$' };
const UPDATE_ALL: JsonSchema = {
  type: 'object',
  properties: { tags: { type: 'array', items: TAG, maxItems: MAX_TAG_COUNT } },
  required: ['tags'],
  additionalProperties: false,
};
// schema.update: the body of PUT /tags/{tag}, when there is one, must be null.
const UPDATE: JsonSchema = { title: 'Server tag', type: 'null', required: [], additionalProperties: false };

const TAGGABLE_VM_STATES = ['active', 'paused', 'suspended', 'stopped'];

type Rule = 'index' | 'show' | 'update' | 'update_all' | 'delete' | 'delete_all';

export function registerServerTags(app: FastifyInstance, d: ComputeApiDeps): void {
  /** The instance mapping, the policy on its project, then the instance itself (404 once deleted). */
  const serverOf = async (req: FastifyRequest, rule: Rule): Promise<Instance> => {
    if (!atLeast(req.mv, '2.26')) throw new HttpFault(404, 'The resource could not be found.');
    const id = (req.params as { id: string }).id;
    const i = await d.instances.find(id, { readDeleted: true });
    if (!i) throw new HttpFault(404, `Instance ${id} has no mapping to a cell.`);
    authorize(req.ctx, `os_compute_api:os-server-tags:${rule}`, { project_id: i.projectId });
    if (i.deleted) throw new HttpFault(404, `Instance ${id} could not be found.`);
    return i;
  };
  const checkState = (i: Instance, action: string) => {
    if (!TAGGABLE_VM_STATES.includes(i.vmState)) throw new HttpFault(409, `Cannot '${action}' instance ${i.uuid} while it is in vm_state ${i.vmState}`);
  };

  app.get('/v2.1/servers/:id/tags', async (req) => {
    const i = await serverOf(req, 'index');
    return { tags: [...i.tags].sort() };
  });

  app.get('/v2.1/servers/:id/tags/:tag', async (req, reply) => {
    const i = await serverOf(req, 'show');
    const tag = (req.params as { tag: string }).tag;
    if (!i.tags.includes(tag)) throw new HttpFault(404, `Server ${i.uuid} has no tag '${tag}'`);
    reply.code(204);
    return reply.send();
  });

  app.put('/v2.1/servers/:id/tags', async (req) => {
    if (atLeast(req.mv, '2.26')) validateBody(UPDATE_ALL, req.body);
    const i = await serverOf(req, 'update_all');
    checkState(i, 'update tags');
    // TagList.create replaces the set; a repeated tag is stored once. MySQL hands tags back
    // in primary key (resource_id, tag) order, so nova lists them sorted.
    const tags = [...new Set((req.body as { tags: string[] }).tags)].sort();
    await d.instances.save(i.uuid, { tags });
    return { tags };
  });

  app.put('/v2.1/servers/:id/tags/:tag', async (req, reply) => {
    if (atLeast(req.mv, '2.26') && req.body !== undefined) validateBody(UPDATE, req.body);
    const i = await serverOf(req, 'update');
    checkState(i, 'update tag');
    const tag = (req.params as { tag: string }).tag;
    try {
      validateBody(TAG, tag);
    } catch (e) {
      if (!(e instanceof ValidationError)) throw e;
      throw badRequest(`Tag '${tag}' is invalid. It must be a non empty string without characters '/' and ','. Validation error message: ${e.message}`);
    }
    if (i.tags.length >= MAX_TAG_COUNT) throw badRequest(`The number of tags exceeded the per-server limit ${MAX_TAG_COUNT}`);
    if (i.tags.includes(tag)) {
      reply.code(204);
      return reply.send();
    }
    await d.instances.save(i.uuid, { tags: [...i.tags, tag].sort() });
    reply.code(201).header('location', `${baseUrl(req)}/v2.1/servers/${i.uuid}/tags/${encodeURIComponent(tag)}`);
    return reply.send();
  });

  app.delete('/v2.1/servers/:id/tags/:tag', async (req, reply) => {
    const i = await serverOf(req, 'delete');
    checkState(i, 'delete tag');
    const tag = (req.params as { tag: string }).tag;
    if (!i.tags.includes(tag)) throw new HttpFault(404, `Instance ${i.uuid} has no tag '${tag}'`);
    await d.instances.save(i.uuid, { tags: i.tags.filter((t) => t !== tag) });
    reply.code(204);
    return reply.send();
  });

  app.delete('/v2.1/servers/:id/tags', async (req, reply) => {
    const i = await serverOf(req, 'delete_all');
    checkState(i, 'delete tags');
    await d.instances.save(i.uuid, { tags: [] });
    reply.code(204);
    return reply.send();
  });
}
