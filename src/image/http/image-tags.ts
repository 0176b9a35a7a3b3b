/** PUT and DELETE /v2/images/{id}/tags/{tag}: one tag at a time, 204 on success. */
import type { FastifyInstance } from 'fastify';
import type { ImageAPI } from '../api.js';
import { rejectBody } from './request.js';
import { validateImage } from './schema-validator.js';

type TagParams = { Params: { id: string; tag: string } };

/** Registers the tag routes; every route needs a token. */
export function registerImageTagRoutes(app: FastifyInstance, api: ImageAPI): void {
  app.put<TagParams>('/v2/images/:id/tags/:tag', async (req, reply) => {
    rejectBody(req);
    // glance's deserializer validates {"tags": [tag]} against the image schema first (maxLength 255).
    validateImage({ tags: [req.params.tag] });
    await api.addTag(req.ctx, req.params.id, req.params.tag);
    return reply.code(204).type('text/html; charset=UTF-8').send();
  });

  app.delete<TagParams>('/v2/images/:id/tags/:tag', async (req, reply) => {
    rejectBody(req);
    await api.deleteTag(req.ctx, req.params.id, req.params.tag);
    return reply.code(204).type('text/html; charset=UTF-8').send();
  });
}
