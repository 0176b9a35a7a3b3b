/**
 * /v2/images/{id}/members and /v2/images/{id}/members/{member_id}, with glance's
 * RequestDeserializer checks on the bodies ({"member": ...} and {"status": ...}).
 * Creating answers 200, as glance's member controller does.
 */
import type { FastifyInstance } from 'fastify';
import { httpBadRequest } from '../../common/errors.js';
import type { ImageMemberAPI } from '../members.js';
import { sendJson } from './py-json.js';
import { parseJsonBody, rejectBody } from './request.js';
import { memberView } from './view.js';

type ImageParams = { Params: { id: string } };
type MemberParams = { Params: { id: string; memberId: string } };

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** POST body → member id, with glance's KeyError / falsy / TypeError messages. */
export function parseMemberCreate(raw: unknown): string {
  const body = parseJsonBody(raw);
  const typeError = () => httpBadRequest('Expected a member in the form: {"member": "image_id"}');
  if (!isObject(body)) throw typeError();
  if (!Object.hasOwn(body, 'member')) throw httpBadRequest('Member to be added not specified');
  const m = body.member;
  if (!m || (Array.isArray(m) && m.length === 0) || (isObject(m) && Object.keys(m).length === 0)) {
    throw httpBadRequest("Member can't be empty");
  }
  // glance stores whatever scalar it is given in a string column; structures are refused here.
  if (typeof m !== 'string' && typeof m !== 'number' && typeof m !== 'boolean') throw typeError();
  return String(m);
}

/** PUT body → the requested status (validated by the API, which answers 400 for a bad one). */
export function parseMemberUpdate(raw: unknown): unknown {
  const body = parseJsonBody(raw);
  if (!isObject(body)) throw httpBadRequest('Expected a status in the form: {"status": "status"}');
  if (!Object.hasOwn(body, 'status')) throw httpBadRequest('Status not specified');
  return body.status;
}

/** Registers the member routes; every route needs a token. */
export function registerImageMemberRoutes(app: FastifyInstance, members: ImageMemberAPI): void {
  app.get<ImageParams>('/v2/images/:id/members', async (req, reply) => {
    rejectBody(req);
    const list = await members.list(req.ctx, req.params.id);
    return sendJson(reply, 200, { members: list.map(memberView), schema: '/v2/schemas/members' });
  });

  app.post<ImageParams>('/v2/images/:id/members', async (req, reply) => {
    const memberId = parseMemberCreate(req.body);
    return sendJson(reply, 200, memberView(await members.create(req.ctx, req.params.id, memberId)));
  });

  app.get<MemberParams>('/v2/images/:id/members/:memberId', async (req, reply) => {
    rejectBody(req);
    return sendJson(reply, 200, memberView(await members.get(req.ctx, req.params.id, req.params.memberId)));
  });

  app.put<MemberParams>('/v2/images/:id/members/:memberId', async (req, reply) => {
    const status = parseMemberUpdate(req.body);
    return sendJson(reply, 200, memberView(await members.update(req.ctx, req.params.id, req.params.memberId, status)));
  });

  app.delete<MemberParams>('/v2/images/:id/members/:memberId', async (req, reply) => {
    rejectBody(req);
    await members.delete(req.ctx, req.params.id, req.params.memberId);
    return reply.code(204).type('text/html; charset=UTF-8').send();
  });
}
