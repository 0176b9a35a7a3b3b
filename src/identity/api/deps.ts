/** What the identity routes need, passed explicitly by service.ts. */
import type { FastifyRequest } from 'fastify';
import type { Clock, Random } from '../../common/clock.js';
import type { Service } from '../catalog.js';
import type { IdentityStore } from '../db/store.js';
import type { TokenIssuer } from '../tokens/authenticate.js';
import type { RevocationList } from '../tokens/revocations.js';
import type { IdentityTokenValidator } from '../tokens/validator.js';

export interface ApiDeps {
  store: IdentityStore;
  validator: IdentityTokenValidator;
  issuer: TokenIssuer;
  revocations: RevocationList;
  clock: Clock;
  random: Random;
  /** The catalog as of now (entries may be added after start). */
  catalog(): Service[];
  region: string;
  /** Fallback root URL ("http://host:5000") when a request has no Host header. */
  publicRoot: string;
}

/** The root URL the caller used, as keystone builds links from the request. */
export function rootUrl(req: FastifyRequest, deps: ApiDeps): string {
  const host = req.headers.host;
  return host ? `http://${host}` : deps.publicRoot;
}

/** The /v3 base for resource links. */
export const v3Url = (req: FastifyRequest, deps: ApiDeps) => `${rootUrl(req, deps)}/v3`;

/** A query string value as a string, if present. */
export function queryParam(req: FastifyRequest, name: string): string | undefined {
  const v = (req.query as Record<string, unknown> | undefined)?.[name];
  if (Array.isArray(v)) return typeof v[0] === 'string' ? v[0] : undefined;
  return typeof v === 'string' ? v : undefined;
}

/** keystone's query_filter_is_true: present and not "0"/"false". */
export function queryFlag(req: FastifyRequest, name: string): boolean {
  const v = queryParam(req, name);
  if (v === undefined) return false;
  return !/^(0|false|no|off)$/i.test(v);
}
