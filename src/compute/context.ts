/**
 * nova's RequestContext as it travels over RPC: who asked (user, project, roles), their
 * token (compute calls neutron with it, as nova does), and the request id every log
 * line and instance action carries. Plain JSON so any transport can carry it.
 */
import type { RequestContext } from '../common/auth.js';

export interface NovaContext {
  requestId: string;
  userId: string;
  projectId: string;
  roles: string[];
  isAdmin: boolean;
  authToken: string;
  /** The caller's trace span (src/common/trace.ts), so the callee's steps nest under it across RPC. */
  spanId?: string;
}

export function novaContext(ctx: RequestContext): NovaContext {
  return { requestId: ctx.requestId, userId: ctx.userId, projectId: ctx.projectId, roles: ctx.roles, isAdmin: ctx.isAdmin, authToken: ctx.authToken };
}

/** A context for work a service does on its own (periodic tasks, external events). */
export function serviceContext(requestId: string): NovaContext {
  return { requestId, userId: '', projectId: '', roles: ['admin'], isAdmin: true, authToken: '' };
}
