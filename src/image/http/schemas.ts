/** GET /v2/schemas/{image,images,member,members,metadefs/*}: glance's schemas, which glanceclient fetches to validate and display. */
import type { FastifyInstance } from 'fastify';
import { METADEF_SCHEMAS } from './metadef-schema-data.js';
import { sendJson } from './py-json.js';
import { IMAGE_SCHEMA, IMAGES_SCHEMA, MEMBER_SCHEMA, MEMBERS_SCHEMA } from './schema-data.js';

/** Registers the schema routes. */
export function registerSchemaRoutes(app: FastifyInstance): void {
  app.get('/v2/schemas/image', async (_req, reply) => sendJson(reply, 200, IMAGE_SCHEMA));
  app.get('/v2/schemas/images', async (_req, reply) => sendJson(reply, 200, IMAGES_SCHEMA));
  app.get('/v2/schemas/member', async (_req, reply) => sendJson(reply, 200, MEMBER_SCHEMA));
  app.get('/v2/schemas/members', async (_req, reply) => sendJson(reply, 200, MEMBERS_SCHEMA));
  // Only the schemas: the metadefs API itself (/v2/metadefs/...) is not served.
  for (const [name, schema] of Object.entries(METADEF_SCHEMAS)) {
    app.get(`/v2/schemas/metadefs/${name}`, async (_req, reply) => sendJson(reply, 200, schema));
  }
}
