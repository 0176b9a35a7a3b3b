/**
 * GET /v2/info/import, /v2/info/stores and /v2/info/stores/detail: glance's discovery
 * API for a deployment with one filesystem backend ("fs", the default) in multi-store
 * mode, as the versions document and the images' `stores` announce. Interoperable
 * import is not implemented, so no import method is advertised (an operator's
 * `enabled_import_methods = []`), and clients upload with PUT /file instead.
 */
import type { FastifyInstance } from 'fastify';
import { PolicyForbidden } from '../errors.js';
import { STORE_ID } from '../store/file-store.js';
import { sendJson } from './py-json.js';
import { rejectBody } from './request.js';

/** glance_store's filesystem defaults: filesystem_store_chunk_size and filesystem_thin_provisioning. */
const FS_CHUNK_SIZE = 65536;

/** Registers the discovery routes; `dataDir` is the file store's directory (shown to admins). */
export function registerDiscoveryRoutes(app: FastifyInstance, dataDir: string): void {
  app.get('/v2/info/import', async (req, reply) => {
    rejectBody(req);
    return sendJson(reply, 200, { 'import-methods': { description: 'Import methods available.', type: 'array', value: [] } });
  });

  app.get('/v2/info/stores', async (req, reply) => {
    rejectBody(req);
    return sendJson(reply, 200, { stores: [{ id: STORE_ID, default: 'true' }] });
  });

  app.get('/v2/info/stores/detail', async (req, reply) => {
    rejectBody(req);
    // stores_info_detail is 'role:admin' in Zed, with no deprecated fallback.
    if (!req.ctx.isAdmin) throw new PolicyForbidden('stores_info_detail');
    return sendJson(reply, 200, {
      stores: [
        {
          id: STORE_ID,
          default: 'true',
          type: 'file',
          properties: { data_dir: dataDir, chunk_size: FS_CHUNK_SIZE, thin_provisioning: false },
        },
      ],
    });
  });
}
