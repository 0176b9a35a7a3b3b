/** Wire shapes of keystone v3 resources, built from rows in one place. */
import type { TokenInfo } from '../../common/auth.js';
import { isoMicros } from '../../common/clock.js';
import type { ProjectRow, RoleRow, UserRow } from '../db/schema.js';
import { DEFAULT_DOMAIN } from '../domain.js';

/** keystone's collection links. */
export const collectionLinks = (self: string) => ({ self, previous: null, next: null });

export function projectView(p: ProjectRow, base: string) {
  return {
    id: p.id,
    name: p.name,
    domain_id: p.domain_id,
    description: p.description,
    enabled: p.enabled === 1,
    parent_id: p.domain_id,
    is_domain: false,
    tags: [] as string[],
    options: {},
    links: { self: `${base}/projects/${p.id}` },
  };
}

export function userView(u: UserRow, base: string) {
  const out: Record<string, unknown> = {
    id: u.id,
    name: u.name,
    domain_id: u.domain_id,
    enabled: u.enabled === 1,
  };
  if (u.default_project_id !== null) out.default_project_id = u.default_project_id;
  if (u.description !== null) out.description = u.description;
  if (u.email !== null) out.email = u.email;
  out.password_expires_at = null;
  out.options = {};
  out.links = { self: `${base}/users/${u.id}` };
  return out;
}

export function roleView(r: RoleRow, base: string) {
  return {
    id: r.id,
    name: r.name,
    domain_id: null,
    description: r.description,
    options: r.immutable === 1 ? { immutable: true } : {},
    links: { self: `${base}/roles/${r.id}` },
  };
}

export function domainView(base: string) {
  return {
    id: DEFAULT_DOMAIN.id,
    name: DEFAULT_DOMAIN.name,
    description: DEFAULT_DOMAIN.description,
    enabled: true,
    tags: [] as string[],
    options: {},
    links: { self: `${base}/domains/${DEFAULT_DOMAIN.id}` },
  };
}

/** keystone's render_token_response_from_model; `catalog` only for project-scoped tokens. */
export function tokenView(info: TokenInfo, catalog: unknown[] | null) {
  const token: Record<string, unknown> = {
    methods: info.methods,
    user: {
      domain: { id: info.userDomainId, name: info.userDomainName },
      id: info.userId,
      name: info.userName,
      password_expires_at: null,
    },
    audit_ids: info.auditIds,
    expires_at: isoMicros(info.expiresAt),
    issued_at: isoMicros(Math.floor(info.issuedAt / 1000) * 1000),
  };
  if (info.projectId) {
    token.project = {
      domain: { id: info.projectDomainId, name: info.projectDomainName },
      id: info.projectId,
      name: info.projectName,
    };
    token.is_domain = false;
    token.roles = info.roles.map((r) => ({ id: r.id, name: r.name }));
    if (catalog) token.catalog = catalog;
  }
  return { token };
}

/** The v3 version document (GET /v3 and inside GET /'s list). */
export function versionV3(root: string) {
  return {
    id: 'v3.14',
    status: 'stable',
    updated: '2020-04-07T00:00:00Z',
    links: [{ rel: 'self', href: `${root}/v3/` }],
    'media-types': [{ base: 'application/json', type: 'application/vnd.openstack.identity-v3+json' }],
  };
}
