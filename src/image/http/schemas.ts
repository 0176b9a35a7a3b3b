/** GET /v2/schemas/image and /v2/schemas/images: glance's schemas, which glanceclient fetches to validate and display. */
import type { FastifyInstance } from 'fastify';
import { sendJson } from './py-json.js';
import { IMAGE_SCHEMA, IMAGES_SCHEMA } from './schema-data.js';

/** Registers the schema routes. */
export function registerSchemaRoutes(app: FastifyInstance): void {
  app.get('/v2/schemas/image', async (_req, reply) => sendJson(reply, 200, IMAGE_SCHEMA));
  app.get('/v2/schemas/images', async (_req, reply) => sendJson(reply, 200, IMAGES_SCHEMA));
}
