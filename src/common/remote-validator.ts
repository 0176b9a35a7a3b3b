/**
 * Token validation by keystone over HTTP, as keystonemiddleware's auth_token does it for
 * a service running in its own process: GET /v3/auth/tokens with the user's token as
 * X-Subject-Token and the service user's token as X-Auth-Token, the answer cached until
 * the token expires or token_cache_time (300 s) passes, whichever comes first. So a token
 * revoked in keystone is still honoured by another process for up to that long, as with
 * keystonemiddleware's cache.
 */
import { AuthenticationRequired, type TokenInfo, type TokenValidator } from './auth.js';
import type { Clock } from './clock.js';
import { type ServiceSession, restCall } from './rest-client.js';

/** keystonemiddleware's token_cache_time default. */
const CACHE_MS = 300_000;
/** Cached validations kept at most (the oldest go first). */
const CACHE_SIZE = 10_000;

interface TokenBody {
  token: {
    methods: string[];
    user: { id: string; name: string; domain: { id: string; name: string } };
    project?: { id: string; name: string; domain: { id: string; name: string } };
    roles?: { id: string; name: string }[];
    audit_ids: string[];
    issued_at: string;
    expires_at: string;
  };
}

export class RemoteTokenValidator implements TokenValidator {
  readonly #cache = new Map<string, { info: TokenInfo; until: number }>();

  /** `authUrl` is keystone's …/v3; `session` is this service's own user. */
  constructor(
    private readonly authUrl: string,
    private readonly session: ServiceSession,
    private readonly clock: Clock,
  ) {}

  async validate(token: string): Promise<TokenInfo> {
    const now = this.clock.now();
    const hit = this.#cache.get(token);
    if (hit && hit.until > now) return hit.info;
    this.#cache.delete(token);
    let res = await this.#ask(token);
    if (res.status === 401) {
      // Our own token went stale (keystone restarted with a new key, or it was revoked).
      this.session.invalidate();
      res = await this.#ask(token);
    }
    if (res.status !== 200) throw new AuthenticationRequired();
    const info = toInfo(res.body as TokenBody);
    if (info.expiresAt <= now) throw new AuthenticationRequired();
    if (this.#cache.size >= CACHE_SIZE) this.#cache.delete(this.#cache.keys().next().value!);
    this.#cache.set(token, { info, until: Math.min(info.expiresAt, now + CACHE_MS) });
    return info;
  }

  async #ask(token: string) {
    return restCall('GET', `${this.authUrl.replace(/\/+$/, '')}/auth/tokens?nocatalog`, { token: await this.session.token(), headers: { 'x-subject-token': token } });
  }
}

function toInfo(body: TokenBody): TokenInfo {
  const t = body.token;
  return {
    userId: t.user.id,
    userName: t.user.name,
    userDomainId: t.user.domain.id,
    userDomainName: t.user.domain.name,
    projectId: t.project?.id ?? '',
    projectName: t.project?.name ?? '',
    projectDomainId: t.project?.domain.id ?? '',
    projectDomainName: t.project?.domain.name ?? '',
    roles: t.roles ?? [],
    methods: t.methods,
    auditIds: t.audit_ids,
    issuedAt: Date.parse(t.issued_at),
    expiresAt: Date.parse(t.expires_at),
  };
}
