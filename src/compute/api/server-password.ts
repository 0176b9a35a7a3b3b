/**
 * /servers/{id}/os-server-password (server_password.py): the encrypted password a guest
 * posted to the metadata service, kept in system_metadata as password_0..3 chunks of 255
 * characters (nova/api/metadata/password.py); GET joins them ("" when none), DELETE
 * clears them (204). Nothing here changes the guest's password.
 */
import type { FastifyInstance } from 'fastify';
import type { ComputeApiDeps } from './app.js';
import { authorize } from './policy.js';
import { getInstance } from './servers.js';

const CHUNKS = 4;

/** password.extract_password: the chunks joined, or '' when none is stored. */
export function extractPassword(sysMeta: Record<string, string>): string {
  let out = '';
  for (let n = 0; n < CHUNKS; n++) out += sysMeta[`password_${n}`] ?? '';
  return out;
}

export function registerServerPassword(app: FastifyInstance, d: ComputeApiDeps): void {
  app.get('/v2.1/servers/:id/os-server-password', async (req) => {
    const i = await getInstance(d, req, (req.params as { id: string }).id);
    authorize(req.ctx, 'os_compute_api:os-server-password:show', { project_id: i.projectId });
    return { password: extractPassword(i.systemMetadata) };
  });

  app.delete('/v2.1/servers/:id/os-server-password', async (req, reply) => {
    const i = await getInstance(d, req, (req.params as { id: string }).id);
    authorize(req.ctx, 'os_compute_api:os-server-password:clear', { project_id: i.projectId });
    // convert_password(None): every chunk set to ''.
    const sysMeta = { ...i.systemMetadata };
    for (let n = 0; n < CHUNKS; n++) sysMeta[`password_${n}`] = '';
    await d.instances.save(i.uuid, { systemMetadata: sysMeta });
    reply.code(204);
    return reply.send();
  });
}
