/**
 * Security groups and rules, with neutron's default group: every project gets one
 * named "default" the first time it needs it (listing groups, creating a port or a
 * group), with its four rules; the default_security_group primary key keeps it single
 * under races.
 */
import type { Kysely } from 'kysely';
import type { RequestContext } from '../../common/auth.js';
import { NamedError } from '../../common/errors.js';
import { fromBool, isUniqueViolation, toBool } from '../../db/database.js';
import type { Dict } from '../api/resource.js';
import { specifiedKeys } from '../api/resource.js';
import { formatCidr, parseCidr } from '../ipam/index.js';
import type { NeutronDB, SecurityGroupRow, SecurityGroupRuleRow } from '../db/schema.js';
import {
  PolicyNotAuthorized,
  SecurityGroupCannotRemoveDefault,
  SecurityGroupInUse,
  SecurityGroupNotFound,
  SecurityGroupRuleExists,
  SecurityGroupRuleNotFound,
  badRequest,
} from '../errors.js';
import { type PluginDeps, nowIso } from './deps.js';
import { checkQuota } from './quotas.js';
import { deleteTagsOf, loadTags } from './tags.js';

const PROTOCOLS: Record<string, number> = { ah: 51, dccp: 33, egp: 8, esp: 50, gre: 47, hopopt: 0, icmp: 1, igmp: 2, ipip: 4, ipv6_encap: 41, ipv6_frag: 44, ipv6_icmp: 58, 'ipv6-icmp': 58, ipv6_nonxt: 59, ipv6_opts: 60, ipv6_route: 43, ospf: 89, pgm: 113, rsvp: 46, sctp: 132, tcp: 6, udp: 17, udplite: 136, vrrp: 112, icmpv6: 58, any: -1 };
const PORT_PROTOCOLS = ['tcp', 'udp', 'dccp', 'sctp', 'udplite', '6', '17', '33', '132', '136'];

export class SecurityGroups {
  constructor(private readonly d: PluginDeps) {}

  ruleToDict(r: SecurityGroupRuleRow): Dict {
    return {
      id: r.id,
      tenant_id: r.project_id,
      security_group_id: r.security_group_id,
      ethertype: r.ethertype,
      direction: r.direction,
      protocol: r.protocol,
      port_range_min: r.port_range_min,
      port_range_max: r.port_range_max,
      remote_ip_prefix: r.remote_ip_prefix,
      remote_address_group_id: r.remote_address_group_id,
      normalized_cidr: r.remote_ip_prefix,
      remote_group_id: r.remote_group_id,
      standard_attr_id: undefined,
      description: r.description,
      tags: [],
      created_at: r.created_at,
      updated_at: r.updated_at,
      revision_number: r.revision_number,
      project_id: r.project_id,
    };
  }

  async toDicts(db: Kysely<NeutronDB>, rows: SecurityGroupRow[]): Promise<Dict[]> {
    if (!rows.length) return [];
    const tags = await loadTags(db, 'security_groups', rows.map((r) => r.id));
    const rules = await db.selectFrom('securitygrouprules').selectAll().where('security_group_id', 'in', rows.map((r) => r.id)).orderBy('created_at').execute();
    return rows.map((r) => ({
      id: r.id,
      name: r.name,
      stateful: toBool(r.stateful),
      tenant_id: r.project_id,
      description: r.description,
      security_group_rules: rules.filter((x) => x.security_group_id === r.id).map((x) => this.ruleToDict(x)),
      tags: tags.get(r.id) ?? [],
      created_at: r.created_at,
      updated_at: r.updated_at,
      revision_number: r.revision_number,
      project_id: r.project_id,
    }));
  }

  /** The project's default group id, creating it (and its rules) if it does not exist yet. */
  async ensureDefault(trx: Kysely<NeutronDB>, projectId: string): Promise<string> {
    const existing = await trx.selectFrom('default_security_group').select('security_group_id').where('project_id', '=', projectId).executeTakeFirst();
    if (existing) return existing.security_group_id;
    const id = this.d.random.uuid();
    const now = nowIso(this.d.clock.now());
    await trx.insertInto('securitygroups').values({ id, project_id: projectId, name: 'default', stateful: 1, description: 'Default security group', created_at: now, updated_at: now, revision_number: 1 }).execute();
    try {
      await trx.insertInto('default_security_group').values({ project_id: projectId, security_group_id: id }).execute();
    } catch (e) {
      if (!isUniqueViolation(e)) throw e;
      await trx.deleteFrom('securitygroups').where('id', '=', id).execute();
      return (await trx.selectFrom('default_security_group').select('security_group_id').where('project_id', '=', projectId).executeTakeFirstOrThrow()).security_group_id;
    }
    const rule = (direction: string, ethertype: string, remote: string | null): SecurityGroupRuleRow => ({
      id: this.d.random.uuid(),
      project_id: projectId,
      security_group_id: id,
      remote_group_id: remote,
      remote_address_group_id: null,
      direction,
      ethertype,
      protocol: null,
      port_range_min: null,
      port_range_max: null,
      remote_ip_prefix: null,
      description: '',
      created_at: now,
      updated_at: now,
      revision_number: 0,
    });
    await trx.insertInto('securitygrouprules').values([rule('ingress', 'IPv4', id), rule('ingress', 'IPv6', id), rule('egress', 'IPv4', null), rule('egress', 'IPv6', null)]).execute();
    return id;
  }

  async getRow(ctx: RequestContext, id: string, db: Kysely<NeutronDB> = this.d.db): Promise<SecurityGroupRow> {
    const row = await db.selectFrom('securitygroups').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row || (!ctx.isAdmin && row.project_id !== ctx.projectId)) throw new SecurityGroupNotFound(id);
    return row;
  }

  /** A group a port of `projectId` may use; SecurityGroupNotFound otherwise. */
  async getRowForPort(ctx: RequestContext, db: Kysely<NeutronDB>, id: string, projectId: string): Promise<SecurityGroupRow> {
    const row = await db.selectFrom('securitygroups').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row || (row.project_id !== projectId && !ctx.isAdmin)) throw new SecurityGroupNotFound(id);
    return row;
  }

  async get(ctx: RequestContext, id: string): Promise<Dict> {
    return (await this.toDicts(this.d.db, [await this.getRow(ctx, id)]))[0]!;
  }

  async list(ctx: RequestContext, filters: Map<string, unknown[]>): Promise<Dict[]> {
    await this.d.db.transaction().execute((trx) => this.ensureDefault(trx, ctx.projectId));
    let q = this.d.db.selectFrom('securitygroups').selectAll();
    const ids = filters.get('id') as string[] | undefined;
    if (ids) q = q.where('id', 'in', ids);
    if (!ctx.isAdmin) q = q.where('project_id', '=', ctx.projectId);
    return this.toDicts(this.d.db, await q.orderBy('created_at').orderBy('id').execute());
  }

  async create(ctx: RequestContext, body: Dict): Promise<Dict> {
    const d = this.d;
    const projectId = body.project_id as string;
    if (body.name === 'default' && !ctx.isAdmin) {
      throw new NamedError(409, 'SecurityGroupDefaultAlreadyExists', 'Default security group already exists.');
    }
    return d.db.transaction().execute(async (trx) => {
      await this.ensureDefault(trx, projectId);
      await checkQuota(trx, d.cfg, projectId, 'security_group');
      const now = nowIso(d.clock.now());
      const row: SecurityGroupRow = { id: d.random.uuid(), project_id: projectId, name: body.name as string, stateful: fromBool(body.stateful !== false), description: body.description as string, created_at: now, updated_at: now, revision_number: 1 };
      await trx.insertInto('securitygroups').values(row).execute();
      for (const ethertype of ['IPv4', 'IPv6']) {
        await trx
          .insertInto('securitygrouprules')
          .values({ id: d.random.uuid(), project_id: projectId, security_group_id: row.id, remote_group_id: null, remote_address_group_id: null, direction: 'egress', ethertype, protocol: null, port_range_min: null, port_range_max: null, remote_ip_prefix: null, description: '', created_at: now, updated_at: now, revision_number: 0 })
          .execute();
      }
      return (await this.toDicts(trx, [row]))[0]!;
    });
  }

  async update(ctx: RequestContext, id: string, body: Dict): Promise<Dict> {
    return this.d.db.transaction().execute(async (trx) => {
      const row = await this.getRow(ctx, id, trx);
      const keys = specifiedKeys(body);
      if (row.name === 'default' && keys.has('name') && body.name !== 'default') {
        throw new NamedError(409, 'SecurityGroupCannotUpdateDefault', 'Updating default security group not allowed.');
      }
      const set: Partial<SecurityGroupRow> = { updated_at: nowIso(this.d.clock.now()), revision_number: row.revision_number + 1 };
      if (keys.has('name')) set.name = body.name as string;
      if (keys.has('description')) set.description = body.description as string;
      if (keys.has('stateful')) set.stateful = fromBool(body.stateful as boolean);
      await trx.updateTable('securitygroups').set(set).where('id', '=', id).execute();
      return (await this.toDicts(trx, [{ ...row, ...set }]))[0]!;
    });
  }

  async delete(ctx: RequestContext, id: string): Promise<void> {
    await this.d.db.transaction().execute(async (trx) => {
      const row = await this.getRow(ctx, id, trx);
      if (row.name === 'default' && !ctx.isAdmin) throw new SecurityGroupCannotRemoveDefault();
      const used = await trx.selectFrom('securitygroupportbindings').select('port_id').where('security_group_id', '=', id).executeTakeFirst();
      if (used) throw new SecurityGroupInUse(id);
      await trx.deleteFrom('default_security_group').where('security_group_id', '=', id).execute();
      await deleteTagsOf(trx, 'security_groups', [id]);
      await trx.deleteFrom('securitygroups').where('id', '=', id).execute();
    });
  }

  // ---- rules ----

  async getRule(ctx: RequestContext, id: string): Promise<Dict> {
    const row = await this.d.db.selectFrom('securitygrouprules').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row || (!ctx.isAdmin && row.project_id !== ctx.projectId)) throw new SecurityGroupRuleNotFound(id);
    return this.ruleToDict(row);
  }

  async listRules(ctx: RequestContext, filters: Map<string, unknown[]>): Promise<Dict[]> {
    let q = this.d.db.selectFrom('securitygrouprules').selectAll();
    const sg = filters.get('security_group_id') as string[] | undefined;
    if (sg) q = q.where('security_group_id', 'in', sg);
    if (!ctx.isAdmin) q = q.where('project_id', '=', ctx.projectId);
    return (await q.orderBy('created_at').orderBy('id').execute()).map((r) => this.ruleToDict(r));
  }

  async createRule(ctx: RequestContext, body: Dict): Promise<Dict> {
    const d = this.d;
    const direction = body.direction as string;
    const ethertype = (body.ethertype as string) ?? 'IPv4';
    let protocol = body.protocol === undefined || body.protocol === null ? null : String(body.protocol).toLowerCase();
    if (protocol !== null && !(protocol in PROTOCOLS) && !(/^\d+$/.test(protocol) && Number(protocol) <= 255)) {
      throw new NamedError(400, 'SecurityGroupRuleInvalidProtocol', `Security group rule protocol ${protocol} not supported. Only protocol values [${Object.keys(PROTOCOLS).filter((p) => p !== 'any').map((p) => `'${p}'`).join(', ')}, None] and integer representations [0 to 255] are supported.`);
    }
    if (protocol === 'any') protocol = null;
    const min = (body.port_range_min ?? null) as number | null;
    const max = (body.port_range_max ?? null) as number | null;
    if ((min !== null || max !== null) && (protocol === null || !PORT_PROTOCOLS.includes(protocol)) && !['icmp', '1', 'ipv6-icmp', 'icmpv6', '58'].includes(protocol ?? '')) {
      throw new NamedError(400, 'SecurityGroupProtocolRequiredWithPorts', 'Must also specify protocol if port range is given.');
    }
    if (min !== null && max !== null && PORT_PROTOCOLS.includes(protocol ?? '') && min > max) {
      throw new NamedError(400, 'SecurityGroupInvalidPortRange', 'For TCP/UDP protocols, port_range_min must be <= port_range_max');
    }
    let prefix = (body.remote_ip_prefix ?? null) as string | null;
    if (prefix !== null) {
      const c = parseCidr(prefix);
      if (!c) throw badRequest(`Invalid input for remote_ip_prefix. Reason: '${prefix}' is not a valid IP subnet.`);
      if ((c.version === 4 ? 'IPv4' : 'IPv6') !== ethertype) {
        throw new NamedError(400, 'SecurityGroupRuleParameterConflict', `Conflicting value ethertype ${ethertype} for CIDR ${prefix}`);
      }
      prefix = formatCidr(c);
    }
    const remoteGroup = (body.remote_group_id ?? null) as string | null;
    if (prefix !== null && remoteGroup !== null) {
      throw new NamedError(400, 'SecurityGroupRemoteGroupAndRemoteIpPrefix', 'Only remote_ip_prefix or remote_group_id may be provided.');
    }
    return d.db.transaction().execute(async (trx) => {
      const sg = await this.getRow(ctx, body.security_group_id as string, trx);
      if (remoteGroup) await this.getRow(ctx, remoteGroup, trx);
      await checkQuota(trx, d.cfg, sg.project_id, 'security_group_rule');
      const same = await trx.selectFrom('securitygrouprules').selectAll().where('security_group_id', '=', sg.id).execute();
      const dup = same.find((r) => r.direction === direction && r.ethertype === ethertype && r.protocol === protocol && r.port_range_min === min && r.port_range_max === max && r.remote_ip_prefix === prefix && r.remote_group_id === remoteGroup);
      if (dup) throw new SecurityGroupRuleExists(dup.id);
      const now = nowIso(d.clock.now());
      const row: SecurityGroupRuleRow = { id: d.random.uuid(), project_id: sg.project_id, security_group_id: sg.id, remote_group_id: remoteGroup, remote_address_group_id: null, direction, ethertype, protocol, port_range_min: min, port_range_max: max, remote_ip_prefix: prefix, description: (body.description as string) ?? '', created_at: now, updated_at: now, revision_number: 0 };
      await trx.insertInto('securitygrouprules').values(row).execute();
      await trx.updateTable('securitygroups').set({ revision_number: sg.revision_number + 1 }).where('id', '=', sg.id).execute();
      return this.ruleToDict(row);
    });
  }

  async deleteRule(ctx: RequestContext, id: string): Promise<void> {
    const row = await this.d.db.selectFrom('securitygrouprules').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row || (!ctx.isAdmin && row.project_id !== ctx.projectId)) throw new SecurityGroupRuleNotFound(id);
    await this.d.db.deleteFrom('securitygrouprules').where('id', '=', id).execute();
  }
}
export { PolicyNotAuthorized };
