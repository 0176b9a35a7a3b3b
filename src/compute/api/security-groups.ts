/**
 * nova's security group proxy (nova/api/openstack/compute/security_groups.py over
 * nova/network/security_group_api.py): os-security-groups and os-security-group-rules
 * up to 2.35 (404 from 2.36), and GET /servers/{id}/os-security-groups at every
 * microversion, all answered from neutron's REST API and shown in nova-network's
 * shape: ingress rules only, with ip_protocol, from_port/to_port, ip_range{cidr} or
 * group{name, tenant_id}. Neutron's own error texts come through where nova passes
 * them on (str() of neutronclient's exception).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ComputeApiDeps } from './app.js';
import { HttpFault, badRequest, notFound } from './faults.js';
import { MAX_LIMIT } from './links.js';
import { proxyGate } from './network-proxies.js';
import { authorize } from './policy.js';
import { getInstance } from './servers.js';
import { P, isUuidLike, lastParam, pyInt, queryLists, validateQuery } from './validation.js';
import { requestBody, sendEmpty, sendNova } from './wire.js';
import { novaContext } from '../context.js';
import { type NeutronClient, hasStatus } from '../network/neutron-client.js';
import { NeutronClientException } from '../errors.js';

/** A neutron security group rule as the wire has it. */
interface NeutronRule {
  id: string;
  security_group_id: string;
  direction: string;
  protocol: string | null;
  port_range_min: number | null;
  port_range_max: number | null;
  remote_group_id: string | null;
  remote_ip_prefix: string | null;
}

interface NeutronGroup {
  id: string;
  name: string;
  description: string;
  tenant_id: string;
  security_group_rules?: NeutronRule[];
}

/** security_group_api's nova-format rule. */
export interface NovaRule {
  id?: string;
  parent_group_id?: string;
  protocol?: string | null;
  from_port?: number | null;
  to_port?: number | null;
  group_id?: string | null;
  cidr?: string | null;
}

interface NovaGroup {
  id: string;
  description: string;
  name: string;
  project_id: string;
  rules: NovaRule[];
}

/** Thrown by the rule builders: nova's Invalid family, a 400 with this text. */
export class InvalidRule extends Error {}

/** oslo's netutils.is_valid_cidr: an address, a slash and a prefix length valid for its family. */
export function isValidCidr(s: string): boolean {
  const m = /^([^/]+)\/(\d{1,3})$/.exec(s);
  if (!m) return false;
  const [, addr, len] = m;
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(addr!);
  if (v4) return v4.slice(1).every((o) => +o <= 255) && +len! <= 32;
  return addr!.includes(':') && /^[0-9a-fA-F:.]+$/.test(addr!) && (addr!.match(/::/g) ?? []).length <= 1 && +len! <= 128;
}

/** parse_cidr: absent is 0.0.0.0/0; the text is URL-unquoted, then must be a CIDR. */
export function parseCidr(cidr: unknown): string {
  if (cidr === null || cidr === undefined || cidr === '') return '0.0.0.0/0';
  let s = String(cidr);
  try {
    s = decodeURIComponent(s);
  } catch {
    /* unquote leaves malformed escapes as they are */
  }
  if (!isValidCidr(s)) throw new InvalidRule(`${s} is not a valid IP network.`);
  return s;
}

/** Python's int() of a port as the JSON body gave it; null when int() would raise. */
function toInt(v: unknown): number | null {
  if (typeof v === 'number') return Number.isFinite(v) ? Math.trunc(v) : null;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'string') return pyInt(v);
  return null;
}

/** _new_ingress_rule: the rule to add, or null when a CIDR rule lacks protocol and ports. */
export function newIngressRule(ipProtocol: unknown, fromPort: unknown, toPort: unknown, groupId?: string | null, cidr?: string): NovaRule | null {
  const values: NovaRule = {};
  let from = fromPort;
  let to = toPort;
  if (groupId) {
    values.group_id = groupId;
    const upper = ipProtocol ? String(ipProtocol).toUpperCase() : '';
    if (upper === 'ICMP' && from == null && to == null) [from, to] = [-1, -1];
    else if ((upper === 'TCP' || upper === 'UDP') && from == null && to == null) [from, to] = [1, 65535];
  } else if (cidr) {
    values.cidr = cidr;
  }
  if (ipProtocol && from != null && to != null) {
    const proto = String(ipProtocol);
    const upper = proto.toUpperCase();
    const f = toInt(from);
    const t = toInt(to);
    if (f === null || t === null) {
      throw new InvalidRule(`Invalid input received: ${upper === 'ICMP' ? 'Type and Code must be integers for ICMP protocol type' : 'To and From ports must be integers'}`);
    }
    if (!['TCP', 'UDP', 'ICMP'].includes(upper)) throw new InvalidRule(`Invalid IP protocol ${proto}.`);
    const range = (msg: string) => new InvalidRule(`Invalid port range ${f}:${t}. ${msg}`);
    if ((upper === 'TCP' || upper === 'UDP') && f > t) throw range('Former value cannot be greater than the later');
    if ((upper === 'TCP' || upper === 'UDP') && (f < 1 || t > 65535)) throw range(`Valid ${upper} ports should be between 1-65535`);
    if (upper === 'ICMP' && (f < -1 || f > 255 || t < -1 || t > 255)) throw range('For ICMP, the type:code must be valid');
    values.protocol = proto;
    values.from_port = f;
    values.to_port = t;
  } else if (cidr) {
    return null;
  }
  return values;
}

/** _convert_to_nova_security_group_rule_format. */
function novaRule(r: NeutronRule): NovaRule {
  const noPorts = r.protocol && r.port_range_min == null && r.port_range_max == null;
  const tcpUdp = r.protocol && ['TCP', 'UDP'].includes(r.protocol.toUpperCase());
  return {
    id: r.id,
    parent_group_id: r.security_group_id,
    protocol: r.protocol,
    from_port: noPorts ? (tcpUdp ? 1 : -1) : r.port_range_min,
    to_port: noPorts ? (tcpUdp ? 65535 : -1) : r.port_range_max,
    group_id: r.remote_group_id,
    cidr: parseCidr(r.remote_ip_prefix),
  };
}

/** _convert_to_nova_security_group_format: ingress rules only. */
function novaGroup(g: NeutronGroup): NovaGroup {
  return {
    id: g.id,
    description: g.description,
    name: g.name,
    project_id: g.tenant_id,
    rules: (g.security_group_rules ?? []).filter((r) => r.direction === 'ingress').map(novaRule),
  };
}

/** utils.check_string_length(value, name, 0, 255) as nova's InvalidInput(message=...). */
function checkProperty(value: unknown, name: string): void {
  if (typeof value !== 'string') throw badRequest(`${name} is not a string or unicode`);
  if (value.length > 255) throw badRequest(`${name} has ${value.length} characters, more than 255.`);
}

/** _from_body: "The request body can't be empty" / "Missing parameter <key>". */
function fromBody(body: unknown, key: string): Record<string, unknown> {
  if (!body || (typeof body === 'object' && Object.keys(body).length === 0)) throw badRequest("The request body can't be empty");
  const v = (body as Record<string, unknown>)[key];
  if (v === null || v === undefined) throw badRequest(`Missing parameter ${key}`);
  return (typeof v === 'object' ? v : {}) as Record<string, unknown>;
}

/** validate_id: neutron's ids are uuids. */
function validateId(id: unknown): string {
  if (!isUuidLike(id)) throw badRequest('Security group id should be uuid');
  return id as string;
}

const INDEX_QUERY = {
  type: 'object',
  properties: { limit: P.multiParams(P.nonNegativeInteger), offset: P.multiParams(P.nonNegativeInteger), all_tenants: P.multiParams({ type: 'string' }) },
  additionalProperties: true,
};

/** Routes os-security-groups, os-security-group-rules and /servers/{id}/os-security-groups. */
export function registerSecurityGroups(app: FastifyInstance, d: ComputeApiDeps): void {
  const client = (req: FastifyRequest): NeutronClient => d.compute.d.network.client(novaContext(req.ctx));

  /** security_group_api.get: SecurityGroupNotFound carries neutron's text. */
  async function getGroup(c: NeutronClient, id: string): Promise<NovaGroup> {
    try {
      return novaGroup((await c.request<{ security_group: NeutronGroup }>('GET', `/security-groups/${encodeURIComponent(id)}`)).security_group);
    } catch (e) {
      if (hasStatus(e, 404)) throw notFound(e.message);
      throw e;
    }
  }

  type GroupRef = { name: string; tenant_id: string } | null;

  /** _format_security_group_rule: undefined when the remote group is gone (the rule is left out). */
  async function ruleView(c: NeutronClient, r: NovaRule, groups: Map<string, GroupRef>, known?: GroupRef) {
    const out: Record<string, unknown> = { id: r.id, parent_group_id: r.parent_group_id, ip_protocol: r.protocol, from_port: r.from_port, to_port: r.to_port, group: {}, ip_range: {} };
    if (known) out.group = known;
    else if (r.group_id) {
      if (!groups.has(r.group_id)) {
        try {
          const g = await getGroup(c, r.group_id);
          groups.set(r.group_id, { name: g.name, tenant_id: g.project_id });
        } catch (e) {
          if (!(e instanceof HttpFault && e.status === 404)) throw e;
          groups.set(r.group_id, null);
        }
      }
      const ref = groups.get(r.group_id);
      if (!ref) return undefined;
      out.group = ref;
    } else out.ip_range = { cidr: r.cidr };
    return out;
  }

  async function groupView(c: NeutronClient, g: NovaGroup, groups = new Map<string, GroupRef>()) {
    const rules = [];
    for (const r of g.rules) {
      const v = await ruleView(c, r, groups);
      if (v) rules.push(v);
    }
    return { id: g.id, description: g.description, name: g.name, tenant_id: g.project_id, rules };
  }

  const byTenantAndName = (a: { tenant_id: string; name: string }, b: { tenant_id: string; name: string }) =>
    a.tenant_id < b.tenant_id ? -1 : a.tenant_id > b.tenant_id ? 1 : a.name < b.name ? -1 : a.name > b.name ? 1 : 0;

  app.get('/v2.1/os-security-groups', async (req, reply) => {
    proxyGate(req);
    const q = queryLists(req.query);
    validateQuery(INDEX_QUERY, q);
    authorize(req.ctx, 'os_compute_api:os-security-groups:get');
    const c = client(req);
    const allTenants = req.ctx.isAdmin && 'all_tenants' in q;
    const raw = (await c.listSecurityGroups(allTenants ? {} : { tenant_id: req.ctx.projectId })) as unknown as NeutronGroup[];
    // common.limited: offset, then limit (0 or absent: max_limit).
    const offset = Number(lastParam(q, 'offset') ?? 0);
    const limit = Math.min(MAX_LIMIT, Number(lastParam(q, 'limit') ?? 0) || MAX_LIMIT);
    const groups = new Map<string, GroupRef>();
    const out = [];
    for (const g of raw.slice(offset, offset + limit)) out.push(await groupView(c, novaGroup(g), groups));
    return sendNova(reply, 200, { security_groups: out.sort(byTenantAndName) });
  });

  app.get<{ Params: { id: string } }>('/v2.1/os-security-groups/:id', async (req, reply) => {
    proxyGate(req);
    authorize(req.ctx, 'os_compute_api:os-security-groups:show');
    const c = client(req);
    const g = await getGroup(c, validateId(req.params.id));
    return sendNova(reply, 200, { security_group: await groupView(c, g) });
  });

  app.post('/v2.1/os-security-groups', async (req, reply) => {
    proxyGate(req);
    authorize(req.ctx, 'os_compute_api:os-security-groups:create');
    const sg = fromBody(requestBody(req), 'security_group');
    checkProperty(sg.name ?? null, 'name');
    checkProperty(sg.description ?? null, 'description');
    const c = client(req);
    let made: NeutronGroup;
    try {
      made = (await c.request<{ security_group: NeutronGroup }>('POST', '/security-groups', { security_group: { name: sg.name, description: sg.description } })).security_group;
    } catch (e) {
      if (hasStatus(e, 400)) throw badRequest(e.message);
      // SecurityGroupLimitExceeded(str(e)), answered 403.
      if (hasStatus(e, 409)) throw new HttpFault(403, e.message);
      throw e;
    }
    return sendNova(reply, 200, { security_group: await groupView(c, novaGroup(made)) });
  });

  app.put<{ Params: { id: string } }>('/v2.1/os-security-groups/:id', async (req, reply) => {
    proxyGate(req);
    authorize(req.ctx, 'os_compute_api:os-security-groups:update');
    const c = client(req);
    const g = await getGroup(c, validateId(req.params.id));
    const sg = fromBody(requestBody(req), 'security_group');
    checkProperty(sg.name ?? null, 'name');
    checkProperty(sg.description ?? null, 'description');
    const updated = (await c.request<{ security_group: NeutronGroup }>('PUT', `/security-groups/${encodeURIComponent(g.id)}`, { security_group: { name: sg.name, description: sg.description } })).security_group;
    return sendNova(reply, 200, { security_group: await groupView(c, novaGroup(updated)) });
  });

  app.delete<{ Params: { id: string } }>('/v2.1/os-security-groups/:id', async (req, reply) => {
    proxyGate(req);
    authorize(req.ctx, 'os_compute_api:os-security-groups:delete');
    const c = client(req);
    const g = await getGroup(c, validateId(req.params.id));
    try {
      await c.request('DELETE', `/security-groups/${encodeURIComponent(g.id)}`);
    } catch (e) {
      if (hasStatus(e, 404)) throw notFound(e.message);
      // In use: nova's Invalid(str(e)).
      if (hasStatus(e, 409)) throw badRequest(e.message);
      throw e;
    }
    return sendEmpty(reply, 202);
  });

  app.post('/v2.1/os-security-group-rules', async (req, reply) => {
    proxyGate(req);
    authorize(req.ctx, 'os_compute_api:os-security-groups:rule:create');
    const body = fromBody(requestBody(req), 'security_group_rule');
    const c = client(req);
    let groupId = body.group_id as string | null | undefined;
    const parent = await getGroup(c, validateId(body.parent_group_id));
    let source: NovaGroup | undefined;
    let rule: NovaRule | null;
    try {
      if (groupId !== undefined && groupId !== null) {
        groupId = validateId(groupId);
        source = await getGroup(c, groupId);
      }
      rule =
        groupId !== undefined && groupId !== null
          ? newIngressRule(body.ip_protocol, body.from_port, body.to_port, groupId)
          : newIngressRule(body.ip_protocol, body.from_port, body.to_port, undefined, parseCidr(body.cidr));
    } catch (e) {
      if (e instanceof InvalidRule) throw badRequest(e.message);
      throw e;
    }
    if (rule === null) throw badRequest('Not enough parameters to build a valid rule.');
    rule.parent_group_id = parent.id;
    if (rule.cidr) {
      const [net, len] = rule.cidr.split('/');
      if (net !== '0.0.0.0' && net !== '::' && len === '0') throw badRequest(`Bad prefix for network in cidr ${rule.cidr}`);
    }
    // _rule_exists: the same group_id, cidr, ports and protocol already there.
    const keys = ['group_id', 'cidr', 'from_port', 'to_port', 'protocol'] as const;
    if (parent.rules.some((r) => keys.every((k) => (r[k] ?? null) === (rule![k] ?? null)))) throw badRequest(`This rule already exists in group ${parent.id}`);
    const neutronRule: Record<string, unknown> = {
      direction: 'ingress',
      protocol: rule.protocol ?? null,
      ethertype: rule.cidr && rule.cidr.includes(':') ? 'IPv6' : 'IPv4',
      remote_ip_prefix: rule.cidr ?? null,
      security_group_id: rule.parent_group_id,
      remote_group_id: rule.group_id ?? null,
    };
    if (rule.from_port !== undefined && rule.from_port !== -1) neutronRule.port_range_min = rule.from_port;
    if (rule.to_port !== undefined && rule.to_port !== -1) neutronRule.port_range_max = rule.to_port;
    let made: NeutronRule;
    try {
      made = (await c.request<{ security_group_rules: NeutronRule[] }>('POST', '/security-group-rules', { security_group_rules: [neutronRule] })).security_group_rules[0]!;
    } catch (e) {
      if (e instanceof NeutronClientException) {
        if (e.status === 404) throw notFound(e.message);
        if (e.status === 409) throw new HttpFault(403, e.message);
        if (e.status === 400) throw badRequest(e.message);
      }
      throw e;
    }
    const known = source ? { name: source.name, tenant_id: source.project_id } : undefined;
    return sendNova(reply, 200, { security_group_rule: await ruleView(c, novaRule(made), new Map(), known) });
  });

  app.delete<{ Params: { id: string } }>('/v2.1/os-security-group-rules/:id', async (req, reply) => {
    proxyGate(req);
    authorize(req.ctx, 'os_compute_api:os-security-groups:rule:delete');
    const c = client(req);
    const id = validateId(req.params.id);
    let rule: NeutronRule;
    try {
      rule = (await c.request<{ security_group_rule: NeutronRule }>('GET', `/security-group-rules/${encodeURIComponent(id)}`)).security_group_rule;
    } catch (e) {
      if (hasStatus(e, 404)) throw notFound(e.message);
      throw e;
    }
    await getGroup(c, rule.security_group_id);
    await c.request('DELETE', `/security-group-rules/${encodeURIComponent(rule.id)}`);
    return sendEmpty(reply, 202);
  });

  // No microversion bound: nova still serves this one after 2.36.
  app.get<{ Params: { id: string } }>('/v2.1/servers/:id/os-security-groups', async (req, reply) => {
    const i = await getInstance(d, req, req.params.id);
    authorize(req.ctx, 'os_compute_api:os-security-groups:list', { project_id: i.projectId });
    const c = client(req);
    const ports = await c.listPorts({ device_id: [i.uuid] });
    const ids = [...new Set(ports.flatMap((p) => (p.security_groups as string[] | undefined) ?? []))];
    const found = new Map<string, NeutronGroup>();
    if (ids.length) for (const g of (await c.listSecurityGroups({ id: ids })) as unknown as NeutronGroup[]) found.set(g.id, g);
    // One entry per port and group, as nova lists them (a group on two ports shows twice).
    const groups = ports.flatMap((p) => ((p.security_groups as string[] | undefined) ?? []).flatMap((id) => (found.has(id) ? [novaGroup(found.get(id)!)] : [])));
    const refs = new Map<string, GroupRef>(groups.map((g) => [g.id, { name: g.name, tenant_id: g.project_id }]));
    const out = [];
    for (const g of groups) out.push(await groupView(c, g, refs));
    return sendNova(reply, 200, { security_groups: out.sort(byTenantAndName) });
  });
}
