/** The /v2/images routes: list, create, show, update (JSON patch), delete and the deactivate/reactivate actions. */
import type { FastifyInstance } from 'fastify';
import type { ImageAPI } from '../api.js';
import { STORE_ID } from '../store/file-store.js';
import { sendJson } from './py-json.js';
import { pageLinks, parseCreate, parseJsonBody, parseListQuery, parsePatch, rejectBody } from './request.js';
import { imageView } from './view.js';

type IdParams = { Params: { id: string } };

/** Registers the image routes on `app`; every route needs a token. */
export function registerImageRoutes(app: FastifyInstance, api: ImageAPI): void {
  app.get('/v2/images', async (req, reply) => {
    const search = new URLSearchParams(req.url.split('?')[1] ?? '');
    const result = await api.list(req.ctx, parseListQuery(search));
    const links = pageLinks(search, result.nextMarker);
    const body: Record<string, unknown> = { images: result.images.map(imageView), first: links.first, schema: '/v2/schemas/images' };
    if (links.next) body.next = links.next;
    return sendJson(reply, 200, body);
  });

  app.post('/v2/images', async (req, reply) => {
    const image = await api.create(req.ctx, parseCreate(parseJsonBody(req.body)));
    reply
      .header('location', `${req.protocol}://${req.headers.host ?? req.hostname}/v2/images/${image.id}`)
      .header('openstack-image-store-ids', STORE_ID);
    return sendJson(reply, 201, imageView(image));
  });

  app.get<IdParams>('/v2/images/:id', async (req, reply) =>
    sendJson(reply, 200, imageView(await api.get(req.ctx, req.params.id))),
  );

  app.patch<IdParams>('/v2/images/:id', async (req, reply) => {
    const changes = parsePatch(req.headers['content-type'], req.body);
    const image = await api.update(req.ctx, req.params.id, changes);
    return sendJson(reply, 200, imageView(image));
  });

  app.delete<IdParams>('/v2/images/:id', async (req, reply) => {
    await api.delete(req.ctx, req.params.id);
    return reply.code(204).type('text/html; charset=UTF-8').send();
  });

  app.post<IdParams>('/v2/images/:id/actions/deactivate', async (req, reply) => {
    rejectBody(req);
    await api.deactivate(req.ctx, req.params.id);
    return reply.code(204).type('text/html; charset=UTF-8').send();
  });

  app.post<IdParams>('/v2/images/:id/actions/reactivate', async (req, reply) => {
    rejectBody(req);
    await api.reactivate(req.ctx, req.params.id);
    return reply.code(204).type('text/html; charset=UTF-8').send();
  });
}
