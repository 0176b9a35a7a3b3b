/**
 * What every API knows about the caller, as keystonemiddleware puts it in the WSGI
 * environment: the validated token's user, project and roles. Services never parse
 * tokens themselves; they ask a TokenValidator (in process: the identity service;
 * distributed: keystone over HTTP with a cache).
 */
import { Unauthorized } from './errors.js';

export interface TokenInfo {
  userId: string;
  userName: string;
  userDomainId: string;
  userDomainName: string;
  projectId: string;
  projectName: string;
  projectDomainId: string;
  projectDomainName: string;
  roles: { id: string; name: string }[];
  methods: string[];
  auditIds: string[];
  issuedAt: number;
  expiresAt: number;
}

export interface TokenValidator {
  /** Resolves the token's identity; throws Unauthorized when bad, expired or revoked. */
  validate(token: string): Promise<TokenInfo>;
}

/** The caller of one API request. */
export interface RequestContext {
  requestId: string;
  userId: string;
  projectId: string;
  projectName: string;
  roles: string[];
  /** Holds the admin role: sees and changes everything, as OpenStack's default policies allow. */
  isAdmin: boolean;
  authToken: string;
}

export function contextFromToken(info: TokenInfo, token: string, requestId: string): RequestContext {
  const roles = info.roles.map((r) => r.name);
  return {
    requestId,
    userId: info.userId,
    projectId: info.projectId,
    projectName: info.projectName,
    roles,
    isAdmin: roles.includes('admin'),
    authToken: token,
  };
}

/** An admin context for work services do on their own behalf (bootstrap, agents). */
export function adminContext(requestId = 'req-internal'): RequestContext {
  return { requestId, userId: '', projectId: '', projectName: '', roles: ['admin'], isAdmin: true, authToken: '' };
}

/** keystonemiddleware's answer to a missing or bad token. */
export class AuthenticationRequired extends Unauthorized {
  static override readonly wireType: string = 'AuthenticationRequired';
  constructor() {
    super('The request you have made requires authentication.');
  }
}
