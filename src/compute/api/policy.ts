/**
 * nova's default policies (nova/policies/*.py) for the resources Nimbus serves, as
 * Zed evaluates them: [oslo_policy] enforce_new_defaults is False there, so each
 * rule's new default is OR'd with its deprecated one (which is why, say, any project
 * member may list a flavor's access, and a reader of project X may show X's quotas).
 * A refusal is nova's PolicyNotAuthorized: 403 "Policy doesn't allow <rule> to be
 * performed."
 */
import type { RequestContext } from '../../common/auth.js';
import { PolicyNotAuthorized } from '../errors.js';

/** What a rule is checked against; nova's default target is the caller's own project and user. */
export interface PolicyTarget {
  project_id?: string;
  user_id?: string;
}

type Check = (ctx: Pick<RequestContext, 'isAdmin' | 'projectId' | 'userId'>, target: PolicyTarget) => boolean;

/** rule:context_is_admin (role:admin), or the deprecated is_admin:True: the same people. */
const ADMIN: Check = (c) => c.isAdmin;
/** "@" */
const ANY: Check = () => true;
/** project_reader_or_admin OR'd with admin_or_owner: an admin, or anyone of the target's project. */
const ADMIN_OR_OWNER: Check = (c, t) => c.isAdmin || (t.project_id !== undefined && t.project_id === c.projectId);
/** keypairs: "(rule:context_is_admin) or user_id:%(user_id)s". */
const ADMIN_OR_USER: Check = (c, t) => c.isAdmin || (t.user_id !== undefined && t.user_id === c.userId);

/** Every rule the resources here check, with its effective Zed default. */
export const POLICIES = {
  'os_compute_api:os-flavor-manage:create': ADMIN,
  'os_compute_api:os-flavor-manage:update': ADMIN,
  'os_compute_api:os-flavor-manage:delete': ADMIN,
  'os_compute_api:os-flavor-access': ADMIN_OR_OWNER,
  'os_compute_api:os-flavor-access:add_tenant_access': ADMIN,
  'os_compute_api:os-flavor-access:remove_tenant_access': ADMIN,
  'os_compute_api:os-flavor-extra-specs:index': ADMIN_OR_OWNER,
  'os_compute_api:os-flavor-extra-specs:show': ADMIN_OR_OWNER,
  'os_compute_api:os-flavor-extra-specs:create': ADMIN,
  'os_compute_api:os-flavor-extra-specs:update': ADMIN,
  'os_compute_api:os-flavor-extra-specs:delete': ADMIN,
  'os_compute_api:os-services:list': ADMIN,
  'os_compute_api:os-services:update': ADMIN,
  'os_compute_api:os-services:delete': ADMIN,
  'os_compute_api:os-hypervisors:list': ADMIN,
  'os_compute_api:os-hypervisors:list-detail': ADMIN,
  'os_compute_api:os-hypervisors:statistics': ADMIN,
  'os_compute_api:os-hypervisors:show': ADMIN,
  'os_compute_api:os-hypervisors:uptime': ADMIN,
  'os_compute_api:os-hypervisors:search': ADMIN,
  'os_compute_api:os-hypervisors:servers': ADMIN,
  'os_compute_api:os-aggregates:index': ADMIN,
  'os_compute_api:os-availability-zone:list': ANY,
  'os_compute_api:os-availability-zone:detail': ADMIN,
  'os_compute_api:limits': ANY,
  'os_compute_api:limits:other_project': ADMIN,
  'os_compute_api:os-quota-sets:show': ADMIN_OR_OWNER,
  'os_compute_api:os-quota-sets:detail': ADMIN_OR_OWNER,
  'os_compute_api:os-quota-sets:defaults': ANY,
  'os_compute_api:os-quota-sets:update': ADMIN,
  'os_compute_api:os-quota-sets:delete': ADMIN,
  'os_compute_api:os-quota-class-sets:show': ADMIN,
  'os_compute_api:os-quota-class-sets:update': ADMIN,
  'os_compute_api:servers:create:forced_host': ADMIN,
  'compute:servers:create:requested_destination': ADMIN,
  'os_compute_api:servers:update': ADMIN_OR_OWNER,
  'os_compute_api:os-create-backup': ADMIN_OR_OWNER,
  'os_compute_api:servers:index:get_all_tenants': ADMIN,
  'os_compute_api:servers:detail:get_all_tenants': ADMIN,
  'os_compute_api:server-metadata:index': ADMIN_OR_OWNER,
  'os_compute_api:server-metadata:show': ADMIN_OR_OWNER,
  'os_compute_api:server-metadata:create': ADMIN_OR_OWNER,
  'os_compute_api:server-metadata:update': ADMIN_OR_OWNER,
  'os_compute_api:server-metadata:update_all': ADMIN_OR_OWNER,
  'os_compute_api:server-metadata:delete': ADMIN_OR_OWNER,
  'os_compute_api:os-server-tags:index': ADMIN_OR_OWNER,
  'os_compute_api:os-server-tags:show': ADMIN_OR_OWNER,
  'os_compute_api:os-server-tags:update': ADMIN_OR_OWNER,
  'os_compute_api:os-server-tags:update_all': ADMIN_OR_OWNER,
  'os_compute_api:os-server-tags:delete': ADMIN_OR_OWNER,
  'os_compute_api:os-server-tags:delete_all': ADMIN_OR_OWNER,
  'os_compute_api:ips:index': ADMIN_OR_OWNER,
  'os_compute_api:ips:show': ADMIN_OR_OWNER,
  'os_compute_api:os-server-password:show': ADMIN_OR_OWNER,
  'os_compute_api:os-server-password:clear': ADMIN_OR_OWNER,
  'os_compute_api:os-keypairs:index': ADMIN_OR_USER,
  'os_compute_api:os-keypairs:create': ADMIN_OR_USER,
  'os_compute_api:os-keypairs:show': ADMIN_OR_USER,
  'os_compute_api:os-keypairs:delete': ADMIN_OR_USER,
  'os_compute_api:os-server-groups:create': ADMIN_OR_OWNER,
  'os_compute_api:os-server-groups:delete': ADMIN_OR_OWNER,
  'os_compute_api:os-server-groups:index': ADMIN_OR_OWNER,
  'os_compute_api:os-server-groups:index:all_projects': ADMIN,
  'os_compute_api:os-server-groups:show': ADMIN_OR_OWNER,
  'os_compute_api:os-lock-server:unlock:unlock_override': ADMIN,
  'os_compute_api:os-admin-actions:reset_state': ADMIN,
  // The proxies and read-only resources of issue 9 (PX).
  'os_compute_api:extensions': ANY,
  'os_compute_api:os-migrations:index': ADMIN,
  'os_compute_api:servers:resize': ADMIN_OR_OWNER,
  'os_compute_api:servers:confirm_resize': ADMIN_OR_OWNER,
  'os_compute_api:servers:revert_resize': ADMIN_OR_OWNER,
  'os_compute_api:os-migrate-server:migrate': ADMIN,
  'os_compute_api:os-migrate-server:migrate_live': ADMIN,
  'os_compute_api:servers:migrations:force_complete': ADMIN,
  'os_compute_api:servers:migrations:delete': ADMIN,
  'os_compute_api:os-evacuate': ADMIN,
  'os_compute_api:os-shelve:shelve': ADMIN_OR_OWNER,
  'os_compute_api:os-shelve:unshelve': ADMIN_OR_OWNER,
  'os_compute_api:os-shelve:unshelve_to_host': ADMIN,
  'os_compute_api:os-shelve:shelve_offload': ADMIN,
  'os_compute_api:servers:migrations:index': ADMIN,
  'os_compute_api:servers:migrations:show': ADMIN,
  'os_compute_api:os-simple-tenant-usage:list': ADMIN,
  'os_compute_api:os-simple-tenant-usage:show': ADMIN_OR_OWNER,
  'os_compute_api:os-networks:list': ADMIN_OR_OWNER,
  'os_compute_api:os-networks:show': ADMIN_OR_OWNER,
  'os_compute_api:os-tenant-networks:list': ADMIN_OR_OWNER,
  'os_compute_api:os-tenant-networks:show': ADMIN_OR_OWNER,
  'os_compute_api:os-floating-ip-pools': ANY,
  'os_compute_api:os-floating-ips:list': ADMIN_OR_OWNER,
  'os_compute_api:os-floating-ips:show': ADMIN_OR_OWNER,
  'os_compute_api:os-floating-ips:create': ADMIN_OR_OWNER,
  'os_compute_api:os-floating-ips:delete': ADMIN_OR_OWNER,
  'os_compute_api:os-server-diagnostics': ADMIN,
  'os_compute_api:os-floating-ips:add': ADMIN_OR_OWNER,
  'os_compute_api:os-floating-ips:remove': ADMIN_OR_OWNER,
  'os_compute_api:os-security-groups:get': ADMIN_OR_OWNER,
  'os_compute_api:os-security-groups:show': ADMIN_OR_OWNER,
  'os_compute_api:os-security-groups:create': ADMIN_OR_OWNER,
  'os_compute_api:os-security-groups:update': ADMIN_OR_OWNER,
  'os_compute_api:os-security-groups:delete': ADMIN_OR_OWNER,
  'os_compute_api:os-security-groups:rule:create': ADMIN_OR_OWNER,
  'os_compute_api:os-security-groups:rule:delete': ADMIN_OR_OWNER,
  'os_compute_api:os-security-groups:list': ADMIN_OR_OWNER,
} as const satisfies Record<string, Check>;

/** The name of a rule, as nova's 403 message quotes it. */
export type PolicyName = keyof typeof POLICIES;

type Caller = Pick<RequestContext, 'isAdmin' | 'projectId' | 'userId'>;

/** nova's context.can(rule, target, fatal=False). Without a target: the caller's project and user. */
export function can(ctx: Caller, rule: PolicyName, target?: PolicyTarget): boolean {
  return POLICIES[rule](ctx, target ?? { project_id: ctx.projectId, user_id: ctx.userId });
}

/** nova's context.can(rule, target); throws PolicyNotAuthorized (403). */
export function authorize(ctx: Caller, rule: PolicyName, target?: PolicyTarget): void {
  if (!can(ctx, rule, target)) throw new PolicyNotAuthorized(rule);
}
