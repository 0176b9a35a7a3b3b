/**
 * GET /servers and /servers/detail (servers.py _get_servers with compute/api.py get_all
 * and the DB layer's instance_get_all_by_filters): the query schema of the request's
 * microversion, the filters a member may use (the others are dropped, as
 * remove_invalid_options does; admins may use all), status → vm_state, changes-since /
 * changes-before (which also return deleted servers), ip/ip6 matched against the
 * network info cache, tag filters, sorting with nova's keys and marker/limit paging.
 */
import type { FastifyRequest } from 'fastify';
import type { ComputeApiDeps } from './app.js';
import { novaContext } from '../context.js';
import { selectFlavorIdByFlavorid } from '../db/flavors.js';
import { selectInstancesForList } from '../db/instance-list.js';
import { type Instance, fromRow } from '../objects/instance.js';
import { statesForStatuses } from '../objects/states.js';
import { fixedIps } from '../network/model.js';
import { HttpFault, badRequest } from './faults.js';
import { atLeast } from './microversion.js';
import { authorize } from './policy.js';
import { parseIsotime } from './ip-time.js';
import { P, type JsonSchema, boolFromString, lastParam, pyRegex, queryLists, validateQuery } from './validation.js';
import { basicView, links, showView, showsFault } from './views.js';

const Q = P.multiParams({ type: 'string' });
const QR = P.multiParams({ type: 'string', format: 'regex' });

// schemas/servers.py: sort keys nova ignores (dropped before sorting) and the valid ones.
const IGNORE_SORT_KEYS = ['architecture', 'cell_name', 'cleaned', 'default_ephemeral_device', 'default_swap_device', 'deleted', 'deleted_at', 'disable_terminate', 'ephemeral_gb', 'ephemeral_key_uuid', 'id', 'key_data', 'launched_on', 'locked', 'memory_mb', 'os_type', 'reservation_id', 'root_gb', 'shutdown_terminate', 'user_data', 'vcpus', 'vm_mode'];
const SORT_KEYS = ['access_ip_v4', 'access_ip_v6', 'auto_disk_config', 'availability_zone', 'config_drive', 'created_at', 'display_description', 'display_name', 'host', 'hostname', 'image_ref', 'instance_type_id', 'kernel_id', 'key_name', 'launch_index', 'launched_at', 'locked_by', 'node', 'power_state', 'progress', 'project_id', 'ramdisk_id', 'root_device_name', 'task_state', 'terminated_at', 'updated_at', 'user_id', 'uuid', 'vm_state'];
const JOINED_TABLE_PARAMS = ['block_device_mapping', 'services', 'metadata', 'system_metadata', 'info_cache', 'security_groups', 'pci_devices'];

function querySchema(req: FastifyRequest): JsonSchema {
  const props: Record<string, JsonSchema> = {};
  for (const k of ['user_id', 'project_id', 'tenant_id', 'launch_index', 'image_ref', 'image', 'vm_state', 'task_state', 'host', 'uuid', 'sort_dir', 'all_tenants', 'soft_deleted', 'deleted', 'status']) props[k] = Q;
  for (const k of ['kernel_id', 'ramdisk_id', 'hostname', 'key_name', 'power_state', 'node', 'flavor', 'reservation_id', 'launched_at', 'terminated_at', 'availability_zone', 'name', 'display_name', 'description', 'display_description', 'locked_by', 'root_device_name', 'config_drive', 'access_ip_v4', 'access_ip_v6', 'auto_disk_config', 'progress', 'ip', 'ip6', 'created_at']) props[k] = QR;
  props['changes-since'] = P.multiParams({ type: 'string', format: 'date-time' });
  for (const k of JOINED_TABLE_PARAMS) props[k] = Q;
  props.limit = P.multiParams(P.nonNegativeInteger);
  props.marker = Q;
  let sortKeys = [...SORT_KEYS, ...IGNORE_SORT_KEYS];
  if (atLeast(req.mv, '2.26')) for (const k of ['tags', 'tags-any', 'not-tags', 'not-tags-any']) props[k] = QR;
  if (atLeast(req.mv, '2.66')) props['changes-before'] = P.multiParams({ type: 'string', format: 'date-time' });
  if (atLeast(req.mv, '2.73')) {
    sortKeys = ['locked', ...SORT_KEYS, ...IGNORE_SORT_KEYS.filter((k) => k !== 'locked')];
    props.locked = Q;
  }
  if (atLeast(req.mv, '2.75')) sortKeys = ['locked', ...SORT_KEYS];
  props.sort_key = P.multiParams({ type: 'string', enum: sortKeys });
  return { type: 'object', properties: props, additionalProperties: !atLeast(req.mv, '2.75'), patternProperties: { '^_': Q } };
}

/** _get_server_search_options: what a member may filter on at this microversion. */
function memberOptions(req: FastifyRequest): Set<string> {
  const o = ['reservation_id', 'name', 'status', 'image', 'flavor', 'ip', 'changes-since', 'all_tenants'];
  if (atLeast(req.mv, '2.5')) o.push('ip6');
  if (atLeast(req.mv, '2.26')) o.push('tags', 'tags-any', 'not-tags', 'not-tags-any');
  if (atLeast(req.mv, '2.66')) o.push('changes-before');
  if (atLeast(req.mv, '2.73')) o.push('locked');
  if (atLeast(req.mv, '2.83')) o.push('availability_zone', 'config_drive', 'key_name', 'created_at', 'launched_at', 'terminated_at', 'power_state', 'task_state', 'vm_state', 'progress', 'user_id');
  if (atLeast(req.mv, '2.90')) o.push('hostname');
  return new Set(o);
}

const PAGING_SORTING = ['sort_key', 'sort_dir', 'limit', 'marker'];

/** A column's value for exact filters and sorting. */
function column(i: Instance, key: string): string | number | null {
  switch (key) {
    case 'display_name':
      return i.displayName;
    case 'display_description':
      return i.displayDescription;
    case 'image_ref':
      return i.imageRef;
    case 'instance_type_id':
      return i.flavor.id;
    case 'project_id':
      return i.projectId;
    case 'user_id':
      return i.userId;
    case 'uuid':
      return i.uuid;
    case 'vm_state':
      return i.vmState;
    case 'task_state':
      return i.taskState;
    case 'power_state':
      return i.powerState;
    case 'host':
      return i.host;
    case 'node':
      return i.node;
    case 'hostname':
      return i.hostname;
    case 'key_name':
      return i.keyName;
    case 'availability_zone':
      return i.availabilityZone;
    case 'reservation_id':
      return i.reservationId;
    case 'launch_index':
      return i.launchIndex;
    case 'config_drive':
      return i.configDrive;
    case 'access_ip_v4':
      return i.accessIpV4;
    case 'access_ip_v6':
      return i.accessIpV6;
    case 'root_device_name':
      return i.rootDeviceName;
    case 'locked_by':
      return i.lockedBy;
    case 'progress':
      return i.progress;
    case 'created_at':
      return i.createdAt;
    case 'updated_at':
      return i.updatedAt;
    case 'launched_at':
      return i.launchedAt;
    case 'terminated_at':
      return i.terminatedAt;
    case 'locked':
      return i.locked ? 1 : 0;
    case 'kernel_id':
    case 'ramdisk_id':
      return '';
    case 'auto_disk_config':
      return 0;
    default:
      return null;
  }
}

// instance_get_all_by_filters matches project/user/image/vm_state/uuid/host/task_state/
// launch_index by equality (a list: any of) and the rest by regex; name and description
// are aliases of the display_ columns.
const REGEX_ALIASES: Record<string, string> = { name: 'display_name', description: 'display_description' };

/** The servers list, basic or detailed, as nova answers it. */
export async function listServers(d: ComputeApiDeps, req: FastifyRequest, detail: boolean): Promise<Record<string, unknown>> {
  const raw = queryLists(req.query);
  validateQuery(querySchema(req), raw);
  const isAdmin = req.ctx.isAdmin;
  // remove_invalid_options: admins (allow_all_filters) keep every filter.
  const allowed = memberOptions(req);
  const opts: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(raw)) if (!PAGING_SORTING.includes(k) && (isAdmin || allowed.has(k))) opts[k] = v;
  const one = (k: string) => lastParam(opts, k);
  for (const k of Object.keys(opts)) if (JOINED_TABLE_PARAMS.includes(k) || k.startsWith('_')) throw badRequest(`Invalid filter field: ${k}.`);

  let vmStates: string[] | null = null;
  let taskStates: string[] | null = null;
  if (opts.status) {
    const states = statesForStatuses(opts.status);
    vmStates = states.vmStates;
    // A vm_state's plain status selects it whatever its task.
    if (!states.taskStates.includes('default')) taskStates = states.taskStates;
    if (vmStates.length === 0 && states.taskStates.length === 0) {
      if (atLeast(req.mv, '2.38')) throw badRequest('Invalid status value');
      return { servers: [] };
    }
  }
  const since = one('changes-since') !== undefined ? parseIsotime(one('changes-since')!) : null;
  const before = one('changes-before') !== undefined ? parseIsotime(one('changes-before')!) : null;
  if (since !== null && before !== null && before < since) throw badRequest('The value of changes-since must be less than or equal to changes-before.');
  // Without `deleted`, only live servers unless changes-since/before asks for recent deletes.
  let deleted: boolean | null = null;
  if (opts.deleted) deleted = boolFromString(one('deleted'), false, false);
  else if (since === null && before === null) deleted = false;
  if (vmStates && vmStates.length === 1 && vmStates[0] === 'deleted') {
    if (!isAdmin) throw new HttpFault(403, 'Only administrators may list deleted instances');
    deleted = true;
  }
  let locked: boolean | null = null;
  if (opts.locked) {
    try {
      locked = boolFromString(one('locked'), true);
    } catch (e) {
      throw badRequest(`Invalid input received: ${(e as Error).message}`);
    }
  }
  // common.is_all_tenants (strict), then the get_all_tenants policy: a member asking is refused.
  let allTenants = false;
  // The empty value (`?all_tenants=`, as Tempest sends it) asks for all tenants too.
  if (opts.all_tenants !== undefined) {
    try {
      allTenants = one('all_tenants') === '' || boolFromString(one('all_tenants'), true);
    } catch (e) {
      throw badRequest(`Invalid input received: ${(e as Error).message}`);
    }
  }
  if (allTenants) authorize(req.ctx, detail ? 'os_compute_api:servers:detail:get_all_tenants' : 'os_compute_api:servers:index:get_all_tenants');

  const rows = await selectInstancesForList(d.db, { deleted, projectId: allTenants ? null : req.ctx.projectId });
  let instances = rows.map((r) => fromRow(r as never));

  // The exact and regex filters nova's DB layer applies.
  const exact: Record<string, string[]> = {};
  if (allTenants) {
    const project = opts.project_id ?? opts.tenant_id;
    if (project) exact.project_id = project;
  }
  for (const k of ['user_id', 'uuid', 'host', 'launch_index', 'task_state']) if (opts[k]) exact[k] = opts[k]!;
  if (opts.image ?? opts.image_ref) exact.image_ref = (opts.image ?? opts.image_ref)!;
  if (vmStates) exact.vm_state = vmStates;
  else if (opts.vm_state) exact.vm_state = opts.vm_state;
  if (taskStates) exact.task_state = taskStates;
  // With neutron's ip-substring-filtering, nova turns ip/ip6 into a uuid filter through a
  // port query (fixed IPs containing the text); without it, a regex after the query.
  const ip = one('ip');
  const ip6 = one('ip6');
  let ipInMemory = false;
  if (ip !== undefined || ip6 !== undefined) {
    const ctx = novaContext(req.ctx);
    if (await d.compute.d.network.hasSubstrPortFilteringExtension(ctx)) {
      const uuids = await d.compute.d.network.instanceUuidsByIpSubstr(ctx, [ip, ip6]);
      if (uuids.length === 0) return { servers: [] };
      exact.uuid = [...uuids, ...(exact.uuid ?? [])];
    } else ipInMemory = true;
  }
  for (const [k, vals] of Object.entries(exact)) instances = instances.filter((i) => vals.includes(String(column(i, k) ?? '')));
  if (opts.flavor) {
    // _remap_flavor_filter: the flavor's flavorid; an unknown flavor lists nothing.
    const flavorId = one('flavor')!;
    const f = await selectFlavorIdByFlavorid(d.db, flavorId);
    if (!f) return { servers: [] };
    instances = instances.filter((i) => i.flavor.flavorid === flavorId);
  }
  for (const k of ['name', 'display_name', 'description', 'display_description', 'hostname', 'key_name', 'node', 'reservation_id', 'availability_zone', 'locked_by', 'root_device_name', 'config_drive', 'access_ip_v4', 'access_ip_v6', 'progress', 'power_state']) {
    const v = one(k);
    if (v === undefined) continue;
    const re = pyRegex(v);
    const col = REGEX_ALIASES[k] ?? k;
    instances = instances.filter((i) => {
      const x = column(i, col);
      return x !== null && re.test(String(x));
    });
  }
  if (since !== null) instances = instances.filter((i) => i.updatedAt !== null && Date.parse(i.updatedAt) >= since);
  if (before !== null) instances = instances.filter((i) => i.updatedAt !== null && Date.parse(i.updatedAt) <= before);
  if (locked !== null) instances = instances.filter((i) => i.locked === locked);
  if (atLeast(req.mv, '2.26')) {
    const tagList = (k: string) => (one(k) !== undefined ? one(k)!.split(',') : null);
    const all = tagList('tags');
    const any = tagList('tags-any');
    const notAll = tagList('not-tags');
    const notAny = tagList('not-tags-any');
    if (all) instances = instances.filter((i) => all.every((t) => i.tags.includes(t)));
    if (any) instances = instances.filter((i) => any.some((t) => i.tags.includes(t)));
    if (notAll) instances = instances.filter((i) => !notAll.every((t) => i.tags.includes(t)));
    if (notAny) instances = instances.filter((i) => !notAny.some((t) => i.tags.includes(t)));
  }

  instances = sortInstances(req, raw, instances);

  const marker = lastParam(raw, 'marker');
  if (marker) {
    const idx = instances.findIndex((i) => i.uuid === marker);
    if (idx < 0) throw badRequest(`marker [${marker}] not found`);
    instances = instances.slice(idx + 1);
  }
  // _ip_filter runs after the DB query, in Python, on fixed IPs only, with re.match.
  if (ipInMemory) {
    const v4 = pyRegex(`^(?:${ip ?? 'None'})`);
    const v6 = pyRegex(`^(?:${ip6 ?? 'None'})`);
    const nw = await d.instances.networkInfos(instances.map((i) => i.uuid));
    instances = instances.filter((i) => (nw.get(i.uuid) ?? []).some((vif) => fixedIps(vif).some((f) => (f.version === 4 ? v4 : v6).test(f.address))));
  }
  const limitRaw = lastParam(raw, 'limit');
  // [api] max_limit; a full page gets a next link even when nothing follows (nova's _get_collection_links).
  const maxLimit = 1000;
  const limit = limitRaw !== undefined ? Math.min(Number(limitRaw), maxLimit) : maxLimit;
  instances = instances.slice(0, limit);
  const next = limit > 0 && instances.length === limit ? instances[limit - 1]!.uuid : undefined;

  const out: Record<string, unknown> = {};
  if (!detail) out.servers = instances.map((i) => basicView(req, i));
  else {
    const uuids = instances.map((i) => i.uuid);
    const [nw, faults] = await Promise.all([d.instances.networkInfos(uuids), d.instances.latestFaults(uuids.filter((_, k) => showsFault(instances[k]!)))]);
    const now = d.clock.now();
    // host_status (2.16, admins by policy): each host's service asked once per page.
    const hostUp = new Map<string, boolean>();
    if (isAdmin && atLeast(req.mv, '2.16')) for (const h of new Set(instances.map((i) => i.host).filter((h): h is string => !!h))) hostUp.set(h, await d.compute.hostIsUp(h));
    const hostStatus = (i: Instance) => (!isAdmin || !atLeast(req.mv, '2.16') ? undefined : i.host ? (hostUp.get(i.host) ? 'UP' : 'DOWN') : '');
    out.servers = instances.map((i) => {
      const v = showView(req, i, { nwInfo: nw.get(i.uuid) ?? [], fault: faults.get(i.uuid), now, isAdmin, hostStatus: hostStatus(i) });
      delete v.server_groups;
      return v;
    });
  }
  if (next) {
    const qs = new URLSearchParams();
    for (const [k, vals] of Object.entries(raw)) if (k !== 'marker') for (const x of vals) qs.append(k, x);
    qs.set('marker', next);
    out.servers_links = [{ rel: 'next', href: `${links(req, detail ? 'servers/detail' : 'servers', '')[0]!.href.replace(/\/$/, '')}?${qs}` }];
  }
  return out;
}

/**
 * get_sort_params + remove_invalid_sort_keys + the DB's process_sort_params: ignored keys
 * (and host/node for members) dropped with their direction, then created_at and id
 * appended in the first direction given (default desc).
 */
function sortInstances(req: FastifyRequest, q: Record<string, string[]>, instances: Instance[]): Instance[] {
  let keys = [...(q.sort_key ?? [])];
  let dirs = [...(q.sort_dir ?? [])];
  const ignore = atLeast(req.mv, '2.73') ? IGNORE_SORT_KEYS.filter((k) => k !== 'locked') : IGNORE_SORT_KEYS;
  const drop = (k: string) => ignore.includes(k) || (!req.ctx.isAdmin && (k === 'host' || k === 'node'));
  const kept: [string, string | undefined][] = keys.map((k, n) => [k, dirs[n]]);
  const filtered = kept.filter(([k]) => !drop(k));
  keys = filtered.map(([k]) => k);
  dirs = filtered.map(([, v]) => v).filter((v): v is string => v !== undefined);
  if (dirs.length > keys.length && keys.length > 0) throw badRequest('Invalid input received: Sort direction size exceeds sort key size');
  for (const dir of dirs) if (dir !== 'asc' && dir !== 'desc') throw badRequest("Invalid input received: Unknown sort direction, must be 'desc' or 'asc'");
  const dflt = dirs[0] ?? 'desc';
  if (keys.length === 0) keys = ['created_at'];
  while (dirs.length < keys.length) dirs.push(dflt);
  for (const k of ['created_at', 'id']) {
    if (!keys.includes(k)) {
      keys.push(k);
      dirs.push(dflt);
    }
  }
  const value = (i: Instance, k: string) => (k === 'id' ? i.id : column(i, k));
  return [...instances].sort((a, b) => {
    for (let n = 0; n < keys.length; n++) {
      const x = value(a, keys[n]!);
      const y = value(b, keys[n]!);
      if (x === y) continue;
      // NULLs sort first ascending, as in MySQL.
      const c = x === null ? -1 : y === null ? 1 : x < y ? -1 : 1;
      return dirs[n] === 'desc' ? -c : c;
    }
    return 0;
  });
}
