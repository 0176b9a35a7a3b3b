/**
 * nova's quota engine with the DB driver (nova/quota.py), per project: the resources,
 * their defaults (CONF.quota, which Nimbus takes from [compute] quota_* for instances,
 * cores and ram), the limits a project was given (the quotas table), and usage counted
 * from the instances that exist — nova has counted rather than reserved since Pike.
 * key_pairs and server_group_members are per-user resources whose usage nova never
 * counts here (always 0); server_groups are counted per project (or user).
 */
import type { Kysely } from 'kysely';
import type { Config } from '../../common/config.js';
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

/** Limits and usage of a project's quotas (nova's QUOTAS with the DbQuotaDriver). */
export class QuotaEngine {
  constructor(
    private readonly db: Kysely<NovaDB>,
    private readonly cfg: Config,
  ) {}

  /** QUOTAS.get_defaults: no default quota class exists, so the configured values. */
  defaults(): Record<QuotaResource, number> {
    return quotaDefaults(this.cfg);
  }

  /** Instances, cores and RAM of a project's (or one user's) live instances. */
  async usage(projectId: string, userId?: string): Promise<{ instances: number; cores: number; ram: number; server_groups: number }> {
    let q = this.db
      .selectFrom('instances')
      .select((eb) => [eb.fn.countAll<number>().as('n'), eb.fn.sum<number>('vcpus').as('cores'), eb.fn.sum<number>('memory_mb').as('ram')])
      .where('project_id', '=', projectId)
      .where('deleted', '=', 0);
    if (userId !== undefined) q = q.where('user_id', '=', userId);
    const r = await q.executeTakeFirstOrThrow();
    let g = this.db.selectFrom('instance_groups').select((eb) => eb.fn.countAll<number>().as('n')).where('project_id', '=', projectId);
    if (userId !== undefined) g = g.where('user_id', '=', userId);
    const groups = await g.executeTakeFirstOrThrow();
    return { instances: Number(r.n), cores: Number(r.cores ?? 0), ram: Number(r.ram ?? 0), server_groups: Number(groups.n) };
  }

  /**
   * get_project_quotas: every resource's limit (the project's own, else the default),
   * with in_use when usages is set. `userId` scopes the counted usage to one user (the
   * limits stay the project's: Nimbus keeps no per-user limits).
   */
  async projectQuotas(projectId: string, o: { usages?: boolean; userId?: string } = {}): Promise<Record<QuotaResource, QuotaValue>> {
    const defaults = this.defaults();
    const rows = await this.db.selectFrom('quotas').select(['resource', 'hard_limit']).where('project_id', '=', projectId).execute();
    const own = new Map(rows.map((r) => [r.resource, r.hard_limit]));
    const used = o.usages ? await this.usage(projectId, o.userId) : null;
    const out = {} as Record<QuotaResource, QuotaValue>;
    for (const r of QUOTA_RESOURCES) {
      out[r] = { limit: own.get(r) ?? defaults[r] };
      if (used) out[r].in_use = COUNTED.has(r) ? used[r as 'instances' | 'cores' | 'ram' | 'server_groups'] : 0;
    }
    return out;
  }

  /** Sets a project's limit for one resource (create or update). */
  async setLimit(projectId: string, resource: QuotaResource, hardLimit: number): Promise<void> {
    const r = await this.db.updateTable('quotas').set({ hard_limit: hardLimit }).where('project_id', '=', projectId).where('resource', '=', resource).executeTakeFirst();
    if (Number(r.numUpdatedRows) === 0) await this.db.insertInto('quotas').values({ project_id: projectId, resource, hard_limit: hardLimit }).execute();
  }

  /** Forgets a project's limits: the defaults apply again. */
  async destroyAllByProject(projectId: string): Promise<void> {
    await this.db.deleteFrom('quotas').where('project_id', '=', projectId).execute();
  }
}
