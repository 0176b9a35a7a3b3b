/**
 * The standard-attr-tag extension's routes (neutron/extensions/tagging.py), under every
 * taggable collection: GET/PUT/DELETE /v2.0/{collection}/{id}/tags and
 * GET/PUT/DELETE /v2.0/{collection}/{id}/tags/{tag}, with Zed's status codes
 * (index 200, show 204, update 201, update_all 200, delete 204, delete_all 204).
 */
import type { FastifyInstance } from 'fastify';
import { TAGGABLE, type TaggableCollection } from '../db/tags.js';
import type { Tags } from '../plugin/tags.js';

/** Registers the tag routes of each taggable collection (security_groups as security-groups in URLs). */
export function registerTags(app: FastifyInstance, tags: Tags): void {
  for (const type of Object.keys(TAGGABLE) as TaggableCollection[]) {
    const base = `/v2.0/${type.replace(/_/g, '-')}/:id/tags`;
    type Params = { id: string; tag: string };

    app.get(base, async (req) => ({ tags: await tags.list(req.ctx, type, (req.params as Params).id) }));
    app.put(base, async (req) => ({ tags: await tags.replace(req.ctx, type, (req.params as Params).id, req.body) }));
    app.delete(base, async (req, reply) => {
      await tags.removeAll(req.ctx, type, (req.params as Params).id);
      reply.code(204).send();
    });

    app.get(`${base}/:tag`, async (req, reply) => {
      const { id, tag } = req.params as Params;
      await tags.check(req.ctx, type, id, tag);
      reply.code(204).send();
    });
    app.put(`${base}/:tag`, async (req, reply) => {
      const { id, tag } = req.params as Params;
      await tags.add(req.ctx, type, id, tag);
      reply.code(201).send();
    });
    app.delete(`${base}/:tag`, async (req, reply) => {
      const { id, tag } = req.params as Params;
      await tags.remove(req.ctx, type, id, tag);
      reply.code(204).send();
    });
  }
}
