/**
 * POST /v3/auth/tokens as keystone's authenticate_for_token: the password or token
 * method identifies the user, the scope (project by id or name+domain, or none) picks
 * the project, and a signed token is minted. Every identity or scope failure is the
 * same 401, as keystone hides the reason unless insecure_debug is on.
 */
import { AuthenticationRequired, type TokenInfo } from '../../common/auth.js';
import type { Clock, Random } from '../../common/clock.js';
import type { UserRow } from '../db/schema.js';
import type { IdentityStore } from '../db/store.js';
import { DEFAULT_DOMAIN } from '../domain.js';
import { SchemaValidationError, TokenNotFound } from '../errors.js';
import { verifyPassword } from '../password.js';
import type { TokenSigner, TokenPayload } from './signer.js';
import type { IdentityTokenValidator } from './validator.js';

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A minted token and what it stands for. */
export interface IssuedToken {
  token: string;
  info: TokenInfo;
}

/** Mints tokens; holds no state of its own. */
export class TokenIssuer {
  constructor(
    private readonly store: IdentityStore,
    private readonly signer: TokenSigner,
    private readonly validator: IdentityTokenValidator,
    private readonly clock: Clock,
    private readonly random: Random,
    private readonly lifetimeSeconds: number,
  ) {}

  /** Authenticates the body's `auth` object; 400 when malformed, 401 when refused. */
  async authenticate(auth: unknown): Promise<IssuedToken> {
    if (!isObj(auth)) throw new SchemaValidationError("'auth' is a required property");
    const identity = auth.identity;
    if (!isObj(identity)) throw new SchemaValidationError("'identity' is a required property");
    const methods = identity.methods;
    if (!Array.isArray(methods) || methods.length === 0 || !methods.every((m) => typeof m === 'string')) {
      throw new SchemaValidationError("'methods' is a required property");
    }
    let user: UserRow | undefined;
    let parent: TokenPayload | undefined;
    let methodNames: string[] = [];
    for (const m of methods as string[]) {
      if (m === 'password') {
        user = await this.passwordUser(identity.password);
        methodNames.push('password');
      } else if (m === 'token') {
        parent = await this.tokenParent(identity.token);
        user = await this.store.getUser(parent.userId);
        methodNames = [...new Set([...methodNames, 'token', ...parent.methods])];
      } else {
        throw new AuthenticationRequired();
      }
    }
    if (!user || user.enabled !== 1) throw new AuthenticationRequired();
    const projectId = await this.scopeProject(auth.scope, user);
    return this.mint(user.id, projectId, methodNames, parent);
  }

  /** Password authentication by names, for services authenticating in process. */
  async issueToken(userName: string, password: string, projectName: string): Promise<IssuedToken> {
    return this.authenticate({
      identity: { methods: ['password'], password: { user: { name: userName, domain: { id: DEFAULT_DOMAIN.id }, password } } },
      scope: { project: { name: projectName, domain: { id: DEFAULT_DOMAIN.id } } },
    });
  }

  private async mint(userId: string, projectId: string | null, methods: string[], parent?: TokenPayload): Promise<IssuedToken> {
    const now = this.clock.now();
    const audit = this.random.bytes(16).toString('base64url');
    const payload: TokenPayload = {
      userId,
      projectId,
      methods,
      auditIds: parent ? [audit, parent.auditIds[parent.auditIds.length - 1]!] : [audit],
      issuedAt: now,
      expiresAt: parent ? parent.expiresAt : Math.floor(now / 1000) * 1000 + this.lifetimeSeconds * 1000,
    };
    const info = await this.validator.resolve(payload);
    if (!info) throw new AuthenticationRequired();
    return { token: this.signer.sign(payload), info };
  }

  private async passwordUser(pw: unknown): Promise<UserRow> {
    if (!isObj(pw) || !isObj(pw.user)) throw new SchemaValidationError("'user' is a required property");
    const u = pw.user;
    if (typeof u.password !== 'string') throw new AuthenticationRequired();
    let user: UserRow | undefined;
    if (typeof u.id === 'string') user = await this.store.getUser(u.id);
    else if (typeof u.name === 'string') {
      const domainId = this.domainOf(u.domain);
      if (!domainId) throw new AuthenticationRequired();
      user = await this.store.getUserByName(u.name, domainId);
    } else throw new SchemaValidationError("'id' or 'name' is a required property");
    if (!user || !(await verifyPassword(u.password, user.password_hash))) throw new AuthenticationRequired();
    return user;
  }

  private async tokenParent(t: unknown): Promise<TokenPayload> {
    if (!isObj(t) || typeof t.id !== 'string') throw new SchemaValidationError("'id' is a required property");
    try {
      await this.validator.check(t.id);
    } catch (e) {
      if (e instanceof TokenNotFound) throw new AuthenticationRequired();
      throw e;
    }
    return this.signer.verify(t.id)!;
  }

  /** The domain id a {id} or {name} domain reference names, or null if it is not ours. */
  private domainOf(d: unknown): string | null {
    if (!isObj(d)) return null;
    if (d.id === DEFAULT_DOMAIN.id || d.name === DEFAULT_DOMAIN.name) return DEFAULT_DOMAIN.id;
    return null;
  }

  private async scopeProject(scope: unknown, user: UserRow): Promise<string | null> {
    if (scope === undefined || scope === 'unscoped') {
      // keystone scopes an unscoped request to the user's default project when it can.
      if (user.default_project_id && (await this.store.listAssignments({ userId: user.id, projectId: user.default_project_id })).length) {
        return user.default_project_id;
      }
      return null;
    }
    if (!isObj(scope) || !isObj(scope.project)) throw new AuthenticationRequired();
    const p = scope.project;
    const project =
      typeof p.id === 'string'
        ? await this.store.getProject(p.id)
        : typeof p.name === 'string' && this.domainOf(p.domain)
          ? await this.store.getProjectByName(p.name, DEFAULT_DOMAIN.id)
          : undefined;
    if (!project || project.enabled !== 1) throw new AuthenticationRequired();
    return project.id;
  }
}
