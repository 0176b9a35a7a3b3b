/**
 * PUT and GET /v2/images/{id}/file. Uploads must be application/octet-stream and are
 * streamed to the store, never buffered (the octet-stream parser hands the raw request
 * through, so bodyLimit does not apply). Downloads answer 204 when the image has no data,
 * as glance does when the store has nothing.
 */
import type { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import type { ImageAPI } from '../api.js';
import { UnsupportedMediaType } from '../errors.js';

type IdParams = { Params: { id: string } };

/** Registers the data routes and the streaming octet-stream parser on `app`. */
export function registerImageDataRoutes(app: FastifyInstance, api: ImageAPI): void {
  app.addContentTypeParser('application/octet-stream', (_req, payload, done) => done(null, payload));

  app.put<IdParams>('/v2/images/:id/file', async (req, reply) => {
    const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (type !== 'application/octet-stream') throw new UnsupportedMediaType(type || 'None');
    const body = req.body as Readable;
    try {
      await api.upload(req.ctx, req.params.id, body);
    } catch (e) {
      // Refused before reading (404, 403, 409): drain the body, or the connection
      // stays busy and keep-alive clients and close() wait on it.
      if (!body.readableEnded) body.resume();
      throw e;
    }
    return reply.code(204).type('text/html; charset=UTF-8').send();
  });

  app.get<IdParams>('/v2/images/:id/file', async (req, reply) => {
    const { image, data } = await api.download(req.ctx, req.params.id);
    if (!data) return reply.code(204).send();
    if (image.checksum) reply.header('content-md5', image.checksum);
    return reply.code(200).type('application/octet-stream').header('content-length', String(data.size)).send(data.stream);
  });
}
