/**
 * Token validation in process: signature, expiry (by the injected clock), revocation
 * events, then the user, project and roles as they are now. A small cache holds the
 * resolved identity; expiry and revocation are checked on every call, and every change
 * that would alter a cached answer (grant removed, user or project deleted/disabled)
 * records a revocation event, as keystone does.
 */
import { AuthenticationRequired, type TokenInfo, type TokenValidator } from '../../common/auth.js';
import type { Clock } from '../../common/clock.js';
import { DEFAULT_DOMAIN } from '../domain.js';
import type { IdentityStore } from '../db/store.js';
import { TokenNotFound } from '../errors.js';
import { effectiveRoles } from '../roles.js';
import type { RevocationList } from './revocations.js';
import type { TokenPayload, TokenSigner } from './signer.js';

const CACHE_SIZE = 1024;

/** Validates Nimbus tokens for the identity API and for services in the same process. */
export class IdentityTokenValidator implements TokenValidator {
  #cache = new Map<string, TokenInfo>();

  constructor(
    private readonly signer: TokenSigner,
    private readonly revocations: RevocationList,
    private readonly store: IdentityStore,
    private readonly clock: Clock,
  ) {}

  /** keystonemiddleware's view: any failure is 401 "The request you have made requires authentication." */
  async validate(token: string): Promise<TokenInfo> {
    try {
      return await this.check(token);
    } catch (e) {
      if (e instanceof TokenNotFound) throw new AuthenticationRequired();
      throw e;
    }
  }

  /**
   * keystone's validate_token: throws TokenNotFound "Could not find token: <id>." when
   * unreadable or no longer backed by a user/project/role, "Failed to validate token"
   * when expired or revoked.
   */
  async check(token: string): Promise<TokenInfo> {
    const cached = this.#cache.get(token);
    if (cached) {
      this.assertLive(cached);
      return cached;
    }
    const p = this.signer.verify(token);
    if (!p) throw TokenNotFound.forId(token);
    this.assertLive(p);
    const info = await this.resolve(p);
    if (!info) throw TokenNotFound.forId(token);
    if (this.#cache.size >= CACHE_SIZE) this.prune();
    this.#cache.set(token, info);
    return info;
  }

  /** Builds the TokenInfo of a freshly verified payload; null if its user, project or roles are gone. */
  async resolve(p: TokenPayload): Promise<TokenInfo | null> {
    const user = await this.store.getUser(p.userId);
    if (!user || user.enabled !== 1) return null;
    const info: TokenInfo = {
      userId: user.id,
      userName: user.name,
      userDomainId: DEFAULT_DOMAIN.id,
      userDomainName: DEFAULT_DOMAIN.name,
      projectId: '',
      projectName: '',
      projectDomainId: '',
      projectDomainName: '',
      roles: [],
      methods: p.methods,
      auditIds: p.auditIds,
      issuedAt: p.issuedAt,
      expiresAt: p.expiresAt,
    };
    if (p.projectId) {
      const project = await this.store.getProject(p.projectId);
      if (!project || project.enabled !== 1) return null;
      const roles = await effectiveRoles(this.store, user.id, project.id);
      if (roles.length === 0) return null;
      info.projectId = project.id;
      info.projectName = project.name;
      info.projectDomainId = DEFAULT_DOMAIN.id;
      info.projectDomainName = DEFAULT_DOMAIN.name;
      info.roles = roles.map((r) => ({ id: r.id, name: r.name }));
    }
    return info;
  }

  /** Drops a token from the cache (after revocation the event alone would suffice; this frees memory). */
  forget(token: string): void {
    this.#cache.delete(token);
  }

  private assertLive(t: { expiresAt: number; issuedAt: number; auditIds: string[]; userId: string; projectId: string | null }) {
    if (this.clock.now() >= t.expiresAt) throw new TokenNotFound('Failed to validate token');
    if (this.revocations.isRevoked({ ...t, projectId: t.projectId || null })) throw new TokenNotFound('Failed to validate token');
  }

  private prune() {
    const now = this.clock.now();
    for (const [k, v] of this.#cache) if (v.expiresAt <= now) this.#cache.delete(k);
    while (this.#cache.size >= CACHE_SIZE) this.#cache.delete(this.#cache.keys().next().value as string);
  }
}
