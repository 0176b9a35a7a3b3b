/**
 * os-keypairs (nova/api/openstack/compute/keypairs.py, compute/api.py KeypairAPI): a
 * user's SSH (or, from 2.2, X.509) public keys; without a public_key one is generated
 * (an X.509 certificate by the openssl command, as nova). By microversion: 2.1 creates
 * with 200 and deletes with 202, later ones with 201 and 204; `type` from 2.2; an admin may name
 * another user (user_id) from 2.10; list paging (limit/marker by name) from 2.35; unknown
 * query parameters refused from 2.75; from 2.92 a public_key must be given (no more
 * generated keys) and names may hold '@' and '.'. Order as nova's: schema, policy,
 * quota, fingerprint, then the name's uniqueness.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { isoMicros } from '../../common/clock.js';
import type { ComputeApiDeps } from './app.js';
import { as, badRequest } from './faults.js';
import { collectionLinks, limitAndMarker } from './links.js';
import { atLeast } from './microversion.js';
import { authorize } from './policy.js';
import { type JsonSchema, P, queryLists, validateBody, validateQuery } from './validation.js';
import { requestBody, sendEmpty, sendNova } from './wire.js';
import { generateSshKeyPair, generateWinrmX509Cert, sshFingerprint, x509Fingerprint } from '../crypto.js';
import { InvalidKeypair, KeyPairExists, KeypairLimitExceeded, MarkerNotFound } from '../errors.js';
import { type KeyPairRow, KeyPairStore } from '../db/keypairs.js';
import { QuotaEngine } from '../objects/quotas.js';

// ---------------------------------------------------------------- schemas

const nameSchema = (format: string): JsonSchema => ({ allOf: [P.name, { type: 'string', minLength: 1, maxLength: 255, format }] });

function createSchema(req: FastifyRequest): JsonSchema {
  const v292 = atLeast(req.mv, '2.92');
  const props: Record<string, JsonSchema> = { name: nameSchema(v292 ? 'keypair_name_292' : 'keypair_name_20') };
  if (atLeast(req.mv, '2.2')) props.type = { type: 'string', enum: ['ssh', 'x509'] };
  props.public_key = { type: 'string' };
  if (atLeast(req.mv, '2.10')) props.user_id = { type: 'string' };
  return {
    type: 'object',
    properties: { keypair: { type: 'object', properties: props, required: v292 ? ['name', 'public_key'] : ['name'], additionalProperties: false } },
    required: ['keypair'],
    additionalProperties: false,
  };
}

/** index/show/delete query schemas: user_id from 2.10, paging on index from 2.35, closed from 2.75. */
function querySchema(req: FastifyRequest, paging: boolean): JsonSchema {
  const props: Record<string, JsonSchema> = {};
  if (atLeast(req.mv, '2.10')) props.user_id = P.multiParams({ type: 'string' });
  if (paging && atLeast(req.mv, '2.35')) {
    props.limit = P.multiParams(P.nonNegativeInteger);
    props.marker = P.multiParams({ type: 'string' });
  }
  return { type: 'object', properties: props, additionalProperties: !atLeast(req.mv, '2.75') };
}

// ---------------------------------------------------------------- views

/** A datetime as oslo's to_primitive writes it (no zone). */
const naive = (iso: string | null) => (iso === null ? null : iso.replace(/Z$/, ''));

/** The keypair view's fields in nova's order: type from 2.2. */
function view(k: KeyPairRow, req: FastifyRequest, kind: 'index' | 'create' | 'show', privateKey?: string): Record<string, unknown> {
  const typed = atLeast(req.mv, '2.2');
  const out: Record<string, unknown> = {};
  if (kind === 'create') {
    if (privateKey !== undefined) out.private_key = privateKey;
    if (typed) out.type = k.type;
  }
  out.name = k.name;
  out.public_key = k.public_key;
  out.fingerprint = k.fingerprint;
  if (kind === 'index') {
    if (typed) out.type = k.type;
    return out;
  }
  out.user_id = k.user_id;
  if (kind === 'show') {
    Object.assign(out, { created_at: naive(k.created_at), deleted: false, deleted_at: null, id: k.id, updated_at: naive(k.updated_at) });
    if (typed) out.type = k.type;
  }
  return out;
}

// ---------------------------------------------------------------- routes

/** _get_user_id: the first user_id of the query (2.10+), else the caller. */
function targetUser(req: FastifyRequest, q: Record<string, string[]>): string {
  return (atLeast(req.mv, '2.10') ? q.user_id?.[0] : undefined) ?? req.ctx.userId;
}

/** Routes /os-keypairs and /os-keypairs/{name}. */
export function registerKeypairs(app: FastifyInstance, d: ComputeApiDeps): void {
  const store = () => new KeyPairStore(d.db);

  app.post('/v2.1/os-keypairs', async (req, reply) => {
    const body = requestBody(req);
    validateBody(createSchema(req), body);
    const p = (body as { keypair: { name: string; public_key?: string; type?: 'ssh' | 'x509'; user_id?: string } }).keypair;
    const name = p.name.trim();
    const type = p.type ?? 'ssh';
    // nova's `user_id or context.user_id`: an empty user_id is the caller.
    const userId = p.user_id || req.ctx.userId;
    authorize(req.ctx, 'os_compute_api:os-keypairs:create', { user_id: userId });
    try {
      // _check_key_pair_quotas: the user's keypairs against the project's key_pairs limit.
      const limit = (await new QuotaEngine(d.db, d.cfg).projectQuotas(req.ctx.projectId)).key_pairs.limit;
      if (limit >= 0 && (await store().countByUser(userId)) + 1 > limit) throw new KeypairLimitExceeded();
      let privateKey: string | undefined;
      let publicKey: string;
      let fingerprint: string;
      if (p.public_key !== undefined) {
        publicKey = p.public_key;
        fingerprint = type === 'x509' ? x509Fingerprint(publicKey) : sshFingerprint(publicKey);
      } else {
        // _generate_key_pair: x509 for the keypair's owner (the certificate's CN), as nova.
        const g = type === 'x509' ? await generateWinrmX509Cert(userId) : generateSshKeyPair();
        ({ privateKey, publicKey, fingerprint } = g);
      }
      const k = await store().create({ userId, name, type, publicKey, fingerprint }, isoMicros(d.clock.now()));
      return sendNova(reply, atLeast(req.mv, '2.2') ? 201 : 200, { keypair: view(k, req, 'create', privateKey) });
    } catch (e) {
      if (e instanceof KeypairLimitExceeded) throw as(403, e);
      if (e instanceof InvalidKeypair) throw as(400, e);
      if (e instanceof KeyPairExists) throw as(409, e);
      throw e;
    }
  });

  app.get('/v2.1/os-keypairs', async (req, reply) => {
    const q = validateQuery(querySchema(req, true), queryLists(req.query));
    const userId = targetUser(req, q);
    authorize(req.ctx, 'os_compute_api:os-keypairs:index', { user_id: userId });
    const paged = atLeast(req.mv, '2.35');
    const { limit, marker } = paged ? limitAndMarker(q) : { limit: undefined, marker: undefined };
    let rows: KeyPairRow[];
    try {
      rows = await store().listByUser(userId, { limit, marker });
    } catch (e) {
      if (e instanceof MarkerNotFound) throw badRequest(e.message);
      throw e;
    }
    const out: Record<string, unknown> = { keypairs: rows.map((k) => ({ keypair: view(k, req, 'index') })) };
    if (paged) {
      const links = collectionLinks(req, q, rows.length, rows.at(-1)?.name, 'os-keypairs');
      if (links.length) out.keypairs_links = links;
    }
    return sendNova(reply, 200, out);
  });

  app.get('/v2.1/os-keypairs/:name', async (req, reply) => {
    const q = validateQuery(querySchema(req, false), queryLists(req.query));
    const userId = targetUser(req, q);
    authorize(req.ctx, 'os_compute_api:os-keypairs:show', { user_id: userId });
    const k = await store().getByName(userId, (req.params as { name: string }).name);
    return sendNova(reply, 200, { keypair: view(k, req, 'show') });
  });

  app.delete('/v2.1/os-keypairs/:name', async (req, reply) => {
    const q = validateQuery(querySchema(req, false), queryLists(req.query));
    const userId = targetUser(req, q);
    authorize(req.ctx, 'os_compute_api:os-keypairs:delete', { user_id: userId });
    await store().destroyByName(userId, (req.params as { name: string }).name);
    return sendEmpty(reply, atLeast(req.mv, '2.2') ? 204 : 202);
  });
}
