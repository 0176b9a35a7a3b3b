/**
 * nova's quota engine with the DB driver (nova/quota.py), per project: the resources,
 * their defaults (CONF.quota, which Nimbus takes from [compute] quota_* for instances,
 * cores and ram), the limits a project was given (the quotas table), and usage counted
 * from the instances that exist — nova has counted rather than reserved since Pike.
 * key_pairs and server_group_members are per-user resources whose usage nova never
 * counts here (always 0); server_groups are counted per project (or user). Per-user
 * limits (project_user_quotas) override the project's for that user; the 'default'
 * quota class (os-quota-class-sets) overrides the configured defaults.
 */
import type { Kysely } from 'kysely';
import type { Config } from '../../common/config.js';
import {
  countInstanceResources,
  countServerGroups,
  deleteProjectLimits,
  deleteUserLimits,
  selectClassLimits,
  selectProjectLimits,
  selectProjectUserLimits,
  selectUserLimits,
  upsertClassLimit,
  upsertProjectLimit,
  upsertUserLimit,
} from '../db/quotas.js';
import type { NovaDB } from '../db/schema.js';

/** QUOTAS' resources in registration order (limits' key order follows it). */
export const QUOTA_RESOURCES = [
  'instances',
  'cores',
  'ram',
  'metadata_items',
  'injected_files',
  'injected_file_content_bytes',
  'injected_file_path_bytes',
  'key_pairs',
  'server_groups',
  'server_group_members',
  'fixed_ips',
  'floating_ips',
  'security_groups',
  'security_group_rules',
] as const;
/** One of QUOTA_RESOURCES. */
export type QuotaResource = (typeof QUOTA_RESOURCES)[number];

/** The resources nova counts (CountableResource); the others have in_use 0. */
const COUNTED = new Set<QuotaResource>(['instances', 'cores', 'ram', 'server_groups']);

/** The resources a boot consumes. */
export type InstanceResource = 'instances' | 'cores' | 'ram';

/** A resource's limit and, when asked for, its usage. */
export interface QuotaValue {
  limit: number;
  in_use?: number;
}

/** CONF.quota defaults; the nova-network ones have no option and default to -1. */
export function quotaDefaults(cfg: Config): Record<QuotaResource, number> {
  return {
    instances: cfg.compute.quota_instances,
    cores: cfg.compute.quota_cores,
    ram: cfg.compute.quota_ram,
    metadata_items: 128,
    injected_files: 5,
    injected_file_content_bytes: 10240,
    injected_file_path_bytes: 255,
    key_pairs: 100,
    server_groups: 10,
    server_group_members: 10,
    fixed_ips: -1,
    floating_ips: -1,
    security_groups: -1,
    security_group_rules: -1,
  };
}

/** The quota class whose limits replace CONF.quota's defaults (nova's _DEFAULT_QUOTA_NAME). */
export const DEFAULT_QUOTA_CLASS = 'default';

/** What os-quota-sets update may set a limit to (get_settable_quotas); -1 means no bound. */
export interface SettableRange {
  minimum: number;
  maximum: number;
}

/** nova's _sum_quota_values / _sub_quota_values: anything unlimited makes the result unlimited. */
const unlimited = (v: number) => v <= -1;
const sumQuota = (a: number, b: number) => (unlimited(a) || unlimited(b) ? -1 : a + b);
const subQuota = (a: number, b: number) => (unlimited(a) || unlimited(b) ? -1 : a - b);

/** Limits and usage of a project's quotas (nova's QUOTAS with the DbQuotaDriver). */
export class QuotaEngine {
  constructor(
    private readonly db: Kysely<NovaDB>,
    private readonly cfg: Config,
  ) {}

  /** QUOTAS.get_defaults: the 'default' quota class's limits, else the configured values. */
  async defaults(): Promise<Record<QuotaResource, number>> {
    return this.classQuotas(DEFAULT_QUOTA_CLASS);
  }

  /** get_class_quotas: a class's own limits, else the configured defaults (any name answers). */
  async classQuotas(className: string): Promise<Record<QuotaResource, number>> {
    const rows = await selectClassLimits(this.db, className);
    const own = new Map(rows.map((r) => [r.resource, r.hard_limit]));
    const conf = quotaDefaults(this.cfg);
    return Object.fromEntries(QUOTA_RESOURCES.map((r) => [r, own.get(r) ?? conf[r]])) as Record<QuotaResource, number>;
  }

  /** Quotas.update_class / create_class: sets one limit of a class (any key the schema let through). */
  async setClassLimit(className: string, resource: string, hardLimit: number): Promise<void> {
    await upsertClassLimit(this.db, className, resource, hardLimit);
  }

  /** Instances, cores and RAM of a project's (or one user's) live instances. */
  async usage(projectId: string, userId?: string): Promise<{ instances: number; cores: number; ram: number; server_groups: number }> {
    const r = await countInstanceResources(this.db, projectId, userId);
    const groups = await countServerGroups(this.db, projectId, userId);
    return { ...r, server_groups: groups };
  }

  async #projectRows(projectId: string): Promise<Map<string, number>> {
    const rows = await selectProjectLimits(this.db, projectId);
    return new Map(rows.map((r) => [r.resource, r.hard_limit]));
  }

  async #userRows(projectId: string, userId: string): Promise<Map<string, number>> {
    const rows = await selectUserLimits(this.db, projectId, userId);
    return new Map(rows.map((r) => [r.resource, r.hard_limit]));
  }

  /**
   * get_project_quotas / get_user_quotas: every resource's limit (the user's own when
   * `userId` is given, else the project's, else the default), with in_use when usages is
   * set. With `userId`, instances, cores and ram count that user's instances only.
   */
  async projectQuotas(projectId: string, o: { usages?: boolean; userId?: string } = {}): Promise<Record<QuotaResource, QuotaValue>> {
    const defaults = await this.defaults();
    const own = await this.#projectRows(projectId);
    if (o.userId !== undefined) for (const [k, v] of await this.#userRows(projectId, o.userId)) own.set(k, v);
    const used = o.usages ? await this.usage(projectId, o.userId) : null;
    const out = {} as Record<QuotaResource, QuotaValue>;
    for (const r of QUOTA_RESOURCES) {
      out[r] = { limit: own.get(r) ?? defaults[r] };
      if (used) out[r].in_use = COUNTED.has(r) ? used[r as 'instances' | 'cores' | 'ram' | 'server_groups'] : 0;
    }
    return out;
  }

  /**
   * get_settable_quotas. For a project: at least what is in use and what its users were
   * given (limit - remains), no maximum. For a user: at least the user's usage, at most
   * what the project has left over its users' limits plus the user's own current limit.
   */
  async settableQuotas(projectId: string, userId?: string): Promise<Record<QuotaResource, SettableRange>> {
    const project = await this.projectQuotas(projectId, { usages: true });
    const given = await selectProjectUserLimits(this.db, projectId);
    const remains = new Map<string, number>(QUOTA_RESOURCES.map((r) => [r, project[r].limit]));
    for (const g of given) if (remains.has(g.resource)) remains.set(g.resource, remains.get(g.resource)! - g.hard_limit);
    const out = {} as Record<QuotaResource, SettableRange>;
    if (userId !== undefined) {
      const setted = await this.#userRows(projectId, userId);
      const user = await this.projectQuotas(projectId, { usages: true, userId });
      for (const r of QUOTA_RESOURCES) out[r] = { minimum: user[r].in_use ?? 0, maximum: sumQuota(remains.get(r)!, setted.get(r) ?? 0) };
    } else {
      for (const r of QUOTA_RESOURCES) out[r] = { minimum: Math.max(subQuota(project[r].limit, remains.get(r)!), project[r].in_use ?? 0), maximum: -1 };
    }
    return out;
  }

  /**
   * The instances/cores/ram check of check_num_instances_quota (Quotas.check_deltas,
   * limit_check_project_and_user): what would be over, and the limits and usage nova then
   * words its refusal with. The user's own limits count only when the user has one for
   * instances, cores or ram; then usage is the user's, and the limits the user's when only
   * a user limit is crossed.
   */
  async checkInstanceDeltas(projectId: string, userId: string, deltas: Record<InstanceResource, number>): Promise<{ overs: InstanceResource[]; limits: Record<InstanceResource, number>; used: Record<InstanceResource, number> }> {
    const keys = ['cores', 'instances', 'ram'] as const;
    const pick = (q: Record<QuotaResource, QuotaValue>, f: (v: QuotaValue) => number) => Object.fromEntries(keys.map((k) => [k, f(q[k])])) as Record<InstanceResource, number>;
    const project = await this.projectQuotas(projectId, { usages: true });
    const plimits = pick(project, (v) => v.limit);
    const pused = pick(project, (v) => v.in_use ?? 0);
    const own = await this.#userRows(projectId, userId);
    if (!keys.some((k) => own.has(k))) {
      return { overs: keys.filter((k) => plimits[k] >= 0 && pused[k] + deltas[k] > plimits[k]), limits: plimits, used: pused };
    }
    const user = await this.projectQuotas(projectId, { usages: true, userId });
    const ulimits = pick(user, (v) => v.limit);
    const uused = pick(user, (v) => v.in_use ?? 0);
    const overs: InstanceResource[] = [];
    let overUser = false;
    for (const k of keys) {
      if (plimits[k] >= 0 && pused[k] + deltas[k] > plimits[k]) overs.push(k);
      else if (ulimits[k] >= 0 && uused[k] + deltas[k] > ulimits[k]) {
        overs.push(k);
        overUser = true;
      }
    }
    return { overs, limits: overUser ? ulimits : plimits, used: uused };
  }

  /** Quotas.create_limit / update_limit: sets a project's (or one of its users') limit. */
  async setLimit(projectId: string, resource: QuotaResource, hardLimit: number, userId?: string): Promise<void> {
    if (userId !== undefined) await upsertUserLimit(this.db, projectId, userId, resource, hardLimit);
    else await upsertProjectLimit(this.db, projectId, resource, hardLimit);
  }

  /** Forgets a project's limits and its users': the defaults apply again (quota_destroy_all_by_project). */
  async destroyAllByProject(projectId: string): Promise<void> {
    await deleteProjectLimits(this.db, projectId);
  }

  /** Forgets one user's limits in a project: the project's apply again. */
  async destroyAllByProjectAndUser(projectId: string, userId: string): Promise<void> {
    await deleteUserLimits(this.db, projectId, userId);
  }
}
