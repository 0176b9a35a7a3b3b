/**
 * Subnet pools (subnet_allocation, default-subnetpools, subnetpool-prefix-ops): neutron's
 * create/update/delete_subnetpool, add/remove_prefixes and the allocation of a subnet's
 * CIDR from a pool (ipam_pluggable_backend.allocate_subnet with the SubnetAllocator).
 *
 * A pool is visible to admins, its project and, when shared, everyone (get_subnetpool:
 * admin, project reader or rule:shared_subnetpools); only admins and its project may
 * change or delete it. No RBAC policies and no address scopes.
 */
import type { Kysely } from 'kysely';
import type { RequestContext } from '../../common/auth.js';
import { fromBool, toBool } from '../../db/database.js';
import type { Dict } from '../api/resource.js';
import { specifiedKeys } from '../api/resource.js';
import type { NeutronDB, SubnetPoolRow } from '../db/schema.js';
import {
  allocatedCidrs,
  deleteSubnetPool,
  getSubnetPool,
  insertSubnetPool,
  listSubnetPools,
  lockSubnetPool,
  prefixesOf,
  replacePrefixes,
  updateSubnetPool,
} from '../db/subnetpools.js';
import { InvalidInput, PolicyNotAuthorized, badRequest } from '../errors.js';
import { type Cidr, type IpVersion, type PoolSpec, type SubnetRequest, PrefixSet, allocateFromPool, formatCidr, parseCidr, readSubnetPool } from '../ipam/index.js';
import { AddressScopeNotFound, IllegalSubnetPoolPrefixUpdate, SubnetPoolDeleteError, SubnetPoolNotFound } from '../subnetpool-errors.js';
import { type PluginDeps, nowIso } from './deps.js';
import { checkQuota } from './quotas.js';
import { deleteTagsOf, loadTags } from '../db/tags.js';

type Db = Kysely<NeutronDB>;

/** The pool rule readSubnetPool applies, from a stored row and its prefixes. */
function specOf(row: SubnetPoolRow, prefixes: readonly string[]): PoolSpec {
  return {
    ipVersion: row.ip_version as IpVersion,
    prefixes: prefixes.map((p) => parseCidr(p)!),
    minPrefixlen: row.min_prefixlen,
    maxPrefixlen: row.max_prefixlen,
    defaultPrefixlen: row.default_prefixlen,
    defaultQuota: row.default_quota,
  };
}

/** Sorted as netaddr.IPSet.iter_cidrs yields them. */
const cidrTexts = (cidrs: readonly Cidr[]) => cidrs.map(formatCidr);

export class SubnetPools {
  constructor(private readonly d: PluginDeps) {}

  /**
   * _make_subnetpool_dict with standard attributes and tags. Neutron prints the prefix
   * lengths as strings there, but its update answers the integers it stored
   * (update_subnetpool's `updated['key'] = str(...)` typo): `intPrefixlens` keeps that.
   */
  async toDicts(db: Db, rows: SubnetPoolRow[], intPrefixlens = false): Promise<Dict[]> {
    if (!rows.length) return [];
    const ids = rows.map((r) => r.id);
    const [prefixes, tags] = await Promise.all([prefixesOf(db, ids), loadTags(db, 'subnetpools', ids)]);
    const len = (n: number) => (intPrefixlens ? n : String(n));
    return rows.map((r) => ({
      id: r.id,
      name: r.name,
      tenant_id: r.project_id,
      default_prefixlen: len(r.default_prefixlen),
      min_prefixlen: len(r.min_prefixlen),
      max_prefixlen: len(r.max_prefixlen),
      is_default: toBool(r.is_default),
      shared: toBool(r.shared),
      prefixes: cidrTexts(PrefixSet.of(r.ip_version as IpVersion, (prefixes.get(r.id) ?? []).map((p) => parseCidr(p)!)).cidrs()),
      ip_version: r.ip_version,
      default_quota: r.default_quota,
      address_scope_id: null,
      description: r.description,
      tags: tags.get(r.id) ?? [],
      created_at: r.created_at,
      updated_at: r.updated_at,
      revision_number: r.revision_number,
      project_id: r.project_id,
    }));
  }

  #visible(ctx: RequestContext, row: SubnetPoolRow): boolean {
    return ctx.isAdmin || row.project_id === ctx.projectId || toBool(row.shared);
  }

  /** A pool the caller may see; SubnetPoolNotFound otherwise. */
  async getRow(ctx: RequestContext, id: string, db: Db = this.d.db): Promise<SubnetPoolRow> {
    const row = await getSubnetPool(db, id);
    if (!row || !this.#visible(ctx, row)) throw new SubnetPoolNotFound(id);
    return row;
  }

  /** A pool the caller may change: visible, and theirs unless admin (else the rule's 403). */
  async #ownedRow(ctx: RequestContext, id: string, db: Db, rule: string): Promise<SubnetPoolRow> {
    const row = await this.getRow(ctx, id, db);
    if (!ctx.isAdmin && row.project_id !== ctx.projectId) throw new PolicyNotAuthorized(`rule:${rule}`);
    return row;
  }

  async get(ctx: RequestContext, id: string): Promise<Dict> {
    return (await this.toDicts(this.d.db, [await this.getRow(ctx, id)]))[0]!;
  }

  async list(ctx: RequestContext, _filters: Map<string, unknown[]>): Promise<Dict[]> {
    const rows = (await listSubnetPools(this.d.db)).filter((r) => this.#visible(ctx, r));
    return this.toDicts(this.d.db, rows);
  }

  /** get_default_subnetpool: the visible default pool of an IP version, if any. */
  async defaultPool(ctx: RequestContext, ipVersion: number, db: Db = this.d.db): Promise<SubnetPoolRow | undefined> {
    return (await listSubnetPools(db)).find((r) => toBool(r.is_default) && r.ip_version === ipVersion && this.#visible(ctx, r));
  }

  /** _check_default_subnetpool_exists: one default per IP version. */
  async #checkNoDefault(ctx: RequestContext, ipVersion: number, db: Db): Promise<void> {
    if (await this.defaultPool(ctx, ipVersion, db)) {
      throw new InvalidInput('A default subnetpool for this IP family has already been set. Only one default may exist per IP family');
    }
  }

  async create(ctx: RequestContext, body: Dict): Promise<Dict> {
    const d = this.d;
    const spec = readSubnetPool({
      prefixes: body.prefixes as string[],
      minPrefixlen: body.min_prefixlen as number | undefined,
      maxPrefixlen: body.max_prefixlen as number | undefined,
      defaultPrefixlen: body.default_prefixlen as number | undefined,
      defaultQuota: body.default_quota as number | undefined,
    });
    return d.db.transaction().execute(async (trx) => {
      if (body.is_default) await this.#checkNoDefault(ctx, spec.ipVersion, trx);
      if (typeof body.address_scope_id === 'string') throw new AddressScopeNotFound(body.address_scope_id);
      await checkQuota(trx, d.cfg, body.project_id as string, 'subnetpool');
      const now = nowIso(d.clock.now());
      const row: SubnetPoolRow = {
        id: d.random.uuid(),
        project_id: body.project_id as string,
        name: body.name as string,
        ip_version: spec.ipVersion,
        default_prefixlen: spec.defaultPrefixlen,
        min_prefixlen: spec.minPrefixlen,
        max_prefixlen: spec.maxPrefixlen,
        shared: fromBool(body.shared as boolean),
        is_default: fromBool(body.is_default as boolean),
        default_quota: spec.defaultQuota,
        hash: d.random.uuid(),
        description: body.description as string,
        created_at: now,
        updated_at: now,
        // Attaching the prefixes revises the new pool once, as neutron's revision plugin does.
        revision_number: 1,
      };
      await insertSubnetPool(trx, row, cidrTexts(spec.prefixes));
      return (await this.toDicts(trx, [row]))[0]!;
    });
  }

  /**
   * update_subnetpool: the prefixes may only grow (the new list must cover the old);
   * bounds and is_default are checked again over the merged pool.
   */
  async update(ctx: RequestContext, id: string, body: Dict): Promise<Dict> {
    return this.d.db.transaction().execute(async (trx) => {
      const row = await this.#ownedRow(ctx, id, trx, 'update_subnetpool');
      const keys = specifiedKeys(body);
      const old = (await prefixesOf(trx, [id])).get(id)!;
      let prefixes = old;
      if (keys.has('prefixes')) {
        const version = row.ip_version as IpVersion;
        const next = body.prefixes as string[];
        // The old prefixes are all of the pool's version: only those of the new can cover
        // them (a mixed list then fails the reader's PrefixVersionMismatch).
        const nextCidrs = next.map((p) => parseCidr(p)!).filter((c) => c.version === version);
        const oldSet = PrefixSet.of(version, old.map((p) => parseCidr(p)!));
        if (!oldSet.isSubsetOf(PrefixSet.of(version, nextCidrs))) throw new IllegalSubnetPoolPrefixUpdate('Existing prefixes must be a subset of the new prefixes');
        prefixes = next;
      }
      const pick = <T>(k: string, cur: T): T => (keys.has(k) ? (body[k] as T) : cur);
      const spec = readSubnetPool({
        prefixes,
        minPrefixlen: pick('min_prefixlen', row.min_prefixlen),
        maxPrefixlen: pick('max_prefixlen', row.max_prefixlen),
        defaultPrefixlen: pick('default_prefixlen', row.default_prefixlen),
        defaultQuota: pick('default_quota', row.default_quota),
      });
      const isDefault = pick('is_default', toBool(row.is_default));
      if (isDefault && !toBool(row.is_default)) await this.#checkNoDefault(ctx, spec.ipVersion, trx);
      if (typeof body.address_scope_id === 'string') throw new AddressScopeNotFound(body.address_scope_id);
      const set: Partial<SubnetPoolRow> = {
        name: pick('name', row.name),
        description: pick('description', row.description),
        min_prefixlen: spec.minPrefixlen,
        max_prefixlen: spec.maxPrefixlen,
        default_prefixlen: spec.defaultPrefixlen,
        default_quota: spec.defaultQuota,
        is_default: fromBool(isDefault),
        updated_at: nowIso(this.d.clock.now()),
        revision_number: row.revision_number + 1,
      };
      await updateSubnetPool(trx, id, set);
      if (keys.has('prefixes')) await replacePrefixes(trx, id, cidrTexts(spec.prefixes));
      return (await this.toDicts(trx, [{ ...row, ...set }], true))[0]!;
    });
  }

  /** delete_subnetpool: refused while any subnet was allocated from the pool. */
  async delete(ctx: RequestContext, id: string): Promise<void> {
    await this.d.db.transaction().execute(async (trx) => {
      await this.#ownedRow(ctx, id, trx, 'delete_subnetpool');
      if ((await allocatedCidrs(trx, id)).length) throw new SubnetPoolDeleteError('Subnet pool has existing allocations');
      await deleteTagsOf(trx, 'subnetpools', [id]);
      await deleteSubnetPool(trx, id);
    });
  }

  /** PUT /v2.0/subnetpools/{id}/add_prefixes: the pool's prefixes after the union. */
  async addPrefixes(ctx: RequestContext, id: string, body: unknown): Promise<{ prefixes: string[] }> {
    const prefixes = operationPrefixes(body);
    await this.#ownedRow(ctx, id, this.d.db, 'add_prefixes');
    const current = (await prefixesOf(this.d.db, [id])).get(id)!;
    const updated = await this.update(ctx, id, prefixBody([...current, ...prefixes]));
    return { prefixes: updated.prefixes as string[] };
  }

  /**
   * PUT /v2.0/subnetpools/{id}/remove_prefixes: the pool's prefixes after the
   * difference; prefixes a subnet was allocated from cannot go.
   */
  async removePrefixes(ctx: RequestContext, id: string, body: unknown): Promise<{ prefixes: string[] }> {
    const prefixes = operationPrefixes(body);
    return this.d.db.transaction().execute(async (trx) => {
      const row = await this.#ownedRow(ctx, id, trx, 'remove_prefixes');
      const version = row.ip_version as IpVersion;
      const current = (await prefixesOf(trx, [id])).get(id)!;
      const all = PrefixSet.of(version, current.map((p) => parseCidr(p)!));
      // netaddr.IPSet(prefixes) raises on anything not an address or network: neutron's 500.
      const removal = PrefixSet.of(version, prefixes.map(parseRemoval).filter((c) => c.version === version));
      if (all.isDisjoint(removal)) return { prefixes: cidrTexts(all.cidrs()) };
      const allocated = PrefixSet.of(version, (await allocatedCidrs(trx, id)).map((c) => parseCidr(c)!));
      if (!allocated.isDisjoint(removal)) throw new IllegalSubnetPoolPrefixUpdate('One or more the prefixes to be removed is in use by a subnet.');
      const left = cidrTexts(all.difference(removal).cidrs());
      await replacePrefixes(trx, id, left);
      await updateSubnetPool(trx, id, { updated_at: nowIso(this.d.clock.now()), revision_number: row.revision_number + 1 });
      return { prefixes: left };
    });
  }

  /**
   * The subnet_alloc path of create_subnet: the CIDR a subnet request gets from a pool,
   * under the pool's lock (its hash rewritten, so a concurrent allocation from the same
   * pool fails rather than overlaps). Call inside the subnet's transaction.
   */
  async allocate(trx: Db, pool: SubnetPoolRow, req: SubnetRequest): Promise<Cidr> {
    if (!(await lockSubnetPool(trx, pool.id, pool.hash, this.d.random.uuid()))) throw new SubnetPoolNotFound(pool.id);
    const prefixes = (await prefixesOf(trx, [pool.id])).get(pool.id)!;
    const toCidrs = (texts: string[]) => texts.map((t) => parseCidr(t)!);
    const [allocated, owners] = await Promise.all([allocatedCidrs(trx, pool.id), allocatedCidrs(trx, pool.id, pool.project_id)]);
    return allocateFromPool(specOf(pool, prefixes), toCidrs(allocated), toCidrs(owners), req);
  }
}

/** neutron's subnetpool_prefix_ops.get_operation_request_body: a non-empty list under "prefixes". */
function operationPrefixes(body: unknown): unknown[] {
  const prefixes = body !== null && typeof body === 'object' && !Array.isArray(body) ? (body as Dict).prefixes : undefined;
  if (!Array.isArray(prefixes) || prefixes.length === 0) throw badRequest('Request body contains invalid data');
  return prefixes;
}

/** An add_prefixes list as an update body, validated as the attribute map validates prefixes. */
function prefixBody(prefixes: unknown[]): Dict {
  const body: Dict = { prefixes };
  const reason = validatePrefixList(prefixes);
  if (reason) throw badRequest(`Invalid input for prefixes. Reason: ${reason}.`);
  return body;
}

function validatePrefixList(prefixes: unknown[]): string | undefined {
  for (const p of prefixes) {
    if (typeof p !== 'string' || !parseCidr(p)) return `'${String(p)}' is not a valid IP subnet`;
  }
  return undefined;
}

/** A prefix to remove: a CIDR, or a bare address as a host route (netaddr.IPSet accepts both). */
function parseRemoval(p: unknown): Cidr {
  const text = typeof p === 'string' && !p.includes('/') ? `${p}/${p.includes(':') ? 128 : 32}` : p;
  const cidr = typeof text === 'string' ? parseCidr(text) : null;
  if (!cidr) throw badRequest('Request body contains invalid data');
  return cidr;
}
