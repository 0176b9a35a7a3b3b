/**
 * Quotas: per-project limits with defaults from config, counted inside the creating
 * transaction so two racing creates cannot both pass the last free unit.
 */
import type { Kysely } from 'kysely';
import type { Config } from '../../common/config.js';
import { type QuotaCountedTable, countProjectRows, selectQuotaLimit, selectQuotaLimits } from '../db/quotas.js';
import type { NeutronDB } from '../db/schema.js';
import { OverQuota } from '../errors.js';

export const QUOTA_RESOURCES = ['network', 'subnet', 'port', 'router', 'floatingip', 'security_group', 'security_group_rule', 'rbac_policy', 'subnetpool'] as const;
export type QuotaResource = (typeof QUOTA_RESOURCES)[number];

const TABLE: Partial<Record<QuotaResource, QuotaCountedTable>> = {
  network: 'networks',
  subnet: 'subnets',
  port: 'ports',
  router: 'routers',
  floatingip: 'floatingips',
  security_group: 'securitygroups',
  security_group_rule: 'securitygrouprules',
  subnetpool: 'subnetpools',
};

/** The configured default of a resource's quota. */
export function defaultQuota(cfg: Config, r: QuotaResource): number {
  const n = cfg.network;
  const map: Record<QuotaResource, number> = {
    network: n.quota_network,
    subnet: n.quota_subnet,
    port: n.quota_port,
    router: n.quota_router,
    floatingip: n.quota_floatingip,
    security_group: n.quota_security_group,
    security_group_rule: n.quota_security_group_rule,
    rbac_policy: 10,
    subnetpool: -1,
  };
  return map[r];
}

/** Every limit of a project: its own rows over the defaults. */
export async function getLimits(db: Kysely<NeutronDB>, cfg: Config, projectId: string): Promise<Record<QuotaResource, number>> {
  const rows = await selectQuotaLimits(db, projectId);
  const out = Object.fromEntries(QUOTA_RESOURCES.map((r) => [r, defaultQuota(cfg, r)])) as Record<QuotaResource, number>;
  for (const r of rows) if ((QUOTA_RESOURCES as readonly string[]).includes(r.resource)) out[r.resource as QuotaResource] = r.limit;
  return out;
}

/** How many of each resource a project holds. */
export async function getUsage(db: Kysely<NeutronDB>, projectId: string): Promise<Record<QuotaResource, number>> {
  const out = Object.fromEntries(QUOTA_RESOURCES.map((r) => [r, 0])) as Record<QuotaResource, number>;
  for (const [r, table] of Object.entries(TABLE)) out[r as QuotaResource] = await countProjectRows(db, table, projectId);
  return out;
}

/** Raises OverQuota when adding `delta` of `resource` would pass the project's limit. Call inside the write transaction. */
export async function checkQuota(db: Kysely<NeutronDB>, cfg: Config, projectId: string, resource: QuotaResource, delta = 1): Promise<void> {
  const row = await selectQuotaLimit(db, projectId, resource);
  const limit = row ? row.limit : defaultQuota(cfg, resource);
  if (limit < 0) return;
  const table = TABLE[resource];
  if (!table) return;
  const used = await countProjectRows(db, table, projectId);
  if (used + delta > limit) throw new OverQuota([resource]);
}
