/**
 * keystone's default policies reduced to what Nimbus needs: the admin role is cloud
 * admin; otherwise only the rule's owner condition (own token, own user, own project)
 * passes. A refusal is 403 "You are not authorized to perform the requested action: identity:<x>."
 */
import type { FastifyRequest } from 'fastify';
import { ForbiddenAction } from '../errors.js';

/** Throws ForbiddenAction unless the caller is admin or `owner` holds. */
export function enforce(req: FastifyRequest, action: string, owner = false): void {
  if (req.ctx.isAdmin || owner) return;
  throw new ForbiddenAction(`identity:${action}`);
}
