/**
 * Security groups and rules, with neutron's default group: every project gets one
 * named "default" the first time it needs it (listing groups, creating a port or a
 * group), with its four rules; the default_security_group primary key keeps it single
 * under races.
 */
import type { Kysely } from 'kysely';
import type { RequestContext } from '../../common/auth.js';
import { fromBool, isUniqueViolation, toBool } from '../../db/database.js';
import type { Dict } from '../api/resource.js';
import { pyRepr } from '../api/validators.js';
import { specifiedKeys } from '../api/resource.js';
import { formatCidr, parseIpNetwork } from '../ipam/index.js';
import type { NeutronDB, SecurityGroupRow, SecurityGroupRuleRow } from '../db/schema.js';
import {
  deleteDefaultSecurityGroup,
  deleteRulesByRemoteGroup,
  deleteSecurityGroup,
  deleteSecurityGroupRule,
  getDefaultSecurityGroupId,
  getSecurityGroup,
  getSecurityGroupRule,
  insertDefaultSecurityGroup,
  insertSecurityGroup,
  insertSecurityGroupRules,
  listSecurityGroupRules,
  listSecurityGroups,
  requireDefaultSecurityGroupId,
  securityGroupInUse,
  selectRulesOfGroup,
  selectRulesOfGroups,
  updateSecurityGroup,
} from '../db/security-groups.js';
import {
  DuplicateSecurityGroupRuleInPost,
  PolicyNotAuthorized,
  SecurityGroupCannotRemoveDefault,
  SecurityGroupCannotUpdateDefault,
  SecurityGroupEthertypeConflictWithProtocol,
  SecurityGroupInUse,
  SecurityGroupInvalidIcmpValue,
  SecurityGroupInvalidPortRange,
  SecurityGroupInvalidPortValue,
  SecurityGroupInvalidProtocolForPort,
  SecurityGroupMissingIcmpType,
  SecurityGroupMultipleRemoteEntites,
  SecurityGroupNotFound,
  SecurityGroupNotSingleGroupRules,
  SecurityGroupProtocolRequiredWithPorts,
  SecurityGroupRuleExists,
  SecurityGroupRuleNotFound,
  SecurityGroupRuleParameterConflict,
  SecurityGroupRulesNotSingleTenant,
} from '../errors.js';
import { type PluginDeps, nowIso } from './deps.js';
import { checkQuota } from './quotas.js';
import { deleteTagsOf, loadTags } from '../db/tags.js';

/** neutron-lib's IP_PROTOCOL_MAP (name to number). */
const PROTOCOL_NUMBERS: Record<string, number> = { ah: 51, dccp: 33, egp: 8, esp: 50, gre: 47, hopopt: 0, icmp: 1, igmp: 2, ip: 0, ipip: 4, 'ipv6-encap': 41, 'ipv6-frag': 44, 'ipv6-icmp': 58, icmpv6: 58, 'ipv6-nonxt': 59, 'ipv6-opts': 60, 'ipv6-route': 43, ospf: 89, pgm: 113, rsvp: 46, sctp: 132, tcp: 6, udp: 17, udplite: 136, vrrp: 112 };
/** IP_PROTOCOL_NUM_TO_NAME_MAP. */
const PROTOCOL_NAMES: Record<string, string> = { 51: 'ah', 33: 'dccp', 8: 'egp', 50: 'esp', 47: 'gre', 0: 'ip', 1: 'icmp', 2: 'igmp', 4: 'ipip', 41: 'ipv6-encap', 44: 'ipv6-frag', 58: 'ipv6-icmp', 59: 'ipv6-nonxt', 60: 'ipv6-opts', 43: 'ipv6-route', 89: 'ospf', 113: 'pgm', 46: 'rsvp', 132: 'sctp', 6: 'tcp', 17: 'udp', 136: 'udplite', 112: 'vrrp' };
/** SG_PORT_PROTO_NAMES / _NUMS: the protocols with ports. */
const PORT_PROTOCOL_NAMES = ['dccp', 'sctp', 'tcp', 'udp', 'udplite'];
const PORT_PROTOCOL_NUMS = [33, 132, 6, 17, 136];
/** Protocols only IPv6 carries (_validate_ethertype_and_protocol). */
const IPV6_ONLY_PROTOCOLS = ['ipv6-encap', 'ipv6-frag', 'ipv6-icmp', 'icmpv6', 'ipv6-nonxt', 'ipv6-opts', 'ipv6-route', '41', '44', '58', '59', '60', '43'];

/** _get_ip_proto_number: the protocol's number ('icmpv6' is ipv6-icmp). */
function protoNumber(protocol: string): number {
  return PROTOCOL_NUMBERS[protocol] ?? Number(protocol);
}

/** _get_ip_proto_name_and_num, as the duplicate check compares protocols ('tcp' equals '6'). */
function protoKey(protocol: string, ethertype: string): string {
  let p = protocol;
  if (ethertype === 'IPv6') {
    if (p === 'icmp' || p === 'icmpv6') p = 'ipv6-icmp';
    else if (p === '1') p = '58';
  }
  if (p in PROTOCOL_NUMBERS) return `${p}|${PROTOCOL_NUMBERS[p]}`;
  if (p in PROTOCOL_NAMES) return `${PROTOCOL_NAMES[p]}|${p}`;
  return `${p}|${p}`;
}

/** _rule_to_key: what makes two rules of a group the same rule (0.0.0.0/0 and ::/0 equal no prefix). */
function ruleKey(r: { direction: string; ethertype: string; port_range_max: number | null; port_range_min: number | null; protocol: string | null; remote_group_id: string | null; remote_address_group_id: string | null; remote_ip_prefix: string | null }): string {
  const prefix = r.remote_ip_prefix === null || r.remote_ip_prefix === '0.0.0.0/0' || r.remote_ip_prefix === '::/0' ? '+' : r.remote_ip_prefix;
  return [r.direction, r.ethertype, r.port_range_max ?? '+', r.port_range_min ?? '+', r.protocol === null ? '+' : protoKey(r.protocol, r.ethertype), r.remote_group_id ?? '+', r.remote_address_group_id ?? '+', prefix].join('_');
}

/**
 * _validate_port_range: ports need a protocol; TCP-like protocols need 1 <= min <= max;
 * ICMP type and code are 0-255 and a code needs a type; no other protocol takes ports.
 */
function validatePortRange(protocol: string | null, min: number | null, max: number | null): void {
  if (min === null && max === null) return;
  if (!protocol) throw new SecurityGroupProtocolRequiredWithPorts();
  const proto = protoNumber(protocol);
  if (PORT_PROTOCOL_NUMS.includes(proto)) {
    if (min === 0 || max === 0) throw new SecurityGroupInvalidPortValue('0');
    if (min === null || max === null || min > max) throw new SecurityGroupInvalidPortRange();
  } else if (proto === 1 || proto === 58) {
    if (min !== null && !(min >= 0 && min <= 255)) throw new SecurityGroupInvalidIcmpValue('type', 'port_range_min', min);
    if (max !== null && !(max >= 0 && max <= 255)) throw new SecurityGroupInvalidIcmpValue('code', 'port_range_max', max);
    if (min === null && max !== null) throw new SecurityGroupMissingIcmpType(max);
  } else {
    throw new SecurityGroupInvalidProtocolForPort(proto, PORT_PROTOCOL_NAMES.map((n) => n.toUpperCase()).join(', '));
  }
}

/**
 * The checks of _validate_security_group_rule that need no database, on a rule the
 * attribute map converted; returns the rule as it is stored (legacy IPv6 ICMP names
 * and the whole 1-65535 range made canonical).
 */
function canonicalRule(body: Dict): Omit<SecurityGroupRuleRow, 'id' | 'project_id' | 'security_group_id' | 'description' | 'created_at' | 'updated_at' | 'revision_number'> {
  const direction = body.direction as string;
  const ethertype = body.ethertype as string;
  // _make_canonical_ipv6_icmp_protocol: legacy IPv6 ICMP names and number 1 become ipv6-icmp / 58.
  let protocol = (body.protocol as string | null) ?? null;
  if (ethertype === 'IPv6' && (protocol === 'icmp' || protocol === 'icmpv6')) protocol = 'ipv6-icmp';
  else if (ethertype === 'IPv6' && protocol === '1') protocol = '58';
  let min = (body.port_range_min ?? null) as number | null;
  let max = (body.port_range_max ?? null) as number | null;
  // _make_canonical_port_range: the whole range 1-65535 is stored as no range.
  if (min === 1 && max === 65535) min = max = null;
  validatePortRange(protocol, min, max);
  const prefix = (body.remote_ip_prefix ?? null) as string | null;
  if (prefix !== null && `IPv${parseIpNetwork(prefix)!.cidr.version}` !== ethertype) {
    throw new SecurityGroupRuleParameterConflict(ethertype, prefix);
  }
  if (protocol !== null && IPV6_ONLY_PROTOCOLS.includes(protocol) && ethertype === 'IPv4') {
    throw new SecurityGroupEthertypeConflictWithProtocol(ethertype, protocol);
  }
  // remote_group_id has no validator at the API: anything that is not a group is SecurityGroupNotFound.
  const rg = body.remote_group_id;
  const remoteGroup = rg === null || rg === undefined || rg === '' ? null : typeof rg === 'string' ? rg : pyRepr(rg);
  const remoteAddressGroup = (body.remote_address_group_id as string | null) ?? null;
  if ([prefix, remoteGroup, remoteAddressGroup].filter((x) => x !== null).length > 1) throw new SecurityGroupMultipleRemoteEntites();
  return { direction, ethertype, protocol, port_range_min: min, port_range_max: max, remote_ip_prefix: prefix, remote_group_id: remoteGroup, remote_address_group_id: remoteAddressGroup };
}

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
      normalized_cidr: r.remote_ip_prefix === null ? null : formatCidr(parseIpNetwork(r.remote_ip_prefix)!.cidr),
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
    const rules = await selectRulesOfGroups(db, rows.map((r) => r.id));
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
    const existing = await getDefaultSecurityGroupId(trx, projectId);
    if (existing) return existing;
    const id = this.d.random.uuid();
    const now = nowIso(this.d.clock.now());
    await insertSecurityGroup(trx, { id, project_id: projectId, name: 'default', stateful: 1, description: 'Default security group', created_at: now, updated_at: now, revision_number: 1 });
    try {
      await insertDefaultSecurityGroup(trx, projectId, id);
    } catch (e) {
      if (!isUniqueViolation(e)) throw e;
      await deleteSecurityGroup(trx, id);
      return requireDefaultSecurityGroupId(trx, projectId);
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
    await insertSecurityGroupRules(trx, [rule('ingress', 'IPv4', id), rule('ingress', 'IPv6', id), rule('egress', 'IPv4', null), rule('egress', 'IPv6', null)]);
    return id;
  }

  async getRow(ctx: RequestContext, id: string, db: Kysely<NeutronDB> = this.d.db): Promise<SecurityGroupRow> {
    const row = await getSecurityGroup(db, id);
    if (!row || (!ctx.isAdmin && row.project_id !== ctx.projectId)) throw new SecurityGroupNotFound(id);
    return row;
  }

  /** A group a port of `projectId` may use; SecurityGroupNotFound otherwise. */
  async getRowForPort(ctx: RequestContext, db: Kysely<NeutronDB>, id: string, projectId: string): Promise<SecurityGroupRow> {
    const row = await getSecurityGroup(db, id);
    if (!row || (row.project_id !== projectId && !ctx.isAdmin)) throw new SecurityGroupNotFound(id);
    return row;
  }

  async get(ctx: RequestContext, id: string): Promise<Dict> {
    return (await this.toDicts(this.d.db, [await this.getRow(ctx, id)]))[0]!;
  }

  async list(ctx: RequestContext, filters: Map<string, unknown[]>): Promise<Dict[]> {
    await this.d.db.transaction().execute((trx) => this.ensureDefault(trx, ctx.projectId));
    const ids = filters.get('id') as string[] | undefined;
    return this.toDicts(this.d.db, await listSecurityGroups(this.d.db, { ids, projectId: ctx.isAdmin ? undefined : ctx.projectId }));
  }

  async create(ctx: RequestContext, body: Dict): Promise<Dict> {
    const d = this.d;
    const projectId = body.project_id as string;
    return d.db.transaction().execute(async (trx) => {
      await this.ensureDefault(trx, projectId);
      await checkQuota(trx, d.cfg, projectId, 'security_group');
      const now = nowIso(d.clock.now());
      const row: SecurityGroupRow = { id: d.random.uuid(), project_id: projectId, name: body.name as string, stateful: fromBool(body.stateful !== false), description: body.description as string, created_at: now, updated_at: now, revision_number: 1 };
      await insertSecurityGroup(trx, row);
      for (const ethertype of ['IPv4', 'IPv6']) {
        await insertSecurityGroupRules(trx, { id: d.random.uuid(), project_id: projectId, security_group_id: row.id, remote_group_id: null, remote_address_group_id: null, direction: 'egress', ethertype, protocol: null, port_range_min: null, port_range_max: null, remote_ip_prefix: null, description: '', created_at: now, updated_at: now, revision_number: 0 });
      }
      return (await this.toDicts(trx, [row]))[0]!;
    });
  }

  async update(ctx: RequestContext, id: string, body: Dict): Promise<Dict> {
    return this.d.db.transaction().execute(async (trx) => {
      const row = await this.getRow(ctx, id, trx);
      const keys = specifiedKeys(body);
      // update_security_group: the default group's name is fixed (the attribute map already
      // refused 'default' as a new name for any group).
      if (row.name === 'default' && keys.has('name')) throw new SecurityGroupCannotUpdateDefault();
      const set: Partial<SecurityGroupRow> = { updated_at: nowIso(this.d.clock.now()), revision_number: row.revision_number + 1 };
      if (keys.has('name')) set.name = body.name as string;
      if (keys.has('description')) set.description = body.description as string;
      if (keys.has('stateful')) set.stateful = fromBool(body.stateful as boolean);
      await updateSecurityGroup(trx, id, set);
      return (await this.toDicts(trx, [{ ...row, ...set }]))[0]!;
    });
  }

  async delete(ctx: RequestContext, id: string): Promise<void> {
    await this.d.db.transaction().execute(async (trx) => {
      const row = await this.getRow(ctx, id, trx);
      if (row.name === 'default' && !ctx.isAdmin) throw new SecurityGroupCannotRemoveDefault();
      if (await securityGroupInUse(trx, id)) throw new SecurityGroupInUse(id);
      await deleteDefaultSecurityGroup(trx, id);
      // Zed's remote_group_id is a foreign key ON DELETE CASCADE: rules of other groups
      // that name this one go with it.
      await deleteRulesByRemoteGroup(trx, id);
      await deleteTagsOf(trx, 'security_groups', [id]);
      await deleteSecurityGroup(trx, id);
    });
  }

  // ---- rules ----

  async getRule(ctx: RequestContext, id: string): Promise<Dict> {
    const row = await getSecurityGroupRule(this.d.db, id);
    if (!row || (!ctx.isAdmin && row.project_id !== ctx.projectId)) throw new SecurityGroupRuleNotFound(id);
    return this.ruleToDict(row);
  }

  async listRules(ctx: RequestContext, filters: Map<string, unknown[]>): Promise<Dict[]> {
    const sg = filters.get('security_group_id') as string[] | undefined;
    return (await listSecurityGroupRules(this.d.db, { groupIds: sg, projectId: ctx.isAdmin ? undefined : ctx.projectId })).map((r) => this.ruleToDict(r));
  }

  async createRule(ctx: RequestContext, body: Dict): Promise<Dict> {
    const d = this.d;
    const { direction, ethertype, protocol, port_range_min: min, port_range_max: max, remote_ip_prefix: prefix, remote_group_id: remoteGroup, remote_address_group_id: remoteAddressGroup } = canonicalRule(body);
    return d.db.transaction().execute(async (trx) => {
      if (remoteGroup) await this.#checkGroup(ctx, trx, remoteGroup, body.project_id as string);
      const sg = await this.#checkGroup(ctx, trx, body.security_group_id as string, body.project_id as string);
      await checkQuota(trx, d.cfg, sg.project_id, 'security_group_rule');
      const same = await selectRulesOfGroup(trx, sg.id);
      const key = ruleKey({ direction, ethertype, port_range_max: max, port_range_min: min, protocol, remote_group_id: remoteGroup, remote_address_group_id: remoteAddressGroup, remote_ip_prefix: prefix });
      const dup = same.find((r) => ruleKey(r) === key);
      if (dup) throw new SecurityGroupRuleExists(dup.id);
      const now = nowIso(d.clock.now());
      const row: SecurityGroupRuleRow = { id: d.random.uuid(), project_id: sg.project_id, security_group_id: sg.id, remote_group_id: remoteGroup, remote_address_group_id: remoteAddressGroup, direction, ethertype, protocol, port_range_min: min, port_range_max: max, remote_ip_prefix: prefix, description: (body.description as string) ?? '', created_at: now, updated_at: now, revision_number: 0 };
      await insertSecurityGroupRules(trx, row);
      await updateSecurityGroup(trx, sg.id, { revision_number: sg.revision_number + 1 });
      return this.ruleToDict(row);
    }).then((rule) => {
      this.#rulesChanged([rule.security_group_id as string]);
      return rule;
    });
  }

  readonly #ruleListeners = new Set<(groupIds: string[]) => void>();

  /** Calls `fn` with the groups whose rules changed, after each rule create or delete commits (the agents' security_groups_rule_updated). */
  onRulesChanged(fn: (groupIds: string[]) => void): () => void {
    this.#ruleListeners.add(fn);
    return () => this.#ruleListeners.delete(fn);
  }

  #rulesChanged(groupIds: string[]): void {
    for (const fn of this.#ruleListeners) fn(groupIds);
  }

  /**
   * create_security_group_rule_bulk_native's checks before any rule is made: one group and
   * one project per request, every rule valid, no rule twice in the request.
   */
  async checkBulkRules(_ctx: RequestContext, items: Dict[]): Promise<void> {
    const groups = new Set<unknown>();
    const projects = new Set<unknown>();
    for (const item of items) {
      groups.add(item.security_group_id);
      if (groups.size > 1) throw new SecurityGroupNotSingleGroupRules();
      projects.add(item.project_id);
      if (projects.size > 1) throw new SecurityGroupRulesNotSingleTenant();
    }
    const keys = new Set<string>();
    for (const item of items) {
      const key = ruleKey(canonicalRule(item));
      if (keys.has(key)) throw new DuplicateSecurityGroupRuleInPost();
      keys.add(key);
    }
  }

  /**
   * _check_security_group with the rule's project: the group must exist and, unless the
   * caller is an admin (whose context sees every group), belong to that project.
   */
  async #checkGroup(ctx: RequestContext, trx: Kysely<NeutronDB>, id: string, projectId: string): Promise<SecurityGroupRow> {
    const row = await getSecurityGroup(trx, id);
    if (!row || (!ctx.isAdmin && row.project_id !== projectId)) throw new SecurityGroupNotFound(id);
    return row;
  }

  async deleteRule(ctx: RequestContext, id: string): Promise<void> {
    const row = await getSecurityGroupRule(this.d.db, id);
    if (!row || (!ctx.isAdmin && row.project_id !== ctx.projectId)) throw new SecurityGroupRuleNotFound(id);
    await deleteSecurityGroupRule(this.d.db, id);
    this.#rulesChanged([row.security_group_id]);
  }
}
export { PolicyNotAuthorized };
